"""The AppSpec of a CodeDeploy Lambda deployment: which alias moves from which version to which.

{"version": 0.0,
 "Resources": [{"inference": {"Type": "AWS::Lambda::Function",
                              "Properties": {"Name": F, "Alias": A,
                                             "CurrentVersion": "6", "TargetVersion": "7"}}}],
 "Hooks": [{"BeforeAllowTraffic": "<hook function>"}]}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

RESOURCE_NAME = "inference"
LAMBDA_TYPE = "AWS::Lambda::Function"
BEFORE_ALLOW_TRAFFIC = "BeforeAllowTraffic"
AFTER_ALLOW_TRAFFIC = "AfterAllowTraffic"


@dataclass(frozen=True)
class LambdaAppSpec:
    function_name: str
    alias: str
    current_version: str
    target_version: str
    before_allow_traffic: str | None = None
    after_allow_traffic: str | None = None

    def content(self) -> str:
        hooks = [
            {event: function}
            for event, function in (
                (BEFORE_ALLOW_TRAFFIC, self.before_allow_traffic),
                (AFTER_ALLOW_TRAFFIC, self.after_allow_traffic),
            )
            if function
        ]
        spec: dict[str, Any] = {
            "version": 0.0,
            "Resources": [
                {
                    RESOURCE_NAME: {
                        "Type": LAMBDA_TYPE,
                        "Properties": {
                            "Name": self.function_name,
                            "Alias": self.alias,
                            "CurrentVersion": self.current_version,
                            "TargetVersion": self.target_version,
                        },
                    }
                }
            ],
        }
        if hooks:
            spec["Hooks"] = hooks
        return json.dumps(spec, separators=(",", ":"))

    def revision(self) -> dict[str, Any]:
        content = self.content()
        return {
            "revisionType": "AppSpecContent",
            "appSpecContent": {
                "content": content,
                "sha256": hashlib.sha256(content.encode()).hexdigest(),
            },
        }

    @classmethod
    def from_revision(cls, revision: dict[str, Any] | None) -> LambdaAppSpec | None:
        """The AppSpec of a deployment's revision; None if it is not a one-function AppSpec."""
        content = ((revision or {}).get("appSpecContent") or {}).get("content")
        if not content:
            return None
        try:
            spec = json.loads(content)
            (resource,) = [
                entry
                for item in spec.get("Resources", [])
                for entry in item.values()
                if entry.get("Type") == LAMBDA_TYPE
            ]
            properties = resource["Properties"]
            hooks = {event: name for item in spec.get("Hooks", []) for event, name in item.items()}
            return cls(
                function_name=str(properties["Name"]),
                alias=str(properties["Alias"]),
                current_version=str(properties["CurrentVersion"]),
                target_version=str(properties["TargetVersion"]),
                before_allow_traffic=hooks.get(BEFORE_ALLOW_TRAFFIC),
                after_allow_traffic=hooks.get(AFTER_ALLOW_TRAFFIC),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
