"""Tollgate's Prometheus instruments and the few calls the request path makes on them.

Created once per process by ``enable`` (METRICS_ENABLED); until then every call here
returns at once. Under gunicorn each worker writes its values to its own files in
PROMETHEUS_MULTIPROC_DIR (``multiproc``) and a scrape adds the files up. Gauges that need a
Redis or PostgreSQL read are not here: ``collector`` computes them when Prometheus scrapes.

Labels are bounded: a model is labelled only once admission found it in the catalog and a
provider only by its catalog name, so what a caller sends cannot create new series.
Labelled children are kept in plain dicts (one lookup per call, without
prometheus_client's label checks and lock): the whole per-request cost stays a few
microseconds.
"""
from prometheus_client import Counter, Histogram

# Seconds. The gateway's own share is sub-millisecond to tens of milliseconds; providers take
# from tens of milliseconds to minutes.
ADDED_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
UPSTREAM_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Family:
    """A labelled metric's children by label values."""
    __slots__ = ("metric", "children")

    def __init__(self, metric):
        self.metric = metric
        self.children = {}

    def __call__(self, *values):
        child = self.children.get(values)
        if child is None:
            child = self.children[values] = self.metric.labels(*values)
        return child


class Instruments:
    def __init__(self):
        def family(kind, name, doc, labels, **kw):
            return _Family(kind(name, doc, labels, registry=None, **kw))

        self.requests = family(Counter, "tollgate_requests", "Gateway requests by route, model, provider and "
                               "HTTP status", ["route", "model", "provider", "status"])
        self.refusals = family(Counter, "tollgate_admission_refusals", "Requests refused before anything was "
                               "held or forwarded, by reason", ["reason"])
        self.tokens = family(Counter, "tollgate_tokens", "Tokens billed, by model and kind (prompt, completion)",
                             ["model", "kind"])
        self.credits = family(Counter, "tollgate_credits_charged", "Credits charged, by model", ["model"])
        self.added = family(Histogram, "tollgate_added_latency_seconds", "Time from a request's arrival to its "
                            "forwarding to the provider (admission, checks, translation)", ["route"],
                            buckets=ADDED_BUCKETS)
        self.upstream = family(Histogram, "tollgate_upstream_latency_seconds", "Time from sending a request to "
                               "a provider to its answer's headers", ["provider"], buckets=UPSTREAM_BUCKETS)
        self.ttft = family(Histogram, "tollgate_time_to_first_token_seconds", "Streams: time from arrival to "
                           "the first generated text", ["model"], buckets=TTFT_BUCKETS)
        self.upstream_errors = family(Counter, "tollgate_upstream_errors", "Failed attempts at a provider, by "
                                      "kind (timeout, unreachable, rate_limited, server_error)",
                                      ["provider", "kind"])
        self.fallbacks = family(Counter, "tollgate_upstream_fallbacks", "Calls moved on to the next route after "
                                "this provider failed", ["provider"])

    def metrics(self):
        return [value.metric for value in vars(self).values()]


active: Instruments | None = None


def enable() -> Instruments:
    global active
    if active is None:
        active = Instruments()
    return active


def request_done(call, rec: dict, refused: bool) -> None:
    """One finished request (``rec`` is its usage record); ``refused``: turned away at admission."""
    m = active
    if m is None:
        return
    model = call.model.public_id if call.model is not None else ""
    provider = provider_name(call, rec["provider_id"]) or ""
    m.requests(call.op, model, provider, str(rec["http_status"])).inc()
    if refused:
        m.refusals(rec["error_type"] or "unknown").inc()
        return
    if call.forwarded_at:
        m.added(call.op).observe(call.forwarded_at - call.started)
    if rec["prompt_tokens"]:
        m.tokens(model, "prompt").inc(rec["prompt_tokens"])
    if rec["completion_tokens"]:
        m.tokens(model, "completion").inc(rec["completion_tokens"])
    if rec["total_cost"]:
        m.credits(model).inc(rec["total_cost"])
    if rec["ttft_ms"] is not None:
        m.ttft(model).observe(rec["ttft_ms"] / 1000)


def upstream_answered(provider: str, seconds: float) -> None:
    if active is not None:
        active.upstream(provider).observe(seconds)


def upstream_failed(provider: str, kind: str) -> None:
    if active is not None:
        active.upstream_errors(provider, kind).inc()


def fell_back(provider: str) -> None:
    if active is not None:
        active.fallbacks(provider).inc()


def provider_name(call, provider_id) -> str | None:
    """The catalog name of the provider that answered ``call`` (None before one was chosen)."""
    if provider_id is None or call.model is None:
        return None
    for route in call.model.routes:
        if route.provider.id == provider_id:
            return route.provider.name
    return str(provider_id)
