"""Storage locations, parsed once: a local path or an s3:// bucket and key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from feature_pipeline.errors import InputError


@dataclass(frozen=True)
class LocalPath:
    path: Path

    @property
    def uri(self) -> str:
        return str(self.path)

    def child(self, relative: str) -> LocalPath:
        return LocalPath(self.path / relative)

    def size_bytes(self) -> int | None:
        """Size of the file without touching the network; None when there is no such file."""
        try:
            return self.path.stat().st_size
        except OSError:
            return None


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def prefix(self) -> str:
        """The key as a folder prefix: no leading slash, one trailing slash ("" for a bucket)."""
        stripped = self.key.strip("/")
        return f"{stripped}/" if stripped else ""

    def child(self, relative: str) -> S3Location:
        return S3Location(self.bucket, self.prefix + relative)

    def size_bytes(self) -> int | None:
        return None  # not known before the object is read


Location = LocalPath | S3Location


def parse_location(uri: str) -> Location:
    if not uri.startswith("s3://"):
        return LocalPath(Path(uri))
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InputError(f"malformed S3 URI {uri!r}")
    return S3Location(bucket, key)


def contains(outer: Location, inner: Location) -> bool:
    """Whether `inner` lies inside the folder `outer` (an output must never hold its input)."""
    if isinstance(outer, LocalPath) and isinstance(inner, LocalPath):
        return outer.path.resolve() in inner.path.resolve().parents
    if isinstance(outer, S3Location) and isinstance(inner, S3Location):
        return outer.bucket == inner.bucket and inner.key.startswith(outer.prefix)
    return False
