"""dism_driver planning (plugin_utils/_drivers.py): identity, adds, removals, refusals, outcomes."""

from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils import _drivers as D
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import TaskRefused

NET_GUID = "{4d36e972-e325-11ce-bfc1-08002be10318}"
SCSI_GUID = "{4d36e97b-e325-11ce-bfc1-08002be10318}"


def package(name, version="1.2.3.4", provider="Contoso Networks", guid=NET_GUID, published=None, inbox=False, boot=False,
            cls="Net", signature=2):
    return {"published_name": published or name, "original_file_name": name, "provider_name": provider, "class_guid": guid,
            "class_name": cls, "version": version, "date": "2026-01-02T00:00:00.000", "inbox": inbox,
            "boot_critical": boot, "signature": signature, "catalog_file": name.replace(".inf", ".cat")}


INBOX = package("stornvme.inf", provider="Microsoft", guid=SCSI_GUID, inbox=True, boot=True, cls="SCSIAdapter")
NIC_12 = package("cnet68x64.inf", published="oem0.inf")
STOR = package("cstor.inf", provider="Contoso Storage", guid=SCSI_GUID, published="oem1.inf", boot=True, cls="SCSIAdapter")
INSTALLED = [INBOX, NIC_12, STOR]


def info(path, pkg=None, error=None):
    if error:
        return {"path": path, "ok": False, "error": error}
    return {"path": path, "ok": True, "package": dict(pkg, original_file_name=path.rsplit("\\", 1)[-1]), "drivers": []}


def req(*drivers, **kw):
    return D.DriverRequest(driver=list(drivers), state=kw.pop("state", "present"), **kw)


BAD_INF = {"hresult": 0xE0000003 - (1 << 32), "function": "DismGetDriverInfo", "message": "Syntax error in bad.inf line 3."}


def test_identity_ignores_path_and_case_and_release_adds_version():
    a = package("CNET68X64.INF", provider="contoso networks")
    b = dict(package("cnet68x64.inf"), original_file_name="C:\\drivers\\nic\\cnet68x64.inf")
    assert D.identity(a) == D.identity(b)
    assert D.release(a) == D.release(b)
    assert D.release(a) != D.release(package("cnet68x64.inf", version="1.3.0.0"))


def test_same_release_is_already_present_and_needs_no_call():
    plan = D.plan_present(req("C:\\drivers\\nic"), INSTALLED, [info("C:\\drivers\\nic\\cnet68x64.inf", NIC_12)], "log")
    assert not plan.changed
    assert [(d["inf"], d["outcome"], d["published_name"]) for d in plan.result["drivers"]] == [
        ("C:\\drivers\\nic\\cnet68x64.inf", "already_present", "oem0.inf")]


def test_new_version_is_added_and_reports_the_version_there():
    newer = package("cnet68x64.inf", version="1.3.0.0")
    plan = D.plan_present(req("C:\\drivers\\nic-v13"), INSTALLED, [info("C:\\drivers\\nic-v13\\cnet68x64.inf", newer)], "log")
    assert plan.changed
    entry = plan.result["drivers"][0]
    assert (entry["outcome"], entry["version"], entry["other_versions"], entry["published_name"]) == ("added", "1.3.0.0", ["1.2.3.4"], None)
    assert plan.operations[0]["op"] == "get_drivers" and plan.operations[0]["expect_same_set"] is True
    assert plan.operations[0]["all"] is True
    assert plan.operations[0]["expect"] == {"key": ["published_name", "version"], "value": INSTALLED}
    assert plan.operations[1:] == [{"op": "add_driver", "path": "C:\\drivers\\nic-v13\\cnet68x64.inf", "force_unsigned": False,
                                    "continue_on_error": False, "step": "add_driver C:\\drivers\\nic-v13\\cnet68x64.inf"}]


def test_the_same_release_twice_in_one_task_is_added_once():
    disp = package("cdisp.inf", provider="Contoso Graphics", cls="Display")
    infos = [info("C:\\a\\cdisp.inf", disp), info("C:\\b\\cdisp.inf", disp)]
    plan = D.plan_present(req("C:\\a", "C:\\b"), INSTALLED, infos, "log")
    assert [d["outcome"] for d in plan.result["drivers"]] == ["added", "duplicate"]
    assert [o["path"] for o in plan.operations if o["op"] == "add_driver"] == ["C:\\a\\cdisp.inf"]


