"""Human-readable summaries of results (JSON output is the results' as_dict())."""

from __future__ import annotations

from typing import Any

from release_tool.results import DeploymentResult, DeployResult


def deploy_text(result: DeployResult) -> str:
    verb = "Published" if result.published_new_version else "Reused"
    return (
        f"{verb} version {result.version} of {result.function_name} "
        f"(model {result.model_version}, image {result.image_uri}). "
        f"Traffic unchanged: all on version {result.live_version}. "
        "Next: release canary"
    )


def deployment_text(result: DeploymentResult) -> str:
    shares = ", ".join(
        f"{share:.1%} -> version {version}" for version, share in result.traffic.items()
    )
    return (
        f"{result.operation}: {result.detail}\n"
        f"alias {result.alias} of {result.function_name}: {shares}"
    )


def status_text(report: dict[str, Any]) -> str:
    models = report["model_versions"]
    lines = [
        f"{report['function_name']} alias {report['alias']}: {report['phase']}",
        "traffic: "
        + ", ".join(
            f"version {version} {share:.1%} (model {models.get(version) or '?'})"
            for version, share in report["traffic"].items()
        ),
        "versions:",
    ]
    for row in report["versions"]:
        lines.append(
            f"  {row['version']:>4}  model {row['model_version'] or '?':<8} "
            f"sha {(row['model_sha256'] or '?')[:12]:<12} weight {row['weight']:.1%}  "
            f"{row['published_at'] or ''}  {row['image_uri'] or ''}"
        )
    lines.extend(_codedeploy_lines(report["codedeploy"]))
    return "\n".join(lines)


def _codedeploy_lines(codedeploy: dict[str, Any]) -> list[str]:
    lines = [
        f"CodeDeploy {codedeploy['application']}/{codedeploy['deployment_group']} "
        f"({codedeploy.get('deployment_config', '?')}), pre-traffic hook "
        f"{codedeploy['pre_traffic_hook'] or 'none'}"
    ]
    if "error" in codedeploy:
        lines.append(f"  unreadable: {codedeploy['error']}")
    active = codedeploy.get("active")
    lines.append(f"in progress: {_deployment_line(active) if active else 'nothing'}")
    lines.append("recent deployments:")
    lines.extend(f"  {_deployment_line(item)}" for item in codedeploy["history"])
    lines.append("alarms watched by CodeDeploy:")
    for alarm in codedeploy["alarms"]:
        watches = f" (version {alarm['watches_version']})" if alarm["watches_version"] else ""
        lines.append(f"  {alarm['state']:<17} {alarm['name']}{watches}")
    if "alarms_error" in codedeploy:
        lines.append(f"  unreadable: {codedeploy['alarms_error']}")
    return lines


def _deployment_line(item: dict[str, Any]) -> str:
    spec = item.get("appspec") or {}
    note = item.get("note") or {}
    moves = f"{spec.get('current_version', '?')} -> {spec.get('target_version', '?')}"
    who = f" {note.get('op', '')} by {note.get('by', '')} {note.get('why', '')}" if note else ""
    error = f" [{item['error_code']}]" if item.get("error_code") else ""
    when = item["created_at"] or ""
    return f"{item['deployment_id']} {item['status']} {moves} {when}{who}{error}".rstrip()
