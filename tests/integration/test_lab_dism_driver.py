"""dism_driver and dism_driver_info end to end against lab hosts (offline images mounted with
dism_image_mount), over real ansible-playbook and WinRM."""

from __future__ import annotations

import pytest

from lablib import module_task as task

pytestmark = pytest.mark.lab

LOG = "%WINDIR%\\Logs\\DISM\\dism.log"
MNT = "C:\\mount\\d"


def driver(title="driver", **args):
    return task("dism_driver", title, **dict({"path": MNT}, **args))


def play(lab, tmp_path, *tasks, check=False, diff=False):
    return lab.playbook("\n".join(tasks), tmp_path, check=check, diff=diff)


def mount(lab, tmp_path, wim="C:\\images\\server2022.wim", index=1):
    res = play(lab, tmp_path, task("dism_image_mount", "mount", image_path=wim, index=index, path=MNT)).task("mount").result
    assert res.get("failed") is not True, res


def third_party(lab, tmp_path):
    res = play(lab, tmp_path, task("dism_driver_info", "info", path=MNT)).task("info").result
    return sorted((d["published_name"], d["original_file_name"], d["version"]) for d in res["drivers"])


def test_add_one_inf_check_apply_rerun(lab, host, tmp_path):
    mount(lab, tmp_path)
    check = play(lab, tmp_path, driver(driver=["C:\\drivers\\nic\\cnet68x64.inf"]), check=True, diff=True).task("driver").result
    assert check["changed"] is True
    assert [(d["outcome"], d["published_name"], d["version"]) for d in check["drivers"]] == [("added", None, "1.2.3.4")]
    assert check["diff"]["before"] == {"third_party_drivers": []}
    assert third_party(lab, tmp_path) == []
    res = play(lab, tmp_path, driver(driver=["C:\\drivers\\nic\\cnet68x64.inf"])).task("driver").result
    assert res["changed"] is True and res["reboot_required"] is False
    entry = res["drivers"][0]
    assert (entry["outcome"], entry["published_name"], entry["original_file_name"], entry["provider_name"], entry["class_name"]) == (
        "added", "oem0.inf", "cnet68x64.inf", "Contoso Networks", "Net")
    rerun = play(lab, tmp_path, driver(driver=["C:\\drivers\\nic\\cnet68x64.inf"])).task("driver").result
    assert rerun["changed"] is False and rerun["drivers"][0]["outcome"] == "already_present"
    assert rerun["drivers"][0]["published_name"] == "oem0.inf"


def test_folder_with_a_malformed_inf_fails_by_default_and_adds_nothing(lab, host, tmp_path):
    mount(lab, tmp_path)
    res = play(lab, tmp_path, driver(driver=["C:\\drivers"], recurse=True)).task("driver").result
    assert res["failed"] is True and res["changed"] is False
    assert res["msg"].startswith(
        "Adding driver C:\\drivers in the image at 'C:\\mount\\d': 1 INF file could not be read, so nothing was added (set"
        " on_error=skip to add the others): Reading 'C:\\drivers\\broken\\cbroken.inf': DismGetDriverInfo failed with"
        " 0x800F0003 SPAPI_E_GENERAL_SYNTAX.")
    assert "is malformed at line 10" in res["msg"]
    assert third_party(lab, tmp_path) == []


