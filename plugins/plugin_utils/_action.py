# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base every winimaging.dism action plugin extends.

FOR INTERNAL COLLECTION USE ONLY. It validates options against the module's
spec, turns helper responses into results, and maps every DISM failure to a
message with the HRESULT, its name, DISM's own text, a hint and the log path.
The read -> plan -> apply rule lives in read_plan_apply: a task that needs no
change makes one helper call; a change makes one more, whose batch re-checks
the plan's preconditions in the same DISM session before changing anything.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible.plugins.action import ActionBase

from ._dism_enums import DEFAULT_LOG_PATH, LOG_LEVELS
from ._errors import DismFailure, failure_from_helper
from ._helper import HelperCall, HelperClient, HelperError
from ._options import ModuleSpec


class DismTaskFailed(Exception):
    """Ends a task as failed with the given result keys (msg is required)."""

    def __init__(self, result: dict[str, t.Any]) -> None:
        super().__init__(result.get("msg"))
        self.result = result

    @classmethod
    def from_failure(cls, failure: DismFailure) -> "DismTaskFailed":
        return cls(failure.to_result())


def base_request(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """Executor request fields shared by every module (the dism_common options)."""
    return {
        "log_path": params.get("log_path"),
        "log_level": LOG_LEVELS[params.get("log_level") or "warnings_info"],
        "scratch_directory": params.get("scratch_directory"),
        "target": None,
        "operations": [],
    }


def target_of(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The executor target for the TARGET_OPTIONS: an offline image path, else the running Windows."""
    if params.get("path") is None:
        return {"online": True}
    return {"path": params["path"], "windows_directory": params.get("windows_directory"), "system_drive": params.get("system_drive")}


def describe_target(params: dict[str, t.Any]) -> str:
    return "the image at '%s'" % params["path"] if params.get("path") is not None else "the running Windows installation"


def log_path_of(params: dict[str, t.Any]) -> str:
    return params.get("log_path") or DEFAULT_LOG_PATH


def op_value(response: dict[str, t.Any], position: int, context: str, log_path: str) -> t.Any:
    """The value of operation `position`, or DismTaskFailed naming what failed."""
    top_error = response.get("error")
    if top_error:
        raise DismTaskFailed.from_failure(failure_from_helper(top_error, context, log_path))
    results = response.get("results") or []
    if position >= len(results):
        raise DismTaskFailed({"msg": "%s: the DISM helper stopped before this step and gave no reason." % context})
    entry = results[position]
    if not entry.get("ok"):
        raise DismTaskFailed.from_failure(failure_from_helper(entry.get("error") or {}, context, log_path))
    return entry.get("value")


@dataclasses.dataclass
class Plan:
    """What a module will do: the apply batch (empty = nothing to change)."""

    operations: list[dict[str, t.Any]]
    result: dict[str, t.Any]
    diff: dict[str, t.Any] | None = None

    @property
    def changed(self) -> bool:
        return bool(self.operations)


class DismActionBase(ActionBase):
    """Shared run() for the public modules; subclasses implement execute()."""

    TRANSFERS_FILES = False
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    module_spec: t.ClassVar[ModuleSpec]

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        params = self.validate_argument_spec(**self.module_spec.validator_kwargs())[1]
        client = HelperClient(self._run_helper_module, task_vars or {})
        try:
            result.update(self.execute(params, client))
            if client.warnings:
                result.setdefault("warnings", []).extend(client.warnings)
        except DismTaskFailed as e:
            result.update(e.result)
            result["failed"] = True
            result.setdefault("changed", False)
        except HelperError as e:
            result.update(failed=True, changed=False, msg=e.msg, **e.details)
        return result

    def _run_helper_module(self, module_name: str, module_args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        return self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        raise NotImplementedError

    def read_plan_apply(
        self,
        client: HelperClient,
        read_request: dict[str, t.Any],
        planner: t.Callable[[HelperCall], Plan],
        apply_request: t.Callable[[Plan], dict[str, t.Any]],
        context: str,
        log_path: str,
        allow_failures: bool = False,
    ) -> tuple[Plan, HelperCall | None]:
        """Read once, plan in Python, apply at most once (never in check mode).

        apply_request builds the batch; it starts with the reads the plan relied on,
        each with an `expect`, so a concurrent change stops the batch before it writes.
        With allow_failures, an operation's own failure is left to the caller (batches whose
        operations carry continue_on_error report per-item outcomes).
        """
        read = client.run(read_request)
        plan = planner(read)
        if not plan.changed or self._task.check_mode:
            return plan, None
        batch = apply_request(plan)
        _assert_preconditions_first(batch["operations"])
        applied = client.run(batch)
        response = applied.response
        results = response.get("results") or []
        done = _writes_done(batch["operations"], results)
        for entry in results:
            if entry.get("precondition_failed"):
                raise DismTaskFailed(
                    {
                        "msg": "%s: the image changed between planning and applying (another DISM client may be"
                        " servicing it); this task changed nothing. Run the task again." % context,
                        "precondition": entry.get("op"),
                    }
                )
            if not entry.get("ok") and not allow_failures:
                raise _failed_after(failure_from_helper(entry.get("error") or {}, context, log_path), done, response)
        if response.get("error"):
            raise _failed_after(failure_from_helper(response["error"], context, log_path), done, response)
        return plan, applied


def _writes_done(operations: list[dict[str, t.Any]], results: list[dict[str, t.Any]]) -> list[str]:
    """The write operations of a batch that succeeded (preconditions and reads excluded)."""
    reads = {"get_mounted_images", "get_image_info", "inspect_directory", "get_features", "get_feature_info",
             "get_drivers", "get_driver_infos"}
    return [op["op"] for op, res in zip(operations, results) if res.get("ok") and op["op"] not in reads]


def _failed_after(failure: DismFailure, done: list[str], response: dict[str, t.Any]) -> DismTaskFailed:
    """A failure in an apply batch: what had already been changed is part of the report."""
    result = failure.to_result()
    result["changed"] = bool(done)
    result["completed_steps"] = done
    result["reboot_required"] = bool(response.get("reboot_required"))
    if done:
        result["msg"] += " Before the failure these steps completed: %s." % ", ".join(done)
    return DismTaskFailed(result)


def _assert_preconditions_first(operations: list[dict[str, t.Any]]) -> None:
    """Every precondition must run before the first write, or 'changed nothing' would be a lie."""
    seen_write = False
    for op in operations:
        if "expect" in op and seen_write:
            raise ValueError("precondition %r follows a write in the apply batch" % op.get("op"))
        seen_write = seen_write or "expect" not in op