def test_unreadable_inf_fails_the_task_by_default_and_nothing_is_added():
    infos = [info("C:\\d\\bad.inf", error=BAD_INF), info("C:\\d\\cdisp.inf", package("cdisp.inf", provider="Contoso Graphics"))]
    with pytest.raises(TaskRefused) as e:
        D.plan_present(req("C:\\d"), INSTALLED, infos, "C:\\log.txt")
    assert str(e.value).startswith("1 INF file could not be read, so nothing was added (set on_error=skip to add the others): "
                                   "Reading 'C:\\d\\bad.inf': DismGetDriverInfo failed with 0xE0000003")


def test_unreadable_inf_is_reported_and_skipped_on_request():
    infos = [info("C:\\d\\bad.inf", error=BAD_INF), info("C:\\d\\cdisp.inf", package("cdisp.inf", provider="Contoso Graphics"))]
    plan = D.plan_present(req("C:\\d", on_error="skip"), INSTALLED, infos, "log")
    assert [d["outcome"] for d in plan.result["drivers"]] == ["failed", "added"]
    assert plan.operations[-1]["continue_on_error"] is True


def test_folder_without_inf_files():
    with pytest.raises(TaskRefused) as e:
        D.plan_present(req("C:\\empty"), INSTALLED, [], "log")
    assert str(e.value) == "no .inf file found in 'C:\\empty' (set recurse=true to search subfolders)"


def test_remove_by_original_published_or_inf_path():
    assert [o["published_name"] for o in D.plan_absent(req("CNET68X64.inf", state="absent"), INSTALLED, [], "log").operations[1:]] == ["oem0.inf"]
    assert [o["published_name"] for o in D.plan_absent(req("oem0.inf", state="absent"), INSTALLED, [], "log").operations[1:]] == ["oem0.inf"]
    plan = D.plan_absent(req("C:\\drivers\\nic\\cnet68x64.inf", state="absent"), INSTALLED,
                         [info("C:\\drivers\\nic\\cnet68x64.inf", NIC_12)], "log")
    assert [o["published_name"] for o in plan.operations[1:]] == ["oem0.inf"]
    assert plan.diff["after"] == {"third_party_drivers": ["oem1.inf  cstor.inf  1.2.3.4  Contoso Storage"]}


def test_a_third_party_copy_is_found_before_an_inbox_driver_of_the_same_name():
    inbox = package("e1d68x64.inf", provider="Microsoft", inbox=True)
    vendor = package("e1d68x64.inf", provider="Intel", published="oem3.inf")
    plan = D.plan_absent(req("e1d68x64.inf", state="absent"), [inbox, vendor], [], "log")
    assert [o["published_name"] for o in plan.operations[1:]] == ["oem3.inf"]


def test_a_folder_is_refused_for_absent():
    with pytest.raises(TaskRefused, match="state=absent takes INF files, original INF names or published names, not the folder"):
        D.plan_absent(req("C:\\drivers\\nic", state="absent"), INSTALLED, [], "log")


def test_other_versions_sort_numerically_and_dates_compare_by_day():
    installed = [package("cnet68x64.inf", version="10.0.9", published="oem0.inf"),
                 package("cnet68x64.inf", version="10.0.10", published="oem1.inf")]
    plan = D.plan_present(req("C:\\n"), installed, [info("C:\\n\\cnet68x64.inf", package("cnet68x64.inf", version="11.0"))], "log")
    assert plan.result["drivers"][0]["other_versions"] == ["10.0.9", "10.0.10"]
    same_day = dict(NIC_12, date="2026-01-02T05:00:00.000")
    assert D.release(same_day) == D.release(NIC_12)


def test_every_published_copy_is_removed():
    two = INSTALLED + [package("cnet68x64.inf", version="1.3.0.0", published="oem2.inf")]
    plan = D.plan_absent(req("cnet68x64.inf", state="absent"), two, [], "log")
    assert [o["published_name"] for o in plan.operations[1:]] == ["oem0.inf", "oem2.inf"]


def test_missing_driver_is_absent_and_unchanged():
    plan = D.plan_absent(req("nothere.inf", state="absent"), INSTALLED, [], "log")
    assert not plan.changed and plan.result["drivers"][0]["outcome"] == "absent"


def test_inbox_and_boot_critical_refusals():
    with pytest.raises(TaskRefused) as e:
        D.plan_absent(req("stornvme.inf", state="absent"), INSTALLED, [], "log")
    assert str(e.value) == "stornvme.inf is a driver that ships with Windows (inbox); DISM never removes inbox drivers; nothing was removed"
    with pytest.raises(TaskRefused) as e:
        D.plan_absent(req("cstor.inf", state="absent"), INSTALLED, [], "log")
    assert str(e.value) == ("cstor.inf (oem1.inf) is boot critical: removing it can leave the image unable to boot. Set"
                            " remove_boot_critical=true to remove it anyway; nothing was removed")
    plan = D.plan_absent(req("cstor.inf", state="absent", remove_boot_critical=True), INSTALLED, [], "log")
    assert [o["published_name"] for o in plan.operations[1:]] == ["oem1.inf"]