def test_folder_recursively_with_skip_reports_each_inf(lab, host, tmp_path):
    mount(lab, tmp_path)
    res = play(lab, tmp_path, driver(driver=["C:\\drivers"], recurse=True, on_error="skip")).task("driver").result
    assert res["changed"] is True and res.get("failed") is not True
    outcomes = {d["inf"].split("\\", 2)[-1]: (d["outcome"], d["published_name"]) for d in res["drivers"]}
    assert outcomes == {
        "broken\\cbroken.inf": ("failed", None),
        "display\\cdisp.inf": ("failed", None),
        "nic\\cnet68x64.inf": ("added", "oem0.inf"),
        "nic-v13\\cnet68x64.inf": ("added", "oem1.inf"),
        "storage\\cstor.inf": ("added", "oem2.inf"),
        "x86only\\cserial.inf": ("failed", None),
    }
    display = next(d for d in res["drivers"] if d["inf"].endswith("cdisp.inf"))
    assert "0x800F022F SPAPI_E_NO_CATALOG_FOR_OEM_INF" in display["error"]
    assert "set force_unsigned=true for an x64 image" in display["error"]
    serial = next(d for d in res["drivers"] if d["inf"].endswith("cserial.inf"))
    assert "0x800F0228 SPAPI_E_NO_COMPAT_DRIVERS" in serial["error"]
    assert len(res["warnings"]) == 1 and res["warnings"][0].startswith("Skipped 3 drivers that DISM could not add")
    rerun = play(lab, tmp_path, driver(driver=["C:\\drivers"], recurse=True, on_error="skip")).task("driver").result
    assert rerun["changed"] is False
    assert sorted(d["outcome"] for d in rerun["drivers"]) == ["already_present"] * 3 + ["failed"] * 3


def test_unsigned_needs_force_unsigned_on_x64(lab, host, tmp_path):
    mount(lab, tmp_path)
    res = play(lab, tmp_path, driver(driver=["C:\\drivers\\display"])).task("driver").result
    assert res["failed"] is True and res["hresult"] == "0x800F022F"
    assert res["msg"].startswith("Adding driver C:\\drivers\\display in the image at 'C:\\mount\\d': DismAddDriver failed with"
                                 " 0x800F022F SPAPI_E_NO_CATALOG_FOR_OEM_INF.")
    res = play(lab, tmp_path, driver(driver=["C:\\drivers\\display"], force_unsigned=True)).task("driver").result
    assert res["changed"] is True and res["drivers"][0]["published_name"] == "oem0.inf"


def test_x86_image_accepts_unsigned(lab, host, tmp_path):
    mount(lab, tmp_path, wim="C:\\images\\win10_x86.wim")
    res = play(lab, tmp_path, driver(driver=["C:\\drivers\\x86only"])).task("driver").result
    assert res["changed"] is True and res["drivers"][0]["class_name"] == "Ports"


def test_newer_version_is_added_and_reported(lab, host, tmp_path):
    mount(lab, tmp_path)
    play(lab, tmp_path, driver(driver=["C:\\drivers\\nic"]))
    res = play(lab, tmp_path, driver(driver=["C:\\drivers\\nic-v13"])).task("driver").result
    entry = res["drivers"][0]
    assert (entry["outcome"], entry["version"], entry["other_versions"], entry["published_name"]) == (
        "added", "1.3.0.0", ["1.2.3.4"], "oem1.inf")


def test_remove_by_original_name_removes_every_copy_and_by_published_name(lab, host, tmp_path):
    mount(lab, tmp_path)
    play(lab, tmp_path, driver(driver=["C:\\drivers\\nic", "C:\\drivers\\nic-v13", "C:\\drivers\\display"], force_unsigned=True))
    res = play(lab, tmp_path, driver(driver=["CNET68X64.INF"], state="absent"), diff=True).task("driver").result
    assert res["changed"] is True and sorted(d["published_name"] for d in res["drivers"]) == ["oem0.inf", "oem1.inf"]
    assert third_party(lab, tmp_path) == [("oem2.inf", "cdisp.inf", "31.0.15.3000")]
    res = play(lab, tmp_path, driver(driver=["oem2.inf"], state="absent")).task("driver").result
    assert res["changed"] is True and third_party(lab, tmp_path) == []
    res = play(lab, tmp_path, driver(driver=["cnet68x64.inf"], state="absent")).task("driver").result
    assert res["changed"] is False and res["drivers"][0]["outcome"] == "absent"


