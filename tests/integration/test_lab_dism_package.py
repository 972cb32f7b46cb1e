"""dism_package and dism_package_info end to end against lab hosts: online (the simulated running
Windows Server 2022) and in mounted images, over real ansible-playbook and WinRM. The package files
are the lab's fixtures under C:\\packages (tests/lab/fixtures/build_images.py)."""

from __future__ import annotations

import pytest

from lablib import module_task as task

pytestmark = pytest.mark.lab

SERVER_WIM = "C:\\images\\server2022.wim"
MOUNT = "C:\\mount\\p"
HOTFIX_CAB = "C:\\packages\\hotfix\\windows10.0-kb5030999-x64.cab"
HOTFIX = "Package_for_KB5030999~31bf3856ad364e35~amd64~~10.0.1.0"
SSU_DIR = "C:\\packages\\ssu"
SSU = "Package_for_ServicingStack_2031~31bf3856ad364e35~amd64~~20348.2031.1.0"
LCU_CAB = "C:\\packages\\lcu\\windows10.0-kb5031364-x64.cab"
LCU = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2031.1.2"
NEXT_LCU_CAB = "C:\\packages\\lcu-next\\windows10.0-kb5032198-x64.cab"
NEXT_LCU = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2113.1.5"
BASELINE_LCU = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.1906.1.6"
CLIENT_CAB = "C:\\packages\\client\\windows11.0-kb5032190-x64.cab"
MSU = "C:\\packages\\msu\\windows10.0-kb5032198-x64.msu"
FOUNDATION = "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.20348.1"
BASELINE_SSU = "Package_for_ServicingStack_1906~31bf3856ad364e35~amd64~~20348.1906.1.0"


def package(title="package", **args):
    return task("dism_package", title, **args)


def play(lab, tmp_path, *tasks, check=False, diff=False):
    return lab.playbook("\n".join(tasks), tmp_path, check=check, diff=diff)


def installed(lab, tmp_path, path=None):
    args = {"path": path} if path else {}
    res = play(lab, tmp_path, task("dism_package_info", "info", **args)).task("info").result
    assert res.get("failed") is not True, res.get("msg")
    return {p["name"]: p["state"] for p in res["packages"]}


def mount(lab, tmp_path, index=4, path=MOUNT):
    res = play(lab, tmp_path, task("dism_image_mount", "mount", image_path=SERVER_WIM, index=index, path=path)).task("mount").result
    assert res.get("failed") is not True, res.get("msg")


def unmount(lab, tmp_path, commit, path=MOUNT):
    res = play(lab, tmp_path, task("dism_image_mount", "unmount", path=path, state="unmounted", commit=commit)).task("unmount").result
    assert res.get("failed") is not True, res.get("msg")


def test_check_add_rerun_remove_online(lab, host, tmp_path):
    before = installed(lab, tmp_path)
    assert before == {FOUNDATION: "installed", BASELINE_SSU: "installed", BASELINE_LCU: "installed"}
    check = play(lab, tmp_path, package(package_path=[HOTFIX_CAB]), check=True, diff=True).task("package").result
    assert check["changed"] is True and check["reboot_required"] is False
    [predicted] = check["packages"]
    assert (predicted["name"], predicted["state_before"], predicted["state_after"], predicted["path"]) == (
        HOTFIX, "not_present", "installed", HOTFIX_CAB)
    assert predicted["release_type"] == "hotfix" and predicted["identity"]["name"] == "Package_for_KB5030999"
    assert check["diff"] == {"before": {"packages": {HOTFIX: "not_present"}}, "after": {"packages": {HOTFIX: "installed"}}}
    assert installed(lab, tmp_path) == before  # check mode changed nothing
    added = play(lab, tmp_path, package(package_path=[HOTFIX_CAB])).task("package").result
    assert added["changed"] is True and added["packages"][0]["state_after"] == "installed"
    assert installed(lab, tmp_path)[HOTFIX] == "installed"
    rerun = play(lab, tmp_path, package(package_path=[HOTFIX_CAB])).task("package").result
    assert rerun["changed"] is False and rerun["packages"][0]["changed"] is False
    check_remove = play(lab, tmp_path, package(package_name=[HOTFIX.lower()], state="absent"), check=True).task("package").result
    assert check_remove["changed"] is True and check_remove["packages"][0]["state_after"] is None
    removed = play(lab, tmp_path, package(package_name=[HOTFIX], state="absent")).task("package").result
    assert removed["changed"] is True and HOTFIX not in installed(lab, tmp_path)
    assert play(lab, tmp_path, package(package_name=[HOTFIX], state="absent")).task("package").result["changed"] is False
    assert play(lab, tmp_path, package(package_path=[HOTFIX_CAB], state="absent")).task("package").result["changed"] is False


