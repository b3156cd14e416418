"""The OpenAPI 3.1 description of /v1 and /api/v1/me, as plain data.

tests/api/test_openapi.py calls every operation listed here and validates the real
responses against these schemas, so a change to an endpoint's shape fails a test until
this document says the same.
"""

def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: dict, optional: dict | None = None, extra: bool = True) -> dict:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})},
            "additionalProperties": extra}


def _null(kind: str) -> dict:
    return {"type": [kind, "null"]}


STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
TIME = {"type": ["string", "null"], "format": "date-time"}
USD = _null("number")


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    text = {400: "Bad input; error.param names the field", 401: "Missing, unknown, revoked or expired key",
            402: "The wallet cannot cover the request", 403: "Paused org, model not allowed, or a read-only role",
            404: "Not found (also another user's object)",
            409: "The state does not allow it: a task not finished, already subscribed, or no subscription to change",
            429: "A rate limit or cap is reached",
            502: "Stripe refused or did not answer: nothing was charged", 503: "Database or Redis unreachable"}
    return {str(s): _json(_ref("Error"), text[s]) for s in statuses}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or STR}


KEY_ID = {"name": "key_id", "in": "path", "required": True, "schema": INT}
RESPONSE_ID = {"name": "response_id", "in": "path", "required": True, "schema": STR}
CAPS = {"per_request_cap_usd": USD, "quota_usd": USD, "cap_5h_usd": USD, "cap_1d_usd": USD, "cap_7d_usd": USD,
        "rpm_limit": _null("integer"), "tpm_limit": _null("integer"),
        "model_caps_usd": {"type": ["object", "null"], "additionalProperties": NUM},
        "allowed_models": {"type": ["array", "null"], "items": STR}, "project_id": _null("integer")}

ASYNC = {"tollgate_async": {"type": "boolean", "description": "true: run as a task (202); so does the "
                                                               "header Prefer: respond-async"}}
