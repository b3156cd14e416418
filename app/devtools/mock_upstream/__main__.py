"""Run the mock upstream on its own: python -m app.devtools.mock_upstream --port 9100"""
import argparse

from . import run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.mock_upstream",
                                     description="Mock OpenAI + Anthropic upstream (see the package docstring for knobs).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100, help="0 picks a free port, printed at startup")
    parser.add_argument("--server", choices=("auto", "gevent", "werkzeug"), default="auto")
    parser.add_argument("--access-log", action="store_true", help="log every request (slows benchmarks)")
    parser.add_argument("--certfile", help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--keyfile", help="its private key, if not in --certfile")
    args = parser.parse_args(argv)
    try:
        run(args.host, args.port, server=args.server, access_log=args.access_log,
            certfile=args.certfile, keyfile=args.keyfile)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
