"""module_defaults through the action group group/winimaging.dism.dism (meta/runtime.yml), against a lab host."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.lab

GROUP_LOG = "C:\\Windows\\Temp\\group-defaults.log"
TASK_LOG = "C:\\Windows\\Temp\\task-own.log"
ROLE_LOG = "C:\\Windows\\Temp\\role-var.log"


@pytest.fixture
def host(lab):
    lab.labctl("reset", "win1")
    for path in (GROUP_LOG, TASK_LOG, ROLE_LOG):
        lab.windows_path("win1", path).unlink(missing_ok=True)
    return "win1"


def log_lines(lab, path):
    return [line for line in lab.windows_path("win1", path).read_text(errors="replace").splitlines() if line.strip()]


def defaults_block(tasks, **defaults):
    """`tasks` (YAML, indented by 4) in a block whose module_defaults set `defaults` for the whole group."""
    head = "- name: with group defaults\n  module_defaults:\n    group/winimaging.dism.dism:\n"
    head += "".join("      %s: '%s'\n" % item for item in defaults.items())
    return head + "  block:\n" + tasks


def test_group_defaults_reach_every_module_and_task_options_win(lab, host, tmp_path):
    tasks = (
        "    - name: grouped\n"
        "      winimaging.dism.dism_image_info:\n"
        "        image_path: C:\\images\\missing.wim\n"
        "      ignore_errors: true\n"
        "    - name: own log\n"
        "      winimaging.dism.dism_feature_info:\n"
        "        name: [TelnetClient]\n"
        "        log_path: '%s'\n" % TASK_LOG
    )
    run = lab.playbook(defaults_block(tasks, log_path=GROUP_LOG, log_level="errors"), tmp_path)
    grouped = run.task("grouped").result
    assert grouped["log_path"] == GROUP_LOG, run.stdout[-3000:]
    assert grouped["msg"].endswith("DISM log: %s." % GROUP_LOG)
    lines = log_lines(lab, GROUP_LOG)
    # log_level came from the group too: only errors were written.
    assert lines and all(", Error " in line for line in lines), lines
    own = run.task("own log")
    assert not own.failed, run.stdout[-3000:]
    # The task's own log_path wins over the group default; the group's log_level still applies.
    assert lab.windows_path("win1", TASK_LOG).exists()
    assert not any(", Info " in line for line in log_lines(lab, TASK_LOG))


ROLE = (
    "    - name: service\n"
    "      ansible.builtin.include_role:\n"
    "        name: winimaging.dism.image_servicing\n"
    "      vars:\n"
    "        image_servicing_image_path: 'C:\\images\\win11.wim'\n"
    "        image_servicing_index: 1\n"
    "        image_servicing_mount_path: 'C:\\mount\\defaults'\n"
    "        image_servicing_features_enable: [TelnetClient]\n"
    "        image_servicing_drivers: ['C:\\drivers\\nic']\n"
)


def test_play_group_defaults_reach_the_role_and_its_variables_win(lab, host, tmp_path):
    # The role sets module_defaults of its own (log_path and scratch_directory from its variables):
    # they must not drop the play's group defaults, and its variables win over them.
    role = ROLE + "        image_servicing_log_path: '%s'\n" % ROLE_LOG
    run = lab.playbook(defaults_block(role, log_path=GROUP_LOG, log_level="errors"), tmp_path)
    assert run.rc == 0, run.stdout[-3000:]
    assert lab.windows_path("win1", ROLE_LOG).exists()
    assert not lab.windows_path("win1", GROUP_LOG).exists()
    # log_level came from the play's group defaults: a clean run at errors level writes no line.
    assert log_lines(lab, ROLE_LOG) == []

    # Without the group defaults the same steps log at the default level (warnings_info).
    lab.windows_path("win1", ROLE_LOG).unlink()
    again = lab.playbook(role, tmp_path)
    assert again.rc == 0, again.stdout[-3000:]
    text = "\n".join(log_lines(lab, ROLE_LOG))
    for function in ("DismMountImage", "DismGetFeatures", "DismGetDrivers", "DismUnmountImage"):
        assert "Enter %s" % function in text, (function, text[-2000:])
