from __future__ import annotations

import typing as t
from unittest.mock import MagicMock

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task


class RecordingHost:
    """Stands in for the Windows host: returns executor responses built by `respond`."""

    def __init__(self, respond: t.Callable[[dict], dict]):
        self.respond = respond
        self.requests: list[dict] = []

    def __call__(self, module_name: str, module_args: dict, task_vars: dict) -> dict:
        assert module_name == "winimaging.dism.dism_helper"
        self.requests.append(module_args["request"])
        return {"changed": False, "helper_compiled": False, "response": self.respond(module_args["request"])}


@pytest.fixture
def make_action():
    def _make(action_cls, args: dict, respond: t.Callable[[dict], dict], check_mode: bool = False):
        task = MagicMock(Task)
        task.args = args
        task.check_mode = check_mode
        task.async_val = 0
        task.diff = False
        task.action = "winimaging.dism.test"
        connection = MagicMock()
        connection._shell.tmpdir = None
        action = action_cls(task, connection, PlayContext(), loader=None, templar=None, shared_loader_obj=None)
        host = RecordingHost(respond)
        action._execute_module = host
        return action, host

    return _make
