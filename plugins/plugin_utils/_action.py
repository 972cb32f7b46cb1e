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

import typing as t

from ansible.plugins.action import ActionBase

from ._errors import DismFailure, failure_from_helper
from ._helper import HelperCall, HelperClient, HelperError
from ._options import ModuleSpec
from ._paths import option_problems
from ._plan import Plan, TaskRefused, log_path_of
from ._reboot import RebootFailed, reboot


class DismTaskFailed(Exception):
    """Ends a task as failed with the given result keys (msg is required)."""

    def __init__(self, result: dict[str, t.Any]) -> None:
        super().__init__(result.get("msg"))
        self.result = result

    @classmethod
    def from_failure(cls, failure: DismFailure) -> "DismTaskFailed":
        return cls(failure.to_result())


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


class DismActionBase(ActionBase):
    """The shared run() of the public modules: read, plan, apply at most once, report.

    A module is its option spec and these hooks:
      describe(params)             what the task does, in words that start every failure message
      read(params)                 the read request
      plan(params, read)           a Plan from what DISM reported (a pure planner; TaskRefused ends
                                   the task with the planner's words)
      apply(params, plan)          the apply request: plan.operations plus any read-back
      outcome(params, plan, applied)
                                   the result (applied is None when nothing was applied)
      allow_failures(params)       whether an apply operation may fail without failing the task
    """

    TRANSFERS_FILES = False
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    module_spec: t.ClassVar[ModuleSpec]

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        params = self.validate_argument_spec(**self.module_spec.validator_kwargs())[1]
        problems = option_problems(params)
        if problems:
            # Refused before anything reaches the host, naming each option.
            result.update(failed=True, changed=False, msg="Invalid options: %s." % "; ".join(problems))
            return result
        client = HelperClient(self._run_helper_module, task_vars or {}, caller=self.module_fqcn)
        try:
            result.update(self.execute(params, client))
            if client.warnings:
                result.setdefault("warnings", []).extend(client.warnings)
        except TaskRefused as e:
            result.update(e.result)
            result.update(failed=True, msg="%s: %s." % (self.describe(params), str(e).rstrip(".")))
            result.setdefault("changed", False)
        except DismTaskFailed as e:
            result.update(e.result)
            result["failed"] = True
            result.setdefault("changed", False)
        except HelperError as e:
            result.update(failed=True, changed=False, msg=e.msg, **e.details)
        return result

    @property
    def module_fqcn(self) -> str:
        """winimaging.dism.<module> of this action (ansible_collections.winimaging.dism.plugins.action.<module>)."""
        return "winimaging.dism." + type(self).__module__.rsplit(".", 1)[-1]

    def _run_helper_module(self, module_name: str, module_args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        return self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)

    # -- hooks ---------------------------------------------------------------------------------
    def describe(self, params: dict[str, t.Any]) -> str:
        raise NotImplementedError

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        raise NotImplementedError

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        raise NotImplementedError

    def apply(self, params: dict[str, t.Any], plan: Plan) -> dict[str, t.Any]:
        raise NotImplementedError

    def outcome(self, params: dict[str, t.Any], plan: Plan, applied: HelperCall | None) -> dict[str, t.Any]:
        result = dict(plan.result, changed=plan.changed)
        if self._task.diff and plan.diff:
            result["diff"] = plan.diff
        return result

    def allow_failures(self, params: dict[str, t.Any]) -> bool:
        return False

    # -- the shared path -------------------------------------------------------------------------
    def _converged(self, client: HelperClient, params: dict[str, t.Any]) -> Plan | None:
        """After the apply batch stopped before writing: read again, and when the image is now as the
        task asks (another task or DISM client did it meanwhile), the plan that reports ok."""
        try:
            plan = self.plan(params, client.run(self.read(params)))
        except (TaskRefused, DismTaskFailed, HelperError):
            return None
        if plan.changed:
            return None
        plan.result.setdefault("warnings", []).append(CONVERGED_WARNING)
        return plan

    def value(self, params: dict[str, t.Any], call: HelperCall, position: int) -> t.Any:
        """The value of one operation of a call, or the task fails naming what failed."""
        return op_value(call.response, position, self.describe(params), log_path_of(params))

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        plan, applied = self.read_plan_apply(client, params)
        return self.outcome(params, plan, applied)

    def read_plan_apply(self, client: HelperClient, params: dict[str, t.Any]) -> tuple[Plan, HelperCall | None]:
        """Read once, plan in Python, apply at most once (never in check mode).

        The apply batch starts with the reads the plan relied on, each with an `expect`, so a
        concurrent change stops the batch before it writes. When that happens, or DISM fails before
        this task changed anything, the task reads once more: an image that is now as the task asks
        (an identical task won the race) is reported ok with a warning (_converged). With
        allow_failures, an operation's own failure is left to outcome() (batches whose operations
        carry continue_on_error report per-item outcomes).
        """
        context, log_path = self.describe(params), log_path_of(params)
        plan = self.plan(params, client.run(self.read(params)))
        if not plan.changed or self._task.check_mode:
            return plan, None
        batch = self.apply(params, plan)
        _assert_preconditions_first(batch["operations"])
        applied = client.run(batch)
        response = applied.response
        results = response.get("results") or []
        for entry in results:
            if entry.get("precondition_failed"):
                converged = self._converged(client, params)
                if converged is not None:
                    return converged, None
                raise DismTaskFailed(
                    {
                        "msg": "%s: the image changed between planning and applying (another DISM client may be"
                        " servicing it); this task changed nothing. Run the task again." % context,
                        "precondition": entry.get("op"),
                    }
                )
            if not entry.get("ok") and not self.allow_failures(params):
                failure = failure_from_helper(entry.get("error") or {}, context, log_path)
                # A task that wrote nothing may have lost a race to an identical one.
                converged = None if _writes_done(batch["operations"], results) else self._converged(client, params)
                if converged is not None:
                    return converged, None
                raise _failed_after(failure, batch["operations"], response, params.get("timeout"))
        if response.get("error"):
            raise _failed_after(failure_from_helper(response["error"], context, log_path), batch["operations"], response,
                                params.get("timeout"))
        return plan, applied


