from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("erp_sync", "0006_outbox_trigger_per_statement"),
    ]

    operations = [
        migrations.AddField(
            model_name="erpproduct",
            name="vat_rate",
            field=models.DecimalField(
                blank=True, decimal_places=2, max_digits=5, null=True, verbose_name="VAT rate, %"
            ),
        ),
    ]
