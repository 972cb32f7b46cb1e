"""The timeout option (a clean DISM cancel) and dism_feature's reboot options, through real ansible-playbook."""

from __future__ import annotations

import pytest

from lablib import module_task as task

pytestmark = pytest.mark.lab

WIM = "C:\\images\\win11.wim"


def test_timeout_cancels_dism_cleanly_and_says_what_was_left(lab, host, tmp_path):
    # Each progress report of the simulated DismMountImage now waits 400 ms: a 1 s timeout sets
    # the cancel event mid-mount and DISM stops with ERROR_CANCELLED.
    lab.labctl("slow", host, "400")
    run = lab.playbook(task("dism_image_mount", "mount", image_path=WIM, index=1, path="C:\\mount\\slow", timeout=1),
                       tmp_path)
    result = run.task("mount").result
    assert result["failed"] is True
    assert result["msg"].startswith("Mounting index 1 of 'C:\\images\\win11.wim' at 'C:\\mount\\slow': DismMountImage failed"
                                    " with 0x800704C7 ERROR_CANCELLED."), result["msg"]
    assert "DismMountImage was cancelled because the task's timeout of 1 seconds passed." in result["msg"]
    assert "Before the failure these steps completed: create_directory." in result["msg"]
    assert result["completed_steps"] == ["create_directory"] and result["not_started_steps"] == []
    assert result["changed"] is True  # the mount folder was created
    lab.labctl("slow", host, "off")
    after = lab.playbook(task("dism_image_info", "mounts"), tmp_path).task("mounts").result
    assert [m["path"] for m in after["mounted_images"]] == []


def test_without_timeout_the_slow_operation_finishes(lab, host, tmp_path):
    lab.labctl("slow", host, "50")
    run = lab.playbook(task("dism_image_mount", "mount", image_path=WIM, index=1, path="C:\\mount\\slow"), tmp_path)
    assert run.task("mount").result["changed"] is True
    discard = task("dism_image_mount", "discard", path="C:\\mount\\slow", state="unmounted", commit=False)
    assert lab.playbook(discard, tmp_path).task("discard").result["changed"] is True


def test_reboot_true_restarts_the_host_and_the_pending_change_completes(lab, host, tmp_path):
    enable = task("dism_feature", "hyperv", name=["Microsoft-Hyper-V"], reboot=True, reboot_timeout=120)
    check = lab.playbook(enable, tmp_path, check=True).task("hyperv").result
    assert check["changed"] is True and check["reboot_required"] is True and check["rebooted"] is False
    result = lab.playbook(enable, tmp_path).task("hyperv").result
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["rebooted"] is True and result["reboot_required"] is False
    assert result["features"][0]["state_after"] == "enable_pending"  # as DISM reported it before the restart
    assert 0 < result["reboot_elapsed"] < 120
    info = lab.playbook(task("dism_feature_info", "info", name=["Microsoft-Hyper-V"]), tmp_path).task("info").result
    assert info["features"][0]["state"] == "enabled"
    rerun = lab.playbook(enable, tmp_path).task("hyperv").result
    assert rerun["changed"] is False and rerun["rebooted"] is False


def test_reboot_false_leaves_the_restart_to_the_user(lab, host, tmp_path):
    result = lab.playbook(task("dism_feature", "hyperv", name=["Microsoft-Hyper-V"]), tmp_path).task("hyperv").result
    assert result["changed"] is True and result["reboot_required"] is True and result["rebooted"] is False
    info = lab.playbook(task("dism_feature_info", "info", name=["Microsoft-Hyper-V"]), tmp_path).task("info").result
    assert info["features"][0]["state"] == "enable_pending"