def test_cumulative_update_online_is_pending_until_reboot_and_supersedes(lab, host, tmp_path):
    check = play(lab, tmp_path, package(package_path=[LCU_CAB]), check=True).task("package").result
    assert check["reboot_required"] is True and check["packages"][0]["state_after"] == "install_pending"
    res = play(lab, tmp_path, package(package_path=[LCU_CAB])).task("package").result
    assert res["changed"] is True and res["reboot_required"] is True
    assert res["packages"][0]["state_after"] == "install_pending"
    # InstallPending satisfies present: the rerun changes nothing and asks for nothing.
    rerun = play(lab, tmp_path, package(package_path=[LCU_CAB])).task("package").result
    assert rerun["changed"] is False and rerun["reboot_required"] is False
    lab.labctl("reboot", host)
    states = installed(lab, tmp_path)
    assert states[LCU] == "installed" and states[BASELINE_LCU] == "superseded"


def test_superseded_packages_satisfy_a_rerun_of_the_update_list(lab, host, tmp_path):
    mount(lab, tmp_path)
    updates = [SSU_DIR, LCU_CAB, NEXT_LCU_CAB]
    res = play(lab, tmp_path, package(path=MOUNT, package_path=updates)).task("package").result
    assert res["changed"] is True, res.get("msg")
    assert [p["name"] for p in res["packages"]] == [SSU, LCU, NEXT_LCU]
    assert res["reboot_required"] is False  # offline changes never ask for a restart
    states = installed(lab, tmp_path, MOUNT)
    assert states[BASELINE_LCU] == "superseded" and states[LCU] == "superseded"
    assert states[NEXT_LCU] in ("installed", "install_pending")
    rerun = play(lab, tmp_path, package(path=MOUNT, package_path=updates)).task("package").result
    assert rerun["changed"] is False
    assert [p["state_after"] for p in rerun["packages"]][:2] == ["installed", "superseded"]
    unmount(lab, tmp_path, commit=False)


def test_a_package_that_does_not_apply_fails_clearly_and_changes_nothing(lab, host, tmp_path):
    before = installed(lab, tmp_path)
    res = play(lab, tmp_path, package(package_path=[HOTFIX_CAB, CLIENT_CAB])).task("package").result
    assert res["failed"] is True and res["changed"] is False
    assert "nothing was added" in res["msg"] and "is not applicable to this image" in res["msg"]
    assert "windows11.0-kb5032190-x64.cab" in res["msg"] and "ignore_check=true" in res["msg"]
    assert installed(lab, tmp_path) == before  # the applicable hotfix before it was not added either
    info = play(lab, tmp_path, task("dism_package_info", "info", package_path=[CLIENT_CAB])).task("info").result
    [file] = info["package_files"]
    assert file["applicable"] is False and file["state"] == "not_present" and file["path"] == CLIENT_CAB


def test_missing_servicing_stack_and_broken_files_name_dism_errors(lab, host, tmp_path):
    mount(lab, tmp_path)
    res = play(lab, tmp_path, package(path=MOUNT, package_path=[NEXT_LCU_CAB])).task("package").result
    assert res["failed"] is True and res["hresult"] == "0x800F0823" and res["hresult_name"] == "CBS_E_NEW_SERVICING_STACK_REQUIRED"
    assert "Hint: Install the latest servicing stack update first" in res["msg"]
    assert res["changed"] is False and res["completed_steps"] == []
    res = play(lab, tmp_path, package(path=MOUNT, package_path=["C:\\packages\\broken\\not-a-package.cab"])).task("package").result
    assert res["failed"] is True and "0x800F0805 CBS_E_INVALID_PACKAGE" in res["msg"]
    res = play(lab, tmp_path, package(path=MOUNT, package_path=["C:\\packages\\nothing-here.cab"])).task("package").result
    assert res["failed"] is True and "0x80070002 ERROR_FILE_NOT_FOUND" in res["msg"]
    unmount(lab, tmp_path, commit=False)


