"""dism_package planning (plugin_utils/_packages.py): identities, every state x every desired state, files,
.msu files, applicability, removal, the apply batch and the outcome read back after the change."""

from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils import _packages as P
from ansible_collections.winimaging.dism.plugins.plugin_utils._dism_enums import PackageFeatureState as S
from ansible_collections.winimaging.dism.plugins.plugin_utils._dism_enums import ReleaseType, RestartType
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import TaskRefused

LOG = r"C:\Windows\Logs\DISM\dism.log"
LCU = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2031.1.2"
OLD_LCU = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.1906.1.6"
HOTFIX = "Package_for_KB5030999~31bf3856ad364e35~amd64~~10.0.1.0"
FOUNDATION = "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.20348.1"
SSU = "Package_for_ServicingStack_1906~31bf3856ad364e35~amd64~~20348.1906.1.0"

# (desired, DISM state) -> "ok" (already satisfied) or "change"; DismAddPackage / DismRemovePackage take
# a package in any state, so no state refuses.
EXPECTED = {
    "present": {S.NOT_PRESENT: "change", S.UNINSTALL_PENDING: "change", S.STAGED: "change", S.REMOVED: "change",
                S.INSTALLED: "ok", S.INSTALL_PENDING: "ok", S.SUPERSEDED: "ok", S.PARTIALLY_INSTALLED: "change"},
    "absent": {S.NOT_PRESENT: "ok", S.UNINSTALL_PENDING: "ok", S.STAGED: "change", S.REMOVED: "change",
               S.INSTALLED: "change", S.INSTALL_PENDING: "change", S.SUPERSEDED: "change", S.PARTIALLY_INSTALLED: "change"},
}


def test_the_table_covers_every_dism_state():
    assert all(set(row) == set(S) for row in EXPECTED.values())
    for desired, (satisfied, changeable) in P.STATE_RULES.items():
        assert not satisfied & changeable, desired


@pytest.mark.parametrize("desired", sorted(EXPECTED))
@pytest.mark.parametrize("state", list(S))
def test_state_table(desired, state):
    assert P.needs_change(desired, state) is (EXPECTED[desired][state] == "change")


def test_a_state_dism_added_later_is_refused_not_guessed():
    with pytest.raises(TaskRefused, match=r"its state is unknown\(9\), which DISM cannot change to present"):
        P.needs_change("present", 9)


@pytest.mark.parametrize(("identity", "parts"), [
    (LCU, {"name": "Package_for_RollupFix", "public_key_token": "31bf3856ad364e35", "architecture": "amd64",
           "language": "", "version": "20348.2031.1.2"}),
    ("Microsoft-Windows-LanguageFeatures-Basic-de-de-Package~31bf3856ad364e35~amd64~de-DE~10.0.20348.1",
     {"name": "Microsoft-Windows-LanguageFeatures-Basic-de-de-Package", "public_key_token": "31bf3856ad364e35",
      "architecture": "amd64", "language": "de-DE", "version": "10.0.20348.1"}),
    ("Microsoft.Windows.Calc.Demo~6595b6144ccf1df~x86~en~1.0.0.0",
     {"name": "Microsoft.Windows.Calc.Demo", "public_key_token": "6595b6144ccf1df", "architecture": "x86",
      "language": "en", "version": "1.0.0.0"}),
])
def test_identities_parse_into_their_five_parts(identity, parts):
    assert P.parse_identity(identity) == parts
    assert P.identity_parts(identity) == parts


@pytest.mark.parametrize(("identity", "why"), [
    ("KB5031364", "is not a package identity"),
    ("windows10.0-kb5031364-x64.cab", "is not a package identity"),
    ("Package_for_RollupFix~31bf3856ad364e35~amd64~~", "is not a package identity"),
    ("~31bf3856ad364e35~amd64~~1.0", "is not a package identity"),
    ("Package~31bf3856ad364e35~amd64~~1.0~extra", "is not a package identity"),
    ("Package~31bf3856ad364e35~amd64~~1.x.0", "its version '1.x.0' is not numeric"),
])
def test_other_names_are_not_identities(identity, why):
    with pytest.raises(ValueError, match=why):
        P.parse_identity(identity)
    assert P.identity_parts(identity) is None


def test_versions_compare_numerically():
    assert P.version_key("20348.2031.1.2") > P.version_key("20348.1906.1.6")
    assert P.version_key("10.0.10.0") > P.version_key("10.0.9.0")


