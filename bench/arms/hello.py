"""Arm B: the framework ceiling, a Flask app that answers a canned chat completion.

Served with the production gateway's gunicorn settings, it is what Flask + gunicorn +
gevent cost before any gateway work. It reads the body so request parsing is counted.
"""
from flask import Flask, Response, request

# Same shape and size class as the mock upstream's answer, so response writing costs the same.
_BODY = (b'{"id":"chatcmpl-hello","object":"chat.completion","created":0,"model":"gpt-5.4",'
         b'"choices":[{"index":0,"message":{"role":"assistant","content":"'
         + b" ".join(b"tok%d" % i for i in range(64))
         + b'","refusal":null},"logprobs":null,"finish_reason":"stop"}],'
           b'"usage":{"prompt_tokens":9,"completion_tokens":64,"total_tokens":73}}')


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/v1/chat/completions")
    def chat_completions():
        request.get_data()
        return Response(_BODY, 200, content_type="application/json")

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


application = create_app()
