"""The daily alerts (run once a day: cron or a systemd timer), and the sweep of unconfirmed subscriptions.

Each daily subscription gets one e-mail with what happened since its last one, or none; the sending
is queued for the tasks worker like every other e-mail. Subscriptions never confirmed are deleted
once their confirmation link has expired: an address nobody confirmed is not kept.
"""

from django.core.management.base import BaseCommand

from impacts.alerts.models import Frequency, LinkPurpose, Subscription, SubscriptionLink
from impacts.alerts.tasks import send_digest


class Command(BaseCommand):
    help = "Queue each daily alert subscription's digest, and delete subscriptions never confirmed in time."

    def handle(self, *args, **options):
        swept = Subscription.objects.unconfirmed_expired().delete()[1].get("impacts.Subscription", 0)
        SubscriptionLink.objects.expired().filter(purpose=LinkPurpose.CONFIRM).delete()
        daily = Subscription.objects.confirmed().filter(frequency=Frequency.DAILY).values_list("pk", flat=True)
        queued = 0
        for subscription_id in daily.iterator():
            send_digest.enqueue(subscription_id)
            queued += 1
        self.stdout.write(f"Queued {queued} daily digest(s); deleted {swept} unconfirmed subscription(s).")