def test_folders_expanded_packages_and_msu_files_offline(lab, host, tmp_path):
    mount(lab, tmp_path)
    res = play(lab, tmp_path, package(path=MOUNT, package_path=["C:\\packages\\mixed", "C:\\packages\\hotfix-expanded"])).task("package").result
    assert res["changed"] is True, res.get("msg")
    names = [p["name"] for p in res["packages"]]
    assert HOTFIX in names and SSU in names and any("KB5030998" in n for n in names)
    check = play(lab, tmp_path, package(path=MOUNT, package_path=[MSU]), check=True).task("package").result
    assert check["changed"] is True and "cannot read the packages inside an .msu" in " ".join(check["warnings"])
    res = play(lab, tmp_path, package(path=MOUNT, package_path=[MSU])).task("package").result
    assert res["changed"] is True
    [msu] = res["packages"]
    assert msu["path"] == MSU and NEXT_LCU in [p["name"] for p in msu["packages"]]
    rerun = play(lab, tmp_path, package(path=MOUNT, package_path=[MSU])).task("package").result
    assert rerun["changed"] is False and rerun["packages"][0]["packages"] == []
    unmount(lab, tmp_path, commit=False)
    online = play(lab, tmp_path, package(package_path=[MSU])).task("package").result
    assert online["failed"] is True and "offline images only" in online["msg"] and "win_hotfix" in online["msg"]


def test_permanent_and_foundation_packages_are_not_removed(lab, host, tmp_path):
    res = play(lab, tmp_path, package(package_name=[FOUNDATION], state="absent")).task("package").result
    assert res["failed"] is True and "is the image's foundation package, which cannot be removed" in res["msg"]
    res = play(lab, tmp_path, package(package_name=[BASELINE_SSU], state="absent")).task("package").result
    assert res["failed"] is True and res["hresult"] == "0x800F0825" and res["hresult_name"] == "CBS_E_CANNOT_UNINSTALL"
    assert "Permanent packages" in res["hint"]
    assert installed(lab, tmp_path)[BASELINE_SSU] == "installed"
    res = play(lab, tmp_path, package(package_name=["KB5030999"], state="absent")).task("package").result
    assert res["failed"] is True and "'KB5030999' is not a package identity" in res["msg"]


def test_mounted_image_commit_keeps_and_discard_drops(lab, host, tmp_path):
    mount(lab, tmp_path)
    assert play(lab, tmp_path, package(path=MOUNT, package_path=[HOTFIX_CAB])).task("package").result["changed"] is True
    assert HOTFIX not in installed(lab, tmp_path)  # the running Windows was not touched
    unmount(lab, tmp_path, commit=True)
    mount(lab, tmp_path)
    assert installed(lab, tmp_path, MOUNT)[HOTFIX] == "installed"
    removed = play(lab, tmp_path, package(path=MOUNT, package_path=[HOTFIX_CAB], state="absent")).task("package").result
    assert removed["changed"] is True and HOTFIX not in installed(lab, tmp_path, MOUNT)
    unmount(lab, tmp_path, commit=False)
    mount(lab, tmp_path)
    assert installed(lab, tmp_path, MOUNT)[HOTFIX] == "installed"
    unmount(lab, tmp_path, commit=False)


def test_package_info_lists_with_wildcards_and_details(lab, host, tmp_path):
    res = play(lab, tmp_path, task("dism_package_info", "info", package_name=["package_for_*"])).task("info").result
    assert sorted(p["name"] for p in res["packages"]) == sorted([BASELINE_LCU, BASELINE_SSU])
    assert all(p["display_name"] is None for p in res["packages"])  # wildcards: names and states only
    res = play(lab, tmp_path, task("dism_package_info", "info", package_name=[BASELINE_LCU])).task("info").result
    [lcu] = res["packages"]
    assert lcu["state"] == "installed" and lcu["release_type"] == "security_update" and lcu["display_name"]
    assert lcu["identity"] == {"name": "Package_for_RollupFix", "public_key_token": "31bf3856ad364e35",
                               "architecture": "amd64", "language": "", "version": "20348.1906.1.6"}
