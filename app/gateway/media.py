"""Images, speech and transcription: reading the caller's request, and the provider's answer.

Each request is checked field by field before anything is held, its hold is the most it
may cost (every image asked for, every character, the longest audio the upload can hold),
and its charge is what came back: the images returned, the characters spoken, the seconds
the provider transcribed. A transcription is always asked of the provider as verbose_json,
which reports the duration, and shaped back into the format the caller asked for.
"""
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

import orjson
from flask import current_app, request
from urllib3 import encode_multipart_formdata

from . import admission, catalog, media_price
from .catalog import ModelInfo
from .admission import Call
from .errors import invalid
from .pricing import Charge

MAX_IMAGES = 10
MAX_SPEECH_CHARS = 4096
IMAGE_FORMATS = ("url", "b64_json")
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
_TIMESTAMP = re.compile(rb"(\d+):(\d\d):(\d\d)[.,](\d{3})")


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class MediaRequest:
    """The checked request; ``fields`` go to the provider as they came (the model name swapped)."""
    fields: dict
    upload: Upload | None = None
    unit_price: int = 0  # images: credits per image at the size and quality asked for
    reply_format: str = ""  # transcription: the format the caller asked for
    boundary: str = field(default_factory=lambda: secrets.token_hex(16))  # of the multipart body sent on


def routes(model: ModelInfo) -> list:
    """The model's routes in the order to try them; media endpoints are OpenAI's alone."""
    return [r for r in catalog.ordered_routes(model) if r.provider.kind != "anthropic"]


def read(call: Call) -> dict:
    """The request's fields (JSON, or a multipart form for transcription); ``call.media`` holds them."""
    if call.op != "transcription":
        body = admission.parse_body(call)
        call.media = MediaRequest(fields=body)
        return body
    cfg = current_app.config
    limit = cfg["GATEWAY_MAX_UPLOAD_BYTES"]
    if request.content_length is not None and request.content_length > limit + (1 << 20):
        raise admission.too_large(limit + (1 << 20))
    request.max_content_length = limit + (1 << 20)  # a chunked body is cut off there too
    if not request.mimetype.startswith("multipart/"):
        raise invalid("the request must be multipart/form-data with the audio in 'file'", "file")
    form, upload = request.form.to_dict(), request.files.get("file")
    if upload is None or not upload.filename:
        raise invalid("'file' is required: the audio to transcribe", "file")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise invalid(f"'file' is larger than this gateway's limit of {limit} bytes", "file")
    if not data:
        raise invalid("'file' is empty", "file")
    call.body = form
    call.media = MediaRequest(fields=form, upload=Upload(upload.filename, upload.mimetype or
                                                         "application/octet-stream", data))
    return form


def price(call: Call) -> None:
    """Check the fields against the model and set the hold: the most this request may cost."""
    model, fields, req = call.model, call.media.fields, call.media
    if call.op == "images":
        validate_text(fields, "prompt")
        n = fields.get("n", 1)
        if type(n) is not int or not 1 <= n <= MAX_IMAGES:
            raise invalid(f"'n' must be an integer from 1 to {MAX_IMAGES}", "n")
        size = fields.get("size") or _default(model.image_prices, "1024x1024")
        if not isinstance(size, str) or size not in model.image_prices:
            raise invalid(f"'size' {size!r} is not offered by model '{call.model_name}'; "
                          f"sizes: {', '.join(model.image_prices) or 'none'}", "size")
        qualities = model.image_prices[size]
        quality = fields.get("quality") or _default(qualities, "standard")
        req.unit_price = media_price.image_price(model, size, quality) if isinstance(quality, str) else None
        if req.unit_price is None:
            raise invalid(f"'quality' {quality!r} is not offered at size {size}; "
                          f"qualities: {', '.join(qualities)}", "quality")
        _choice(fields, "response_format", IMAGE_FORMATS)
        hold = media_price.images(call.multiplier, req.unit_price, n)
    elif call.op == "speech":
        text = validate_text(fields, "input", MAX_SPEECH_CHARS)
        validate_text(fields, "voice")
        _choice(fields, "response_format", SPEECH_FORMATS)
        hold = media_price.speech(model, call.multiplier, len(text))
    else:
        req.reply_format = _choice(fields, "response_format", TRANSCRIPT_FORMATS) or "json"
        cfg = current_app.config
        bound = media_price.seconds_bound(len(req.upload.data), cfg["GATEWAY_TRANSCRIPTION_MAX_SECONDS"])
        hold = media_price.transcription(model, call.multiplier, Decimal(bound))
    call.hold = hold.total_cost
    cap = call.key.per_request_cap
    if cap is not None and call.hold > cap:
        raise invalid(f"this request may cost up to {call.hold} credits, above the key's per-request cap of "
                      f"{cap} credits", {"images": "n", "speech": "input"}.get(call.op, "file"))


