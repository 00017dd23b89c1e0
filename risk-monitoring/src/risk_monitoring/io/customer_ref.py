"""The customer pseudonym of prediction logs and labels (docs/contracts/prediction-log.md).

``customer_ref`` = lowercase hex of HMAC-SHA256(key, customer id as UTF-8), first 32 characters,
with the id in its canonical decimal form (the store's integer id, as the inference service
formats it). The key is the SecretString of the Secrets Manager secret named by
``CUSTOMER_REF_KEY_SECRET_ARN`` (read through Powertools Parameters, cached), or
``CUSTOMER_REF_KEY`` where there is no secret (local runs); at least 32 characters.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from risk_monitoring.errors import InputError
from risk_monitoring.io import aws

KEY_SECRET_ENV = "CUSTOMER_REF_KEY_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
KEY_ENV = "CUSTOMER_REF_KEY"
MIN_KEY_LENGTH = 32
REF_LENGTH = 32
# A job run is short; the secret is re-read after this long in a warm Lambda environment, so a
# rotated key is picked up.
KEY_CACHE_SECONDS = 300


def canonical_customer_id(value: object) -> str:
    """The decimal form the pseudonym is computed from; InputError when not an integer id."""
    text = str(value).strip()
    try:
        return str(int(text))
    except ValueError as error:
        raise InputError(f"customer id {text[:20]!r} is not an integer") from error


class CustomerRefs:
    def __init__(self, key: str) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise InputError(f"the customer_ref key must have at least {MIN_KEY_LENGTH} characters")
        self._key = key.encode("utf-8")

    def __call__(self, customer_id: object) -> str:
        message = canonical_customer_id(customer_id).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:REF_LENGTH]


def load_customer_refs(environ: Mapping[str, str] = os.environ) -> CustomerRefs:
    secret_arn = environ.get(KEY_SECRET_ENV)
    if secret_arn:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        try:
            secrets = SecretsProvider(boto3_client=aws.client("secretsmanager"))
            key = secrets.get(secret_arn, max_age=KEY_CACHE_SECONDS)
        except Exception as error:  # Powertools wraps botocore's many error types
            raise InputError(f"cannot read the customer_ref key {secret_arn}: {error}") from error
        return CustomerRefs(str(key))
    key = environ.get(KEY_ENV, "")
    if not key:
        raise InputError(f"set {KEY_SECRET_ENV} (AWS) or {KEY_ENV} (local) for customer_ref")
    return CustomerRefs(key)
