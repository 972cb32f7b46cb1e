"""The image_servicing role end to end against a lab host."""

from __future__ import annotations

import hashlib
import re

import pytest

pytestmark = pytest.mark.lab

WIM = "C:\\images\\win11.wim"


def role(mount="C:\\mount\\svc", wim=WIM, index=1, extra="", title="service"):
    return (
        "- name: %s\n"
        "  ansible.builtin.include_role:\n"
        "    name: winimaging.dism.image_servicing\n"
        "  vars:\n"
        "    image_servicing_image_path: '%s'\n"
        "    image_servicing_index: %d\n"
        "    image_servicing_mount_path: '%s'\n"
        "    image_servicing_features_enable: [Microsoft-Hyper-V, TelnetClient]\n"
        "    image_servicing_drivers: ['C:\\drivers\\nic', 'C:\\drivers\\storage']\n"
        "%s"
        "- name: report %s\n"
        "  ansible.builtin.debug:\n"
        "    var: image_servicing_result\n" % (title, wim, index, mount, extra, title)
    )


def recap_changed(stdout, host="win1"):
    return int(re.search(r"^%s\s+: ok=\d+\s+changed=(\d+)" % host, stdout, re.M).group(1))


def mounts(lab, tmp_path):
    run = lab.playbook("- name: mounts\n  winimaging.dism.dism_image_info:", tmp_path)
    return run.task("mounts").result["mounted_images"]


def sha(lab, path):
    return hashlib.sha256(lab.windows_path("win1", path).read_bytes()).hexdigest()


def test_services_commits_and_reruns_without_change(lab, host, tmp_path):
    first = lab.playbook(role(), tmp_path)
    assert first.rc == 0, first.stdout[-3000:]
    result = first.task("report service").result["image_servicing_result"]
    assert result["saved"] is True and result["saved_as"] == "committed"
    assert result["parents_enabled"] == ["Microsoft-Hyper-V-All"]
    assert sorted(f["name"] for f in result["features"]) == ["Microsoft-Hyper-V", "TelnetClient"]
    assert sorted(d["outcome"] for d in result["drivers"]) == ["added", "added"]
    assert recap_changed(first.stdout) > 0
    assert mounts(lab, tmp_path) == []

    second = lab.playbook(role(), tmp_path)
    assert second.rc == 0, second.stdout[-3000:]
    assert recap_changed(second.stdout) == 0
    again = second.task("report service").result["image_servicing_result"]
    assert again["saved"] is False and again["saved_as"] == "discarded"
    assert sorted(d["outcome"] for d in again["drivers"]) == ["already_present", "already_present"]
    assert mounts(lab, tmp_path) == []


def test_failure_mid_servicing_discards_and_leaves_the_wim_unchanged(lab, host, tmp_path):
    before = sha(lab, WIM)
    lab.fault(host, "DismAddDriver", 1, "0x80070005", "Access is denied.")
    run = lab.playbook(role(), tmp_path)
    assert run.rc != 0
    assert "Servicing index 1 of 'C:\\images\\win11.wim' failed at 'Inject driver packages'" in run.stdout
    assert "The changes were discarded and the image unmounted; the image file is unchanged." in run.stdout
    assert mounts(lab, tmp_path) == []
    assert sha(lab, WIM) == before


def test_keep_mount_on_failure_leaves_it_for_inspection(lab, host, tmp_path):
    lab.fault(host, "DismAddDriver", 1, "0x80070005", "Access is denied.")
    run = lab.playbook(role(extra="    image_servicing_keep_mount_on_failure: true\n"), tmp_path)
    assert run.rc != 0
    assert "The image is still mounted at 'C:\\mount\\svc' for inspection" in run.stdout
    assert [m["path"] for m in mounts(lab, tmp_path)] == ["C:\\mount\\svc"]


def test_two_images_in_one_play(lab, host, tmp_path):
    tasks = role(title="client") + role(mount="C:\\mount\\srv", wim="C:\\images\\server2022.wim", index=2, title="server")
    run = lab.playbook(tasks, tmp_path)
    assert run.rc == 0, run.stdout[-3000:]
    client = run.task("report client").result["image_servicing_result"]
    server = run.task("report server").result["image_servicing_result"]
    assert client["saved"] is True and server["saved"] is True
    assert (client["name"], server["name"]) == ("Windows 11 Pro", "Windows Server 2022 Standard (Desktop Experience)")
    assert server["parents_enabled"] == []
    assert mounts(lab, tmp_path) == []


