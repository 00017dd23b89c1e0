"""Structural checks of Amazon States Language definitions (independent of any AWS service).

Complements the asl-validator JSON-schema check: schema validation cannot see graph properties,
so this module checks what a state machine needs to be runnable: every transition target exists,
every state is reachable from StartAt, every state can reach a terminal state, Catch/Retry are
well-formed and JSONPath/intrinsic fields are syntactically plausible.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

STATE_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
TERMINAL_TYPES = {"Succeed", "Fail"}
NEEDS_NEXT_OR_END = {"Task", "Pass", "Wait", "Parallel", "Map"}
CHOICE_OPERATORS = {
    f"{kind}{op}{suffix}"
    for kind in ("String", "Numeric", "Boolean", "Timestamp")
    for op in (
        "Equals",
        "LessThan",
        "GreaterThan",
        "LessThanEquals",
        "GreaterThanEquals",
        "Matches",
    )
    for suffix in ("", "Path")
} | {"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}


def transitions(state: dict[str, Any]) -> Iterator[str]:
    """Every state name this state can transition to."""
    if "Next" in state:
        yield state["Next"]
    if "Default" in state:
        yield state["Default"]
    for choice in state.get("Choices", []):
        if "Next" in choice:
            yield choice["Next"]
    for catcher in state.get("Catch", []):
        if "Next" in catcher:
            yield catcher["Next"]


def reachable(states: dict[str, Any], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        todo.extend(transitions(states[name]))
    return seen


def _is_terminal(state: dict[str, Any]) -> bool:
    return state.get("Type") in TERMINAL_TYPES or state.get("End") is True


def _check_paths(where: str, value: Any, errors: list[str]) -> None:
    """Keys ending in .$ must hold a JSONPath ($...) or an intrinsic function (States.X(...))."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.endswith(".$"):
                ok = isinstance(inner, str) and (
                    inner.startswith("$") or (inner.startswith("States.") and inner.endswith(")"))
                )
                if not ok:
                    errors.append(f"{where}: {key} must be a path or intrinsic, got {inner!r}")
            else:
                _check_paths(f"{where}.{key}", inner, errors)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_paths(f"{where}[{index}]", inner, errors)


def _check_choice_rule(where: str, rule: dict[str, Any], errors: list[str], top: bool) -> None:
    if top and "Next" not in rule:
        errors.append(f"{where}: choice rule without Next")
    combinators = [k for k in ("And", "Or", "Not") if k in rule]
    if combinators:
        nested = rule[combinators[0]]
        for index, inner in enumerate(nested if isinstance(nested, list) else [nested]):
            _check_choice_rule(f"{where}.{combinators[0]}[{index}]", inner, errors, top=False)
        return
    operators = [k for k in rule if k in CHOICE_OPERATORS]
    if len(operators) != 1:
        errors.append(f"{where}: needs exactly one comparison operator, has {operators}")
    if not str(rule.get("Variable", "")).startswith("$"):
        errors.append(f"{where}: Variable must be a JSONPath")


def _check_error_handlers(where: str, state: dict[str, Any], errors: list[str]) -> None:
    for field in ("Retry", "Catch"):
        handlers = state.get(field, [])
        for index, handler in enumerate(handlers):
            equals = handler.get("ErrorEquals")
            if not equals:
                errors.append(f"{where}.{field}[{index}]: ErrorEquals is required")
                continue
            if "States.ALL" in equals and (len(equals) != 1 or index != len(handlers) - 1):
                errors.append(f"{where}.{field}[{index}]: States.ALL must be alone and last")
            if field == "Catch" and "Next" not in handler:
                errors.append(f"{where}.{field}[{index}]: Catch without Next")
            result_path = handler.get("ResultPath")
            if result_path is not None and not str(result_path).startswith("$"):
                errors.append(f"{where}.{field}[{index}]: bad ResultPath")


def validate(definition: dict[str, Any], where: str = "") -> list[str]:
    """All problems found in a state machine (or branch) definition; empty list = valid."""
    errors: list[str] = []
    states = definition.get("States")
    start = definition.get("StartAt")
    if not isinstance(states, dict) or not states:
        return [f"{where}/States: must be a non-empty object"]
    if start not in states:
        errors.append(f"{where}/StartAt: {start!r} is not a state")
    for name, state in states.items():
        at = f"{where}/States/{name}"
        kind = state.get("Type")
        if kind not in STATE_TYPES:
            errors.append(f"{at}: unknown Type {kind!r}")
            continue
        for target in transitions(state):
            if target not in states:
                errors.append(f"{at}: transition to missing state {target!r}")
        if kind in NEEDS_NEXT_OR_END and ("Next" in state) == (state.get("End") is True):
            errors.append(f"{at}: needs exactly one of Next or End")
        if kind in TERMINAL_TYPES and ("Next" in state or "End" in state):
            errors.append(f"{at}: {kind} cannot have Next/End")
        if kind == "Task" and not isinstance(state.get("Resource"), str):
            errors.append(f"{at}: Task without Resource")
        if kind == "Choice":
            if not state.get("Choices"):
                errors.append(f"{at}: Choice without Choices")
            for index, rule in enumerate(state.get("Choices", [])):
                _check_choice_rule(f"{at}/Choices[{index}]", rule, errors, top=True)
        if kind in {"Task", "Parallel", "Map"}:
            _check_error_handlers(at, state, errors)
        elif "Catch" in state or "Retry" in state:
            errors.append(f"{at}: {kind} cannot have Catch/Retry")
        result_path = state.get("ResultPath")
        if result_path is not None and not str(result_path).startswith("$"):
            errors.append(f"{at}: bad ResultPath")
        for field in ("Parameters", "ResultSelector"):
            _check_paths(f"{at}/{field}", state.get(field, {}), errors)
        for index, branch in enumerate(state.get("Branches", [])):
            errors.extend(validate(branch, f"{at}/Branches[{index}]"))
        for field in ("Iterator", "ItemProcessor"):
            if field in state:
                errors.extend(validate(state[field], f"{at}/{field}"))
    if isinstance(start, str) and start in states:
        unreachable = set(states) - reachable(states, start)
        errors.extend(
            f"{where}/States/{name}: not reachable from StartAt" for name in sorted(unreachable)
        )
        for name in states:
            if not any(_is_terminal(states[n]) for n in reachable(states, name)):
                errors.append(f"{where}/States/{name}: no terminal state reachable (infinite loop)")
    return errors