def test_outcome_after_apply_takes_published_names_and_failures():
    disp = package("cdisp.inf", provider="Contoso Graphics", cls="Display", signature=1)
    newer = package("cnet68x64.inf", version="1.3.0.0")
    infos = [info("C:\\d\\cdisp.inf", disp), info("C:\\d\\cnet68x64.inf", newer)]
    plan = D.plan_present(req("C:\\d", on_error="skip"), INSTALLED, infos, "log")
    unsigned = {"hresult": 0x800B0100 - (1 << 32), "function": "DismAddDriver", "message": "No signature was present in the subject."}
    results = [{"op": "get_drivers", "ok": True}, {"op": "add_driver", "ok": False, "error": unsigned}, {"op": "add_driver", "ok": True}]
    after = [NIC_12, STOR, dict(newer, published_name="oem2.inf")]
    outcomes = D.present_outcome(plan, results, after, "log")
    assert [(d["outcome"], d["published_name"]) for d in outcomes] == [("failed", None), ("added", "oem2.inf")]
    assert outcomes[0]["error"].startswith("Adding 'C:\\d\\cdisp.inf': DismAddDriver failed with 0x800B0100")


# ---- steps: what completed_steps / not_started_steps name after a partial failure ------------------

def test_every_add_names_its_inf_in_its_step():
    disp = package("cdisp.inf", provider="Contoso Graphics", cls="Display")
    newer = package("cnet68x64.inf", version="1.3.0.0")
    infos = [info("C:\\drivers\\display\\cdisp.inf", disp), info("C:\\drivers\\nic-v13\\cnet68x64.inf", newer)]
    plan = D.plan_present(req("C:\\drivers", recurse=True), INSTALLED, infos, "log")
    writes = [op for op in plan.operations if "expect" not in op]
    assert [op["step"] for op in writes] == [
        "add_driver C:\\drivers\\display\\cdisp.inf", "add_driver C:\\drivers\\nic-v13\\cnet68x64.inf"]
    assert "step" not in plan.operations[0]          # the precondition is a read, not a step


def test_every_removal_names_the_published_name_and_the_inf_in_its_step():
    two = INSTALLED + [package("cnet68x64.inf", version="1.3.0.0", published="oem2.inf")]
    plan = D.plan_absent(req("cnet68x64.inf", state="absent"), two, [], "log")
    assert [op["step"] for op in plan.operations[1:]] == [
        "remove_driver oem0.inf (cnet68x64.inf 1.2.3.4)", "remove_driver oem2.inf (cnet68x64.inf 1.3.0.0)"]
    assert [op["published_name"] for op in plan.operations[1:]] == ["oem0.inf", "oem2.inf"]


# ---- folder scans: folders that cannot be listed, junctions and symbolic links ---------------------

DENIED = {"hresult": 0x80070005 - (1 << 32), "function": "FindFirstFileW", "message": None}
NOT_FOUND = {"hresult": 0x80070003 - (1 << 32), "function": "FindFirstFileW", "message": None}


def folder(path, error=None, top="C:\\drivers"):
    return {"path": path, "folder": top, "kind": "folder", "ok": False, "package": None, "drivers": None,
            "error": DENIED if error is None else error}


def link(path, top="C:\\drivers"):
    return {"path": path, "folder": top, "kind": "reparse_point", "ok": False, "package": None, "drivers": None, "error": None}


def nic_v13():
    return info("C:\\drivers\\nic-v13\\cnet68x64.inf", package("cnet68x64.inf", version="1.3.0.0"))


def test_a_folder_that_cannot_be_listed_fails_the_task_naming_it():
    with pytest.raises(TaskRefused) as e:
        D.plan_present(req("C:\\drivers", recurse=True), INSTALLED, [folder("C:\\drivers\\locked"), nic_v13()], "log")
    assert str(e.value).startswith(
        "1 folder could not be scanned, so nothing was added (set on_error=skip to add the others): Scanning folder"
        " 'C:\\drivers\\locked': ")
    assert "0x80070005 ERROR_ACCESS_DENIED" in str(e.value) and "FindFirstFileW" in str(e.value)


def test_unreadable_infs_and_folders_are_counted_apart():
    infos = [folder("C:\\drivers\\locked"), info("C:\\drivers\\bad.inf", error=BAD_INF), nic_v13()]
    with pytest.raises(TaskRefused) as e:
        D.plan_present(req("C:\\drivers", recurse=True), INSTALLED, infos, "log")
    assert str(e.value).startswith("1 INF file could not be read and 1 folder could not be scanned, so nothing was added")


