"""Scaffold infra/live/<market>/{staging,prod} for a new market from infra/templates/market-root.

    make new-market MARKET=co REGION=us-east-1
    python infra/scripts/new_market.py co us-east-1 [--live-dir DIR]

Refuses a market that already has roots, a code that is not two lower-case letters, and a region
that is not an AWS commercial region offering every service the platform uses (per the endpoint
data of the installed botocore). Prints the steps that follow.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from string import Template

INFRA = Path(__file__).resolve().parents[1]
TEMPLATE = INFRA / "templates" / "market-root"
ENVIRONMENTS = ("staging", "prod")
# Copied as they are; backend.tf and terraform.tfvars are rendered per environment.
VERBATIM = (
    "main.tf",
    "variables.tf",
    "providers.tf",
    "versions.tf",
    "outputs.tf",
    ".terraform.lock.hcl",
)
# Services the market's running platform needs in its own region.
REQUIRED_SERVICES = (
    "apigateway",
    "codedeploy",
    "ecr",
    "firehose",
    "glue",
    "kms",
    "lambda",
    "rds",
    "s3",
    "secretsmanager",
    "stepfunctions",
    "wafv2",
)
# The release pipeline's services: where botocore lists no endpoint for them, the scaffold warns
# (the pipeline may have to run from a neighbouring region) instead of refusing the market.
PIPELINE_SERVICES = ("codebuild", "codepipeline")


class ScaffoldError(ValueError):
    """The request cannot be scaffolded; the message says why and what to do."""


def regions_offering(services: tuple[str, ...]) -> list[str]:
    """Regions of the aws partition where botocore's endpoint data lists every service."""
    import boto3

    session = boto3.session.Session()
    regions = set(session.get_available_regions(services[0]))
    for service in services[1:]:
        regions &= set(session.get_available_regions(service))
    return sorted(regions)


def platform_regions() -> list[str]:
    return regions_offering(REQUIRED_SERVICES)


def pipeline_warning(region: str) -> str:
    missing = [s for s in PIPELINE_SERVICES if region not in regions_offering((s,))]
    if not missing:
        return ""
    return (
        f"\nWarning: botocore lists no {' or '.join(missing)} endpoint in {region}; check AWS's "
        "regional services list before the first pipeline run (the release pipeline needs them).\n"
    )


def check_request(market: str, region: str, live_dir: Path, regions: list[str]) -> None:
    if not re.fullmatch(r"[a-z]{2}", market):
        raise ScaffoldError(
            f"MARKET={market!r} is not a market code: use the two-letter lower-case ISO 3166-1 "
            "code of the country, e.g. MARKET=co"
        )
    if region not in regions:
        raise ScaffoldError(
            f"REGION={region!r} is not an AWS region with every service the platform uses "
            f"({', '.join(REQUIRED_SERVICES)}); choose one of: {', '.join(regions)}"
        )
    if (live_dir / market).exists():
        raise ScaffoldError(
            f"market {market!r} already exists ({live_dir / market}); edit its terraform.tfvars "
            "instead"
        )


def scaffold(market: str, region: str, live_dir: Path, template: Path = TEMPLATE) -> list[Path]:
    """Write the market's roots; returns the created root directories."""
    created = []
    market_dir = live_dir / market
    try:
        for environment in ENVIRONMENTS:
            root = market_dir / environment
            root.mkdir(parents=True)
            values = {"market": market, "region": region, "environment": environment}
            for name in VERBATIM:
                shutil.copyfile(template / name, root / name)
            backend = Template((template / "backend.tf.tmpl").read_text())
            (root / "backend.tf").write_text(backend.substitute(values))
            tfvars = Template((template / f"{environment}.tfvars.tmpl").read_text())
            (root / "terraform.tfvars").write_text(tfvars.substitute(values))
            created.append(root)
    except BaseException:
        # Never leave half a market behind: a rerun must not be refused as "already exists".
        shutil.rmtree(market_dir, ignore_errors=True)
        raise
    return created


NEXT_STEPS = """\
Scaffolded {market} in {region}:
{roots}

Next steps (infra/README.md, "Launching a market"):
  1. In each account (staging, prod): terraform -chdir=infra/bootstrap init && apply with
     -var market={market} -var environment=<env> -var aws_region={region}
     (state bucket, deploy role, source connection). Authorise the connection once in the
     console (Developer Tools > Connections).
  2. Copy the bootstrap outputs into infra/live/{market}/<env>/terraform.tfvars (delivery.*:
     the placeholders with account 000000000000 are refused by the plan until you do).
  3. Review the documented defaults in terraform.tfvars: availability zones, VPC CIDR, sizes,
     alarm e-mails, quality settings and training thresholds of this market.
  4. In infra/live/{market}/staging: terraform init, terraform apply
     -target=module.platform.module.ecr, push the first images with tag `bootstrap`
     (inference, training, monitoring, db-bootstrap, ci-tools), terraform apply, then
     DB_BOOTSTRAP_PROJECT=$(terraform output -raw db_bootstrap_project_name)
     ci/scripts/run-db-bootstrap.sh (creates the database roles and fills their secrets).
  5. Upload the raw loans file, start the retraining state machine (first features, model,
     bundle, image and release; docs/operations.md, "Launching a market"), then commit: the
     release pipeline deploys {market}/staging on every push, running db-bootstrap after
     each apply.
  6. Link prod to staging: set staging's delivery.release_publish and prod's
     delivery.release_source to one S3 object (e.g. staging's artifacts bucket, key
     releases/{market}/release.zip; its bucket policy must grant prod's roles). Prod's pipeline
     then deploys exactly the release that passed staging, after approval.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("market", help="two-letter ISO 3166-1 code in lower case, e.g. co")
    parser.add_argument("region", help="AWS region of the market, e.g. us-east-1")
    parser.add_argument("--live-dir", type=Path, default=INFRA / "live")
    args = parser.parse_args(argv)
    try:
        check_request(args.market, args.region, args.live_dir, platform_regions())
        roots = scaffold(args.market, args.region, args.live_dir)
    except ScaffoldError as error:
        print(f"new-market: {error}", file=sys.stderr)
        return 2
    shown = "\n".join(f"  {root}" for root in roots)
    print(NEXT_STEPS.format(market=args.market, region=args.region, roots=shown))
    print(pipeline_warning(args.region), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