SCHEMAS = {
    "Error": _obj({"error": _obj({"type": STR, "message": STR, "code": STR}, {"param": STR}, extra=False)},
                  extra=False),
    "AnthropicError": _obj({"type": {"const": "error"}, "error": _obj({"type": STR, "message": STR})}, extra=False),
    "Account": _obj({
        "user": _obj({"id": INT, "username": STR, "email": STR, "created_at": TIME,
                      "tier": {"enum": ["individual", "enterprise"]}}),
        "balance": _obj({"available_usd": NUM, "lifetime_topup_usd": NUM, "lifetime_spent_usd": NUM,
                         "low_balance_threshold_usd": USD, "low_balance_flagged": BOOL}),
        "allowed_models": {"type": "array", "items": _obj({"id": STR, "quota_used_usd": NUM, "quota_cap_usd": USD})},
        "org": {"oneOf": [{"type": "null"}, _obj({"id": INT, "name": STR,
                                                   "role": {"enum": ["owner", "admin", "member", "viewer"]}})]},
    }, extra=False),
    "Key": _obj({"id": INT, "name": STR, "prefix": STR, "status": {"enum": ["active", "revoked", "expired"]},
                 "user_id": INT, "org_id": _null("integer"), **CAPS, "spent_usd": NUM, "expires_at": TIME,
                 "last_used_at": TIME, "created_at": TIME, "revoked_at": TIME}),
    "NewKey": {"allOf": [_ref("Key"), _obj({"secret": {"type": "string", "pattern": "^tg-"}},
                                           {"replaces": INT})]},
    "KeyInput": {"type": "object", "additionalProperties": False, "properties": {
        "name": STR, **{k: v for k, v in CAPS.items()}, "user_id": INT,
        "expires_at": {"type": ["string", "null"], "description": "ISO 8601 date or date-time, in the future"},
        "expires_in_days": {"type": ["integer", "null"], "minimum": 1}}},
    "KeyList": _obj({"data": {"type": "array", "items": _ref("Key")}, "next_after": _null("integer")}),
    "KeyBatch": _obj({"action": {"enum": ["revoke", "get"]},
                      "ids": {"type": "array", "items": INT, "minItems": 1, "maxItems": 100}}, extra=False),
    "KeyBatchResult": _obj({"action": STR, "data": {"type": "array", "items": _ref("Key")}}),
    "UsageRow": _obj({"id": INT, "request_id": STR, "created_at": STR, "key_id": _null("integer"),
                      "user_id": _null("integer"), "project_id": _null("integer"), "model": _null("string"),
                      "endpoint": STR, "status": {"enum": ["success", "error"]}, "http_status": INT,
                      "error_type": _null("string"), "stream": BOOL, "prompt_tokens": INT,
                      "completion_tokens": INT, "cached_tokens": INT, "cost_usd": NUM, "input_cost_usd": NUM,
                      "output_cost_usd": NUM, "cached_cost_usd": NUM, "latency_ms": _null("integer"),
                      "ttft_ms": _null("integer")}),
    "UsagePage": _obj({"data": {"type": "array", "items": _ref("UsageRow")}, "next_cursor": _null("string")}),
    "Notification": _obj({"id": INT, "event": STR, "title": STR, "body": _null("string"),
                          "data": {"type": ["object", "null"]}, "org_id": _null("integer"),
                          "created_at": TIME, "read_at": TIME}),
    "NotificationList": _obj({"data": {"type": "array", "items": _ref("Notification")},
                              "next_before": _null("integer")}),
    "TopupInput": _obj({"amount_usd": {"type": ["number", "string"], "description": "USD, whole cents, within the "
                                       "configured bounds (default 5 to 1250)"}},
                       {"discount_code": _null("string")}, extra=False),
    "TopupQuote": _obj({"amount_usd": NUM, "price_usd": NUM, "discount_usd": NUM, "discount_code": _null("string"),
                        "bonus_percent": STR, "ladder_bonus_percent": STR, "plan_bonus_percent": STR,
                        "bonus_credits": INT, "credits": INT, "credits_usd": NUM}),
    "NewTopup": {"allOf": [_ref("TopupQuote"), _obj({
        "id": INT, "topup_id": INT, "status": {"const": "pending"}, "stripe_session_id": STR,
        "checkout_url": {"type": "string", "description": "Stripe Checkout: send the payer there"}})]},
    "Transaction": _obj({
        "id": INT, "type": STR, "status": {"enum": ["pending", "completed", "failed"]}, "amount_usd": NUM,
        "credits": INT, "balance_after_usd": _null("number"), "created_at": STR, "description": _null("string"),
        "price_usd": _null("number"), "stripe_payment_intent_id": _null("string"),
        "stripe_invoice_id": _null("string"), "receipt_url": _null("string")}),
    "TransactionList": _obj({"data": {"type": "array", "items": _ref("Transaction")}, "next_after": _null("integer")}),
    "Subscription": _obj({
        "plan": STR, "plan_name": STR,
        "subscription": {"oneOf": [{"type": "null"}, _obj({
            "id": STR, "plan": STR, "status": {"enum": ["active", "past_due"]}, "cycle": STR,
            "cancel_at_period_end": BOOL, "current_period_end": TIME, "renews_at": TIME, "grace_until": TIME})]},
        "plans": {"type": "array", "items": _obj({"plan": STR, "name": STR, "bundled_credits": INT})}}),
    "SubscriptionInput": _obj({"plan": STR}, extra=False),
    "SubscriptionPatch": _obj({}, {"plan": STR, "cancel_at_period_end": BOOL}, extra=False),
    "SubscriptionCheckout": _obj({"status": {"const": "checkout"}, "plan": STR, "checkout_url": STR}),
    "SubscriptionRequested": {"allOf": [_ref("Subscription"), _obj({"status": {"const": "requested"},
                                                                    "requested": {"type": "object"}})]},
    "WebhookEndpoint": _obj({
        "id": INT, "url": STR, "events": {"oneOf": [{"const": "*"}, {"type": "array", "items": STR}],
                                          "description": "\"*\": every event, including types added later"},
        "description": _null("string"), "active": BOOL,
        "disabled_at": {**TIME, "description": "Set when persistent failures disabled the endpoint"},
        "created_at": TIME}),
    "NewWebhookEndpoint": {"allOf": [_ref("WebhookEndpoint"), _obj({"secret": {
        "type": "string", "description": "The signing secret (HMAC-SHA256, see docs/webhooks.md); shown in this "
                                         "answer only"}})]},
    "WebhookEndpointList": _obj({"data": {"type": "array", "items": _ref("WebhookEndpoint")}}),
    "WebhookInput": _obj({}, {"url": {"type": "string", "maxLength": 1024, "description": "http(s); required to "
                                      "create; its host must resolve to public addresses at delivery time"},
                              "events": {"oneOf": [{"const": "*"}, {"type": "array", "items": STR, "minItems": 1}]},
                              "description": {"type": ["string", "null"], "maxLength": 500}, "active": BOOL},
                         extra=False),
    "WebhookDelivery": _obj({
        "id": INT, "event_id": STR, "event_type": STR, "status": {"enum": ["pending", "delivered", "failed"]},
        "attempts": INT, "response_code": _null("integer"), "last_error": _null("string"),
        "next_attempt_at": TIME, "delivered_at": TIME, "created_at": TIME,
        "attempt_log": {"type": "array", "items": _obj({
            "at": TIME, "response_code": _null("integer"), "latency_ms": _null("integer"),
            "error": _null("string"), "response_excerpt": _null("string")})}}),
    "WebhookDeliveryList": _obj({"data": {"type": "array", "items": _ref("WebhookDelivery")}, "has_more": BOOL}),
    "ChatRequest": _obj({"model": STR, "messages": {"type": "array", "items": {"type": "object"}}},
                        {"stream": BOOL, "max_tokens": INT}),
    "ChatCompletion": _obj({"id": STR, "object": {"const": "chat.completion"}, "model": STR,
                            "choices": {"type": "array", "items": _obj({
                                "index": INT, "message": _obj({"role": STR}), "finish_reason": _null("string")})},
                            "usage": _obj({"prompt_tokens": INT, "completion_tokens": INT, "total_tokens": INT})}),
    "MessagesRequest": _obj({"model": STR, "max_tokens": INT, "messages": {"type": "array"}}),
    "Message": _obj({"id": STR, "type": {"const": "message"}, "role": {"const": "assistant"}, "model": STR,
                     "content": {"type": "array", "items": _obj({"type": STR})}, "stop_reason": _null("string"),
                     "usage": _obj({"input_tokens": INT, "output_tokens": INT})}),
    "ResponsesRequest": _obj({"model": STR, "input": {"type": ["string", "array"]}}, {
        "instructions": STR, "stream": BOOL, "store": BOOL, "previous_response_id": STR, "max_output_tokens": INT,
        "temperature": NUM, "metadata": {"type": "object"}, "tools": {"type": "array"},
        "text": _obj({}, {"format": {"type": "object"}})}),
    "Response": _obj({"id": STR, "object": {"const": "response"}, "model": STR, "created_at": INT,
                      "status": {"enum": ["completed", "incomplete", "failed", "in_progress"]},
                      "output": {"type": "array", "items": _obj({"type": STR})}, "store": BOOL,
                      "previous_response_id": _null("string"),
                      "usage": {"oneOf": [{"type": "null"}, _obj({"input_tokens": INT, "output_tokens": INT,
                                                                  "total_tokens": INT})]}}),
    "ResponseItemList": _obj({"object": {"const": "list"}, "data": {"type": "array", "items": _obj({"id": STR,
                                                                                                   "type": STR})},
                              "first_id": _null("string"), "last_id": _null("string"), "has_more": BOOL}),
    "ResponseDeleted": _obj({"id": STR, "object": {"const": "response"}, "deleted": {"const": True}}),
    "CountTokensRequest": _obj({"model": STR, "messages": {"type": "array"}}, {"system": {}, "tools": {}}),
    "TokenCount": _obj({"input_tokens": INT}, extra=False),
    "EmbeddingsRequest": _obj({"model": STR, "input": {}}),
    "Embeddings": _obj({"object": {"const": "list"}, "model": STR,
                        "data": {"type": "array", "items": _obj({"object": {"const": "embedding"}, "index": INT,
                                                                "embedding": {"type": ["array", "string"]}})},
                        "usage": _obj({"prompt_tokens": INT, "total_tokens": INT})}),
    "ImagesRequest": _obj({"model": STR, "prompt": STR}, {
        "n": {"type": "integer", "minimum": 1, "maximum": 10}, "size": STR, "quality": STR,
        "response_format": {"enum": ["url", "b64_json"]}, **ASYNC}),
    "Images": _obj({"created": INT, "data": {"type": "array", "items": _obj({}, {"url": STR, "b64_json": STR,
                                                                                 "revised_prompt": STR})}}),
    "SpeechRequest": _obj({"model": STR, "input": {"type": "string", "maxLength": 4096}, "voice": STR}, {
        "response_format": {"enum": ["mp3", "opus", "aac", "flac", "wav", "pcm"]}, "speed": NUM, **ASYNC}),
    "TranscriptionRequest": _obj({"model": STR, "file": {"type": "string", "contentMediaType":
                                                         "application/octet-stream"}}, {
        "response_format": {"enum": ["json", "text", "srt", "verbose_json", "vtt"]}, "language": STR,
        "prompt": STR, "tollgate_async": {"enum": ["true", "false"]}}),
    "Transcription": _obj({"text": STR}, {"duration": NUM, "language": STR, "segments": {"type": "array"},
                                          "usage": _obj({"type": STR, "seconds": INT})}),
    "Task": _obj({"id": STR, "object": {"const": "task"}, "operation": {"enum": ["images", "speech",
                                                                                  "transcription"]},
                  "model": STR, "status": {"enum": ["queued", "started", "finished", "failed"]},
                  "request_id": STR, "created_at": STR, "finished_at": TIME,
                  "result": {"oneOf": [{"type": "null"}, _obj({"status_code": INT, "content_type": STR,
                                                               "bytes": INT})]},
                  "result_url": _null("string")}),
    "ModelList": _obj({"object": {"const": "list"},
                       "data": {"type": "array", "items": _obj({"id": STR, "object": {"const": "model"},
                                                               "created": INT, "owned_by": STR})}}),
}