def test_a_failed_commit_keeps_the_mount_and_every_change(lab, host, tmp_path):
    before = sha(lab, WIM)
    lab.fault(host, "DismUnmountImage:write", 1, "0x80070070", "There is not enough space on the disk.")
    run = lab.playbook(role(), tmp_path)
    assert run.rc != 0
    assert "failed at 'Commit the serviced image (or discard when nothing changed or the policy says so)'" in run.stdout
    assert "ERROR_DISK_FULL" in run.stdout
    assert "Saving failed, so the image is still mounted at 'C:\\mount\\svc' with all its changes; nothing was discarded." in run.stdout
    assert [(m["path"], m["status"]) for m in mounts(lab, tmp_path)] == [("C:\\mount\\svc", "ok")]
    assert sha(lab, WIM) == before
    info = lab.playbook("- name: f\n  winimaging.dism.dism_feature_info:\n    path: C:\\mount\\svc\n    name: [TelnetClient]",
                        tmp_path).task("f").result
    assert info["features"][0]["state"] == "enabled", "the changes are still in the mount"
    lab.clear_faults(host)
    save = lab.playbook("- name: save\n  winimaging.dism.dism_image_mount:\n    path: C:\\mount\\svc\n    state: unmounted\n"
                        "    commit: true", tmp_path).task("save").result
    assert save["changed"] is True and sha(lab, WIM) != before


def test_a_failed_commit_discards_when_the_policy_says_so(lab, host, tmp_path):
    lab.fault(host, "DismUnmountImage:write", 1, "0x80070070", "There is not enough space on the disk.")
    run = lab.playbook(role(extra="    image_servicing_keep_mount_on_commit_failure: false\n"), tmp_path)
    assert run.rc != 0
    assert "The mount was then discarded and unmounted (image_servicing_keep_mount_on_commit_failure=false)." in run.stdout
    assert mounts(lab, tmp_path) == []


def test_a_mount_that_fails_part_way_is_cleaned_up(lab, host, tmp_path):
    before = sha(lab, WIM)
    lab.fault(host, "DismMountImage", 1, "0x80070070", "There is not enough space on the disk.")
    run = lab.playbook(role(), tmp_path)
    assert run.rc != 0
    assert "Servicing index 1 of 'C:\\images\\win11.wim' failed at 'Mount the image to service'" in run.stdout
    assert "the image file is unchanged" in run.stdout
    assert mounts(lab, tmp_path) == []
    assert sha(lab, WIM) == before


SERVER_WIM = "C:\\images\\server2022.wim"
UPDATES = ("    image_servicing_packages: ['C:\\packages\\ssu', 'C:\\packages\\lcu']\n"
           "    image_servicing_capabilities_add: ['OpenSSH.Server~~~~0.0.1.0']\n"
           "    image_servicing_capability_source: ['C:\\fod']\n"
           "    image_servicing_capability_limit_access: true\n"
           "    image_servicing_capabilities_remove: ['XPS.Viewer~~~~0.0.1.0']\n")


def test_packages_before_features_and_capabilities_then_rerun_without_change(lab, host, tmp_path):
    first = lab.playbook(role(mount="C:\\mount\\upd", wim=SERVER_WIM, index=4, extra=UPDATES), tmp_path)
    assert first.rc == 0, first.stdout[-3000:]
    result = first.task("report service").result["image_servicing_result"]
    assert result["saved"] is True
    assert [p["name"].split("~")[0] for p in result["packages"]] == ["Package_for_ServicingStack_2031", "Package_for_RollupFix"]
    assert all(p["changed"] for p in result["packages"])
    assert [(c["name"], c["state_after"]) for c in result["capabilities"]] == [
        ("OpenSSH.Server~~~~0.0.1.0", "installed"), ("XPS.Viewer~~~~0.0.1.0", "staged")]
    # The packages step runs before the features step (DISM's servicing order).
    tasks = [r.task.split(" : ", 1)[-1] for r in first.results]
    assert tasks.index("Add packages (updates), in the order given") < tasks.index("Enable optional features")
    second = lab.playbook(role(mount="C:\\mount\\upd", wim=SERVER_WIM, index=4, extra=UPDATES), tmp_path)
    assert second.rc == 0, second.stdout[-3000:]
    assert recap_changed(second.stdout) == 0
    assert mounts(lab, tmp_path) == []
