"""A stand-in for the Lambda runtime: one warm execution environment of the inference image.

moto cannot invoke a Lambda without a Docker engine, so the e2e tests run each Lambda *version*
as this process, started with that version's configuration (the function's environment as
Terraform set it, the bundle its image bakes in, the credentials of the function's role): it
imports the real Mangum handler once (the INIT phase: bundle and store load here), then answers
one API Gateway event per stdin line. Each answer is written as one stdout line starting with
``@@RESPONSE@@``; every other stdout line is the function's own log output (the prediction log,
EMF metrics), which CloudWatch Logs would receive.
"""

from __future__ import annotations

import json
import sys

RESPONSE_MARK = "@@RESPONSE@@"


def main() -> None:
    from inference_service.handler import handler

    sys.stdout.write(RESPONSE_MARK + json.dumps({"initialized": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        response = handler(json.loads(line), None)
        sys.stdout.flush()
        sys.stdout.write(RESPONSE_MARK + json.dumps(response) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