def test_inbox_and_boot_critical_removal_are_refused(lab, host, tmp_path):
    mount(lab, tmp_path)
    play(lab, tmp_path, driver(driver=["C:\\drivers\\storage"]))
    res = play(lab, tmp_path, driver(driver=["stornvme.inf"], state="absent")).task("driver").result
    assert res["msg"] == ("Removing driver stornvme.inf in the image at 'C:\\mount\\d': stornvme.inf is a driver that ships with"
                          " Windows (inbox); DISM never removes inbox drivers; nothing was removed.")
    res = play(lab, tmp_path, driver(driver=["cstor.inf"], state="absent")).task("driver").result
    assert res["msg"] == ("Removing driver cstor.inf in the image at 'C:\\mount\\d': cstor.inf (oem0.inf) is boot critical:"
                          " removing it can leave the image unable to boot. Set remove_boot_critical=true to remove it anyway;"
                          " nothing was removed.")
    res = play(lab, tmp_path, driver(driver=["cstor.inf"], state="absent", remove_boot_critical=True)).task("driver").result
    assert res["changed"] is True


def test_online_target_is_refused_with_what_to_use(lab, host, tmp_path):
    res = play(lab, tmp_path, task("dism_driver", "online", driver=["C:\\drivers\\nic"])).task("online").result
    assert res["failed"] is True and res["msg"].startswith("dism_driver services offline images only")
    assert "pnputil.exe" in res["msg"]


def test_drivers_survive_commit_and_vanish_after_discard(lab, host, tmp_path):
    mount(lab, tmp_path)
    play(lab, tmp_path, driver(driver=["C:\\drivers\\nic"]))
    play(lab, tmp_path, task("dism_image_mount", "commit", path=MNT, state="unmounted", commit=True))
    mount(lab, tmp_path)
    assert third_party(lab, tmp_path) == [("oem0.inf", "cnet68x64.inf", "1.2.3.4")]
    play(lab, tmp_path, driver(driver=["C:\\drivers\\storage"]))
    play(lab, tmp_path, task("dism_image_mount", "discard", path=MNT, state="unmounted", commit=False))
    mount(lab, tmp_path)
    assert third_party(lab, tmp_path) == [("oem0.inf", "cnet68x64.inf", "1.2.3.4")]


def test_driver_info_reads_inf_identity_and_lists_inbox_on_request(lab, host, tmp_path):
    mount(lab, tmp_path)
    res = play(lab, tmp_path, task("dism_driver_info", "info", path=MNT, all=True,
                                   driver=["C:\\drivers\\storage\\cstor.inf"])).task("info").result
    assert {d["published_name"] for d in res["drivers"] if d["inbox"]} >= {"stornvme.inf", "disk.inf"}
    info = res["driver_info"][0]
    assert (info["provider_name"], info["class_name"], info["version"], info["boot_critical"]) == (
        "Contoso Storage", "SCSIAdapter", "2.0.1.15", True)
    assert {h["architecture"] for h in info["hardware"]} == {"x64", "x86"}


def test_a_failed_removal_is_a_failure_even_with_skip(lab, host, tmp_path):
    mount(lab, tmp_path)
    play(lab, tmp_path, driver(driver=["C:\\drivers\\nic"]))
    lab.fault(host, "DismRemoveDriver", 1, "0x80070005", "Access is denied.")
    res = play(lab, tmp_path, driver(driver=["cnet68x64.inf"], state="absent", on_error="skip")).task("driver").result
    assert res["failed"] is True and res["hresult"] == "0x80070005"
    assert res["msg"].startswith("Removing driver cnet68x64.inf in the image at 'C:\\mount\\d': DismRemoveDriver failed with"
                                 " 0x80070005 ERROR_ACCESS_DENIED.")
    assert third_party(lab, tmp_path) == [("oem0.inf", "cnet68x64.inf", "1.2.3.4")]


# ---- folder scans that meet what Windows has: access denied, MAX_PATH, junction loops ---------------

