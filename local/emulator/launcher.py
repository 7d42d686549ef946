"""
The local deployment's AWS emulator: moto's server, with the project's fills for moto's gaps.

    python3 local/emulator/launcher.py --host 127.0.0.1 --port 5000

Refuses any moto but 5.2.1 (the fills are written against it) with one line on stderr and exit
code 2, before importing moto. Then applies every fill of the ``fills`` package beside it in this
process, serves moto's app (every service on one port, threaded) on the loopback address only,
prints one "ready" line naming the fills, and stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import ipaddress
import os
import signal
import sys
import threading

REQUIRED_MOTO = "5.2.1"
INSTALL_HINT = f'pip install "moto[server]=={REQUIRED_MOTO}"'


def refuse(message: str) -> int:
    """Prints one line on stderr and answers exit code 2."""
    print(message, file=sys.stderr, flush=True)
    return 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="moto server with the project's fills")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: any free one)")
    parser.add_argument(
        "--skip-fill",
        action="append",
        default=[],
        metavar="NAME",
        help="leave a fill out (to show its gap); repeatable",
    )
    parser.add_argument(
        "--list-fills", action="store_true", help="print each fill and what it fills, then exit"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        found = importlib.metadata.version("moto")
    except importlib.metadata.PackageNotFoundError:
        return refuse(f"moto is not installed; moto {REQUIRED_MOTO} is required ({INSTALL_HINT})")
    if found != REQUIRED_MOTO:
        return refuse(
            f"moto {found} found, moto {REQUIRED_MOTO} required: the emulator's fills are "
            f"written against it ({INSTALL_HINT})"
        )
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            return refuse(
                f"--host {args.host} is not a loopback address; the emulator serves loopback only"
            )
    except ValueError:
        return refuse(f"--host {args.host} is not an IP address (use 127.0.0.1 or ::1)")
    try:
        import flask  # noqa: F401  (moto's server app needs it)
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server
    except ImportError as err:
        return refuse(f"moto's server cannot be imported ({err}); {INSTALL_HINT}")

    # No __pycache__ in the source tree.
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import fills

    if args.list_fills:
        for f in fills.FILLS:
            print(f"{f.name}: {f.description}")
        return 0

    try:
        applied = fills.apply_fills(skip=args.skip_fill)
    except ValueError as err:
        return refuse(str(err))

    app = DomainDispatcherApplication(create_backend_app)
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except OSError as err:
        return refuse(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}")
    port = server.server_port
    # moto builds some URLs (SNS confirmations, queue URLs of some calls) from MOTO_PORT.
    os.environ.setdefault("MOTO_PORT", str(port))

    def stop(signum: int, _frame: object) -> None:
        print(f"signal {signal.Signals(signum).name}: stopping", flush=True)
        # shutdown() waits for serve_forever() to return: call it off the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    skipped = f"; skipped: {', '.join(args.skip_fill)}" if args.skip_fill else ""
    print(
        f"ready: moto {found} on http://{args.host}:{port} (pid {os.getpid()}); "
        f"fills: {', '.join(applied) or 'none'}{skipped}",
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
