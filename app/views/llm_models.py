"""The available models registry: prices per 1M tokens, context window, plans, capabilities."""
import json

from flask import request
from markupsafe import Markup
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from ..gateway.admission import MODEL_KINDS
from ..gateway.media_price import image_price_table
from ..models import LlmModel
from ..roles import MODELS
from .base import AuditedModelView, checkbox, credits_usd, when, yes_no

_PRICE = _l("Credits per 1M tokens (1,000,000 credits = 1 USD).")


class LlmModelView(AuditedModelView):
    datamodel = SQLAInterface(LlmModel)
    route_base = "/admin/models"
    class_permission_name = MODELS
    audit_type = "model"
    audit_relations = ["groups", "plans"]

    list_title = _l("Available models")
    list_columns = ["public_id", "kind", "input_price", "output_price", "cached_input_price",
                    "cache_write_price", "context_length", "plans", "groups", "capabilities", "enabled"]
    search_columns = ["public_id", "display_name", "upstream_name", "kind", "enabled", "groups", "plans",
                      "input_price", "output_price", "context_length"]
    order_columns = ["public_id", "kind", "input_price", "output_price", "cached_input_price",
                     "cache_write_price", "context_length", "enabled"]
    _form = ["public_id", "display_name", "upstream_name", "kind", "context_length", "max_output_tokens",
             "input_price", "output_price", "cached_input_price", "cache_write_price", "char_price",
             "second_price", "plans", "groups", "enabled"]
    add_columns = edit_columns = _form + ["image_price_table", "capability_tags", "feature_flags"]
    show_columns = _form + ["image_prices", "capabilities", "features", "created_at"]
    add_form_extra_fields = edit_form_extra_fields = {
        "enabled": checkbox(_l("Enabled")),
        "capability_tags": StringField(_l("Capability tags"), description=_l("Comma separated, e.g. vision, tools, streaming")),
        "feature_flags": TextAreaField(_l("Feature flags"), description=_l('A JSON object, e.g. {"reasoning": true}')),
        # Optional in the form (most models are not media models): empty is no price.
        "char_price": IntegerField(_l("Speech price"), validators=[Optional()], default=0),
        "second_price": IntegerField(_l("Transcription price"), validators=[Optional()], default=0),
        "image_price_table": TextAreaField(_l("Image prices"), description=_l(
            'Image models: credits per image by size and quality, e.g. '
            '{"1024x1024": {"standard": 40000, "hd": 80000}}. Sizes and qualities not listed are refused.')),
    }
    base_order = ("public_id", "asc")
    label_columns = {
        "public_id": _l("Model id"), "display_name": _l("Display name"), "upstream_name": _l("Upstream name"),
        "kind": _l("Kind"), "context_length": _l("Context window"), "max_output_tokens": _l("Max output tokens"),
        "input_price": _l("Input price"), "output_price": _l("Output price"),
        "cached_input_price": _l("Cached input price"), "cache_write_price": _l("Cache write price"),
        "char_price": _l("Speech price"), "second_price": _l("Transcription price"),
        "image_prices": _l("Image prices"),
        "plans": _l("Plans"), "groups": _l("Model groups"),
        "capabilities": _l("Capabilities"), "features": _l("Feature flags"), "enabled": _l("Enabled"),
        "created_at": _l("Created"),
    }
    description_columns = {"input_price": _PRICE, "output_price": _PRICE, "cached_input_price": _PRICE,
                           "cache_write_price": _l("Credits per 1M tokens written to the prompt cache (Anthropic "
                                                   "charges 1.25x the input price for 5-minute writes, 2x for 1-hour "
                                                   "ones). Empty: the input price."),
                           "char_price": _l("Speech models: credits per 1M characters of input text."),
                           "second_price": _l("Transcription models: credits per second of audio."),
                           "kind": _l("chat, embedding, image, speech or transcription"),
                           "plans": _l("Leave empty to offer the model on every plan.")}
    formatters_columns = {
        "input_price": credits_usd, "output_price": credits_usd, "cached_input_price": credits_usd,
        "cache_write_price": lambda c: _l("= input price") if c is None else credits_usd(c),
        "context_length": lambda n: f"{n:,}",
        "plans": lambda plans: ", ".join(p.name for p in plans) or _l("All plans"),
        "groups": lambda groups: ", ".join(g.name for g in groups),
        "capabilities": lambda caps: ", ".join(caps or []),
        "features": lambda flags: ", ".join(f"{k}={v}" for k, v in (flags or {}).items()) or "—",
        "enabled": yes_no, "created_at": when, "max_output_tokens": lambda n: "—" if n is None else f"{n:,}",
        "display_name": lambda v: v or "—", "upstream_name": lambda v: v or "—",
        "char_price": credits_usd, "second_price": credits_usd,
        "image_prices": lambda table: Markup("; ").join(Markup("{} {}: {}").format(size, quality, credits_usd(c))
                                                        for size, q in (table or {}).items() for quality, c in q.items()),
    }

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        form.capability_tags.data = ", ".join(item.capabilities or [])
        form.feature_flags.data = json.dumps(item.features or {})
        form.image_price_table.data = json.dumps(item.image_prices) if item.image_prices else ""

    def pre_add(self, item):
        _apply(item)
        super().pre_add(item)

    def pre_update(self, item):
        _apply(item)
        super().pre_update(item)


def _parse_tags_and_flags() -> tuple[list, dict]:
    # Read from the request: FAB catches errors raised in pre_add/pre_update (and flashes
    # them), not in process_form.
    tags = [t.strip() for t in request.form.get("capability_tags", "").split(",") if t.strip()]
    raw = request.form.get("feature_flags", "").strip() or "{}"
    try:
        flags = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(_("Feature flags: not valid JSON (%(why)s)", why=exc.msg)) from None
    if not isinstance(flags, dict):
        raise ValueError(_("Feature flags: must be a JSON object"))
    return tags, flags


def _parse_image_prices() -> dict | None:
    raw = request.form.get("image_price_table", "").strip()
    if not raw:
        return None
    try:
        return image_price_table(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise ValueError(f"Image prices: not valid JSON ({exc.msg})") from None


def _apply(item: LlmModel) -> None:
    item.capabilities, item.features = _parse_tags_and_flags()
    item.image_prices = _parse_image_prices()
    item.char_price, item.second_price = item.char_price or 0, item.second_price or 0
    if item.kind not in MODEL_KINDS:
        raise ValueError(f"Kind: must be one of {', '.join(MODEL_KINDS)}")
    for name in ("input_price", "output_price", "cached_input_price", "cache_write_price", "char_price",
                 "second_price"):
        if (getattr(item, name) or 0) < 0:
            raise ValueError(f"{name.replace('_', ' ').capitalize()}: must not be negative")
