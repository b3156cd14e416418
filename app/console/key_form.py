"""The Tokens pages' key-settings form, turned into the fields ``app.key_fields`` parses.

The browser sends text; ``key_fields.parse`` (shared with the /me API) decides what is a valid
setting. This module only changes the shape: blank boxes, whole numbers, one checkbox and one
cap box per model. When creating, a blank box means "not set"; when editing, it clears the setting.
"""
from ..billing.units import credits_to_usd
from ..inputs import InputError
from ..models import ApiKey

USD_BOXES = ("per_request_cap_usd", "quota_usd", "cap_5h_usd", "cap_1d_usd", "cap_7d_usd")
INT_BOXES = ("rpm_limit", "tpm_limit")
MODEL_CAP = "model_cap:"  # one box per model, named model_cap:<model id>


def fields_from(form, creating: bool, models: list[str]) -> dict:
    """The key_fields dict for ``form`` (a request's form data)."""
    fields = {"name": form.get("name", "")} if creating or "name" in form else {}
    for box in USD_BOXES:
        text = form.get(box, "").strip()
        if text or not creating:
            fields[box] = text or None
    for box in INT_BOXES:
        fields.update(_whole(form, box, creating))
    allowed = form.getlist("allowed_models")
    if allowed or not creating:
        fields["allowed_models"] = allowed
    caps = {name[len(MODEL_CAP):]: text.strip() for name, text in form.items(multi=True)
            if name.startswith(MODEL_CAP) and text.strip()}
    unknown = sorted(set(caps) - set(models))
    if unknown:
        # key_fields names the field too; this keeps the box's own name in the message.
        raise InputError("model_caps_usd", f"model_caps_usd names models you may not call: {', '.join(unknown)}")
    if caps or not creating:
        fields["model_caps_usd"] = caps
    project = form.get("project_id", "").strip()
    if project or (not creating and "project_id" in form):
        fields.update(_whole(form, "project_id", creating=False))
    fields.update(_expiry(form, creating))
    return fields


def _whole(form, box: str, creating: bool) -> dict:
    text = form.get(box, "").strip()
    if not text:
        return {} if creating else {box: None}
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise InputError(box, f"{box} must be a whole number")
    return {box: int(text)}


def _expiry(form, creating: bool) -> dict:
    days = _whole(form, "expires_in_days", creating=True)
    date = form.get("expires_at", "").strip()
    if days and date:
        raise InputError("expires_in_days", "give an expiry date or a number of days, not both")
    if days:
        return days
    if date:
        return {"expires_at": date}
    return {} if creating else {"expires_at": None}


def refill(form) -> dict:
    """What was posted, in the shape ``values_of`` gives, to show the form again with its error."""
    values = {name: text for name, text in form.items() if not name.startswith(MODEL_CAP)}
    values["allowed_models"] = form.getlist("allowed_models")
    values["model_caps"] = {name[len(MODEL_CAP):]: text for name, text in form.items() if name.startswith(MODEL_CAP)}
    return values


def values_of(key: ApiKey) -> dict:
    """A key's settings as the form's boxes show them, to prefill the edit form."""
    usd = {box: _usd(getattr(key, column)) for box, column in
           zip(USD_BOXES, ("per_request_cap", "quota", "cap_5h", "cap_1d", "cap_7d"))}
    return {"name": key.name, **usd, "rpm_limit": key.rpm_limit or "", "tpm_limit": key.tpm_limit or "",
            "allowed_models": list(key.allowed_models or []), "project_id": key.project_id,
            "model_caps": {m: _usd(c) for m, c in (key.model_caps or {}).items()},
            "expires_at": key.expires_at.date().isoformat() if key.expires_at else ""}


def _usd(credits: int | None) -> str:
    return "" if credits is None else format(credits_to_usd(credits).normalize(), "f")
