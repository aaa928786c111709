"""The blocks editors build the program's pages from.

The tier table and the calculator hold only their headings: their figures are
read from the program's tiers and margin groups each time the page is shown,
so a tier changed in the back office shows at once, with no page to edit.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model
from wagtail import blocks

from oscar_loyalty.earning import tiers as tier_service
from oscar_loyalty.earning.display import program_tiers
from wagtail_pages import calculator

MarginGroup = get_model("oscar_loyalty", "MarginGroup")

TEMPLATE_DIR = "wagtail_pages/blocks/"


class HeadingBlock(blocks.StructBlock):
    """A StructBlock with an optional heading and introduction, shared by the blocks below."""

    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=255)
    intro = blocks.RichTextBlock(label=_("Introduction"), required=False, features=["bold", "italic", "link"])


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=255)
    answer = blocks.RichTextBlock(label=_("Answer"), features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        label = _("Question")
        icon = "help"


class FAQBlock(HeadingBlock):
    questions = blocks.ListBlock(QuestionBlock(), label=_("Questions"), min_num=1)

    class Meta:
        label = _("Questions and answers")
        icon = "help"
        template = TEMPLATE_DIR + "faq.html"


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=255)
    text = blocks.RichTextBlock(label=_("Text"), required=False, features=["bold", "italic", "link"])

    class Meta:
        label = _("Step")
        icon = "arrow-right"


class StepsBlock(HeadingBlock):
    steps = blocks.ListBlock(StepBlock(), label=_("Steps"), min_num=1)

    class Meta:
        label = _("How it works")
        icon = "list-ol"
        template = TEMPLATE_DIR + "steps.html"


class TierTableBlock(HeadingBlock):
    """The program's tiers as a table, read live: thresholds, cashback, the share payable with points."""

    class Meta:
        label = _("Tier table")
        icon = "table"
        template = TEMPLATE_DIR + "tier_table.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["tiers"] = sorted(program_tiers(), key=tier_service.rank)
        return context


class CalculatorBlock(HeadingBlock):
    """The earn calculator: a form answered by the page (a GET without JavaScript, JSON with it)."""

    class Meta:
        label = _("Earn calculator")
        icon = "cogs"
        template = TEMPLATE_DIR + "calculator.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        request = context.get("request")
        page = context.get("page")
        tier_list = program_tiers()
        groups = list(MarginGroup.objects.all())
        submitted = request is not None and "amount" in request.GET
        if submitted:
            form = calculator.CalculatorForm(request.GET, tier_list=tier_list, groups=groups)
            context["estimate"] = form.estimate() if form.is_valid() else None
        else:
            user = getattr(request, "user", None)
            initial = calculator.initial_choices(user, tier_list, groups)
            form = calculator.CalculatorForm(initial=initial, tier_list=tier_list, groups=groups)
        context["form"] = form
        context["submitted"] = submitted
        if page is not None and hasattr(page, "calculator_url"):
            context["calculator_url"] = page.calculator_url()
        return context


class CallToActionBlock(HeadingBlock):
    """Join the program, or, once signed in, see one's bonuses."""

    signup_label = blocks.CharBlock(
        label=_("Button for visitors"), required=False, max_length=64, help_text=_("Default: “Join the program”.")
    )
    member_label = blocks.CharBlock(
        label=_("Button for signed-in customers"),
        required=False,
        max_length=64,
        help_text=_("Default: “My bonuses”."),
    )

    class Meta:
        label = _("Call to action")
        icon = "pick"
        template = TEMPLATE_DIR + "call_to_action.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        request = context.get("request")
        user = getattr(request, "user", None)
        context["signed_in"] = user is not None and user.is_authenticated
        context["bonuses_url"] = bonuses_url()
        context["register_url"] = reverse("customer:register")
        context["login_url"] = reverse("customer:login")
        context["next_url"] = request.get_full_path() if request is not None else ""
        return context


def bonuses_url():
    """The customer's "My bonuses" page; the account page if the shop has not mounted the loyalty URLs."""
    try:
        return reverse("loyalty:bonuses")
    except NoReverseMatch:
        return reverse("customer:summary")


class ProgramStreamBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(
        label=_("Text"),
        features=["h2", "h3", "bold", "italic", "link", "ol", "ul", "hr"],
        template=TEMPLATE_DIR + "text.html",
    )
    steps = StepsBlock()
    tier_table = TierTableBlock()
    calculator = CalculatorBlock()
    faq = FAQBlock()
    call_to_action = CallToActionBlock()
