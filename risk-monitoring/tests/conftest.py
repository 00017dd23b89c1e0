from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from monitoring_factories import REF_KEY, metadata_document, write_metadata


@pytest.fixture(scope="session")
def metadata_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_metadata(tmp_path_factory.mktemp("bundle") / "metadata.json", metadata_document())


@pytest.fixture(autouse=True)
def _customer_ref_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local key (make run's way); tests of the secret path set the ARN themselves."""
    monkeypatch.setenv("CUSTOMER_REF_KEY", REF_KEY)
    monkeypatch.delenv("CUSTOMER_REF_KEY_SECRET_ARN", raising=False)


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the Lambda runtime's context object that Powertools Logger reads."""

    function_name: str = "credit-risk-mx-prod-monitoring"
    memory_limit_in_mb: int = 3008
    invoked_function_arn: str = (
        "arn:aws:lambda:eu-west-1:123456789012:function:credit-risk-mx-prod-monitoring"
    )
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
