"""Tollgate's event bus: every notable change writes an ``events`` row in its own transaction,
then the row is handed to its consumers (notifications and emails, webhook deliveries) on RQ."""

EVENT_TYPES = (
    "system.balance.notify.dispatched",
    "system.payment.received",
    "system.payment.failed",
    "key.created",
    "key.revoked",
    "key.expired",
    "key.cap_reached",
    "subscription.updated",
    "member.invited",
    "member.joined",
)
# Sent only to the endpoint it was asked for, never fanned out.
TEST_EVENT = "webhook.test"
