"""Manufacturer programs: their batches of point codes, dealers, attempts and volume bonuses."""

import django.db.models.deletion
import django.utils.timezone
import oscar_loyalty.compat
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_loyalty", "0014_rewards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Dealer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=128, verbose_name='Name')),
                ('city', models.CharField(blank=True, max_length=128, verbose_name='City')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='E-mail')),
                ('phone', models.CharField(blank=True, max_length=32, verbose_name='Phone')),
                ('is_active', models.BooleanField(default=True, verbose_name='Active')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='Created')),
                ('users', models.ManyToManyField(blank=True, related_name='loyalty_dealers', to=settings.AUTH_USER_MODEL, verbose_name='Logins')),
            ],
            options={
                'verbose_name': 'Dealer',
                'verbose_name_plural': 'Dealers',
                'ordering': ['name', 'id'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='ManufacturerProgram',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=128, verbose_name='Name')),
                ('manufacturer', models.CharField(max_length=128, verbose_name='Manufacturer')),
                ('description', models.TextField(blank=True, verbose_name='Description')),
                ('bonus_every', models.PositiveIntegerField(blank=True, null=True, verbose_name='Extra points every … codes')),
                ('bonus_points', models.PositiveIntegerField(blank=True, null=True, verbose_name='Extra points')),
                ('show_customers_to_dealers', models.BooleanField(default=False, help_text='Only if the buyers have agreed to it: dealers otherwise see dates and counts only.', verbose_name='Dealers see who registered their codes')),
                ('is_active', models.BooleanField(default=True, verbose_name='Active')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='Created')),
            ],
            options={
                'verbose_name': 'Manufacturer program',
                'verbose_name_plural': 'Manufacturer programs',
                'ordering': ['name', 'id'],
                'abstract': False,
                'constraints': [oscar_loyalty.compat.CheckConstraint(condition=models.Q(models.Q(('bonus_every__isnull', True), ('bonus_points__isnull', True)), models.Q(('bonus_every__gt', 0), ('bonus_points__gt', 0)), _connector='OR'), name='loyalty_program_bonus_complete')],
            },
        ),
        migrations.CreateModel(
            name='PointCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code_hash', models.CharField(editable=False, max_length=64, unique=True, verbose_name='Code hash')),
                ('code_hint', models.CharField(editable=False, max_length=8, verbose_name='Code ends with')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='Created')),
                ('registered_at', models.DateTimeField(blank=True, null=True, verbose_name='Registered')),
                ('customer_name', models.CharField(blank=True, max_length=255, verbose_name='Customer name')),
                ('points', models.PositiveIntegerField(blank=True, null=True, verbose_name='Points credited')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='Revoked')),
                ('revoked_by_name', models.CharField(blank=True, max_length=255, verbose_name='Revoked by')),
                ('reversed_at', models.DateTimeField(blank=True, null=True, verbose_name='Reversed')),
                ('reversed_by_name', models.CharField(blank=True, max_length=255, verbose_name='Reversed by')),
                ('reversal_reason', models.CharField(blank=True, max_length=255, verbose_name='Reason for the reversal')),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='loyalty_point_codes', to=settings.AUTH_USER_MODEL, verbose_name='Customer')),
            ],
            options={
                'verbose_name': 'Point code',
                'verbose_name_plural': 'Point codes',
                'ordering': ['-registered_at', '-id'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='PointCodeAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outcome', models.CharField(choices=[('registered', 'Registered'), ('invalid', 'Not a code'), ('mistyped', 'Typo (check character)'), ('not_found', 'Unknown code'), ('already_registered', 'Already registered'), ('expired', 'Expired'), ('not_yet_valid', 'Not valid yet'), ('revoked', 'Revoked'), ('throttled', 'Too many attempts'), ('refused', 'Refused by the points account')], max_length=24, verbose_name='Outcome')),
                ('user_name', models.CharField(blank=True, max_length=255, verbose_name="Signed-in user's name")),
                ('acting_staff_name', models.CharField(blank=True, max_length=255, verbose_name='Staff acting for the customer')),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='Date')),
                ('code', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='attempts', to='oscar_loyalty.pointcode', verbose_name='Point code')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='Signed-in user')),
            ],
            options={
                'verbose_name': 'Point code attempt',
                'verbose_name_plural': 'Point code attempts',
                'ordering': ['-created_at', '-id'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='PointCodeBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=128, verbose_name='Name')),
                ('label', models.CharField(blank=True, help_text='Printed with the codes; optional.', max_length=128, verbose_name='Product or campaign')),
                ('points', models.PositiveIntegerField(verbose_name='Points per code')),
                ('size', models.PositiveIntegerField(verbose_name='Number of codes')),
                ('valid_from', models.DateTimeField(verbose_name='Valid from')),
                ('valid_until', models.DateTimeField(verbose_name='Valid until')),
                ('bonus_every', models.PositiveIntegerField(blank=True, null=True, verbose_name='Extra points every … codes')),
                ('bonus_points', models.PositiveIntegerField(blank=True, null=True, verbose_name='Extra points')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='Created')),
                ('created_by_name', models.CharField(blank=True, max_length=255, verbose_name='Created by')),
                ('exported_at', models.DateTimeField(blank=True, null=True, verbose_name='Codes exported')),
                ('exported_by_name', models.CharField(blank=True, max_length=255, verbose_name='Exported by')),
                ('assigned_at', models.DateTimeField(blank=True, null=True, verbose_name='Given to the dealer')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='Revoked')),
                ('revoked_by_name', models.CharField(blank=True, max_length=255, verbose_name='Revoked by')),
                ('dealer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='batches', to='oscar_loyalty.dealer', verbose_name='Dealer')),
                ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='batches', to='oscar_loyalty.manufacturerprogram', verbose_name='Program')),
            ],
            options={
                'verbose_name': 'Point code batch',
                'verbose_name_plural': 'Point code batches',
                'ordering': ['-created_at', '-id'],
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='pointcode',
            name='batch',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='codes', to='oscar_loyalty.pointcodebatch', verbose_name='Batch'),
        ),
        migrations.CreateModel(
            name='BatchRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('size', models.PositiveIntegerField(verbose_name='Number of codes')),
                ('comment', models.CharField(blank=True, max_length=255, verbose_name='Comment')),
                ('requested_by_name', models.CharField(blank=True, max_length=255, verbose_name='Requested by')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='Requested')),
                ('status', models.CharField(choices=[('open', 'Open'), ('fulfilled', 'Fulfilled'), ('declined', 'Declined')], default='open', max_length=16, verbose_name='Status')),
                ('handled_at', models.DateTimeField(blank=True, null=True, verbose_name='Handled')),
                ('handled_by_name', models.CharField(blank=True, max_length=255, verbose_name='Handled by')),
                ('dealer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='batch_requests', to='oscar_loyalty.dealer', verbose_name='Dealer')),
                ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='batch_requests', to='oscar_loyalty.manufacturerprogram', verbose_name='Program')),
                ('batch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='oscar_loyalty.pointcodebatch', verbose_name='Batch')),
            ],
            options={
                'verbose_name': 'Request for codes',
                'verbose_name_plural': 'Requests for codes',
                'ordering': ['-created_at', '-id'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='VolumeBonus',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(max_length=32, verbose_name='Counted in')),
                ('threshold', models.PositiveIntegerField(verbose_name='Threshold')),
                ('codes', models.PositiveIntegerField(verbose_name='Codes registered')),
                ('points', models.PositiveIntegerField(verbose_name='Points')),
                ('ledger_key', models.CharField(max_length=200, unique=True, verbose_name='Ledger key')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='Paid')),
                ('customer', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='loyalty_volume_bonuses', to=settings.AUTH_USER_MODEL, verbose_name='Customer')),
                ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='volume_bonuses', to='oscar_loyalty.manufacturerprogram', verbose_name='Program')),
            ],
            options={
                'verbose_name': 'Volume bonus',
                'verbose_name_plural': 'Volume bonuses',
                'ordering': ['-created_at', '-id'],
                'abstract': False,
            },
        ),
        migrations.AddConstraint(
            model_name='pointcodebatch',
            constraint=oscar_loyalty.compat.CheckConstraint(condition=models.Q(('valid_until__gt', models.F('valid_from'))), name='loyalty_batch_valid_window'),
        ),
        migrations.AddConstraint(
            model_name='pointcodebatch',
            constraint=oscar_loyalty.compat.CheckConstraint(condition=models.Q(('points__gt', 0), ('size__gt', 0)), name='loyalty_batch_points_and_size'),
        ),
        migrations.AddConstraint(
            model_name='pointcodebatch',
            constraint=oscar_loyalty.compat.CheckConstraint(condition=models.Q(models.Q(('bonus_every__isnull', True), ('bonus_points__isnull', True)), models.Q(('bonus_every__gt', 0), ('bonus_points__gt', 0)), _connector='OR'), name='loyalty_batch_bonus_complete'),
        ),
        migrations.AddIndex(
            model_name='pointcode',
            index=models.Index(fields=['customer', 'batch'], name='loyalty_code_customer_batch'),
        ),
        migrations.AddConstraint(
            model_name='volumebonus',
            constraint=models.UniqueConstraint(fields=('customer', 'scope', 'threshold'), name='loyalty_volume_bonus_once'),
        ),
    ]