def driver_tree(lab, host, *folders):
    """C:\\tree with a copy of the lab's nic package and the given (relative) folders; returns its lab path."""
    import shutil
    tree = lab.windows_path(host, "C:\\tree")
    shutil.copytree(lab.windows_path(host, "C:\\drivers\\nic"), tree / "nic")
    for rel in folders:
        (tree / rel).mkdir(parents=True, exist_ok=True)
    return tree


def test_a_folder_that_cannot_be_listed_fails_naming_it_or_is_skipped(lab, host, tmp_path):
    import shutil
    mount(lab, tmp_path)
    tree = driver_tree(lab, host, "locked")
    shutil.copytree(lab.windows_path(host, "C:\\drivers\\storage"), tree / "locked" / "storage")
    (tree / "locked" / ".lab-access-denied").write_text("")     # the lab's stand-in for an ACL that denies listing
    res = play(lab, tmp_path, driver(driver=["C:\\tree"], recurse=True)).task("driver").result
    assert res["failed"] is True and res["changed"] is False
    assert res["msg"].startswith(
        "Adding driver C:\\tree in the image at 'C:\\mount\\d': 1 folder could not be scanned, so nothing was added (set"
        " on_error=skip to add the others): Scanning folder 'C:\\tree\\locked': ")
    assert "FindFirstFileW failed with 0x80070005 ERROR_ACCESS_DENIED" in res["msg"]
    assert third_party(lab, tmp_path) == []
    res = play(lab, tmp_path, driver(driver=["C:\\tree"], recurse=True, on_error="skip")).task("driver").result
    assert res.get("failed") is not True and res["changed"] is True
    assert [(d["outcome"], d["inf"], d.get("folder")) for d in res["drivers"]] == [
        ("failed", None, "C:\\tree\\locked"), ("added", "C:\\tree\\nic\\cnet68x64.inf", None)]
    assert "0x80070005 ERROR_ACCESS_DENIED" in res["drivers"][0]["error"]
    assert res["warnings"][0].startswith("Skipped 1 folder that could not be scanned: Scanning folder 'C:\\tree\\locked': ")
    assert third_party(lab, tmp_path) == [("oem0.inf", "cnet68x64.inf", "1.2.3.4")]


def test_folders_and_infs_over_max_path_are_reported_with_skip(lab, host, tmp_path):
    import shutil
    mount(lab, tmp_path)
    # C:\tree\<a>\<b>: 250 characters, so its INF's path is over 259; C:\tree\<a>\<b>\<c>: 258, so listing it
    # (<folder>\*) takes 260.
    a, b, c = "a" * 120, "b" * (250 - len("C:\\tree\\") - 121), "c" * 7
    tree = driver_tree(lab, host)
    shutil.copytree(lab.windows_path(host, "C:\\drivers\\storage"), tree / a / b)
    (tree / a / b / c).mkdir()
    shutil.copy(lab.windows_path(host, "C:\\drivers\\nic\\cnet68x64.inf"), tree / a / b / c)
    long_inf, long_folder = "C:\\tree\\%s\\%s\\cstor.inf" % (a, b), "C:\\tree\\%s\\%s\\%s" % (a, b, c)
    assert len(long_inf) == 260 and len(long_folder) == 258
    res = play(lab, tmp_path, driver(driver=["C:\\tree"], recurse=True, on_error="skip")).task("driver").result
    assert res.get("failed") is not True and res["changed"] is True
    by_path = {d["inf"] or d["folder"]: d for d in res["drivers"]}
    assert by_path["C:\\tree\\nic\\cnet68x64.inf"]["outcome"] == "added"
    inf = by_path[long_inf]
    assert inf["outcome"] == "failed"
    assert inf["error"].startswith("Reading '%s': DismGetDriverInfo failed with 0x800700CE ERROR_FILENAME_EXCED_RANGE." % long_inf)
    assert "DISM and the helper's Windows calls take paths of at most 259 characters (MAX_PATH)" in inf["error"]
    folder = by_path[long_folder]
    assert folder["outcome"] == "failed" and "FindFirstFileW failed with 0x80070003 ERROR_PATH_NOT_FOUND" in folder["error"]
    assert folder["error"].endswith("Listing this folder takes a path of 260 characters, and Windows limits paths to 259"
                                    " (MAX_PATH) for programs without long-path support: move the drivers to a folder"
                                    " with a shorter path.")
    assert [w.split(":", 1)[0] for w in res["warnings"]] == ["Skipped 1 folder that could not be scanned",
                                                             "Skipped 1 driver that DISM could not add"]


