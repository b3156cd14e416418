"""Upstream providers. The API key is write-only: stored encrypted, shown masked, never echoed."""
from flask import abort, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, ValidationError

from .. import audit, crypto, provider_check
from ..extensions import db
from ..gateway import egress
from ..models import Provider, ProviderKind
from ..roles import PROVIDERS
from .base import AuditedModelView, checkbox, enum_value, when, yes_no


def _masked(token: str | None) -> str:
    try:
        return crypto.mask(crypto.decrypt(token)) if token else "—"
    except ValueError:
        return "(unreadable: encryption key changed)"


def _valid_proxy(form, field) -> None:
    value = (field.data or "").strip()
    if value and value.lower() != egress.DIRECT:
        try:
            egress.parse_proxy(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _valid_ca(form, field) -> None:
    if (field.data or "").strip():
        try:
            egress.check_ca(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _valid_base_url(form, field) -> None:
    try:
        field.data = provider_check.check_base_url(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _ca_summary(ca: str | None) -> str:
    if not ca:
        return "—"
    count = ca.count("-----BEGIN CERTIFICATE-----")
    return _l("%(n)d certificate(s), PEM", n=count) if count else ca


class ProviderView(AuditedModelView):
    datamodel = SQLAInterface(Provider)
    route_base = "/admin/providers"
    class_permission_name = PROVIDERS
    audit_type = "provider"

    list_title = _l("Providers")
    list_columns = ["name", "kind", "base_url", "enabled", "priority", "weight", "rpm_limit",
                    "api_key_encrypted", "routes"]
    search_columns = ["name", "base_url", "enabled", "priority", "weight"]
    order_columns = ["name", "kind", "enabled", "priority", "weight", "rpm_limit"]
    _form = ["name", "base_url", "enabled", "priority", "weight", "rpm_limit", "timeout_s", "proxy_url", "ca_bundle",
             "structured_outputs"]
    add_columns = edit_columns = ["name", "api_format"] + _form[1:] + ["api_key"]
    show_columns = ["name", "kind"] + _form[1:] + ["api_key_encrypted", "routes", "created_at"]
    # FAB's enum field looks members up by value and ProviderKind's values are not its names.
    add_form_extra_fields = edit_form_extra_fields = {
        "enabled": checkbox(_l("Enabled")),
        "structured_outputs": checkbox(_l("Native structured outputs")),
        "api_format": SelectField(_l("API format"), choices=[(k.value, k.value) for k in ProviderKind]),
        "api_key": PasswordField(_l("API key"), description=_l("Write-only. Leave empty to keep the current key.")),
    }
    base_order = ("priority", "asc")
    label_columns = {
        "name": _l("Name"), "kind": _l("API format"), "base_url": _l("Base URL"), "enabled": _l("Enabled"),
        "priority": _l("Priority"), "weight": _l("Weight"), "rpm_limit": _l("Rate limit (requests/min)"),
        "timeout_s": _l("Timeout (s)"), "api_key_encrypted": _l("API key"), "routes": _l("Models served"),
        "created_at": _l("Created"), "proxy_url": _l("Proxy"), "ca_bundle": _l("CA bundle"),
        "structured_outputs": _l("Native structured outputs"),
    }
    description_columns = {
        "priority": _l("Lower is tried first."),
        "weight": _l("Share of traffic among providers of equal priority."),
        "proxy_url": _l("http://[user:password@]host:port, reached with CONNECT. Empty: HTTPS_PROXY and NO_PROXY "
                        "decide. \"direct\": never through a proxy."),
        "ca_bundle": _l("For a private endpoint: PEM certificates, or the path of a PEM file on the gateway hosts. "
                        "When set, only these CAs are trusted for this provider. Empty: the system's CAs."),
        "structured_outputs": _l("Anthropic providers: the models take Anthropic's structured-output parameter, "
                                 "so a JSON schema is sent as such. Off: it is asked for as a forced tool call, "
                                 "which every Claude model supports."),
    }
    validators_columns = {"proxy_url": [_valid_proxy], "ca_bundle": [_valid_ca], "base_url": [_valid_base_url]}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_test_connection"]
    show_template = "admin/provider_show.html"
    formatters_columns = {
        "api_key_encrypted": _masked, "kind": enum_value, "proxy_url": egress.redact, "ca_bundle": _ca_summary,
        "routes": lambda routes: ", ".join(r.model.public_id for r in routes) or "—",
        "enabled": yes_no, "created_at": when, "rpm_limit": lambda n: _l("no limit") if n is None else n,
    }

    @expose("/<int:pk>/test", methods=["POST"])
    @has_access
    def test_connection(self, pk):
        """Asks the provider for its model list with the stored key; shows the answer or the error."""
        item = db.session.get(Provider, pk) or abort(404)
        try:
            listed, error = provider_check.list_models(item), None
        except ValueError as exc:
            listed, error = [], str(exc)
        audit.record("provider.test_connection", item, {"ok": error is None, "models": len(listed), "error": error})
        db.session.commit()
        served = sorted(r.model.public_id for r in item.routes)
        return self.render_template("admin/provider_test.html", provider=item, listed=listed, error=error,
                                    served=served)

    def snapshot(self, item) -> dict:
        data = super().snapshot(item)
        data["proxy_url"] = egress.redact(data.get("proxy_url"))  # a proxy password stays out of the log
        return data

    def prefill_form(self, form, pk):
        form.api_format.data = self.datamodel.get(pk).kind.value

    def pre_add(self, item):
        self._store_key(item)
        super().pre_add(item)

    def pre_update(self, item):
        changed = self._store_key(item)
        super().pre_update(item)
        if changed:
            audit.record("provider.key_rotate", item, {"masked": _masked(item.api_key_encrypted)})

    @staticmethod
    def _store_key(item: Provider) -> bool:
        item.kind = ProviderKind(request.form.get("api_format", ProviderKind.openai.value))
        secret = (request.form.get("api_key") or "").strip()
        if secret:
            item.api_key_encrypted = crypto.encrypt(secret)
        return bool(secret)