def info(name, state=S.NOT_PRESENT, applicable=True, restart=RestartType.NO, release=ReleaseType.HOTFIX, offline=0):
    return {"name": name, "state": state, "applicable": applicable, "restart": restart, "release_type": release,
            "fully_offline": offline, "display_name": name.split("~")[0], "description": None, "install_time": None,
            "product_version": None, "support_information": None}


def cab(path, *args, **kwargs):
    return {"path": path, "folder": None, "kind": "cab", "ok": True, "error": None, "info": info(*args, **kwargs)}


def listed(name, state=S.INSTALLED):
    return {"name": name, "state": state, "release_type": ReleaseType.HOTFIX, "install_time": "2026-12-01T10:00:00.000"}


INSTALLED = [listed(FOUNDATION), listed(SSU), listed(OLD_LCU)]


def request(state="present", online=False, **kwargs):
    return P.PackageRequest(package_path=kwargs.pop("package_path", []), package_name=kwargs.pop("package_name", []),
                            state=state, online=online, **kwargs)


def test_a_new_package_is_added_after_the_unchanged_precondition():
    plan = P.plan_present(request(), INSTALLED, [cab(r"C:\p\hotfix.cab", HOTFIX)], LOG)
    assert plan.changed
    assert plan.operations[0] == {"op": "get_packages", "expect_same_set": True,
                                  "expect": {"key": ["name", "state"], "value": INSTALLED}}
    assert plan.operations[1] == {"op": "add_package", "path": r"C:\p\hotfix.cab", "ignore_check": False,
                                  "prevent_pending": False, "step": r"add_package C:\p\hotfix.cab (%s)" % HOTFIX}
    [outcome] = plan.result["packages"]
    assert (outcome["name"], outcome["state_before"], outcome["state_after"], outcome["changed"]) == (
        HOTFIX, "not_present", "installed", True)
    assert plan.diff == {"before": {"packages": {HOTFIX: "not_present"}}, "after": {"packages": {HOTFIX: "installed"}}}
    assert plan.result["reboot_required"] is False


@pytest.mark.parametrize("state", [S.INSTALLED, S.INSTALL_PENDING, S.SUPERSEDED])
def test_a_rerun_adds_nothing(state):
    plan = P.plan_present(request(), INSTALLED, [cab(r"C:\p\lcu.cab", LCU, state=state)], LOG)
    assert not plan.changed
    assert plan.result["packages"][0]["changed"] is False
    assert plan.result["packages"][0]["state_after"] == P.state_name(state)


@pytest.mark.parametrize(("online", "restart", "offline", "expected", "reboot"), [
    (True, RestartType.REQUIRED, 0, "install_pending", True),
    (True, RestartType.POSSIBLE, 0, "installed", False),
    (True, RestartType.NO, 1, "installed", False),
    (False, RestartType.REQUIRED, 0, "installed", False),
    (False, RestartType.NO, 1, "install_pending", False),   # needs the online phase: pending until first boot
    (False, RestartType.NO, 2, "installed", False),
])
def test_check_mode_predicts_the_state_dism_will_report(online, restart, offline, expected, reboot):
    plan = P.plan_present(request(online=online), INSTALLED, [cab(r"C:\p\lcu.cab", LCU, restart=restart, offline=offline)], LOG)
    assert plan.result["packages"][0]["state_after"] == expected
    assert plan.result["reboot_required"] is reboot


def test_a_package_that_does_not_apply_refuses_the_whole_task():
    entries = [cab(r"C:\p\hotfix.cab", HOTFIX), cab(r"C:\p\win11.cab", LCU, applicable=False)]
    with pytest.raises(TaskRefused, match=r"nothing was added: .*win11.cab\) is not applicable to this image.*ignore_check=true"):
        P.plan_present(request(), INSTALLED, entries, LOG)


def test_ignore_check_adds_a_package_that_does_not_apply():
    plan = P.plan_present(request(ignore_check=True), INSTALLED, [cab(r"C:\p\win11.cab", LCU, applicable=False)], LOG)
    assert plan.operations[1]["ignore_check"] is True


def test_an_installed_package_is_not_refused_for_applicability():
    # DISM reports an installed (superseded) package as not applicable on some builds: nothing to add anyway.
    plan = P.plan_present(request(), INSTALLED, [cab(r"C:\p\old.cab", OLD_LCU, state=S.SUPERSEDED, applicable=False)], LOG)
    assert not plan.changed


