# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the planners return and raise, and the executor request they are sent in.

FOR INTERNAL COLLECTION USE ONLY. No Ansible imports: the planners (_features,
_mount, _drivers, ...) are pure functions of what DISM reported, tested without
an action plugin; the shared action base (_action) runs them.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ._dism_enums import DEFAULT_LOG_PATH, LOG_LEVELS


@dataclasses.dataclass
class Plan:
    """What a module will do: the apply batch (empty = nothing to change) and the result to report."""

    operations: list[dict[str, t.Any]]
    result: dict[str, t.Any]
    diff: dict[str, t.Any] | None = None

    @property
    def changed(self) -> bool:
        return bool(self.operations)


class TaskRefused(Exception):
    """The task cannot be done as asked: the message says why and what to do.

    The action base fails the task with "<what the task does>: <message>." and any extra result
    keys given here (for example changed=True when DISM already acted).
    """

    def __init__(self, reason: str, **result: t.Any) -> None:
        super().__init__(reason)
        self.result = result


def target_of(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The executor target for the path options: an offline image, else the running Windows."""
    if params.get("path") is None:
        return {"online": True}
    return {"path": params["path"], "windows_directory": params.get("windows_directory"), "system_drive": params.get("system_drive")}


def describe_target(params: t.Mapping[str, t.Any]) -> str:
    return "the image at '%s'" % params["path"] if params.get("path") is not None else "the running Windows installation"


def log_path_of(params: t.Mapping[str, t.Any]) -> str:
    return params.get("log_path") or DEFAULT_LOG_PATH


def dism_request(params: t.Mapping[str, t.Any], operations: list[dict[str, t.Any]],
                 target: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    """One executor request: the dism_common options of the task, a target (None: no session), the batch."""
    return {
        "log_path": params.get("log_path"),
        "log_level": LOG_LEVELS[params.get("log_level") or "warnings_info"],
        "scratch_directory": params.get("scratch_directory"),
        "timeout_seconds": params.get("timeout"),
        "target": target,
        "operations": operations,
    }


WILDCARDS = frozenset("*?[")


def with_details(operation: dict[str, t.Any], patterns: list[str] | None, details: bool | None) -> dict[str, t.Any]:
    """An *_info module's list operation (get_features, get_packages, get_capabilities) with the entries whose
    details the executor reads too: with details=None the names given without a wildcard, with True every
    matching entry (all of them without patterns), with False none. Each detailed entry costs DISM calls."""
    operation = dict(operation)
    if details is None:
        plain = [p for p in patterns or [] if not WILDCARDS & set(p)]
        if plain:
            operation["details"] = plain
    elif details:
        if patterns:
            operation["details_match"] = list(patterns)
        else:
            operation["all_details"] = True
    return operation
