"""dism_driver and dism_driver_info end to end against lab hosts (offline images mounted with
dism_image_mount), over real ansible-playbook and WinRM."""

from __future__ import annotations

import pytest

from lablib import module_task as task

pytestmark = pytest.mark.lab

LOG = "%WINDIR%\\Logs\\DISM\\dism.log"
MNT = "C:\\mount\\d"


@pytest.fixture
def host(lab, tmp_path):
    lab.labctl("reset", "win1")
    return "win1"


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