class DismActionWithReboot(DismActionBase):
    """A module whose changes to the running Windows can need a restart: the reboot options.

    After a change that needs a restart (reboot_required), reboot=true restarts the host through
    the task's connection and waits for it (plugin_utils/_reboot.py); never in check mode.
    """

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        result = super().execute(params, client)
        result["rebooted"] = False
        if not (params.get("reboot") and result.get("reboot_required")) or self._task.check_mode:
            return result
        try:
            outcome = reboot(self._run_script, self._connection.reset, float(params["reboot_timeout"]))
        except RebootFailed as e:
            raise DismTaskFailed(dict(result, msg="%s: the change was made and needs a restart, but restarting the host"
                                                  " failed: %s." % (self.describe(params), e))) from None
        result.update(rebooted=True, reboot_required=False, reboot_elapsed=round(outcome.elapsed, 1))
        return result

    def _run_script(self, script: str) -> tuple[int, str, str]:
        command = self._connection._shell._encode_script(script)  # pylint: disable=protected-access
        res = self._low_level_execute_command(command, sudoable=False)
        return int(res.get("rc") or 0), str(res.get("stdout") or ""), str(res.get("stderr") or "")


# Operations that change nothing (the C# dispatch table registers the same ones with Reads).
READ_OPERATIONS = frozenset({"get_mounted_images", "get_image_info", "check_image_health", "inspect_directory",
                             "get_features", "get_feature_info", "get_drivers", "get_driver_infos",
                             "get_image_architecture", "get_packages", "get_package_info", "get_package_infos",
                             "get_capabilities", "get_capability_info"})
ERROR_CANCELLED = 0x800704C7
CONVERGED_WARNING = ("Another task or DISM client made this change while this task was applying it; the image is as the"
                     " task asks, and this task changed nothing.")


def _changed_something(op: dict[str, t.Any], result: dict[str, t.Any]) -> bool:
    # create_directory reports whether it created anything: a folder that was already there
    # (an identical task made it first) is not a change.
    if op["op"] == "create_directory":
        return bool((result.get("value") or {}).get("created", True))
    return op["op"] not in READ_OPERATIONS


def _step(op: dict[str, t.Any]) -> str:
    """How a step is reported: the planner's own words when it gave them (say, the INF file), else the op."""
    return str(op.get("step") or op["op"])


def _writes_done(operations: list[dict[str, t.Any]], results: list[dict[str, t.Any]]) -> list[str]:
    """The write operations of a batch that succeeded and changed something (reads and preconditions excluded)."""
    return [_step(op) for op, res in zip(operations, results) if res.get("ok") and _changed_something(op, res)]


def _failed_after(failure: DismFailure, operations: list[dict[str, t.Any]], response: dict[str, t.Any],
                  timeout: int | None) -> DismTaskFailed:
    """A failure in an apply batch: what had been changed, and what was never started, are part of the report."""
    results = response.get("results") or []
    done = _writes_done(operations, results)
    not_started = [_step(op) for op in operations[len(results):] if op["op"] not in READ_OPERATIONS]
    result = failure.to_result()
    result["changed"] = bool(done)
    result["completed_steps"] = done
    result["not_started_steps"] = not_started
    result["reboot_required"] = bool(response.get("reboot_required"))
    if timeout and failure.hresult & 0xFFFFFFFF == ERROR_CANCELLED:
        result["msg"] += " %s was cancelled because the task's timeout of %d seconds passed." % (failure.function, timeout)
    if done:
        result["msg"] += " Before the failure these steps completed: %s." % ", ".join(done)
    if not_started:
        result["msg"] += " Not started: %s." % ", ".join(not_started)
    return DismTaskFailed(result)


def _assert_preconditions_first(operations: list[dict[str, t.Any]]) -> None:
    """Every precondition must run before the first write, or 'changed nothing' would be a lie."""
    seen_write = False
    for op in operations:
        if "expect" in op and seen_write:
            raise ValueError("precondition %r follows a write in the apply batch" % op.get("op"))
        seen_write = seen_write or "expect" not in op