def test_with_skip_a_failed_folder_is_an_entry_and_the_others_are_added():
    plan = D.plan_present(req("C:\\drivers", recurse=True, on_error="skip"), INSTALLED,
                          [folder("C:\\drivers\\locked"), nic_v13()], "log")
    assert [(d["outcome"], d["inf"], d.get("folder")) for d in plan.result["drivers"]] == [
        ("failed", None, "C:\\drivers\\locked"), ("added", "C:\\drivers\\nic-v13\\cnet68x64.inf", None)]
    assert [op["path"] for op in plan.operations[1:]] == ["C:\\drivers\\nic-v13\\cnet68x64.inf"]
    warnings = D.skipped_warnings(plan.result["drivers"], applied=False)
    assert len(warnings) == 1 and warnings[0].startswith(
        "Skipped 1 folder that could not be scanned: Scanning folder 'C:\\drivers\\locked': ")


def test_a_folder_over_max_path_says_so():
    deep = "C:\\drivers\\" + "\\".join(["d" * 60] * 4)
    deep += "e" * (257 - len(deep))                               # 257 characters: <folder>\\* is 259, which fits
    assert "MAX_PATH" not in D.plan_present(req("C:\\drivers", recurse=True, on_error="skip"), INSTALLED,
                                            [folder(deep, NOT_FOUND)], "log").result["drivers"][0]["error"]
    deeper = deep + "e"                                           # <folder>\\* is 260
    entry = D.plan_present(req("C:\\drivers", recurse=True, on_error="skip"), INSTALLED, [folder(deeper, NOT_FOUND)],
                           "log").result["drivers"][0]
    assert entry["outcome"] == "failed" and "0x80070003 ERROR_PATH_NOT_FOUND" in entry["error"]
    assert entry["error"].endswith(
        "Listing this folder takes a path of 260 characters, and Windows limits paths to 259 (MAX_PATH) for programs"
        " without long-path support: move the drivers to a folder with a shorter path.")


def test_links_are_skipped_never_failures_and_warned_about():
    plan = D.plan_present(req("C:\\drivers", recurse=True), INSTALLED, [link("C:\\drivers\\loop"), nic_v13()], "log")
    assert [(d["outcome"], d.get("folder")) for d in plan.result["drivers"]] == [
        ("skipped", "C:\\drivers\\loop"), ("added", None)]
    assert D.not_followed_warning(plan.result["drivers"]) == (
        "Did not follow 1 junction or symbolic link found in the driver folders (a link can point back up the tree):"
        " C:\\drivers\\loop. To add the drivers a link points to, name its target folder in driver.")
    assert D.skipped_warnings(plan.result["drivers"], applied=False) == []


def test_a_tree_of_links_only_has_no_inf_and_says_why():
    with pytest.raises(TaskRefused) as e:
        D.plan_present(req("C:\\drivers", recurse=True), INSTALLED, [link("C:\\drivers\\loop")], "log")
    assert str(e.value) == ("no .inf file found in 'C:\\drivers'; junctions and symbolic links are not followed:"
                            " C:\\drivers\\loop")


def test_a_named_folder_that_cannot_be_listed_is_still_a_folder_for_absent():
    with pytest.raises(TaskRefused, match="not the folder 'C:\\\\drivers\\\\locked'"):
        D.plan_absent(req("C:\\drivers\\locked", state="absent"), INSTALLED, [folder("C:\\drivers\\locked")], "log")


# ---- force_unsigned and the image's architecture --------------------------------------------------

X86_MOUNT = {"image_file_path": "C:\\images\\win10_x86.wim", "image_index": 1, "architecture": 0}


def test_force_unsigned_on_an_x86_image_is_warned_about():
    assert D.force_unsigned_warning(req("C:\\d", force_unsigned=True), X86_MOUNT) == (
        "force_unsigned=true has no effect on this image: it is an x86 image (index 1 of 'C:\\images\\win10_x86.wim'),"
        " and DISM accepts unsigned drivers into x86 images anyway; force_unsigned only matters for x64 images.")


@pytest.mark.parametrize("request_, image", [
    (req("C:\\d", force_unsigned=True), dict(X86_MOUNT, architecture=9)),     # x64: it matters
    (req("C:\\d", force_unsigned=True), None),                                # not a mount: unknown, say nothing
    (req("C:\\d", force_unsigned=True), dict(X86_MOUNT, architecture=None)),  # index not found in the file
    (req("C:\\d", force_unsigned=False), X86_MOUNT),
    (req("oem1.inf", state="absent", force_unsigned=True), X86_MOUNT),
])
def test_force_unsigned_is_not_warned_about_otherwise(request_, image):
    assert D.force_unsigned_warning(request_, image) is None