def _op(summary: str, response: dict, *errors: int, body: str | None = None, params=(), status: int = 200,
        body_type: str = "application/json") -> dict:
    op = {"summary": summary, "responses": {str(status): response, **_errors(401, 503, *errors)}}
    if body:
        op["requestBody"] = {"required": True, "content": {body_type: {"schema": _ref(body)}}}
    if params:
        op["parameters"] = list(params)
    return op


TX_FILTERS = [
    _query("type", "A ledger type, e.g. credit_topup"),
    _query("status", "pending, completed or failed", {"enum": ["pending", "completed", "failed"]}),
    _query("from", "From this date or time (ISO 8601, inclusive)"),
    _query("to", "Until this time (exclusive); a bare date includes that day"),
    _query("after", "next_after of the previous page", INT), _query("limit", "1-200 (50)", INT)]

TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": STR}
ENDPOINT_ID = {"name": "endpoint_id", "in": "path", "required": True, "schema": INT}
DELIVERY_ID = {"name": "delivery_id", "in": "path", "required": True, "schema": INT}
HOOKS = "/api/v1/me/webhooks"


def _binary(media_type: str, description: str) -> dict:
    return {"description": description, "content": {media_type: {"schema": {"type": "string",
                                                                            "contentMediaType": media_type}}}}


