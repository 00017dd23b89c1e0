"""Release operations on one market: deploy, canary, watch, promote, rollback, status.

State machine of the ``live`` alias (traffic only ever moves between published versions):

    stable S ──canary N (P%)──▶ canary S+N ──promote──▶ stable N (previous = S)
        ▲                          │                        │
        └───────rollback───────────┘          rollback ─────┘ (back to S)

Every change is one ``UpdateAlias`` call (atomic for callers) guarded by the alias RevisionId,
and is recorded in the alias description and the function's release history tags.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from release_tool.alarms import AlarmGate, firing
from release_tool.codedeploy import CodeDeployGuard, stop_command
from release_tool.errors import ConfigurationError, RefusedError, ReleaseError
from release_tool.lambda_function import (
    AliasState,
    LambdaFunction,
    PublishedVersion,
    is_numbered_version,
)
from release_tool.records import (
    AliasRecord,
    ReleaseEvent,
    VersionRecord,
    event_tag_key,
    events_from_tags,
)

# Lambda only runs images from ECR; a tag or a digest is required so the version is traceable.
ECR_IMAGE_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
MODEL_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_TIMEOUT_SECONDS = 600.0
# A watch that cannot see the alarms for this many polls in a row fails safe: it rolls back.
MAX_BLIND_POLLS = 3


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def validate_percent(percent: float) -> float:
    """Canary weight (0..1) for a percentage strictly between 0 and 100."""
    if not 0 < percent < 100:
        raise RefusedError(
            f"canary percentage must be greater than 0 and less than 100, got {percent:g}; "
            "use `release promote` for 100% and `release rollback` for 0%"
        )
    return round(percent / 100.0, 5)


def require_reason(reason: str, operation: str) -> str:
    """Traffic-moving decisions are audited: an empty reason is refused, like model promotion."""
    text = reason.strip()
    if not text:
        raise RefusedError(
            f"--reason is required for {operation}: say why (ticket, incident, 'bake clean')"
        )
    return text


def validate_image_uri(image_uri: str) -> str:
    uri = image_uri.strip()
    if not ECR_IMAGE_URI.match(uri):
        raise RefusedError(
            f"image URI {image_uri!r} is not an ECR image reference with a tag or digest, e.g. "
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk-inference:1.4.0"
        )
    return uri


def validate_model_version(model_version: str) -> str:
    version = model_version.strip()
    if not MODEL_VERSION.match(version):
        raise RefusedError(
            f"model version {model_version!r} must be 1-64 characters of letters, digits, "
            "'.', '_' or '-' (the registry version from `model-training promote`)"
        )
    return version


@dataclass(frozen=True)
class DeployResult:
    function_name: str
    version: str
    model_version: str
    image_uri: str
    published_new_version: bool
    live_version: str
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"operation": "deploy", **asdict(self)}


@dataclass(frozen=True)
class TrafficResult:
    operation: str  # canary | promote | rollback
    function_name: str
    alias: str
    stable_version: str
    canary_version: str | None
    canary_weight: float
    previous_version: str | None
    traffic: dict[str, float]
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WatchResult:
    outcome: str  # passed | rolled_back | interrupted
    canary_version: str
    canary_weight: float
    bake_seconds: float
    elapsed_seconds: float
    polls: int
    firing_alarms: list[str]
    detail: str
    rollback: TrafficResult | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["operation"] = "watch"
        return data


class Release:
    """Release operations for one function/alias, gated by one set of alarms."""

    def __init__(
        self,
        function: LambdaFunction,
        alarms: AlarmGate,
        actor: Callable[[], str],
        codedeploy: CodeDeployGuard | None = None,
        history_size: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], str] = utc_now,
    ) -> None:
        self.function = function
        self.alarms = alarms
        self.codedeploy = codedeploy
        self._actor_source = actor
        self._actor: str | None = None
        self.history_size = history_size
        self._sleep = sleep
        self._monotonic = monotonic
        self._now = wall_clock

    @property
    def actor(self) -> str:
        if self._actor is None:
            self._actor = self._actor_source()
        return self._actor

    # --- deploy ----------------------------------------------------------------------------

    def deploy(
        self,
        image_uri: str,
        model_version: str,
        reason: str = "",
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> DeployResult:
        """Publish a new version running ``image_uri``; traffic does not move."""
        image_uri = validate_image_uri(image_uri)
        model_version = validate_model_version(model_version)
        config = self.function.configuration()
        if config.get("PackageType") != "Image":
            raise RefusedError(
                f"function {self.function.function_name} is a {config.get('PackageType')} "
                "package; `release deploy` only ships container images"
            )
        alias = self._alias_on_published_version()
        if alias.canary_in_progress:
            raise RefusedError(
                f"a canary of version {alias.canary_version} is in progress "
                f"({alias.canary_weight:.0%}); promote or roll it back before deploying again"
            )
        published_before = self.function.published_versions()
        latest_before = published_before[-1].number if published_before else 0
        newest = published_before[-1] if published_before else None
        if (
            newest is not None
            and newest.record is not None
            and newest.record.image == image_uri
            and newest.model_version == model_version
        ):
            # Idempotent re-run (e.g. a retried pipeline step): the release already exists.
            return DeployResult(
                function_name=self.function.function_name,
                version=newest.version,
                model_version=model_version,
                image_uri=image_uri,
                published_new_version=False,
                live_version=alias.stable_version,
                warnings=[
                    f"version {newest.version} already runs this image and model version; "
                    "nothing was published"
                ],
            )

        for existing in published_before:
            if (
                existing.record
                and existing.record.image == image_uri
                and existing.model_version != model_version
            ):
                raise RefusedError(
                    f"image {image_uri} is already published as version {existing.version} "
                    f"with model {existing.model_version}; an image carries exactly one "
                    "model, so build a new image for a new model version"
                )

        # Only the image changes: function configuration (environment, memory, VPC) belongs to
        # terraform, which would revert anything else on its next apply. The model version is
        # recorded in the version description, which is immutable like the version itself.
        self.function.wait_until_updated(timeout_seconds)
        code_sha256 = self.function.update_image(image_uri)
        self.function.wait_until_updated(timeout_seconds)

        at = self._now()
        description = VersionRecord(
            model_version=model_version, image=image_uri, at=at, by=self.actor, why=reason
        ).encode()
        published = self.function.publish_version(description, code_sha256)
        version = str(published["Version"])
        if not is_numbered_version(version) or int(version) <= latest_before:
            # Lambda hands back the last version when neither code nor configuration changed.
            existing = self.function.version(version)
            raise RefusedError(
                f"image {image_uri} is already published as version {version} (model "
                f"{existing.model_version or 'not recorded'}); an image carries exactly one "
                "model, so build a new image for a new model version, or canary that version "
                f"with `release canary --version {version}`"
            )
        if code_sha256 and published.get("CodeSha256") not in (None, code_sha256):
            raise ReleaseError(
                f"version {version} does not run the image just deployed (code SHA "
                f"{published.get('CodeSha256')} != {code_sha256}): the function was changed "
                "concurrently; do not route traffic to it"
            )
        self.function.wait_until_active(version, timeout_seconds)
        warnings = self._record_event(
            op="deploy",
            at=at,
            stable=alias.stable_version,
            canary=version,
            model=model_version,
            why=reason,
        )
        return DeployResult(
            function_name=self.function.function_name,
            version=version,
            model_version=model_version,
            image_uri=image_uri,
            published_new_version=True,
            live_version=alias.stable_version,
            warnings=warnings,
        )

    # --- canary ----------------------------------------------------------------------------

    def canary(
        self,
        percent: float,
        version: str | None = None,
        reason: str = "",
        force: bool = False,
    ) -> TrafficResult:
        """Send ``percent`` % of the alias's traffic to ``version`` (default: newest published)."""
        weight = validate_percent(percent)
        self._refuse_while_codedeploy_deploys("start a canary")
        alias = self._alias_on_published_version()
        target = self._canary_target(version, alias)
        if target.version == alias.stable_version:
            raise RefusedError(
                f"version {target.version} already serves all traffic on alias {alias.name!r}; "
                "deploy a new version first (`release deploy`)"
            )
        if target.number < int(alias.stable_version) and not force:
            raise RefusedError(
                f"version {target.version} is older than the live version "
                f"{alias.stable_version}; use `release rollback` to go back, or --force"
            )
        if alias.canary_in_progress and alias.canary_version != target.version and not force:
            raise RefusedError(
                f"a canary of version {alias.canary_version} is already in progress "
                f"({alias.canary_weight:.0%}); promote or roll it back first, or pass --force to "
                f"replace it with version {target.version}"
            )
        if (target.state or "Active") != "Active":
            raise RefusedError(f"version {target.version} is {target.state}, not Active")
        record = alias.record
        at = self._now()
        new_record = AliasRecord(
            op="canary",
            at=at,
            by=self.actor,
            why=reason,
            live=alias.stable_version,
            canary=target.version,
            # The promote history stays: a rollback after this canary is aborted still knows it.
            previous=record.previous if record else None,
        )
        state = self.function.update_alias(
            function_version=alias.stable_version,
            canary=(target.version, weight),
            description=new_record.encode(),
            revision_id=alias.revision_id,
        )
        warnings = self._record_event(
            op="canary",
            at=at,
            stable=state.stable_version,
            canary=target.version,
            weight=weight,
            model=target.model_version,
            why=reason,
        )
        return self._traffic_result("canary", state, new_record.previous, warnings)

    # --- watch -----------------------------------------------------------------------------

    def watch(
        self,
        bake_seconds: float,
        poll_seconds: float,
        reason: str = "",
    ) -> WatchResult:
        """Poll the gating alarms for ``bake_seconds``; roll the canary back if one fires."""
        if bake_seconds <= 0 or poll_seconds <= 0:
            raise RefusedError("bake and poll seconds must be positive")
        alias = self.function.alias_state()
        if not alias.canary_in_progress or alias.canary_version is None:
            raise RefusedError(f"no canary in progress on alias {alias.name!r}: nothing to watch")
        canary_version, canary_weight = alias.canary_version, alias.canary_weight
        self.alarms.states()  # refuse up front when the gate is misconfigured
        started = self._monotonic()
        deadline = started + bake_seconds
        polls = 0
        blind_polls = 0
        while True:
            polls += 1
            try:
                fired = firing(self.alarms.states())
                current = self.function.alias_state()
                blind_polls = 0
            except ReleaseError as error:
                # A throttled or failing API call is no reason to abandon the canary, but a
                # canary nobody can observe must not stay: after a few blind polls, roll back.
                blind_polls += 1
                if blind_polls < MAX_BLIND_POLLS:
                    self._sleep(poll_seconds)
                    continue
                return self._watch_blind_rollback(
                    error, canary_version, canary_weight, bake_seconds, started, polls
                )
            elapsed = self._monotonic() - started
            if current.canary_version != canary_version:
                return WatchResult(
                    outcome="interrupted",
                    canary_version=canary_version,
                    canary_weight=canary_weight,
                    bake_seconds=bake_seconds,
                    elapsed_seconds=round(elapsed, 3),
                    polls=polls,
                    firing_alarms=[alarm.name for alarm in fired],
                    detail=(
                        f"alias {current.name!r} changed during the bake (now routes "
                        f"{current.traffic()}); stopped watching, nothing rolled back"
                    ),
                )
            if fired:
                names = ", ".join(alarm.name for alarm in fired)
                why = f"auto-rollback: {names} in ALARM during canary bake"
                if reason:
                    why = f"{why} ({reason})"
                stopped = self._stop_codedeploy_deployments()
                rollback = self._with_warnings(self._rollback_canary(current, why), stopped)
                return WatchResult(
                    outcome="rolled_back",
                    canary_version=canary_version,
                    canary_weight=canary_weight,
                    bake_seconds=bake_seconds,
                    elapsed_seconds=round(elapsed, 3),
                    polls=polls,
                    firing_alarms=[alarm.name for alarm in fired],
                    detail=f"{names} went to ALARM; all traffic is back on version "
                    f"{rollback.stable_version}",
                    rollback=rollback,
                )
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return WatchResult(
                    outcome="passed",
                    canary_version=canary_version,
                    canary_weight=canary_weight,
                    bake_seconds=bake_seconds,
                    elapsed_seconds=round(elapsed, 3),
                    polls=polls,
                    firing_alarms=[],
                    detail=f"no gating alarm fired in {bake_seconds:g}s; ready to promote",
                )
            self._sleep(min(poll_seconds, remaining))

    def _watch_blind_rollback(
        self,
        error: ReleaseError,
        canary_version: str,
        canary_weight: float,
        bake_seconds: float,
        started: float,
        polls: int,
    ) -> WatchResult:
        why = f"auto-rollback: gating alarms unobservable for {MAX_BLIND_POLLS} polls ({error})"
        try:
            alias = self.function.alias_state()
            if alias.canary_version != canary_version:
                raise ReleaseError(f"alias no longer routes to canary {canary_version}")
            rollback = self._rollback_canary(alias, why)
        except ReleaseError as rollback_error:
            raise ReleaseError(
                f"watch lost sight of the alarms ({error}) and could not roll back "
                f"({rollback_error}); run `release rollback` now"
            ) from rollback_error
        return WatchResult(
            outcome="rolled_back",
            canary_version=canary_version,
            canary_weight=canary_weight,
            bake_seconds=bake_seconds,
            elapsed_seconds=round(self._monotonic() - started, 3),
            polls=polls,
            firing_alarms=[],
            detail=f"could not read the gating alarms ({error}); rolled back to be safe: all "
            f"traffic is on version {rollback.stable_version}",
            rollback=rollback,
        )

    # --- promote ---------------------------------------------------------------------------

    def promote(self, reason: str = "") -> TrafficResult:
        """All traffic to the canary version, if no gating alarm is firing."""
        reason = require_reason(reason, "promote")
        self._refuse_while_codedeploy_deploys("promote")
        alias = self._alias_on_published_version()
        if not alias.canary_in_progress or alias.canary_version is None:
            raise RefusedError(
                f"no canary in progress on alias {alias.name!r} (all traffic on version "
                f"{alias.stable_version}); start one with `release canary --percent P` first"
            )
        fired = firing(self.alarms.states())
        if fired:
            raise RefusedError(
                "refusing to promote while gating alarm(s) are in ALARM: "
                + ", ".join(f"{alarm.name} ({alarm.reason})" for alarm in fired)
                + "; investigate or `release rollback`"
            )
        candidate = self.function.version(alias.canary_version)
        return self._move_all_traffic(
            "promote", candidate, alias, reason, previous=alias.stable_version
        )

    # --- rollback --------------------------------------------------------------------------

    def rollback(self, reason: str = "", to_version: str | None = None) -> TrafficResult:
        """All traffic back to the last known-good version in one alias update.

        During a canary: the canary's share goes back to the stable version. After a promote:
        the alias goes back to the version that was live before it. Any other state needs an
        explicit ``to_version`` — guessing is how a 3 a.m. rollback makes things worse.
        """
        reason = require_reason(reason, "rollback")
        warnings = self._stop_codedeploy_deployments()
        alias = self._alias_on_published_version()
        if to_version is not None:
            return self._with_warnings(self._rollback_to(alias, to_version, reason), warnings)
        if alias.canary_in_progress:
            return self._with_warnings(self._rollback_canary(alias, reason), warnings)
        record = alias.record
        if record is None:
            raise RefusedError(
                f"alias {alias.name!r} has no release record (never released with this tool); "
                f"pass --to-version V. {self._recent_versions_hint()}"
            )
        if record.live != alias.stable_version:
            raise RefusedError(
                f"alias {alias.name!r} was changed outside this tool (its last record, a "
                f"{record.op} at {record.at}, left version {record.live} live; the alias serves "
                f"{alias.stable_version}); pass --to-version V. {self._recent_versions_hint()}"
            )
        if record.op == "rollback":
            raise RefusedError(
                f"already rolled back at {record.at} by {record.by}: all traffic is on version "
                f"{alias.stable_version}. To go further back pass --to-version V. "
                f"{self._recent_versions_hint()}"
            )
        if record.op != "promote" or record.previous is None:
            raise RefusedError(
                f"no canary in progress and the last recorded operation ({record.op}) is not a "
                f"promote; pass --to-version V. {self._recent_versions_hint()}"
            )
        return self._with_warnings(self._rollback_to(alias, record.previous, reason), warnings)

    def _rollback_canary(self, alias: AliasState, reason: str) -> TrafficResult:
        previous_record = alias.record
        at = self._now()
        record = AliasRecord(
            op="rollback",
            at=at,
            by=self.actor,
            why=reason,
            live=alias.stable_version,
            previous=previous_record.previous if previous_record else None,
            rolled_back_from=alias.canary_version,
        )
        state = self.function.update_alias(
            function_version=alias.stable_version,
            canary=None,
            description=record.encode(),
            revision_id=alias.revision_id,
        )
        warnings = self._record_event(
            op="rollback",
            at=at,
            stable=state.stable_version,
            canary=f"{alias.canary_version}-removed",
            why=reason,
        )
        return self._traffic_result("rollback", state, record.previous, warnings)

    def _rollback_to(self, alias: AliasState, version: str, reason: str) -> TrafficResult:
        target = self.function.version(version)
        if target.version == alias.stable_version and not alias.canary_in_progress:
            raise RefusedError(f"version {target.version} already serves all traffic")
        if target.version == alias.canary_version:
            raise RefusedError(
                f"version {target.version} is the canary: moving all traffic to it is a promote "
                "(`release promote`, gated by the alarms), not a rollback"
            )
        if (target.state or "Active") != "Active":
            raise RefusedError(f"version {target.version} is {target.state}, not Active")
        return self._move_all_traffic(
            "rollback", target, alias, reason, rolled_back_from=alias.stable_version
        )

    # --- status ----------------------------------------------------------------------------

    def status(self, version_limit: int = 10, history_limit: int = 10) -> dict[str, Any]:
        """Everything an operator needs to decide the next step, as plain data."""
        alias = self.function.alias_state()
        versions = self.function.published_versions()
        serving = set(alias.traffic())
        record = alias.record
        interesting = serving | ({record.previous} if record and record.previous else set())
        shown = [
            version
            for index, version in enumerate(versions)
            if index >= len(versions) - version_limit or version.version in interesting
        ]
        traffic = alias.traffic()
        version_rows = [self._version_row(version, traffic) for version in shown]

        alarms: list[dict[str, Any]] = []
        gate: str
        gate_detail = ""
        try:
            states = self.alarms.states()
            alarms = [alarm.as_dict() for alarm in states]
            gate = "blocked" if firing(states) else "open"
        except ConfigurationError as error:
            gate, gate_detail = "unconfigured", str(error)
        except ReleaseError as error:
            gate, gate_detail = "error", str(error)

        try:
            events = events_from_tags(self.function.tags())[-history_limit:]
            history = [event.as_dict() for event in events]
        except ReleaseError:
            history = []

        codedeploy: dict[str, Any] = {"configured": False, "active_deployments": []}
        if self.codedeploy is not None and self.codedeploy.configured:
            codedeploy = {
                "configured": True,
                "application": self.codedeploy.application,
                "deployment_group": self.codedeploy.group,
                "active_deployments": [],
            }
            try:
                codedeploy["active_deployments"] = self.codedeploy.active_deployments()
            except ReleaseError as error:
                codedeploy["error"] = str(error)

        return {
            "function_name": self.function.function_name,
            "alias": alias.name,
            "phase": "canary" if alias.canary_in_progress else "stable",
            "stable_version": alias.stable_version,
            "canary_version": alias.canary_version,
            "canary_weight": alias.canary_weight,
            "traffic": traffic,
            "model_versions": {
                row["version"]: row["model_version"] for row in version_rows if row["serving"]
            },
            "previous_version": record.previous if record else None,
            "last_operation": asdict(record) if record else None,
            "versions": version_rows,
            "alarm_gate": gate,
            "alarm_gate_detail": gate_detail,
            "alarms": alarms,
            "history": history,
            "codedeploy": codedeploy,
        }

    # --- helpers ---------------------------------------------------------------------------

    def _refuse_while_codedeploy_deploys(self, action: str) -> None:
        if self.codedeploy is None:
            return
        active = self.codedeploy.active_deployments()
        if active:
            raise RefusedError(
                f"refusing to {action}: CodeDeploy deployment(s) {', '.join(active)} of "
                f"{self.codedeploy.application}/{self.codedeploy.group} are moving alias "
                f"{self.function.alias!r} right now and would undo this change. Wait for them, "
                f"or stop them: {stop_command(active[0])}"
            )

    def _stop_codedeploy_deployments(self) -> list[str]:
        """Stop CodeDeploy mid-shift (it rolls back itself) so it cannot undo our rollback."""
        if self.codedeploy is None:
            return []
        warnings = []
        for deployment_id in self.codedeploy.active_deployments():
            try:
                self.codedeploy.stop_with_rollback(deployment_id)
                warnings.append(f"stopped CodeDeploy deployment {deployment_id} (auto-rollback)")
            except ReleaseError as error:
                warnings.append(
                    f"could not stop CodeDeploy deployment {deployment_id} ({error}); it may "
                    f"shift traffic again — run: {stop_command(deployment_id)}"
                )
        return warnings

    @staticmethod
    def _with_warnings(result: TrafficResult, warnings: list[str]) -> TrafficResult:
        if not warnings:
            return result
        return replace(result, warnings=[*warnings, *result.warnings])

    def _alias_on_published_version(self) -> AliasState:
        alias = self.function.alias_state()
        if not is_numbered_version(alias.stable_version):
            raise RefusedError(
                f"alias {alias.name!r} points at {alias.stable_version}, not a published version; "
                "point it at a numbered version (terraform) before releasing"
            )
        return alias

    def _canary_target(self, version: str | None, alias: AliasState) -> PublishedVersion:
        if version is not None:
            return self.function.version(version)
        versions = self.function.published_versions()
        if not versions:
            raise RefusedError(
                f"function {self.function.function_name} has no published version; "
                "run `release deploy` first"
            )
        newest = versions[-1]
        if newest.model_version is None and newest.version != alias.stable_version:
            # e.g. published by `terraform apply` after a configuration change: same image as
            # before, but nobody said which model it serves. Make the operator choose.
            raise RefusedError(
                f"the newest version {newest.version} has no recorded model version (it was not "
                "published by `release deploy`); pass --version explicitly"
            )
        return newest

    def _version_row(self, version: PublishedVersion, traffic: dict[str, float]) -> dict[str, Any]:
        record = version.record
        image = record.image if record and record.image else None
        return {
            "version": version.version,
            "model_version": version.model_version,
            "image_uri": image,
            "state": version.state,
            "published_at": (record.at if record and record.at else version.last_modified),
            "published_by": record.by if record else None,
            "reason": record.why if record else None,
            "weight": traffic.get(version.version, 0.0),
            "serving": version.version in traffic,
        }

    def _recent_versions_hint(self) -> str:
        recent = self.function.published_versions()[-5:]
        listed = ", ".join(
            f"{version.version} (model {version.model_version or '?'})" for version in recent
        )
        return f"Recent versions: {listed or 'none'}."

    def _move_all_traffic(
        self,
        operation: str,
        target: PublishedVersion,
        alias: AliasState,
        reason: str,
        *,
        previous: str | None = None,
        rolled_back_from: str | None = None,
    ) -> TrafficResult:
        """Point the whole alias at `target` in one update and record who/when/why."""
        at = self._now()
        record = AliasRecord(
            op=operation,
            at=at,
            by=self.actor,
            why=reason,
            live=target.version,
            previous=previous,
            rolled_back_from=rolled_back_from,
        )
        state = self.function.update_alias(
            function_version=target.version,
            canary=None,
            description=record.encode(),
            revision_id=alias.revision_id,
        )
        warnings = self._record_event(
            op=operation,
            at=at,
            stable=state.stable_version,
            model=target.model_version,
            why=reason,
        )
        return self._traffic_result(operation, state, previous, warnings)

    def _traffic_result(
        self, operation: str, state: AliasState, previous: str | None, warnings: list[str]
    ) -> TrafficResult:
        return TrafficResult(
            operation=operation,
            function_name=self.function.function_name,
            alias=state.name,
            stable_version=state.stable_version,
            canary_version=state.canary_version,
            canary_weight=state.canary_weight,
            previous_version=previous,
            traffic=state.traffic(),
            warnings=warnings,
        )

    def _record_event(
        self,
        *,
        op: str,
        at: str,
        stable: str,
        canary: str | None = None,
        weight: float = 0.0,
        model: str | None = None,
        why: str = "",
    ) -> list[str]:
        """Append to the history ring; the change itself is already recorded on the alias."""
        try:
            events = events_from_tags(self.function.tags())
            seq = events[-1].seq + 1 if events else 1
            event = ReleaseEvent(
                seq=seq,
                op=op,
                at=at,
                by=self.actor,
                stable=stable,
                canary=canary or "-",
                weight=f"{weight:g}",
                model=model or "-",
                why=why,
            )
            self.function.tag({event_tag_key(seq, self.history_size): event.encode()})
        except ReleaseError as error:
            return [f"release history tag not written: {error}"]
        return []
