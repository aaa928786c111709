"""Create the program's landing and rules pages, in English and Russian, with real content.

The English pages go under the default site's home page (the landing page at
``/loyalty/``, the rules at ``/loyalty/rules/``), the Russian ones are their
translations (Wagtail's internationalisation), served at the same addresses
to visitors reading the shop in Russian. Safe to run again: existing pages
and texts are found by slug and locale and left as editors made them.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation
from wagtail.models import Locale, Site

from wagtail_pages import demo_content
from wagtail_pages.models import ProgramLandingPage, ProgramRulesPage, ProgramTexts

LANDING_SLUG = "loyalty"
RULES_SLUG = "rules"


class Command(BaseCommand):
    help = "Create the loyalty program's demo pages (landing and rules) in English and Russian."

    def handle(self, *args, **options):
        if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
            raise CommandError("Set WAGTAIL_I18N_ENABLED = True: the demo pages come in English and Russian.")
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        if site is None:
            raise CommandError("There is no default Wagtail site: run migrate first.")
        created = []
        with transaction.atomic():
            home = site.root_page.specific
            source = home.locale
            languages = [source.language_code] + [code for code in ("en", "ru") if code != source.language_code]
            locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in languages}
            self.ensure_texts(locales, created)
            landing, rules = self.ensure_source_pages(home, source.language_code, created)
            for code in languages[1:]:
                self.ensure_translation(landing, rules, locales[code], created)
        for item in created:
            self.stdout.write(f"Created {item}")
        self.stdout.write(
            self.style.SUCCESS(f"Program pages: {landing.url} and {rules.url} ({len(created)} new objects).")
        )

    def ensure_texts(self, locales, created):
        first = None
        for code, locale in locales.items():
            record = ProgramTexts.objects.filter(locale=locale).first()
            if record is None:
                values = demo_content.TEXTS.get(code, demo_content.TEXTS["en"])
                record = ProgramTexts(
                    locale=locale,
                    program_name=values["program_name"],
                    point_name_one=values["one"],
                    point_name_few=values["few"],
                    point_name_many=values["many"],
                )
                if first is not None:
                    record.translation_key = first.translation_key
                record.save()
                created.append(f"program texts ({code})")
            first = first or record

    def ensure_source_pages(self, home, language, created):
        landing = ProgramLandingPage.objects.child_of(home).filter(slug=LANDING_SLUG).first()
        new_landing = landing is None
        if new_landing:
            with translation.override(language):
                landing = ProgramLandingPage(slug=LANDING_SLUG, **demo_content.landing(language))
            home.add_child(instance=landing)
            created.append(f"landing page ({language})")
        rules = ProgramRulesPage.objects.child_of(landing).filter(slug=RULES_SLUG).first()
        if rules is None:
            with translation.override(language):
                rules = ProgramRulesPage(slug=RULES_SLUG, **demo_content.rules(language))
            landing.add_child(instance=rules)
            rules.save_revision().publish()
            created.append(f"rules page ({language})")
        if new_landing:
            self.publish(landing, lambda: demo_content.landing(language, rules_page=rules), language)
        return landing, rules

    def ensure_translation(self, landing, rules, locale, created):
        language = locale.language_code
        landing_copy = landing.get_translation_or_none(locale)
        if landing_copy is None:
            landing_copy = landing.copy_for_translation(locale, copy_parents=True)
            created.append(f"landing page ({language})")
        rules_copy = rules.get_translation_or_none(locale)
        if rules_copy is None:
            rules_copy = rules.copy_for_translation(locale)
            self.publish(rules_copy, lambda: demo_content.rules(language), language)
            created.append(f"rules page ({language})")
        if f"landing page ({language})" in created:
            self.publish(landing_copy, lambda: demo_content.landing(language, rules_page=rules_copy), language)

    def publish(self, page, content, language):
        """Write ``content()`` (written in ``language``: dates, money) into the page and publish it."""
        # A fresh copy: pages added under this one since it was loaded changed its tree fields.
        page = page.specific_class.objects.get(pk=page.pk)
        with translation.override(language):
            for field, value in content().items():
                setattr(page, field, value)
        page.save_revision().publish()
