import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="RollupDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(unique=True)),
                ("computed_at", models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name="DailyChannelStat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("channel", models.CharField(max_length=8)),
                ("channels", models.PositiveIntegerField(default=0)),
                ("sends", models.PositiveIntegerField(default=0)),
                ("verified", models.PositiveIntegerField(default=0)),
                ("failed", models.PositiveIntegerField(default=0)),
                ("charged", models.BigIntegerField(default=0)),
                ("refunded", models.BigIntegerField(default=0)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.account"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["account", "day"], name="dash_stat_account_day")],
                "constraints": [
                    models.UniqueConstraint(fields=("day", "account", "channel"), name="dash_stat_day_account_channel")
                ],
            },
        ),
        migrations.CreateModel(
            name="DailyFailureStat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("channel", models.CharField(max_length=8)),
                ("reason", models.CharField(max_length=120)),
                ("count", models.PositiveIntegerField(default=0)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.account"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["account", "day"], name="dash_failure_account_day")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "account", "channel", "reason"), name="dash_failure_day_account_channel_reason"
                    )
                ],
            },
        ),
    ]
