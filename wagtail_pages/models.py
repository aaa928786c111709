"""The program's pages: a landing page and a rules page, built from the blocks in ``blocks.py``."""

from django.conf import settings
from django.db import models
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Locale, Page, TranslatableMixin

from oscar_loyalty.earning.calculations import CENT
from wagtail_pages import calculator, texts
from wagtail_pages.blocks import ProgramStreamBlock


class ProgramTexts(TranslatableMixin, models.Model):
    """What the program and its points are called, one record per language (a Wagtail snippet)."""

    program_name = models.CharField(_("Program name"), max_length=128)
    point_name_one = models.CharField(_("Point name, one"), max_length=64, help_text=_("As in “1 bonus”, “21 бонус”."))
    point_name_few = models.CharField(
        _("Point name, few"),
        max_length=64,
        blank=True,
        help_text=_("As in “2 бонуса”, for languages that have this form; leave empty otherwise."),
    )
    point_name_many = models.CharField(
        _("Point name, many"), max_length=64, help_text=_("As in “5 bonuses”, “5 бонусов”.")
    )

    panels = [
        FieldPanel("program_name"),
        FieldPanel("point_name_one"),
        FieldPanel("point_name_few"),
        FieldPanel("point_name_many"),
    ]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("Program texts")
        verbose_name_plural = _("Program texts")
        constraints = [models.UniqueConstraint(fields=["locale"], name="loyalty_pages_one_texts_per_locale")]

    def __str__(self):
        return f"{self.program_name} ({self.locale.get_display_name()})"

    def as_texts(self):
        return texts.ProgramTexts(
            program_name=self.program_name,
            points=texts.PointNames(
                language=self.locale.language_code,
                one=self.point_name_one,
                few=self.point_name_few,
                many=self.point_name_many,
            ),
        )


def program_texts(locale):
    """The texts for ``locale``: its own record, else the default language's, else the built-in ones."""
    candidates = ProgramTexts.objects.select_related("locale").filter(locale=locale)
    record = candidates.first()
    if record is None:
        record = ProgramTexts.objects.select_related("locale").filter(locale=Locale.get_default()).first()
    if record is None:
        return texts.default_texts(translation.get_language() or settings.LANGUAGE_CODE)
    if record.locale_id != locale.pk:
        # Another language's names would be declined by the wrong rules.
        return texts.ProgramTexts(
            program_name=record.program_name, points=texts.default_texts(locale.language_code).points
        )
    return record.as_texts()


class ProgramPage(RoutablePageMixin, Page):
    """What both program pages share: an introduction, the blocks, the calculator's JSON answer.

    Rendered inside the shop's layout (``oscar/layout.html``), in the page's
    language when Wagtail's internationalisation is on.
    """

    intro = RichTextField(_("Introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(ProgramStreamBlock(), verbose_name=_("Content"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        abstract = True

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["program"] = program_texts(self.locale)
        context["breadcrumbs"] = [
            ancestor for ancestor in self.get_ancestors().live().specific() if isinstance(ancestor, ProgramPage)
        ]
        return context

    def serve(self, request, *args, **kwargs):
        return self.in_page_language(super().serve, request, *args, **kwargs)

    def serve_preview(self, request, mode_name):
        return self.in_page_language(super().serve_preview, request, mode_name)

    def in_page_language(self, view, *args, **kwargs):
        """The response of ``view``, rendered in the page's language.

        The shop's chrome then matches the content, also when the page has no
        translation into the visitor's language, or an editor previews it.
        """
        if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
            return view(*args, **kwargs)
        with translation.override(self.locale.language_code):
            response = view(*args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        response.headers.setdefault("Content-Language", self.locale.language_code)
        return response

    def calculator_url(self, request=None):
        return self.get_url(request) + self.reverse_subpage("calculate")

    @path("calculate/", name="calculate")
    def calculate(self, request):
        """The calculator's answer as JSON: the points and the result's HTML, or the errors (status 400)."""
        form = calculator.CalculatorForm(request.GET)
        result = form.estimate() if form.is_valid() else None
        html = render_to_string(
            "wagtail_pages/blocks/calculator_result.html",
            {"form": form, "estimate": result, "program": program_texts(self.locale)},
            request=request,
        )
        if result is None:
            return JsonResponse({"errors": form.error_list(), "html": html}, status=400)
        return JsonResponse(
            {
                "points": result.points,
                "amount": str(result.amount.quantize(CENT)),
                "tier": result.tier.code,
                "group": result.group.code,
                "html": html,
            }
        )


class ProgramLandingPage(ProgramPage):
    """The program's front page: what it gives, how to join."""

    template = "wagtail_pages/program_landing_page.html"

    class Meta:
        verbose_name = _("Loyalty program landing page")
        verbose_name_plural = _("Loyalty program landing pages")


class ProgramRulesPage(ProgramPage):
    """The program's rules: "every mechanic is reflected in the Program Rules"."""

    template = "wagtail_pages/program_rules_page.html"

    class Meta:
        verbose_name = _("Loyalty program rules page")
        verbose_name_plural = _("Loyalty program rules pages")
