"""The customer_ref pseudonym and where its key comes from (DESIGN C4)."""

from __future__ import annotations

import pytest
from isvc_support import expected_customer_ref

from inference_service.customer_ref import CustomerRefKeyError, CustomerRefs, key_reader

KEY = "k" * 40


def test_key_from_secrets_manager_through_powertools_parameters(aws_reset: str) -> None:
    import boto3

    arn = boto3.client("secretsmanager").create_secret(Name="customer-ref", SecretString=KEY)["ARN"]
    refs = CustomerRefs(key_reader(arn, None))
    assert refs.refs([5008827, 1]) == [
        expected_customer_ref(5008827, KEY),
        expected_customer_ref(1, KEY),
    ]
    assert len(refs.ref(1)) == 32


def test_a_failed_refresh_keeps_the_current_key() -> None:
    answers: list[object] = [KEY, RuntimeError("secrets manager unreachable")]

    def read() -> object:
        answer = answers.pop(0) if answers else KEY
        if isinstance(answer, Exception):
            raise answer
        return answer

    refs = CustomerRefs(read)
    assert refs.ref(7) == expected_customer_ref(7, KEY)  # second read fails: same key kept


@pytest.mark.parametrize(
    ("arn", "local", "message"),
    [
        (None, None, "no customer_ref key"),
        ("arn:aws:secretsmanager:us-east-1:1:secret:k", KEY, "only one"),
    ],
)
def test_key_configuration_errors(arn: str | None, local: str | None, message: str) -> None:
    with pytest.raises(CustomerRefKeyError, match=message):
        key_reader(arn, local)


def test_short_or_unreadable_keys_stop_start_up() -> None:
    with pytest.raises(CustomerRefKeyError, match="at least 32"):
        CustomerRefs(lambda: "short")

    def broken() -> object:
        raise RuntimeError("AccessDenied")

    with pytest.raises(CustomerRefKeyError, match="AccessDenied"):
        CustomerRefs(broken)