def _media(op: dict) -> dict:
    """A media operation may also run as a task: then it answers 202 with the task."""
    op["responses"]["202"] = _json(_ref("Task"), "Accepted as a task (tollgate_async or Prefer: respond-async)")
    return op


PATHS = {
    "/v1/chat/completions": {"post": _op("OpenAI Chat Completions (stream: true answers server-sent events)",
                                         _json(_ref("ChatCompletion")), 400, 402, 403, 404, 429,
                                         body="ChatRequest")},
    "/v1/messages": {"post": {**_op("Anthropic Messages (errors in Anthropic's format)", _json(_ref("Message")),
                                    body="MessagesRequest"),
                              "responses": {"200": _json(_ref("Message")),
                                            **{s: _json(_ref("AnthropicError"), "An error in Anthropic's format")
                                               for s in ("400", "401", "402", "403", "404", "429", "503")}}}},
    "/v1/responses": {"post": _op("OpenAI Responses (stream: true answers the Responses event stream; store: true "
                                  "keeps the response for GET and previous_response_id)", _json(_ref("Response")),
                                  400, 402, 403, 404, 429, body="ResponsesRequest")},
    "/v1/responses/{response_id}": {
        "get": _op("A stored response (store: true) of the key's org", _json(_ref("Response")), 404,
                   params=[RESPONSE_ID]),
        "delete": _op("Delete a stored response", _json(_ref("ResponseDeleted")), 404, params=[RESPONSE_ID])},
    "/v1/responses/{response_id}/input_items": {
        "get": _op("The conversation a stored response answered, newest first", _json(_ref("ResponseItemList")),
                   400, 404, params=[RESPONSE_ID, _query("order", "asc or desc (desc)", {"enum": ["asc", "desc"]}),
                                     _query("after", "an item id: the page after it"),
                                     _query("limit", "1-100 (20)", INT)])},
    "/v1/messages/count_tokens": {"post": {
        **_op("Anthropic token count: the provider's, or a local estimate (header X-Tollgate-Token-Count says "
              "which); free", _json(_ref("TokenCount")), body="CountTokensRequest"),
        "responses": {"200": _json(_ref("TokenCount")),
                      **{s: _json(_ref("AnthropicError"), "An error in Anthropic's format")
                         for s in ("400", "401", "404", "429", "503")}}}},
    "/v1/embeddings": {"post": _op("OpenAI embeddings", _json(_ref("Embeddings")), 400, 402, 403, 404, 429,
                                   body="EmbeddingsRequest")},
    "/v1/images/generations": {"post": _media(_op(
        "OpenAI image generation: held at n images at the size and quality's price, charged per image returned",
        _json(_ref("Images")), 400, 402, 403, 404, 429, body="ImagesRequest"))},
    "/v1/audio/speech": {"post": _media(_op(
        "OpenAI text to speech: the audio file; charged per character of input", _binary("audio/*", "The audio"),
        400, 402, 403, 404, 429, body="SpeechRequest"))},
    "/v1/audio/transcriptions": {"post": _media(_op(
        "OpenAI transcription (multipart upload): held at the longest audio the file can hold, charged per second "
        "transcribed; text, srt and vtt answer text/plain", _json(_ref("Transcription")), 400, 402, 403, 404, 429,
        body="TranscriptionRequest", body_type="multipart/form-data"))},
    "/v1/models": {"get": _op("The models this key may call", _json(_ref("ModelList")))},
    "/api/v1/me/tasks/{task_id}": {"get": _op("A media call run as a task: its state and result", _json(_ref("Task")),
                                              404, 429, params=[TASK_ID])},
    "/api/v1/me/tasks/{task_id}/content": {"get": _op(
        "The task's result as the call would have answered it (kept for the log retention period)",
        _binary("*/*", "The result, in the content type the call answers"), 404, 409, 429, params=[TASK_ID])},
    "/api/v1/me/account": {"get": _op("Balance, callable models and profile of the key's owner",
                                      _json(_ref("Account")), 403, 429)},
    "/api/v1/me/usage": {"get": _op("Per-call cost log, newest first", _json(_ref("UsagePage")), 400, params=[
        _query("model", "Only calls of this model"), _query("key", "Only calls of this key id", INT),
        _query("status", "success or error", {"enum": ["success", "error"]}),
        _query("from", "From this time (ISO 8601, inclusive)"), _query("to", "Until this time (exclusive)"),
        _query("cursor", "next_cursor of the previous page"),
        _query("limit", "Rows per page, 1-200 (50)", INT)])},
    "/api/v1/me/keys": {
        "get": _op("Keys the caller may manage", _json(_ref("KeyList")), 400, params=[
            _query("status", "active, revoked or expired", {"enum": ["active", "revoked", "expired"]}),
            _query("after", "next_after of the previous page", INT), _query("limit", "1-200 (50)", INT)]),
        "post": _op("Create a key; the secret is in this response only", _json(_ref("NewKey"), "Created"),
                    400, 403, body="KeyInput", status=201)},
    "/api/v1/me/keys/{key_id}": {
        "get": _op("One key", _json(_ref("Key")), 404, params=[KEY_ID]),
        "patch": _op("Change a key's settings", _json(_ref("Key")), 400, 403, 404, body="KeyInput", params=[KEY_ID]),
        "delete": _op("Revoke a key (at once, on every gateway)", _json(_ref("Key")), 403, 404, params=[KEY_ID])},
    "/api/v1/me/keys/{key_id}/rotate": {
        "post": _op("New secret, same settings; the old key is revoked", _json(_ref("NewKey"), "Created"),
                    400, 403, 404, params=[KEY_ID], status=201)},
    "/api/v1/me/keys/batch": {"post": _op("Revoke or read many keys: all or none", _json(_ref("KeyBatchResult")),
                                          400, 403, 404, body="KeyBatch")},
    "/api/v1/me/billing/topups/quote": {"get": _op(
        "Credits a top-up would deliver (ladder + plan bonus) and its price after a discount code",
        _json(_ref("TopupQuote")), 400, 403, params=[_query("amount_usd", "USD at face value", STR),
                                                     _query("discount_code", "A discount code")])},
    "/api/v1/me/billing/topups": {"post": _op(
        "Start a top-up (org owner or individual): a pending credit_topup and a Stripe Checkout Session",
        _json(_ref("NewTopup"), "Created"), 400, 403, 502, body="TopupInput", status=201)},
    "/api/v1/me/billing/transactions": {"get": _op(
        "The wallet's transactions, newest first", _json(_ref("TransactionList")), 400, 403, params=TX_FILTERS)},
    "/api/v1/me/billing/transactions.csv": {"get": {
        "summary": "The same transactions as a streamed CSV file", "parameters": TX_FILTERS[:4],
        "responses": {"200": {"description": "CSV, one row per transaction, columns as the JSON fields",
                              "content": {"text/csv": {"schema": STR}}}, **_errors(400, 401, 403, 503)}}},
    "/api/v1/me/billing/subscription": {
        "get": _op("The org's plan, its subscription (next renewal, cancellation, grace) and the plans on sale",
                   _json(_ref("Subscription")), 403),
        "post": _op("Subscribe the org (owner): a Stripe Checkout Session in subscription mode; the plan applies "
                    "when Stripe confirms the payment", _json(_ref("SubscriptionCheckout"), "Created"),
                    400, 403, 409, 502, body="SubscriptionInput", status=201),
        "patch": _op("Change plan or the cancellation (owner); applied when Stripe's webhook arrives",
                     _json(_ref("SubscriptionRequested"), "Requested"), 400, 403, 409, 502,
                     body="SubscriptionPatch", status=202),
        "delete": _op("Cancel at the end of the paid period (owner)", _json(_ref("SubscriptionRequested"), "Requested"),
                      403, 409, 502, status=202)},
    "/api/v1/me/notifications": {"get": _op("The notification center, newest first",
                                            _json(_ref("NotificationList")), 400, params=[
        _query("unread", "true: unread only", {"enum": ["true", "false"]}),
        _query("before", "next_before of the previous page", INT), _query("limit", "1-200 (50)", INT)])},
    "/api/v1/me/notifications/{notification_id}/read": {"post": _op(
        "Mark a notification read", _json(_ref("Notification")), 404,
        params=[{"name": "notification_id", "in": "path", "required": True, "schema": INT}])},
    HOOKS: {
        "get": _op("The webhook endpoints of the key's org (owner/admin) or of the individual",
                   _json(_ref("WebhookEndpointList")), 403),
        "post": _op("Add an endpoint; its signing secret is in this response only",
                    _json(_ref("NewWebhookEndpoint"), "Created"), 400, 403, body="WebhookInput", status=201)},
    HOOKS + "/{endpoint_id}": {
        "get": _op("One endpoint", _json(_ref("WebhookEndpoint")), 403, 404, params=[ENDPOINT_ID]),
        "patch": _op("Change an endpoint; active: true re-enables one that failures disabled",
                     _json(_ref("WebhookEndpoint")), 400, 403, 404, body="WebhookInput", params=[ENDPOINT_ID]),
        "delete": _op("Delete an endpoint and its delivery log", {"description": "Deleted"}, 403, 404,
                      params=[ENDPOINT_ID], status=204)},
    HOOKS + "/{endpoint_id}/rotate-secret": {"post": _op(
        "A new signing secret, in this response only; the old one stops signing at once",
        _json(_ref("NewWebhookEndpoint")), 403, 404, params=[ENDPOINT_ID])},
    HOOKS + "/{endpoint_id}/test": {"post": _op(
        "Send a webhook.test event to this endpoint now", _json(_ref("WebhookDelivery"), "Queued"), 403, 404, 409,
        params=[ENDPOINT_ID], status=202)},
    HOOKS + "/{endpoint_id}/deliveries": {"get": _op(
        "The endpoint's deliveries, newest first, each with its attempts", _json(_ref("WebhookDeliveryList")),
        400, 403, 404, params=[ENDPOINT_ID, _query("before", "the last id of the previous page", INT),
                               _query("limit", "1-100 (20)", INT)])},
    HOOKS + "/{endpoint_id}/deliveries/{delivery_id}/replay": {"post": _op(
        "Send the delivery's event again (same event id) as a new delivery", _json(_ref("WebhookDelivery"), "Queued"),
        403, 404, 409, params=[ENDPOINT_ID, DELIVERY_ID], status=202)},
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Tollgate API", "version": "1",
             "description": "The gateway (/v1) and the caller's own account (/api/v1/me). Amounts are USD."},
    "security": [{"bearer": []}, {"apiKey": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                            "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
    },
}
