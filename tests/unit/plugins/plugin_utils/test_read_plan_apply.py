"""The read -> plan -> apply rule every changing module follows (plugin_utils/_action.py)."""

from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionBase, DismTaskFailed
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperClient, HelperSource
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan

READ = {"operations": [{"op": "get_mounted_images"}]}
STATE = {"results": [{"op": "get_mounted_images", "ok": True, "value": []}], "completed": True}


class _Action(DismActionBase):
    """The hooks of a module whose plan writes once when `changed`."""

    def __init__(self, check_mode: bool, changed: bool = True):
        class _Task:
            pass

        self._task = _Task()
        self._task.check_mode = check_mode
        self.changed = changed

    def describe(self, params):
        return params.get("context", "ctx")

    def read(self, params):
        return READ

    def plan(self, params, read):
        ops = [{"op": "write"}] if self.changed else []
        return Plan(operations=ops, result={"seen": read.response["results"][0]["value"]})

    def apply(self, params, plan):
        return {"operations": [{"op": "get_mounted_images", "expect": {"count": 0}}] + plan.operations}


class _Host:
    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, module_name, module_args, task_vars):
        self.requests.append(module_args["request"])
        return {"changed": False, "response": self.answers.pop(0)}


def _client(host):
    return HelperClient(host, {}, HelperSource(text="x", sha256="0" * 64))


def test_no_change_needs_one_call():
    host = _Host([STATE])
    plan, applied = _Action(False, changed=False).read_plan_apply(_client(host), {})
    assert (plan.changed, applied, len(host.requests)) == (False, None, 1)


def test_change_makes_exactly_one_more_call_with_preconditions_first():
    host = _Host([STATE, {"results": [{"op": "get_mounted_images", "ok": True}, {"op": "write", "ok": True}], "completed": True}])
    plan, applied = _Action(False).read_plan_apply(_client(host), {})
    assert plan.changed and applied is not None and len(host.requests) == 2
    assert host.requests[1]["operations"][0]["expect"] == {"count": 0}


def test_check_mode_never_applies():
    host = _Host([STATE])
    plan, applied = _Action(True).read_plan_apply(_client(host), {})
    assert plan.changed and applied is None and len(host.requests) == 1


def test_a_failed_write_is_a_failure_with_the_dism_details():
    denied = 0x80070005 - (1 << 32)
    failed = {"results": [{"op": "get_mounted_images", "ok": True},
                          {"op": "write", "ok": False, "error": {"hresult": denied, "function": "DismMountImage", "message": "Access is denied."}}],
              "completed": False}
    host = _Host([STATE, failed, STATE])
    with pytest.raises(DismTaskFailed) as e:
        _Action(False).read_plan_apply(_client(host), {"context": "Mounting C:\\a.wim", "log_path": "C:\\d.log"})
    assert e.value.result["msg"] == (
        "Mounting C:\\a.wim: DismMountImage failed with 0x80070005 ERROR_ACCESS_DENIED. DISM says: Access is denied. "
        "Hint: DISM needs an elevated administrator; for network paths see the become recipes in the connection guide. "
        "DISM log: C:\\d.log."
    )


def test_a_failure_outside_the_operations_is_a_failure():
    opened = {"results": [], "completed": False, "error": {"hresult": 0xC1510114 - (1 << 32), "function": "DismOpenSession", "message": None}}
    host = _Host([STATE, opened])
    with pytest.raises(DismTaskFailed) as e:
        _Action(False).read_plan_apply(_client(host), {"context": "Saving C:\\m"})
    assert "DismOpenSession failed with 0xC1510114 DISMAPI_E_NEEDS_REMOUNT" in e.value.result["msg"]


def test_preconditions_after_a_write_are_refused_before_anything_is_sent():
    host = _Host([STATE])
    with pytest.raises(ValueError, match="precondition 'get_mounted_images' follows a write"):
        action = _Action(False)
        action.apply = lambda params, plan: {"operations": plan.operations + [{"op": "get_mounted_images", "expect": {}}]}
        action.read_plan_apply(_client(host), {})
    assert len(host.requests) == 1


