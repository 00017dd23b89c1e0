"""Cold start of the inference image's own file tree: spawn to the first answer.

    python inference-service/benchmarks/bench_image_cold_start.py [--runs 5]

The tree is what the Dockerfile builds (platform_testkit.image_tree: the hashed lock for the
image's platform, the package and a contract bundle where the Dockerfile puts them). Each run
starts the image's entry point (`python -m awslambdaric inference_service.handler.handler`) in
`python -I -S` against a local Lambda Runtime API and times from spawn to the answer of the first
event, an HTTP API v2 /predict on a SQLite store: what Lambda's INIT plus the first invocation
cost, without the container start itself. Bytecode comes from the tree (the lock installed
compiled; the package compiled once before the runs, as the image's compileall step does).
Prints the runs and their median. Take `flock /tmp/bench.lock` on a shared machine.
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SERVICE / "tests"))

from isvc_support import (  # noqa: E402
    CUSTOMER_REF_KEY,
    create_sqlite_store,
    train_reference_pipeline,
    write_bundle,
)

from platform_testkit.image_tree import build_image_tree  # noqa: E402
from platform_testkit.lambda_runtime import LambdaRuntimeApi  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="image-cold-start-"))
    pipeline, x = train_reference_pipeline()
    write_bundle(work / "bundle", pipeline, x)
    tree = build_image_tree(
        SERVICE / "Dockerfile", SERVICE, work / "root", context_overlay={"bundle": work / "bundle"}
    )
    compileall.compile_dir(str(tree.host_path("/var/task/inference_service")), quiet=1)
    store = create_sqlite_store(work / "features.db")
    event = json.loads((SERVICE / "tests/events/apigw_http_v2_predict.json").read_text())
    seconds = []
    for _ in range(args.runs):
        with LambdaRuntimeApi() as api:
            env = {
                **api.environment(),
                "FEATURE_STORE_URL": f"sqlite:///{store}",
                "CUSTOMER_REF_KEY": CUSTOMER_REF_KEY,
            }
            started = time.monotonic()
            process = tree.start(env)
            answer = api.invoke(event)
            seconds.append(time.monotonic() - started)
            process.terminate()
            process.wait(timeout=10)
        if not answer.ok or answer.payload["statusCode"] != 200:
            raise SystemExit(f"the image did not answer: {answer}")
    print(f"runs (s): {', '.join(f'{s:.2f}' for s in seconds)}")
    print(f"median cold start, spawn to first answer: {statistics.median(seconds):.2f} s")


if __name__ == "__main__":
    main()
