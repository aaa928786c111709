# The loyalty dashboard's two roles: managers (adjustments, pins, settings) and KPI readers.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('oscar_loyalty', '0007_secret_codes'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='account',
            options={
                'permissions': [
                    ('manage_loyalty', 'Can manage the loyalty program: adjust points, pin tiers, edit its settings'),
                    ('view_loyalty_kpis', "Can view the loyalty program's KPIs"),
                ],
                'verbose_name': 'Points account',
                'verbose_name_plural': 'Points accounts',
            },
        ),
    ]
