"""dism_capability and dism_capability_info end to end against lab hosts: online (the simulated running
Windows Server 2022) and in a mounted image, over real ansible-playbook and WinRM."""

from __future__ import annotations

import pytest

from lablib import module_task as task

pytestmark = pytest.mark.lab

SERVER_WIM = "C:\\images\\server2022.wim"
MOUNT = "C:\\mount\\c"
SSH = "OpenSSH.Server~~~~0.0.1.0"
XPS = "XPS.Viewer~~~~0.0.1.0"
IE = "Browser.InternetExplorer~~~~0.0.11.0"


def capability(title="capability", **args):
    return task("dism_capability", title, **args)


def play(lab, tmp_path, *tasks, check=False, diff=False, extra_args=()):
    return lab.playbook("\n".join(tasks), tmp_path, check=check, diff=diff, extra_args=extra_args)


def states(lab, tmp_path, *names, path=None):
    args = {"name": list(names)}
    if path:
        args["path"] = path
    res = play(lab, tmp_path, task("dism_capability_info", "info", **args)).task("info").result
    assert res.get("failed") is not True, res.get("msg")
    return {c["name"]: c["state"] for c in res["capabilities"]}


def test_payload_needs_a_source_under_a_network_logon_then_add_rerun_remove(lab, host, tmp_path):
    res = play(lab, tmp_path, capability(name=[SSH])).task("capability").result
    assert res["failed"] is True and res["hresult"] == "0x800F0906" and res["hresult_name"] == "CBS_E_DOWNLOAD_FAILURE"
    assert "Hint: Give 'source'" in res["msg"] and res["changed"] is False
    res = play(lab, tmp_path, capability(name=[SSH], limit_access=True)).task("capability").result
    assert res["hresult"] == "0x800F081F" and res["hresult_name"] == "CBS_E_SOURCE_MISSING"
    assert states(lab, tmp_path, SSH) == {SSH: "not_present"}
    lab.labctl("make-source", host, "D:\\fod", SSH)
    args = {"name": ["openssh.server~~~~0.0.1.0"], "source": ["C:\\nowhere", "D:\\fod"], "limit_access": True}
    check = play(lab, tmp_path, capability(**args), check=True, diff=True).task("capability").result
    assert check["changed"] is True
    assert check["capabilities"] == [{"name": SSH, "state_before": "not_present", "state_after": "installed", "changed": True}]
    assert check["diff"] == {"before": {"capabilities": {SSH: "not_present"}}, "after": {"capabilities": {SSH: "installed"}}}
    assert states(lab, tmp_path, SSH) == {SSH: "not_present"}  # check mode changed nothing
    res = play(lab, tmp_path, capability(**args)).task("capability").result
    assert res["changed"] is True and res["capabilities"][0]["state_after"] == "installed"
    assert play(lab, tmp_path, capability(**args)).task("capability").result["changed"] is False
    removed = play(lab, tmp_path, capability(name=[SSH], state="absent")).task("capability").result
    assert removed["changed"] is True and removed["capabilities"][0]["state_after"] == "not_present"
    assert play(lab, tmp_path, capability(name=[SSH], state="absent")).task("capability").result["changed"] is False


def test_become_reaches_windows_update(lab, host, tmp_path):
    become = ["-b", "-e", "ansible_become_method=runas", "-e", "ansible_become_user=SYSTEM"]
    run = play(lab, tmp_path, capability(name=[SSH]), extra_args=become)
    res = run.task("capability").result
    assert res["changed"] is True, run.stdout[-2000:]


def test_staged_payload_needs_no_source(lab, host, tmp_path):
    res = play(lab, tmp_path, capability(name=[XPS], limit_access=True)).task("capability").result
    assert res["changed"] is True and res["capabilities"][0]["state_before"] == "staged"
    assert states(lab, tmp_path, XPS) == {XPS: "installed"}


def test_removal_that_needs_a_restart_is_pending_until_reboot(lab, host, tmp_path):
    res = play(lab, tmp_path, capability(name=[IE], state="absent")).task("capability").result
    assert res["changed"] is True and res["reboot_required"] is True
    assert res["capabilities"][0]["state_after"] == "uninstall_pending"
    rerun = play(lab, tmp_path, capability(name=[IE], state="absent")).task("capability").result
    assert rerun["changed"] is False and rerun["reboot_required"] is False
    lab.labctl("reboot", host)
    assert states(lab, tmp_path, IE) == {IE: "not_present"}


def test_unknown_names_and_wildcards_are_refused(lab, host, tmp_path):
    res = play(lab, tmp_path, capability(name=["OpenSSH.Server~~~~0.0.2.0"])).task("capability").result
    assert res["failed"] is True and "unknown capability 'OpenSSH.Server~~~~0.0.2.0' (did you mean 'OpenSSH.Server~~~~0.0.1.0'" in res["msg"]
    res = play(lab, tmp_path, capability(name=["OpenSSH.*"])).task("capability").result
    assert res["failed"] is True and "has a wildcard" in res["msg"]


def test_mounted_image_check_commit_keeps_and_discard_drops(lab, host, tmp_path):
    mount = task("dism_image_mount", "mount", image_path=SERVER_WIM, index=1, path=MOUNT)
    assert play(lab, tmp_path, mount).task("mount").result.get("failed") is not True
    lab.labctl("make-source", host, "D:\\fod", SSH)
    args = {"path": MOUNT, "name": [SSH], "source": ["D:\\fod"]}
    check = play(lab, tmp_path, capability(**args), check=True).task("capability").result
    assert check["changed"] is True and states(lab, tmp_path, SSH, path=MOUNT) == {SSH: "not_present"}
    res = play(lab, tmp_path, capability(**args)).task("capability").result
    assert res["changed"] is True and res["reboot_required"] is False
    assert states(lab, tmp_path, SSH) == {SSH: "not_present"}  # the running Windows was not touched
    unmount = "- name: unmount\n  winimaging.dism.dism_image_mount:\n    path: '%s'\n    state: unmounted\n    commit: %s"
    play(lab, tmp_path, unmount % (MOUNT, "true"))
    play(lab, tmp_path, mount)
    assert states(lab, tmp_path, SSH, path=MOUNT) == {SSH: "installed"}
    assert play(lab, tmp_path, capability(path=MOUNT, name=[XPS])).task("capability").result["changed"] is True
    play(lab, tmp_path, unmount % (MOUNT, "false"))
    play(lab, tmp_path, mount)
    assert states(lab, tmp_path, SSH, XPS, path=MOUNT) == {SSH: "installed", XPS: "staged"}
    play(lab, tmp_path, unmount % (MOUNT, "false"))


def test_capability_info_lists_with_wildcards_and_details(lab, host, tmp_path):
    res = play(lab, tmp_path, task("dism_capability_info", "info", name=["openssh.*"])).task("info").result
    assert sorted(c["name"] for c in res["capabilities"]) == ["OpenSSH.Client~~~~0.0.1.0", SSH]
    assert all(c["display_name"] is None for c in res["capabilities"])
    res = play(lab, tmp_path, task("dism_capability_info", "info", name=[SSH])).task("info").result
    [ssh] = res["capabilities"]
    assert ssh["display_name"] and ssh["download_size"] > 0 and ssh["install_size"] > 0
    every = play(lab, tmp_path, task("dism_capability_info", "info")).task("info").result
    assert len(every["capabilities"]) >= 7