def test_precondition_failure_reports_a_concurrent_change():
    stopped = {"results": [{"op": "get_mounted_images", "ok": True, "precondition_failed": True}], "completed": False}
    host = _Host([STATE, stopped, STATE])
    with pytest.raises(DismTaskFailed) as e:
        _Action(False).read_plan_apply(_client(host), {"context": "Mounting C:\\a.wim"})
    assert e.value.result["msg"] == (
        "Mounting C:\\a.wim: the image changed between planning and applying (another DISM client may be servicing it);"
        " this task changed nothing. Run the task again."
    )


class _Racing(_Action):
    """Plans a write on the first read; on a second read the image is already as asked (or not)."""

    def __init__(self, converges: bool):
        super().__init__(False)
        self.reads = 0
        self.converges = converges

    def plan(self, params, read):
        self.reads += 1
        self.changed = self.reads == 1 or not self.converges
        return super().plan(params, read)


@pytest.mark.parametrize("stopped", [
    {"results": [{"op": "get_mounted_images", "ok": True, "precondition_failed": True}], "completed": False},
    {"results": [{"op": "get_mounted_images", "ok": True},
                 {"op": "write", "ok": False, "error": {"hresult": 0xC1420113 - (1 << 32), "function": "DismMountImage"}}],
     "completed": False},
], ids=["precondition", "dism-failure-before-any-write"])
def test_an_identical_concurrent_task_converges_to_ok(stopped):
    host = _Host([STATE, stopped, STATE])
    action = _Racing(converges=True)
    plan, applied = action.read_plan_apply(_client(host), {})
    assert applied is None and plan.changed is False
    assert plan.result["warnings"] == [
        "Another task or DISM client made this change while this task was applying it; the image is as the task asks,"
        " and this task changed nothing."]
    assert len(host.requests) == 3 and host.requests[2] == READ


def test_a_race_that_leaves_work_to_do_still_fails():
    stopped = {"results": [{"op": "get_mounted_images", "ok": True, "precondition_failed": True}], "completed": False}
    host = _Host([STATE, stopped, STATE])
    with pytest.raises(DismTaskFailed, match="the image changed between planning and applying"):
        _Racing(converges=False).read_plan_apply(_client(host), {})


def test_a_failure_after_a_write_is_never_explained_away():
    failed = {"results": [{"op": "get_mounted_images", "ok": True}, {"op": "write", "ok": True},
                          {"op": "write", "ok": False, "error": {"hresult": 0x80070005 - (1 << 32), "function": "DismMountImage"}}],
              "completed": False}

    class _TwoWrites(_Racing):
        def plan(self, params, read):
            plan = super().plan(params, read)
            plan.operations = plan.operations * 2
            return plan

    host = _Host([STATE, failed, STATE])
    with pytest.raises(DismTaskFailed) as e:
        _TwoWrites(converges=True).read_plan_apply(_client(host), {})
    assert e.value.result["completed_steps"] == ["write"] and len(host.requests) == 2


def test_steps_are_reported_in_the_planners_words():
    failed = {"results": [{"op": "get_mounted_images", "ok": True}, {"op": "write", "ok": True},
                          {"op": "write", "ok": False, "error": {"hresult": 0x80070005 - (1 << 32), "function": "DismAddDriver"}}],
              "completed": False}

    class _Named(_Action):
        def plan(self, params, read):
            return Plan(operations=[{"op": "write", "step": "add_driver C:\\d\\%s.inf" % n} for n in ("a", "b", "c")],
                        result={})

    host = _Host([STATE, failed])
    with pytest.raises(DismTaskFailed) as e:
        _Named(False).read_plan_apply(_client(host), {})
    assert e.value.result["completed_steps"] == ["add_driver C:\\d\\a.inf"]
    assert e.value.result["not_started_steps"] == ["add_driver C:\\d\\c.inf"]
    assert e.value.result["msg"].endswith(" Before the failure these steps completed: add_driver C:\\d\\a.inf."
                                          " Not started: add_driver C:\\d\\c.inf.")
