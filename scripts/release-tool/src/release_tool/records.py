"""Release records that live in AWS, so they survive any operator's laptop.

* Each published Lambda version's description (256 characters, immutable like the version):
  the model version and ``model_sha256`` of the bundle baked into its image, the image, and
  who published it and why. The pre-traffic hook reads its expectations from here.
* Each CodeDeploy deployment's description: what the tool started (canary or rollback), who
  and why. CodeDeploy itself keeps the rest: status, times, the AppSpec (from -> to version),
  errors and rollbacks; ``release status`` shows that history.

CloudTrail additionally records every PublishVersion/CreateDeployment call with its caller.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

DESCRIPTION_LIMIT = 256
RECORD_SCHEMA = 1
SHRUNK = "~"
DIGEST_MARK = "@sha256:"


def fit_json(payload: dict[str, Any], shrinkable: tuple[str, ...], limit: int) -> str:
    """Compact JSON of ``payload`` no longer than ``limit``, shortening ``shrinkable`` fields.

    Fields are shortened in the given order (least important first), each to the longest
    prefix that fits (marked with a trailing "~"), or emptied if none does.
    """
    data = dict(payload)

    def encoded() -> str:
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    for key in shrinkable:
        if len(encoded()) <= limit:
            break
        value = data.get(key)
        if not isinstance(value, str) or not value:
            continue
        # Escaping makes characters cost 1-12 bytes, so search for the longest prefix that fits.
        low, high = 0, len(value) - 1
        while low < high:
            middle = (low + high + 1) // 2
            data[key] = value[:middle] + SHRUNK
            if len(encoded()) <= limit:
                low = middle
            else:
                high = middle - 1
        data[key] = value[:low] + SHRUNK if low else ""
    text = encoded()
    if len(text) > limit:
        raise ValueError(f"release record does not fit in {limit} characters: {text}")
    return text


def _digest_of(image_uri: str) -> str | None:
    """``@sha256:<hex>`` of a digest URI (``repository@sha256:<hex>``), None for a tag URI."""
    _, at, digest = image_uri.rpartition(DIGEST_MARK)
    return DIGEST_MARK + digest if at and digest else None


def _json_object(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class VersionRecord:
    """What a published version serves: its model, the bundle hash, the image; who and why."""

    model_version: str
    model_sha256: str = ""
    image: str = ""
    by: str = ""
    why: str = ""

    def encode(self) -> str:
        payload: dict[str, Any] = {"release": RECORD_SCHEMA, **asdict(self)}
        # The model identity never shrinks: the pre-traffic hook checks /version against it.
        # Nor does an image's digest: a prefix of two URIs of one repository matches both
        # images, and the tool would refuse the second as "already published". The repository
        # goes first (it is the function's own), then the reason, then the publisher.
        digest = _digest_of(self.image)
        if digest is None:
            return fit_json(payload, shrinkable=("why", "image", "by"), limit=DESCRIPTION_LIMIT)
        try:
            return fit_json(payload, shrinkable=(), limit=DESCRIPTION_LIMIT)
        except ValueError:
            payload["image"] = digest
            return fit_json(payload, shrinkable=("why", "by"), limit=DESCRIPTION_LIMIT)

    def image_matches(self, image_uri: str) -> bool:
        """The recorded image is ``image_uri`` (a long digest URI is stored as its digest)."""
        if self.image.startswith(DIGEST_MARK):
            return _digest_of(image_uri) == self.image
        if self.image.endswith(SHRUNK):  # records written before digests were kept whole
            return len(self.image) > 1 and image_uri.startswith(self.image[:-1])
        return self.image == image_uri

    @classmethod
    def decode(cls, description: str | None) -> VersionRecord | None:
        data = _json_object(description)
        if data is None or not data.get("model_version"):
            return None
        return cls(
            model_version=str(data["model_version"]),
            model_sha256=str(data.get("model_sha256", "")),
            image=str(data.get("image", "")),
            by=str(data.get("by", "")),
            why=str(data.get("why", "")),
        )


@dataclass(frozen=True)
class DeploymentNote:
    """Why the tool started a CodeDeploy deployment (its description)."""

    op: str  # canary | rollback
    by: str
    why: str = ""
    model: str = ""  # model version of the target Lambda version

    def encode(self) -> str:
        payload: dict[str, Any] = {"release": RECORD_SCHEMA, **asdict(self)}
        return fit_json(payload, shrinkable=("why", "by"), limit=DESCRIPTION_LIMIT)

    @classmethod
    def decode(cls, description: str | None) -> DeploymentNote | None:
        """The note of a deployment this tool started; None for any other deployment."""
        data = _json_object(description)
        if data is None or data.get("release") != RECORD_SCHEMA or not data.get("op"):
            return None
        return cls(
            op=str(data["op"]),
            by=str(data.get("by", "")),
            why=str(data.get("why", "")),
            model=str(data.get("model", "")),
        )
