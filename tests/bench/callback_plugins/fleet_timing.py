# Benchmark-only callback (tests/bench/fleet.py): one JSON line per task start and per result,
# and one at the end, with wall-clock time and the controller's CPU so far, to $FLEET_TIMING_FILE.
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: fleet_timing
type: aggregate
short_description: Task start times and controller CPU for the fleet benchmark (winimaging.dism tests only)
description:
  - Appends one JSON object per task start, per task result and at the end of the run to E(FLEET_TIMING_FILE).
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""


def _cpu() -> float:
    """CPU seconds of ansible-playbook: its own and its workers' (forked per host-task, reaped as they end)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleet_timing"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, record: dict) -> None:
        path = os.environ.get("FLEET_TIMING_FILE")
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(dict(record, time=time.time(), cpu=_cpu())) + "\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write({"event": "start", "task": task.get_name()})

    def _result(self, result, status: str) -> None:
        self._write({"event": "result", "task": result._task.get_name(), "host": result._host.get_name(), "status": status})

    def v2_runner_on_ok(self, result):
        self._result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._result(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        self._write({"event": "end"})
