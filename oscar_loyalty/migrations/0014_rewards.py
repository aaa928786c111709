# The rewards catalogue: rewards, their redemptions, the condition of reward vouchers' offers,
# and the communication event types that tell the customer about a redemption's steps.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import oscar_loyalty.compat

REWARD_EVENT_TYPES = (
    ("LOYALTY_REWARD_ORDERED", "Bonus program: reward ordered"),
    ("LOYALTY_REWARD_PACKED", "Bonus program: reward packed"),
    ("LOYALTY_REWARD_SENT", "Bonus program: reward sent"),
    ("LOYALTY_REWARD_DELIVERED", "Bonus program: reward delivered"),
    ("LOYALTY_REWARD_CANCELLED", "Bonus program: reward cancelled"),
)


def create_event_types(apps, schema_editor):
    CommunicationEventType = apps.get_model("communication", "CommunicationEventType")
    for code, name in REWARD_EVENT_TYPES:
        CommunicationEventType.objects.get_or_create(code=code, defaults={"name": name, "category": "User related"})


class Migration(migrations.Migration):
    dependencies = [
        ("communication", "0004_auto_20200801_0817"),
        ("offer", "0013_range_excluded_categories"),
        ("order", "0018_alter_line_num_allocated"),
        ("oscar_loyalty", "0013_segments_and_referrals"),
        ("voucher", "0010_auto_20210224_0712"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RewardVoucherCondition",
            fields=[],
            options={
                "verbose_name": "Reward voucher condition",
                "verbose_name_plural": "Reward voucher conditions",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("offer.countcondition",),
        ),
        migrations.CreateModel(
            name="Reward",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=128, verbose_name="Name")),
                ("image", models.ImageField(max_length=255, upload_to="loyalty/rewards/", verbose_name="Picture")),
                ("description", models.TextField(blank=True, verbose_name="Description")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("physical", "Physical prize (delivered)"),
                            ("voucher", "Discount voucher"),
                            ("warranty", "Extended warranty"),
                        ],
                        default="physical",
                        max_length=16,
                        verbose_name="Kind",
                    ),
                ),
                ("points", models.PositiveIntegerField(verbose_name="Price in points")),
                ("stock", models.PositiveIntegerField(default=0, verbose_name="In stock")),
                ("is_active", models.BooleanField(default=True, verbose_name="Shown in the catalogue")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="Position")),
                (
                    "discount_type",
                    models.CharField(
                        blank=True,
                        choices=[("percentage", "Percentage off the basket"), ("fixed", "Fixed amount off the basket")],
                        max_length=16,
                        verbose_name="Discount type",
                    ),
                ),
                (
                    "discount_value",
                    models.DecimalField(
                        blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="Discount"
                    ),
                ),
                (
                    "voucher_valid_days",
                    models.PositiveSmallIntegerField(default=90, verbose_name="Voucher valid for (days)"),
                ),
                (
                    "warranty_months",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="Warranty term (months)"),
                ),
                ("warranty_terms", models.TextField(blank=True, verbose_name="Warranty terms")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="Created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="Updated")),
            ],
            options={
                "verbose_name": "Reward",
                "verbose_name_plural": "Rewards",
                "ordering": ["position", "points", "pk"],
                "abstract": False,
                "constraints": [
                    oscar_loyalty.compat.CheckConstraint(
                        condition=models.Q(("points__gt", 0)), name="loyalty_reward_points_positive"
                    ),
                    oscar_loyalty.compat.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "voucher"), _negated=True),
                            models.Q(("discount_value__gt", 0), models.Q(("discount_type", ""), _negated=True)),
                            _connector="OR",
                        ),
                        name="loyalty_reward_voucher_has_discount",
                    ),
                    oscar_loyalty.compat.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "warranty"), _negated=True), ("warranty_months__gt", 0), _connector="OR"
                        ),
                        name="loyalty_reward_warranty_has_term",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="RewardOrder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.CharField(max_length=32, unique=True, verbose_name="Number")),
                ("key", models.CharField(max_length=64, unique=True, verbose_name="Idempotency key")),
                ("customer_name", models.CharField(blank=True, max_length=255, verbose_name="Customer name")),
                ("reward_name", models.CharField(max_length=128, verbose_name="Reward name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("physical", "Physical prize (delivered)"),
                            ("voucher", "Discount voucher"),
                            ("warranty", "Extended warranty"),
                        ],
                        max_length=16,
                        verbose_name="Kind",
                    ),
                ),
                ("points", models.PositiveIntegerField(verbose_name="Points")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("new", "New"),
                            ("packed", "Packed"),
                            ("sent", "Sent"),
                            ("delivered", "Delivered"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="new",
                        max_length=16,
                        verbose_name="Status",
                    ),
                ),
                ("recipient_name", models.CharField(blank=True, max_length=255, verbose_name="Recipient")),
                ("phone", models.CharField(blank=True, max_length=32, verbose_name="Phone")),
                ("address", models.TextField(blank=True, verbose_name="Delivery address")),
                ("voucher_code", models.CharField(blank=True, max_length=128, verbose_name="Voucher code")),
                ("order_number", models.CharField(blank=True, max_length=128, verbose_name="Order covered")),
                (
                    "warranty_months",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="Warranty term (months)"),
                ),
                ("warranty_starts_on", models.DateField(blank=True, null=True, verbose_name="Warranty starts")),
                ("warranty_ends_on", models.DateField(blank=True, null=True, verbose_name="Warranty ends")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="Ordered")),
                ("packed_at", models.DateTimeField(blank=True, null=True, verbose_name="Packed")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="Sent")),
                ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="Delivered")),
                ("cancelled_at", models.DateTimeField(blank=True, null=True, verbose_name="Cancelled")),
                ("cancel_reason", models.CharField(blank=True, max_length=255, verbose_name="Reason for cancelling")),
                ("returned", models.BooleanField(default=False, verbose_name="Returned after delivery")),
                ("restocked", models.BooleanField(default=False, verbose_name="Put back in stock")),
                ("changed_by_name", models.CharField(blank=True, max_length=255, verbose_name="Last changed by")),
                (
                    "order",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="loyalty_warranties",
                        to="order.order",
                        verbose_name="Order covered",
                    ),
                ),
                (
                    "reward",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders",
                        to="oscar_loyalty.reward",
                        verbose_name="Reward",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="loyalty_reward_orders",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="Customer",
                    ),
                ),
                (
                    "voucher",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="loyalty_reward_orders",
                        to="voucher.voucher",
                        verbose_name="Voucher",
                    ),
                ),
            ],
            options={
                "verbose_name": "Reward order",
                "verbose_name_plural": "Reward orders",
                "ordering": ["-created_at", "-id"],
                "abstract": False,
                "indexes": [
                    models.Index(fields=["status", "-created_at"], name="loyalty_reward_order_status"),
                    models.Index(fields=["user", "-created_at"], name="loyalty_reward_order_user"),
                ],
            },
        ),
        migrations.RunPython(create_event_types, migrations.RunPython.noop),
    ]