def test_files_are_added_in_the_order_given_and_the_same_package_once():
    entries = [cab(r"C:\p\ssu.cab", SSU.replace("1906", "2031")), cab(r"C:\p\lcu.cab", LCU), cab(r"C:\copy\lcu.cab", LCU)]
    plan = P.plan_present(request(prevent_pending=True), INSTALLED, entries, LOG)
    adds = [op for op in plan.operations if op["op"] == "add_package"]
    assert [op["path"] for op in adds] == [r"C:\p\ssu.cab", r"C:\p\lcu.cab"]
    assert all(op["prevent_pending"] for op in adds)


def test_unreadable_files_and_folders_are_named_and_nothing_is_added():
    entries = [
        cab(r"C:\p\hotfix.cab", HOTFIX),
        {"path": r"C:\p\missing.cab", "kind": "cab", "ok": False, "info": None,
         "error": {"hresult": 0x80070002, "function": "DismGetPackageInfo", "message": "The system cannot find the file specified."}},
        {"path": r"C:\empty", "kind": "folder", "ok": True, "empty": True, "info": None, "error": None},
        {"path": r"C:\locked", "kind": "folder", "ok": False, "info": None,
         "error": {"hresult": 0x80070005, "function": "FindFirstFileW", "message": None}},
    ]
    with pytest.raises(TaskRefused) as e:
        P.plan_present(request(), INSTALLED, entries, LOG)
    msg = str(e.value)
    assert msg.startswith("nothing was added: ")
    assert r"Reading the package 'C:\p\missing.cab': DismGetPackageInfo failed with 0x80070002 ERROR_FILE_NOT_FOUND" in msg
    assert r"the folder 'C:\empty' holds no .cab or .msu file" in msg
    assert r"Listing the folder 'C:\locked': the helper's Windows call FindFirstFileW failed with 0x80070005" in msg


MSU = {"path": r"C:\p\kb.msu", "folder": None, "kind": "msu", "ok": True, "info": None, "error": None}


def test_an_msu_is_refused_online_before_anything_runs():
    with pytest.raises(TaskRefused, match=r"an .msu file, which DISM adds to offline images only.*win_hotfix"):
        P.plan_present(request(online=True), INSTALLED, [MSU], LOG)


def test_an_msu_is_always_added_offline_and_check_mode_says_why():
    plan = P.plan_present(request(), INSTALLED, [MSU], LOG)
    assert [op["op"] for op in plan.operations] == ["get_packages", "add_package"]
    assert plan.result["packages"][0]["changed"] is None
    assert "cannot read the packages inside an .msu" in plan.result["warnings"][0]


def test_the_outcome_of_an_msu_is_what_changed_in_the_package_list():
    plan = P.plan_present(request(), INSTALLED, [MSU], LOG)
    after = [listed(FOUNDATION), listed(SSU), listed(OLD_LCU, S.SUPERSEDED), listed(LCU, S.INSTALL_PENDING)]
    result = P.apply_outcome(plan, "present", INSTALLED, after, reboot_required=False)
    [msu] = result["packages"]
    assert msu["changed"] is True
    assert msu["packages"] == [{"name": OLD_LCU, "state_before": "installed", "state_after": "superseded"},
                               {"name": LCU, "state_before": None, "state_after": "install_pending"}]
    assert result["changed"] is True and "warnings" not in result


def test_an_msu_already_installed_reports_no_change():
    plan = P.plan_present(request(), INSTALLED, [MSU], LOG)
    result = P.apply_outcome(plan, "present", INSTALLED, list(INSTALLED), reboot_required=False)
    assert result["changed"] is False and result["packages"][0]["packages"] == []


def test_the_outcome_reads_the_states_back_and_fails_when_dism_did_not_install():
    plan = P.plan_present(request(), INSTALLED, [cab(r"C:\p\hotfix.cab", HOTFIX)], LOG)
    ok = P.apply_outcome(plan, "present", INSTALLED, INSTALLED + [listed(HOTFIX)], reboot_required=False)
    assert ok["changed"] is True and ok["packages"][0]["state_after"] == "installed"
    with pytest.raises(TaskRefused, match="DISM reported success but %s is not installed, not present" % HOTFIX) as e:
        P.apply_outcome(plan, "present", INSTALLED, INSTALLED, reboot_required=False)
    assert e.value.result["changed"] is True


def test_a_restart_request_from_dism_is_a_change():
    plan = P.plan_present(request(online=True), INSTALLED, [cab(r"C:\p\hotfix.cab", HOTFIX)], LOG)
    result = P.apply_outcome(plan, "present", INSTALLED, INSTALLED + [listed(HOTFIX, S.INSTALL_PENDING)], reboot_required=True)
    assert result["reboot_required"] is True and result["changed"] is True


