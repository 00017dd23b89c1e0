"""A stand-in for the Lambda runtime: one execution environment of the inference image.

moto cannot invoke a Lambda without a Docker engine, so the e2e test runs each Lambda *version*
as this process: it imports the real Mangum handler with that version's configuration (bundle
and store from the environment, as the image would have them), feeds it the API Gateway events
read from stdin (a JSON list) and prints the handler's responses as a JSON list.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    events = json.load(sys.stdin)
    from inference_service.handler import handler  # INIT phase: bundle + store load here

    responses = [handler(event, None) for event in events]
    sys.stdout.write("\n@@RESPONSES@@" + json.dumps(responses) + "\n")


if __name__ == "__main__":
    main()
