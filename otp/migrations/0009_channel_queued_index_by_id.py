"""otp_chan_queued keyed by id: a delivery's claim planned on it scanned every queued row.

The index holds only QUEUED rows, so rebuilding it reads the table once and writes a small index.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('otp', '0008_fallback_delivery'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='channelverification',
            name='otp_chan_queued',
        ),
        migrations.AddIndex(
            model_name='channelverification',
            index=models.Index(condition=models.Q(('delivery_status', 'QUEUED')), fields=['id'], name='otp_chan_queued'),
        ),
    ]
