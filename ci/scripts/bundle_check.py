"""Check a serving bundle before it is baked into an image (stdlib only; runs in CodeBuild).

    bundle_check.py pointer FILE           print the bundle prefix and model_sha256 a pointer
                                           (champion.json / candidate.json) names
    bundle_check.py verify DIR PREFIX [SHA]
                                           model.onnx hashes to metadata.json model_sha256, to
                                           the prefix's v<version>-<sha12>/ name and to SHA (the
                                           pointer's) when given; prints model_version and
                                           model_sha256

Pointer and bundle layout: docs/contracts/serving-bundle.md (DESIGN C5). Exit 1 with the reason
on stderr when anything disagrees: an image must never carry a bundle other than the one named.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

_PREFIX = re.compile(r"^s3://[^/]+/.+/v(?P<version>[^/]+)-(?P<sha12>[0-9a-f]{12})/$")


def fail(message: str) -> None:
    print(f"bundle_check: {message}", file=sys.stderr)
    sys.exit(1)


def pointer_prefix(pointer_uri_dir: str, pointer: dict[str, object]) -> str:
    """The pointer's prefix as an s3:// URI (absolute, bucket-relative or pointer-relative)."""
    prefix = str(pointer.get("prefix") or "")
    if not prefix:
        fail("pointer has no prefix")
    if not prefix.endswith("/"):
        prefix += "/"
    if prefix.startswith("s3://"):
        return prefix
    bucket_root = "/".join(pointer_uri_dir.split("/")[:3])  # s3://bucket
    if prefix.startswith("bundles/"):
        return f"{bucket_root}/{prefix}"
    return f"{pointer_uri_dir.rstrip('/')}/{prefix}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(bundle: Path, prefix: str, expected: str | None) -> tuple[str, str]:
    match = _PREFIX.match(prefix)
    if match is None:
        fail(f"{prefix} is not a versioned bundle prefix (.../v<version>-<sha12>/)")
    for required in ("model.onnx", "metadata.json"):
        if not (bundle / required).is_file() or (bundle / required).stat().st_size == 0:
            fail(f"bundle at {prefix} lacks {required}")
    metadata = json.loads((bundle / "metadata.json").read_text())
    actual = sha256_of(bundle / "model.onnx")
    declared = str(metadata.get("model_sha256") or "")
    version = str(metadata.get("model_version") or "")
    if declared != actual:
        fail(f"model.onnx hashes to {actual}, metadata.json says {declared or 'nothing'}")
    if expected is not None and expected != actual:
        fail(f"model.onnx hashes to {actual}, the pointer names {expected}")
    if match["sha12"] != actual[:12] or match["version"] != version:
        fail(f"{prefix} does not name model {version} with hash {actual[:12]}")
    return version, actual


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[0] == "pointer":
        pointer = json.loads(Path(argv[2]).read_text())
        print(pointer_prefix(argv[1], pointer), pointer.get("model_sha256") or "")
    elif argv and argv[0] == "verify" and len(argv) in (3, 4):
        version, sha = verify(Path(argv[1]), argv[2], argv[3] if len(argv) == 4 else None)
        print(version, sha)
    else:
        fail(f"usage: {__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
