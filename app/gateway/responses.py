"""/v1/responses: each request's conversation and id, and the responses callers asked to keep.

A turn's conversation is the stored one it continues (``previous_response_id``: that
request's input, then its output) followed by the new ``input``. OpenAI-compatible
providers get it as a stateless Responses request; Anthropic providers get it through the
Chat Completions translators. Stored responses are scoped to the key's org (or, for an
individual's key, its user): another org's id is a 404, as if it did not exist.
"""
import logging
from dataclasses import dataclass

import orjson
from flask import Response
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import StoredResponse
from . import translate as tr
from . import validate
from .errors import GatewayError, invalid
from .keycache import KeyContext
from .usage import Tokens, from_anthropic, from_responses

log = logging.getLogger(__name__)

# Item fields an upstream would try to look up in its own store: replayed items go without them.
_SERVER_FIELDS = ("id", "status")


@dataclass
class Turn:
    id: str
    store: bool
    previous_id: str | None
    items: list  # the whole conversation sent
    # The same request in Chat Completions form (prompt bound, Anthropic providers); None when
    # it has items only OpenAI's API knows (a file_id image), which pass-through still serves.
    chat: dict | None
    untranslatable: tr.TranslationError | None
    shell: dict  # the response object before output
    seq: int = -1  # the last stream event's sequence_number

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def chat_request(self) -> dict:
        """The Chat Completions form, for a provider that needs it; refused when there is none."""
        if self.chat is None:
            raise self.untranslatable
        return self.chat

    def priced(self, body: dict) -> dict:
        """What the prompt bound is taken from: the chat form, else the items as they are."""
        if self.chat is not None:
            return self.chat
        system = [{"role": "system", "content": body["instructions"]}] if body.get("instructions") else []
        return {"messages": system + self.items, "tools": body.get("tools")}


def prepare(call, body: dict) -> Turn:
    previous = body.get("previous_response_id")
    items = tr.input_items(body)
    if previous:
        row = find(call.key, previous)
        if row is None:
            raise invalid(f"previous response '{previous}' was not found: it was not stored (store: true), was "
                          f"deleted, or has passed its retention", "previous_response_id")
        items = row.input_items + [_replayable(i) for i in row.response.get("output") or []] + items
    response_id = tr.new_response_id()
    store = body.get("store") is True
    try:
        chat, untranslatable = tr.responses_request_to_chat(body, items), None
    except tr.TranslationError as exc:
        chat, untranslatable = None, exc
    return Turn(id=response_id, store=store, previous_id=previous, items=items, chat=chat,
                untranslatable=untranslatable, shell=tr.envelope(body, response_id, call.model_name, store, previous))


def caller_param(param: str | None) -> str | None:
    """A Chat Completions parameter named in a refusal, as the Responses request called it."""
    if param and param.startswith("response_format"):
        return "text.format" + param[len("response_format"):].replace(".json_schema", "")
    return param


def _replayable(item: dict) -> dict:
    return {k: v for k, v in item.items() if k not in _SERVER_FIELDS}


def upstream_body(call, upstream_model: str) -> dict:
    """The stateless Responses request an OpenAI-compatible provider gets."""
    body = dict(call.body, model=upstream_model, input=call.turn.items, store=False,
                # OpenAI refuses less. A per-request cap may afford less: a stream then ends at the cap,
                # and a plain answer is charged no more than its hold (settle.charge_for).
                max_output_tokens=max(call.max_output, validate.RESPONSES_MIN_OUTPUT))
    body.pop("previous_response_id", None)  # ours, not the provider's: its turns are in input
    return body


def relabel(call, response: dict) -> dict:
    """A provider's response object, as this gateway's: our id, model name and storage."""
    turn = call.turn
    return dict(response, id=turn.id, model=call.model_name, store=turn.store, previous_response_id=turn.previous_id,
                metadata=call.body.get("metadata") or {})


def answer(call, anthropic_up: bool, payload: dict) -> tuple[dict, Tokens | None]:
    """The caller's response object and the usage the provider reported; kept when asked."""
    if anthropic_up:
        chat = tr.anthropic_response_to_openai(payload, call.model_name, tr.wants_structured(call.turn.chat_request()))
        out = tr.chat_response_to_responses(chat, call.turn.shell)
        tokens = from_anthropic(payload.get("usage"))
    else:
        out = relabel(call, payload)
        tokens = from_responses(payload.get("usage"))
    keep(call, out)
    return out, tokens


def keep(call, response: dict) -> None:
    turn = call.turn
    if not turn.store or response.get("status") not in ("completed", "incomplete"):
        return
    key = call.key
    try:
        db.session.add(StoredResponse(id=turn.id, org_id=key.org_id, user_id=None if key.org_id else key.user_id,
                                      input_items=turn.items, response=response))
        db.session.commit()
    except SQLAlchemyError:
        # The answer was produced and is charged; only the follow-up by id is lost.
        db.session.rollback()
        log.exception("response %s could not be stored", turn.id)


def find(key: KeyContext, response_id: str) -> StoredResponse | None:
    return db.session.scalar(select(StoredResponse).where(StoredResponse.id == response_id, _scope(key)))


def _scope(key: KeyContext):
    if key.org_id is not None:
        return StoredResponse.org_id == key.org_id
    return (StoredResponse.org_id.is_(None)) & (StoredResponse.user_id == key.user_id)


def retrieve(key: KeyContext, response_id: str) -> Response:
    row = find(key, response_id)
    if row is None:
        raise not_found(response_id)
    return Response(orjson.dumps(row.response), mimetype="application/json")


def input_items(key: KeyContext, response_id: str, args) -> Response:
    """The conversation a stored response answered, as OpenAI lists it: newest first unless
    ``order=asc``, ``limit`` (1-100, 20) items after the item id ``after``."""
    row = find(key, response_id)
    if row is None:
        raise not_found(response_id)
    order, after, limit = args.get("order", "desc"), args.get("after"), args.get("limit", "20")
    if order not in ("asc", "desc"):
        raise invalid("'order' must be asc or desc", "order")
    if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 100):
        raise invalid("'limit' must be an integer from 1 to 100", "limit")
    items = [_listed(item, f"{response_id}_{i}") for i, item in enumerate(row.input_items)]
    if order == "desc":
        items.reverse()
    ids = [i["id"] for i in items]
    start = ids.index(after) + 1 if after in ids else 0
    page = items[start:start + int(limit)]
    body = {"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None, "has_more": start + int(limit) < len(items)}
    return Response(orjson.dumps(body), mimetype="application/json")


def _listed(item: dict, fallback_id: str) -> dict:
    """An input item as the list shows it: with an id, and a message's text as content parts."""
    out = dict(item, id=item.get("id") or f"item_{fallback_id}", status=item.get("status") or "completed")
    if out.get("type", "message") == "message":
        out["type"] = "message"
        if isinstance(out.get("content"), str):
            kind = "output_text" if out.get("role") == "assistant" else "input_text"
            out["content"] = [{"type": kind, "text": out["content"]}]
    return out


def remove(key: KeyContext, response_id: str) -> Response:
    gone = db.session.execute(delete(StoredResponse).where(StoredResponse.id == response_id, _scope(key))).rowcount
    db.session.commit()
    if not gone:
        raise not_found(response_id)
    return Response(orjson.dumps({"id": response_id, "object": "response", "deleted": True}),
                    mimetype="application/json")


def not_found(response_id: str) -> GatewayError:
    return GatewayError(404, "invalid_request_error", f"no stored response with id '{response_id}'",
                        code="response_not_found", param="response_id")