def validate_text(fields: dict, name: str, max_chars: int | None = None) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise invalid(f"'{name}' is required and must be a non-empty string", name)
    if max_chars is not None and len(value) > max_chars:
        raise invalid(f"'{name}' is longer than {max_chars} characters", name)
    return value


def _choice(fields: dict, name: str, allowed: tuple) -> str | None:
    value = fields.get(name)
    if value is not None and value not in allowed:
        raise invalid(f"'{name}' must be one of {', '.join(allowed)}", name)
    return value


def _default(options: dict, preferred: str) -> str:
    return preferred if preferred in options or not options else next(iter(options))


def content_type(call: Call) -> str:
    if call.op == "transcription":
        return f"multipart/form-data; boundary={call.media.boundary}"
    return "application/json"


def request_body(call: Call, upstream_name: str) -> bytes:
    """The provider's request, sent as ``content_type(call)``."""
    fields = {**call.media.fields, "model": upstream_name}
    if call.op != "transcription":
        return orjson.dumps(fields)
    if call.media.reply_format in ("json", "text", "verbose_json"):
        fields["response_format"] = "verbose_json"  # the only format that says how long the audio was
    up = call.media.upload
    return encode_multipart_formdata({**fields, "file": (up.filename, up.data, up.content_type)},
                                     boundary=call.media.boundary)[0]


def answer(call: Call, raw: bytes, content_type: str) -> tuple[bytes, str, Charge]:
    """The caller's answer, its content type, and what it cost (at most the hold)."""
    model, mult = call.model, call.multiplier
    if call.op == "images":
        payload = orjson.loads(raw)
        produced = len(payload["data"])
        return raw, "application/json", media_price.images(mult, call.media.unit_price, produced)
    if call.op == "speech":
        text = call.media.fields["input"]
        return raw, content_type or "application/octet-stream", media_price.speech(model, mult, len(text))
    fmt = call.media.reply_format
    if fmt in ("srt", "vtt"):
        seconds = _last_timestamp(raw)
        return raw, "text/plain; charset=utf-8", media_price.transcription(model, mult, seconds)
    payload = orjson.loads(raw)
    seconds = Decimal(str(payload.get("duration") or (payload.get("usage") or {}).get("seconds") or 0))
    cost = media_price.transcription(model, mult, seconds)
    if fmt == "text":
        return (payload.get("text") or "").encode() + b"\n", "text/plain; charset=utf-8", cost
    if fmt == "json":
        out = {"text": payload.get("text") or "", "usage": {"type": "duration", "seconds": int(-(-seconds // 1))}}
        return orjson.dumps(out), "application/json", cost
    return raw, "application/json", cost


def _last_timestamp(raw: bytes) -> Decimal:
    """The end of the last cue of a subtitle file: how much audio was transcribed."""
    stamps = _TIMESTAMP.findall(raw)
    if not stamps:
        return Decimal(0)
    h, m, s, ms = (int(x) for x in stamps[-1])
    return Decimal(h * 3600 + m * 60 + s) + Decimal(ms) / 1000
