"""Run the Stripe stand-in on its own: python -m app.devtools.stripe_standin --port 12111"""
import argparse

from werkzeug.serving import run_simple

from . import create_standin_app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.stripe_standin",
                                     description="A local Stripe stand-in (see the package docstring).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", help="where events are posted, e.g. http://127.0.0.1:8000/webhooks/stripe")
    parser.add_argument("--webhook-secret", default="whsec_standin", help="STRIPE_WEBHOOK_SECRET of the receiver")
    args = parser.parse_args(argv)
    app = create_standin_app(public_url=f"http://{args.host}:{args.port}", webhook_url=args.webhook_url,
                             webhook_secret=args.webhook_secret)
    print(f"Stripe stand-in on http://{args.host}:{args.port} (STRIPE_API_BASE)", flush=True)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
