"""Orders out windows the orders and their status changes by id, as it does the journal.

An order or a status change is dated before its transaction writes and
commits it; by date, one committed just after a query fixed its window
fell behind the next one for good. The marker learns these ids at its next
acknowledgement; until then both are windowed by date, as before.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('erp_sync', '0008_outbox_trigger_per_row'),
    ]

    operations = [
        migrations.AddField(
            model_name='exchangesession',
            name='export_after_order',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='Exported orders after (id)'),
        ),
        migrations.AddField(
            model_name='exchangesession',
            name='export_after_status_change',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='Exported status changes after (id)'),
        ),
        migrations.AddField(
            model_name='exchangesession',
            name='export_upto_order',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='Exported orders up to (id)'),
        ),
        migrations.AddField(
            model_name='exchangesession',
            name='export_upto_status_change',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='Exported status changes up to (id)'),
        ),
        migrations.AddField(
            model_name='exportmarker',
            name='exported_order',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='Acknowledged orders up to (id)'),
        ),
        migrations.AddField(
            model_name='exportmarker',
            name='exported_status_change',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='Acknowledged status changes up to (id)'),
        ),
    ]
