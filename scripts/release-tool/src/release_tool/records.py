"""Durable release records kept on the Lambda function itself.

Three places, each within an AWS size limit, so the record survives any operator's laptop:

* the ``live`` alias description (256 chars): compact JSON with the last operation and the
  version a rollback returns to — the only state rollback needs besides the alias itself;
* each published version's description (256 chars): model version, image, who/when/why of the
  deploy — versions are immutable, so this is written once at publish time;
* function tags ``release:event:NN`` (256-char values): a ring of the last N release events.
  Tag values are restricted to letters, digits, spaces and ``_.:/=+-@`` on some AWS services,
  so events are ``key=value`` text rather than JSON.

CloudTrail additionally records every UpdateAlias/PublishVersion call with its caller.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

DESCRIPTION_LIMIT = 256
TAG_VALUE_LIMIT = 256
EVENT_TAG_PREFIX = "release:event:"
RECORD_SCHEMA = 1

_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9 _.:/=+\-@]")
_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/=+\-@]")


def _fit_json(payload: dict[str, Any], shrinkable: tuple[str, ...], limit: int) -> str:
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
            data[key] = value[:middle] + "~"
            if len(encoded()) <= limit:
                low = middle
            else:
                high = middle - 1
        data[key] = value[:low] + "~" if low else ""
    text = encoded()
    if len(text) > limit:
        raise ValueError(f"release record does not fit in {limit} characters: {text}")
    return text


@dataclass(frozen=True)
class AliasRecord:
    """Last release operation on the alias and the version ``rollback`` returns to."""

    op: str
    at: str
    by: str
    why: str = ""
    live: str | None = None  # the alias's FunctionVersion right after this operation
    canary: str | None = None  # the canary version right after this operation, if any
    previous: str | None = None  # what `rollback` returns to after a promote
    rolled_back_from: str | None = None  # set after a rollback of a promoted version

    def encode(self) -> str:
        payload: dict[str, Any] = {"release": RECORD_SCHEMA, **asdict(self)}
        payload = {key: value for key, value in payload.items() if value is not None}
        return _fit_json(payload, shrinkable=("why", "by"), limit=DESCRIPTION_LIMIT)

    @classmethod
    def decode(cls, description: str | None) -> AliasRecord | None:
        """The record in an alias description, or None when the alias was never released.

        Terraform creates the alias with free-text description; that is not an error.
        """
        if not description:
            return None
        try:
            data = json.loads(description)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("release") != RECORD_SCHEMA:
            return None
        return cls(
            op=str(data.get("op", "")),
            at=str(data.get("at", "")),
            by=str(data.get("by", "")),
            why=str(data.get("why", "")),
            live=_optional_str(data.get("live")),
            canary=_optional_str(data.get("canary")),
            previous=_optional_str(data.get("previous")),
            rolled_back_from=_optional_str(data.get("rolled_back_from")),
        )


@dataclass(frozen=True)
class VersionRecord:
    """What a published version carries: its model version and who published it, when, why."""

    model_version: str
    image: str = ""
    at: str = ""
    by: str = ""
    why: str = ""

    def encode(self) -> str:
        payload: dict[str, Any] = {"release": RECORD_SCHEMA, **asdict(self)}
        return _fit_json(payload, shrinkable=("why", "by", "image"), limit=DESCRIPTION_LIMIT)

    @classmethod
    def decode(cls, description: str | None) -> VersionRecord | None:
        if not description:
            return None
        try:
            data = json.loads(description)
        except ValueError:
            return None
        if not isinstance(data, dict) or not data.get("model_version"):
            return None
        return cls(
            model_version=str(data["model_version"]),
            image=str(data.get("image", "")),
            at=str(data.get("at", "")),
            by=str(data.get("by", "")),
            why=str(data.get("why", "")),
        )


@dataclass(frozen=True)
class ReleaseEvent:
    """One entry of the release history ring kept in function tags."""

    seq: int
    op: str
    at: str
    by: str
    stable: str = "-"
    canary: str = "-"
    weight: str = "0"
    model: str = "-"
    why: str = ""

    def encode(self) -> str:
        tokens = [
            f"seq={self.seq}",
            f"op={_token(self.op)}",
            f"at={_token(self.at)}",
            f"by={_token(self.by)}",
            f"stable={_token(self.stable)}",
            f"canary={_token(self.canary)}",
            f"weight={_token(self.weight)}",
            f"model={_token(self.model)}",
        ]
        head = " ".join(tokens)
        # `why` goes last and may contain spaces: everything after "why=" belongs to it.
        room = TAG_VALUE_LIMIT - len(head) - len(" why=")
        why = _TAG_UNSAFE.sub(" ", self.why).strip()
        if room <= 0:
            return head[:TAG_VALUE_LIMIT]
        return f"{head} why={why[:room]}"

    @classmethod
    def decode(cls, value: str) -> ReleaseEvent | None:
        head, _, why = value.partition(" why=")
        fields: dict[str, str] = {}
        for token in head.split():
            key, sep, val = token.partition("=")
            if sep:
                fields[key] = val
        try:
            seq = int(fields["seq"])
        except (KeyError, ValueError):
            return None
        return cls(
            seq=seq,
            op=fields.get("op", ""),
            at=fields.get("at", ""),
            by=fields.get("by", ""),
            stable=fields.get("stable", "-"),
            canary=fields.get("canary", "-"),
            weight=fields.get("weight", "0"),
            model=fields.get("model", "-"),
            why=why,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def event_tag_key(seq: int, ring_size: int) -> str:
    return f"{EVENT_TAG_PREFIX}{seq % ring_size:02d}"


def events_from_tags(tags: dict[str, str]) -> list[ReleaseEvent]:
    """Release events found in function tags, oldest first."""
    events = [
        event
        for key, value in tags.items()
        if key.startswith(EVENT_TAG_PREFIX) and (event := ReleaseEvent.decode(value)) is not None
    ]
    return sorted(events, key=lambda event: event.seq)


def _token(value: str) -> str:
    cleaned = _TOKEN_UNSAFE.sub("_", value.strip())
    return cleaned or "-"


def _optional_str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
