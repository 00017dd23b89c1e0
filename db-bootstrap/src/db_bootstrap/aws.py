"""boto3 clients under the AWS SDKs' standard variables.

boto3 reads AWS_PROFILE, AWS_ENDPOINT_URL and AWS_DEFAULT_REGION itself, but not AWS_REGION,
the region variable of the AWS CLI (where it wins over AWS_DEFAULT_REGION) and of the other
SDKs. It is passed on explicitly, so an operator's shell means the same region to every tool.
"""

from __future__ import annotations

import os
from typing import Any


def region() -> str | None:
    """AWS_REGION when set; None leaves boto3 to AWS_DEFAULT_REGION, then the profile."""
    return os.environ.get("AWS_REGION") or None


def client(service: str) -> Any:
    import boto3  # deferred: local runs that never reach AWS do not pay for boto3's import

    make: Any = boto3.client  # the stubs type it per literal service name
    return make(service, region_name=region())
