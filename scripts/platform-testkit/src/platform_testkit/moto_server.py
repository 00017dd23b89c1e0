"""A moto server to start by hand for the external-emulator mode (``TEST_AWS_ENDPOINT_URL``).

    python -m platform_testkit.moto_server --port 5599

Stock ``moto_server`` cannot host this platform: it evaluates bucket policies without their
conditions, so every bucket's ``Deny s3:* if aws:SecureTransport = false`` refuses every write
(HTTP 403 on the first upload). This server carries the kit's corrections (``moto_iam``), the
same ones the kit's own in-process server runs with. IAM is not enforced (moto's default); the
suites skip the tests that need enforcement when the emulator is external.
"""

from __future__ import annotations

import argparse
import logging
import threading


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5599)
    args = parser.parse_args(argv)

    from moto.server import ThreadedMotoServer

    from platform_testkit.moto_iam import apply_corrections

    apply_corrections()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    print(f"moto (platform-testkit corrections) on http://{args.host}:{args.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
