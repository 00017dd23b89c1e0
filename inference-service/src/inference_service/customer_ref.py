"""The keyed pseudonym that stands for a customer id in every log (DESIGN C4).

``customer_ref`` = lowercase hex of HMAC-SHA256(key, customer id as UTF-8 decimal), first 32
characters. risk-monitoring computes the same value from the lender's repayment file, so the
delayed-label join works without raw ids in the logs.

The key is the SecretString of the Secrets Manager secret named by
``CUSTOMER_REF_KEY_SECRET_ARN``, read through Powertools Parameters (cached, re-read after
``KEY_MAX_AGE_SECONDS``), or ``CUSTOMER_REF_KEY`` for local runs. At least 32 characters.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable

from inference_service import aws

log = logging.getLogger(__name__)

MIN_KEY_LENGTH = 32
REF_LENGTH = 32
KEY_MAX_AGE_SECONDS = 300


class CustomerRefKeyError(Exception):
    """The pseudonym key is not configured, cannot be read, or is too short."""


def _check(key: object) -> str:
    if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
        raise CustomerRefKeyError(
            f"the customer_ref key must be a string of at least {MIN_KEY_LENGTH} characters"
        )
    return key


class CustomerRefs:
    """Pseudonymises ids with the current key; the key source is asked once per call (cached
    by Powertools), and the HMAC state is rebuilt only when the key changes."""

    def __init__(self, read_key: Callable[[], object]) -> None:
        self._read_key = read_key
        self._key: str | None = None
        self._mac = hmac.new(b"", digestmod=hashlib.sha256)
        self._refresh_failed = False
        self._current()  # fail start-up, not the first request, when the key is unusable

    def _current(self) -> hmac.HMAC:
        try:
            key = _check(self._read_key())
        except Exception as err:
            if self._key is None:
                if isinstance(err, CustomerRefKeyError):
                    raise
                raise CustomerRefKeyError(f"cannot read the customer_ref key: {err}") from err
            # A refresh that fails keeps the key in use: it changes rarely, and losing
            # predictions over a Secrets Manager blip would be worse than a late rotation.
            if not self._refresh_failed:
                log.warning("customer_ref key refresh failed (%s); keeping the current key", err)
                self._refresh_failed = True
            return self._mac
        self._refresh_failed = False
        if key != self._key:
            self._key = key
            self._mac = hmac.new(key.encode(), digestmod=hashlib.sha256)
        return self._mac

    def refs(self, customer_ids: list[int]) -> list[str]:
        base = self._current()
        out = []
        for customer_id in customer_ids:
            mac = base.copy()
            mac.update(str(customer_id).encode())
            out.append(mac.hexdigest()[:REF_LENGTH])
        return out

    def ref(self, customer_id: int) -> str:
        return self.refs([customer_id])[0]


def key_reader(secret_arn: str | None, local_key: str | None) -> Callable[[], object]:
    """Where the key comes from: exactly one of the secret (AWS) and the local value."""
    if secret_arn and local_key:
        raise CustomerRefKeyError(
            "set only one of CUSTOMER_REF_KEY_SECRET_ARN (AWS) and CUSTOMER_REF_KEY (local)"
        )
    if secret_arn:
        # Imported here: boto3 is loaded only by deployments that read a secret.
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        secrets = SecretsProvider(boto3_client=aws.client("secretsmanager"))
        return lambda: secrets.get(secret_arn, max_age=KEY_MAX_AGE_SECONDS)
    if local_key:
        return lambda: local_key
    raise CustomerRefKeyError(
        "no customer_ref key: set CUSTOMER_REF_KEY_SECRET_ARN (AWS) or CUSTOMER_REF_KEY (local)"
    )
