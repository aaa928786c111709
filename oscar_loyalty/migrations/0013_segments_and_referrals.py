"""Customer segments (RFM, lists, saved filters) with their monthly history, birthdays, and refer a friend.

The RFM segments are created here, so campaign rules can target them before
the first RFM pass has run; the pass fills them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import oscar_loyalty.compat

#: The RFM segments' codes and names, as ``oscar_loyalty.segments.rfm`` maps scores to them (copied:
#: a migration must not change when the code does).
RFM_SEGMENTS = (
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("potential_loyalists", "Potential loyalists"),
    ("new", "New"),
    ("promising", "Promising"),
    ("need_attention", "Need attention"),
    ("about_to_sleep", "About to sleep"),
    ("at_risk", "At risk"),
    ("cant_lose", "Can't lose them"),
    ("sleeping", "Sleeping"),
)


def create_rfm_segments(apps, schema_editor):
    Segment = apps.get_model("oscar_loyalty", "Segment")
    for code, name in RFM_SEGMENTS:
        Segment.objects.get_or_create(code=code, defaults={"name": name, "kind": "rfm"})


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0012_event_types"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Referral",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=16, verbose_name="Code used")),
                (
                    "channel",
                    models.CharField(
                        choices=[("link", "Referral link"), ("code", "Referral code")],
                        max_length=8,
                        verbose_name="Channel",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("joined", "Friend joined"),
                            ("rewarded", "Referrer rewarded"),
                            ("refused", "Referrer's reward refused"),
                        ],
                        default="joined",
                        max_length=16,
                        verbose_name="Status",
                    ),
                ),
                (
                    "refused_reason",
                    models.CharField(blank=True, max_length=255, verbose_name="Why the reward was refused"),
                ),
                ("device", models.CharField(blank=True, max_length=64, verbose_name="Friend's device")),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="Friend's IP address")),
                (
                    "first_order_number",
                    models.CharField(blank=True, max_length=128, verbose_name="Friend's first paid order"),
                ),
                ("created_at", models.DateTimeField(verbose_name="Joined")),
                ("rewarded_at", models.DateTimeField(blank=True, null=True, verbose_name="Referrer rewarded")),
                (
                    "friend",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="loyalty_referred_by",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="Friend",
                    ),
                ),
                (
                    "referrer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="loyalty_referrals",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="Referrer",
                    ),
                ),
            ],
            options={
                "verbose_name": "Referral",
                "verbose_name_plural": "Referrals",
                "ordering": ["-created_at", "-id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ReferralCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=16, unique=True, verbose_name="Code")),
                ("device", models.CharField(blank=True, max_length=64, verbose_name="Device")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="Created")),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="loyalty_referral_code",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="Customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "Referral code",
                "verbose_name_plural": "Referral codes",
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="RFMScore",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="Month")),
                ("recency", models.PositiveSmallIntegerField(verbose_name="Recency score")),
                ("frequency", models.PositiveSmallIntegerField(verbose_name="Frequency score")),
                ("monetary", models.PositiveSmallIntegerField(verbose_name="Monetary score")),
                ("segment_code", models.SlugField(max_length=64, verbose_name="Segment")),
                ("purchases", models.PositiveIntegerField(verbose_name="Paid purchases")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14, verbose_name="Paid amount")),
                ("last_purchase_at", models.DateTimeField(verbose_name="Last purchase")),
                ("computed_at", models.DateTimeField(verbose_name="Computed")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="Customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "RFM score",
                "verbose_name_plural": "RFM scores",
                "ordering": ["-month", "user"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="Segment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=64, unique=True, verbose_name="Code")),
                ("name", models.CharField(max_length=128, verbose_name="Name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("rfm", "RFM (computed)"),
                            ("manual", "List of customers"),
                            ("filter", "Saved filter"),
                        ],
                        default="manual",
                        max_length=16,
                        verbose_name="Kind",
                    ),
                ),
                ("description", models.TextField(blank=True, verbose_name="Description")),
                ("registered_from", models.DateField(blank=True, null=True, verbose_name="Registered on or after")),
                ("registered_to", models.DateField(blank=True, null=True, verbose_name="Registered on or before")),
                (
                    "min_purchases",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="At least this many paid purchases"
                    ),
                ),
                ("size", models.PositiveIntegerField(default=0, verbose_name="Members")),
                ("refreshed_at", models.DateTimeField(blank=True, null=True, verbose_name="Members last computed")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="Created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="Updated")),
                (
                    "filter_tier",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="oscar_loyalty.tier",
                        verbose_name="Tier",
                    ),
                ),
            ],
            options={
                "verbose_name": "Customer segment",
                "verbose_name_plural": "Customer segments",
                "ordering": ["kind", "name"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="SegmentMembership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("since", models.DateTimeField(verbose_name="Member since")),
                (
                    "segment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="oscar_loyalty.segment",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="Customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "Segment member",
                "verbose_name_plural": "Segment members",
                "abstract": False,
            },
        ),
        migrations.AddField(
            model_name="segment",
            name="members",
            field=models.ManyToManyField(
                blank=True,
                related_name="loyalty_segments",
                through="oscar_loyalty.SegmentMembership",
                to=settings.AUTH_USER_MODEL,
                verbose_name="Members",
            ),
        ),
        migrations.CreateModel(
            name="SegmentSnapshot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="Month")),
                ("size", models.PositiveIntegerField(verbose_name="Members")),
                ("taken_at", models.DateTimeField(verbose_name="Taken")),
                (
                    "segment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="snapshots",
                        to="oscar_loyalty.segment",
                    ),
                ),
            ],
            options={
                "verbose_name": "Segment size in a month",
                "verbose_name_plural": "Segment sizes by month",
                "ordering": ["-month", "segment"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="CustomerBirthday",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("birthday", models.DateField(verbose_name="Date of birth")),
                (
                    "set_by",
                    models.CharField(
                        choices=[("customer", "The customer"), ("staff", "Staff")], max_length=16, verbose_name="Set by"
                    ),
                ),
                ("changed_by_name", models.CharField(blank=True, max_length=255, verbose_name="Last changed by")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="Set")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="Updated")),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="loyalty_birthday",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="Customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "Customer's birthday",
                "verbose_name_plural": "Customers' birthdays",
                "abstract": False,
                "indexes": [models.Index(fields=["birthday"], name="loyalty_birthday_date")],
            },
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=oscar_loyalty.compat.CheckConstraint(
                condition=models.Q(("referrer", models.F("friend")), _negated=True), name="loyalty_referral_not_self"
            ),
        ),
        migrations.AddIndex(
            model_name="rfmscore",
            index=models.Index(fields=["month", "segment_code"], name="loyalty_rfm_score_segment"),
        ),
        migrations.AddConstraint(
            model_name="rfmscore",
            constraint=models.UniqueConstraint(fields=("user", "month"), name="loyalty_rfm_score_month"),
        ),
        migrations.AddConstraint(
            model_name="rfmscore",
            constraint=oscar_loyalty.compat.CheckConstraint(
                condition=models.Q(
                    ("recency__gte", 1),
                    ("recency__lte", 5),
                    ("frequency__gte", 1),
                    ("frequency__lte", 5),
                    ("monetary__gte", 1),
                    ("monetary__lte", 5),
                ),
                name="loyalty_rfm_score_quintiles",
            ),
        ),
        migrations.AddIndex(
            model_name="segmentmembership",
            index=models.Index(fields=["user"], name="loyalty_segment_member_user"),
        ),
        migrations.AddConstraint(
            model_name="segmentmembership",
            constraint=models.UniqueConstraint(fields=("segment", "user"), name="loyalty_segment_member_once"),
        ),
        migrations.AddConstraint(
            model_name="segmentsnapshot",
            constraint=models.UniqueConstraint(fields=("segment", "month"), name="loyalty_segment_snapshot_month"),
        ),
        migrations.RunPython(create_rfm_segments, migrations.RunPython.noop),
    ]
