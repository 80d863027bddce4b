"""E-mail campaigns through Django's e-mail backend: one message per customer, batches on one connection.

Each delivered message is recorded in the idempotency ledger under `<key>/to/<customer id>` as soon
as the server accepted it, so a retry after a failure half-way (SMTP down, worker killed) sends only
to those not yet served. A process killed between the server's "250 OK" and that ledger row would
send that one message again: the repeat carries the same Message-ID (derived from the key and the
customer), which mail systems use to drop a duplicate. Connection and send failures are transient
(the executor retries with backoff).
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME
from django.db.models import QuerySet
from django.utils import timezone

from approvals.errors import TransientActionError

from ..models import AppliedAction, Customer, EmailCampaign, EmailStatus

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend

BATCH_SIZE = 100
RECIPIENT_ACTION = "email.recipient"


def recipients_of(campaign: EmailCampaign) -> QuerySet[Customer]:
    """The segment's customers who accept marketing, in a stable order."""
    return campaign.segment.audience().order_by("pk")


def recipient_key(idempotency_key: str, customer_id: int) -> str:
    return f"{idempotency_key}/to/{customer_id}"


def started_key(idempotency_key: str) -> str:
    return f"{idempotency_key}/started"


def message_id(idempotency_key: str, customer_id: int) -> str:
    """One Message-ID per (send, customer), the same on every attempt."""
    return f"<{idempotency_key}.to.{customer_id}@{DNS_NAME.get_fqdn() or 'atlas.local'}>"


def _batches(qs: QuerySet[Customer], size: int) -> Iterator[list[Customer]]:
    batch: list[Customer] = []
    for customer in qs.iterator(chunk_size=size):
        batch.append(customer)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _message(
    campaign: EmailCampaign, customer: Customer, connection: BaseEmailBackend, idempotency_key: str
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=campaign.subject,
        body=campaign.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
        connection=connection,
        headers={
            "X-Atlas-Campaign": str(campaign.pk),
            "X-Atlas-Idempotency-Key": idempotency_key,
            "Message-ID": message_id(idempotency_key, customer.pk),
        },
    )
    if campaign.body_html:
        message.attach_alternative(campaign.body_html, "text/html")
    return message


def send_campaign(*, campaign: EmailCampaign, idempotency_key: str, batch_size: int = BATCH_SIZE) -> dict:
    """Send to every recipient not yet served under this key. Returns counts."""
    prefix = f"{idempotency_key}/to/"
    served = set(AppliedAction.objects.filter(key__startswith=prefix).values_list("key", flat=True))
    total = recipients_of(campaign).count()
    # Marked before the first message: a send killed half-way is resumed by the next attempt, not
    # judged stale on the "sending" status it set itself (see SendCampaign.applied).
    AppliedAction.objects.bulk_create(
        [AppliedAction(key=started_key(idempotency_key), action_type="email.started", result={})],
        ignore_conflicts=True,
    )
    EmailCampaign.objects.filter(pk=campaign.pk).exclude(status=EmailStatus.SENT).update(status=EmailStatus.SENDING)
    connection = get_connection(fail_silently=False)
    sent_now = 0
    try:
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientActionError(f"e-mail server unavailable for campaign {campaign.name!r}: {exc}") from exc
        for batch in _batches(recipients_of(campaign), batch_size):
            for customer in batch:
                key = recipient_key(idempotency_key, customer.pk)
                if key in served:
                    continue
                try:
                    _message(campaign, customer, connection, idempotency_key).send()
                except (smtplib.SMTPException, OSError) as exc:
                    raise TransientActionError(
                        f"campaign {campaign.name!r}: sending failed after {len(served)} of {total} messages: {exc}"
                    ) from exc
                # Recorded at once (not per batch): a kill repeats at most the message in flight.
                AppliedAction.objects.bulk_create(
                    [AppliedAction(key=key, action_type=RECIPIENT_ACTION, result={"email": customer.email})],
                    ignore_conflicts=True,
                )
                sent_now += 1
                served.add(key)
    finally:
        connection.close()
    campaign.status = EmailStatus.SENT
    campaign.sent_at = campaign.sent_at or timezone.now()
    campaign.recipients = len(served)
    campaign.save(update_fields=["status", "sent_at", "recipients"])
    return {"email_campaign_id": campaign.pk, "recipients": len(served), "sent_now": sent_now}