def test_name_entries_carry_the_details_of_installed_packages_only():
    detailed = dict(listed(HOTFIX), info=info(HOTFIX, S.INSTALLED))
    entries = P.name_entries([HOTFIX.upper(), LCU], INSTALLED + [detailed])
    assert entries[0]["info"]["name"] == HOTFIX and entries[1]["info"] is None
    assert P.name_entries([SSU], INSTALLED)[0]["info"] == listed(SSU)  # no details read: the list entry


def test_removal_by_identity_and_by_file():
    installed = INSTALLED + [listed(HOTFIX), listed(LCU)]
    entries = P.name_entries([HOTFIX], INSTALLED + [dict(listed(HOTFIX), info=info(HOTFIX, S.INSTALLED))]) + [
        cab(r"C:\p\lcu.cab", LCU, state=S.INSTALLED)]
    plan = P.plan_absent(request("absent"), installed, entries, LOG)
    assert [(op["op"], op.get("name")) for op in plan.operations[1:]] == [("remove_package", HOTFIX), ("remove_package", LCU)]
    assert plan.diff["after"]["packages"] == {HOTFIX: None, LCU: None}
    result = P.apply_outcome(plan, "absent", installed, INSTALLED, reboot_required=False)
    assert result["changed"] is True and [p["state_after"] for p in result["packages"]] == [None, None]


def test_removal_of_what_is_not_installed_is_ok():
    entries = P.name_entries([HOTFIX], INSTALLED) + [cab(r"C:\p\lcu.cab", LCU, state=S.NOT_PRESENT)]
    plan = P.plan_absent(request("absent"), INSTALLED, entries, LOG)
    assert not plan.changed
    assert [p["changed"] for p in plan.result["packages"]] == [False, False]


def test_removal_online_of_a_package_that_needs_a_restart_predicts_uninstall_pending():
    entries = P.name_entries([LCU], [dict(listed(LCU), info=info(LCU, S.INSTALLED, restart=RestartType.REQUIRED))])
    plan = P.plan_absent(request("absent", online=True), INSTALLED + [listed(LCU)], entries, LOG)
    assert plan.result["packages"][0]["state_after"] == "uninstall_pending"
    assert plan.result["reboot_required"] is True


@pytest.mark.parametrize(("entry", "why"), [
    ({"name": FOUNDATION, "kind": "name", "ok": True, "error": None,
      "info": info(FOUNDATION, S.INSTALLED, release=ReleaseType.FOUNDATION)}, "is the image's foundation package"),
    ({"name": "KB5031364", "kind": "name", "ok": True, "info": None, "error": None}, "'KB5031364' is not a package identity"),
    (MSU, "DismRemovePackage does not take"),
])
def test_removals_dism_cannot_do_are_refused_before_anything_changes(entry, why):
    with pytest.raises(TaskRefused, match="nothing was removed: .*" + why):
        P.plan_absent(request("absent"), INSTALLED, [entry], LOG)


def test_info_selection_and_details():
    packages = [listed(FOUNDATION), listed(LCU), listed(HOTFIX)]
    assert P.select_packages(packages, ["package_for_*"]) == packages[1:]
    assert P.select_packages(packages, None) == packages
    assert P.packages_read([HOTFIX, "Package_for_*"], None) == {"op": "get_packages", "details": [HOTFIX]}
    assert P.packages_read(["Package_for_*"], True) == {"op": "get_packages", "details_match": ["Package_for_*"]}
    assert P.packages_read(None, True) == {"op": "get_packages", "all_details": True}
    assert P.packages_read([HOTFIX], False) == {"op": "get_packages"}
    facts = P.listed_facts(listed(LCU), None)
    assert facts["name"] == LCU and facts["state"] == "installed" and facts["release_type"] == "hotfix"
    assert facts["display_name"] is None and facts["identity"]["version"] == "20348.2031.1.2"
    detailed = P.listed_facts(listed(LCU), info(LCU, S.INSTALLED, restart=RestartType.REQUIRED))
    assert detailed["restart"] == "required" and detailed["applicable"] is True


def test_package_file_facts():
    assert P.file_facts(cab(r"C:\p\lcu.cab", LCU), LOG)["identity"]["name"] == "Package_for_RollupFix"
    assert P.file_facts(MSU, LOG)["kind"] == "msu"
    failed = P.file_facts({"path": r"C:\p\x.cab", "kind": "cab", "ok": False,
                           "error": {"hresult": 0x800F0805, "function": "DismGetPackageInfo", "message": "not a package"}}, LOG)
    assert "0x800F0805 CBS_E_INVALID_PACKAGE" in failed["error"] and failed["name"] is None