def test_a_junction_loop_is_not_followed(lab, host, tmp_path):
    import os
    mount(lab, tmp_path)
    tree = driver_tree(lab, host)
    os.symlink(tree, tree / "nic" / "back-to-top")                  # the lab's junction: a link to a folder
    res = play(lab, tmp_path, driver(driver=["C:\\tree"], recurse=True)).task("driver").result
    assert res.get("failed") is not True and res["changed"] is True
    assert [(d["outcome"], d["inf"], d.get("folder")) for d in res["drivers"]] == [
        ("added", "C:\\tree\\nic\\cnet68x64.inf", None), ("skipped", None, "C:\\tree\\nic\\back-to-top")]
    assert res["warnings"] == [
        "Did not follow 1 junction or symbolic link found in the driver folders (a link can point back up the tree):"
        " C:\\tree\\nic\\back-to-top. To add the drivers a link points to, name its target folder in driver."]


# ---- force_unsigned only matters for x64 images -------------------------------------------------------

def test_force_unsigned_on_an_x86_mount_is_warned_about(lab, host, tmp_path):
    mount(lab, tmp_path, wim="C:\\images\\win10_x86.wim")
    res = play(lab, tmp_path, driver(driver=["C:\\drivers\\x86only"], force_unsigned=True)).task("driver").result
    assert res["changed"] is True and res["drivers"][0]["published_name"] == "oem0.inf"
    assert res["warnings"] == [
        "force_unsigned=true has no effect on this image: it is an x86 image (index 1 of 'C:\\images\\win10_x86.wim'),"
        " and DISM accepts unsigned drivers into x86 images anyway; force_unsigned only matters for x64 images."]


def test_force_unsigned_on_an_x64_mount_is_not_warned_about(lab, host, tmp_path):
    mount(lab, tmp_path)
    res = play(lab, tmp_path, driver(driver=["C:\\drivers\\display"], force_unsigned=True)).task("driver").result
    assert res["changed"] is True and not res.get("warnings")


# ---- completed_steps after a partial failure name the INF files ----------------------------------------

def test_a_partial_failure_names_the_inf_files_done_and_not_started(lab, host, tmp_path):
    mount(lab, tmp_path)
    lab.fault(host, "DismAddDriver", 2, "0x80070005", "Access is denied.")
    res = play(lab, tmp_path, driver(driver=["C:\\drivers\\nic", "C:\\drivers\\nic-v13", "C:\\drivers\\storage"])).task(
        "driver").result
    assert res["failed"] is True and res["changed"] is True and res["hresult"] == "0x80070005"
    assert res["completed_steps"] == ["add_driver C:\\drivers\\nic\\cnet68x64.inf"]
    assert res["not_started_steps"] == ["add_driver C:\\drivers\\storage\\cstor.inf"]
    assert res["msg"].startswith("Adding driver C:\\drivers\\nic, C:\\drivers\\nic-v13, C:\\drivers\\storage in the image at"
                                 " 'C:\\mount\\d': DismAddDriver failed with 0x80070005 ERROR_ACCESS_DENIED.")
    assert res["msg"].endswith(" Before the failure these steps completed: add_driver C:\\drivers\\nic\\cnet68x64.inf."
                               " Not started: add_driver C:\\drivers\\storage\\cstor.inf.")
    assert third_party(lab, tmp_path) == [("oem0.inf", "cnet68x64.inf", "1.2.3.4")]
