"""Stripe's events as received: what each did (applied, ignored, rejected and why), for Finance and support."""
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from ..models import StripeEvent
from ..moments import when
from ..roles import STRIPE_EVENTS


class StripeEventView(ModelView):
    datamodel = SQLAInterface(StripeEvent)
    route_base = "/admin/stripe-events"
    class_permission_name = STRIPE_EVENTS
    base_permissions = ["can_list", "can_show"]

    list_title = _l("Stripe events")
    list_columns = ["received_at", "type", "outcome", "detail", "processed_at", "id"]
    search_columns = ["type", "outcome", "id", "received_at", "processed_at", "detail"]
    order_columns = ["received_at", "type", "outcome", "processed_at"]
    show_columns = ["id", "type", "received_at", "processed_at", "outcome", "detail", "payload"]
    base_order = ("received_at", "desc")
    label_columns = {"id": _l("Stripe event id"), "type": _l("Type"), "received_at": _l("Received"),
                     "processed_at": _l("Processed"), "outcome": _l("Outcome"), "detail": _l("Detail"),
                     "payload": _l("Payload")}
    formatters_columns = {"received_at": when, "processed_at": when}
