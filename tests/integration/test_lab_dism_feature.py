"""dism_feature and dism_feature_info end to end against lab hosts: online (the simulated running
Windows Server 2022) and in a mounted image, over real ansible-playbook and WinRM."""

from __future__ import annotations

import pytest

from lablib import module_task as task

pytestmark = pytest.mark.lab

LOG = "%WINDIR%\\Logs\\DISM\\dism.log"
WIM = "C:\\images\\win11.wim"


def feature(title="feature", **args):
    return task("dism_feature", title, **args)


def play(lab, tmp_path, *tasks, check=False, diff=False):
    return lab.playbook("\n".join(tasks), tmp_path, check=check, diff=diff)


def states(lab, tmp_path, *names, path=None):
    args = {"name": list(names)}
    if path:
        args["path"] = path
    res = play(lab, tmp_path, task("dism_feature_info", "info", **args)).task("info").result
    return {f["name"]: f["state"] for f in res["features"]}


def test_check_apply_rerun_online(lab, host, tmp_path):
    check = play(lab, tmp_path, feature(name=["telnetclient"]), check=True, diff=True).task("feature").result
    assert check["changed"] is True
    assert check["features"] == [{"name": "TelnetClient", "display_name": "Telnet Client", "state_before": "disabled",
                                  "state_after": "enabled", "restart": "no", "changed": True}]
    assert check["diff"] == {"before": {"features": {"TelnetClient": "disabled"}}, "after": {"features": {"TelnetClient": "enabled"}}}
    assert states(lab, tmp_path, "TelnetClient") == {"TelnetClient": "disabled"}
    applied = play(lab, tmp_path, feature(name=["TelnetClient"])).task("feature").result
    assert applied["changed"] is True and applied["reboot_required"] is False
    assert applied["features"][0]["state_after"] == "enabled"
    rerun = play(lab, tmp_path, feature(name=["TelnetClient"])).task("feature").result
    assert rerun["changed"] is False
    off = play(lab, tmp_path, feature(name=["TelnetClient"], state="disabled")).task("feature").result
    assert off["changed"] is True and off["features"][0]["state_after"] == "disabled"
    assert play(lab, tmp_path, feature(name=["TelnetClient"], state="disabled")).task("feature").result["changed"] is False


def test_restart_required_feature_is_pending_until_reboot(lab, host, tmp_path):
    check = play(lab, tmp_path, feature(name=["Microsoft-Hyper-V"]), check=True).task("feature").result
    assert check["reboot_required"] is True and check["features"][0]["restart"] == "required"
    res = play(lab, tmp_path, feature(name=["Microsoft-Hyper-V"])).task("feature").result
    assert res["changed"] is True and res["reboot_required"] is True
    assert res["features"][0]["state_after"] == "enable_pending"
    # EnablePending satisfies enabled: the rerun changes nothing and asks for nothing.
    rerun = play(lab, tmp_path, feature(name=["Microsoft-Hyper-V"])).task("feature").result
    assert rerun["changed"] is False and rerun["reboot_required"] is False
    lab.labctl("reboot", host)
    assert states(lab, tmp_path, "Microsoft-Hyper-V") == {"Microsoft-Hyper-V": "enabled"}
    off = play(lab, tmp_path, feature(name=["Microsoft-Hyper-V"], state="disabled")).task("feature").result
    assert off["reboot_required"] is True and off["features"][0]["state_after"] == "disable_pending"
    assert play(lab, tmp_path, feature(name=["Microsoft-Hyper-V"], state="disabled")).task("feature").result["changed"] is False


def test_parents_fail_without_include_parent_and_are_predicted_with_it(lab, host, tmp_path):
    res = play(lab, tmp_path, feature(name=["IIS-StaticContent"])).task("feature").result
    assert res["failed"] is True
    assert res["msg"] == (
        "Enabling IIS-StaticContent in the running Windows installation: IIS-StaticContent needs its parent features"
        " enabled first: IIS-CommonHttpFeatures (disabled), IIS-WebServer (disabled), IIS-WebServerRole (disabled)."
        " Set include_parent=true to enable them with it.")
    check = play(lab, tmp_path, feature(name=["IIS-StaticContent"], include_parent=True), check=True).task("feature").result
    assert check["parents_enabled"] == ["IIS-CommonHttpFeatures", "IIS-WebServer", "IIS-WebServerRole"]
    res = play(lab, tmp_path, feature(name=["IIS-StaticContent"], include_parent=True)).task("feature").result
    assert res["changed"] is True and res["parents_enabled"] == ["IIS-CommonHttpFeatures", "IIS-WebServer", "IIS-WebServerRole"]
    assert set(states(lab, tmp_path, "IIS-*").items()) >= {("IIS-StaticContent", "enabled"), ("IIS-WebServerRole", "enabled")}


def test_unknown_names_are_all_listed_and_nothing_changes(lab, host, tmp_path):
    res = play(lab, tmp_path, feature(name=["TelnetClient", "IIS-WebServr", "Quake3"])).task("feature").result
    assert res["msg"] == (
        "Enabling TelnetClient, IIS-WebServr, Quake3 in the running Windows installation: unknown features 'IIS-WebServr'"
        " (did you mean 'IIS-WebServer' or 'IIS-WebServerRole'?), 'Quake3'; DISM lists 20 features here, list them with"
        " winimaging.dism.dism_feature_info.")
    assert states(lab, tmp_path, "TelnetClient") == {"TelnetClient": "disabled"}


def test_payload_removed_needs_a_source_under_a_network_logon(lab, host, tmp_path):
    res = play(lab, tmp_path, feature(name=["NetFx3"], include_parent=True)).task("feature").result
    assert res["failed"] is True and res["hresult"] == "0x800F0906" and res["hresult_name"] == "CBS_E_DOWNLOAD_FAILURE"
    assert "network logon" in res["dism_message"]
    assert "Hint: Give 'source' with a folder that holds the payload of the same Windows build" in res["msg"]
    res = play(lab, tmp_path, feature(name=["NetFx3"], include_parent=True, limit_access=True)).task("feature").result
    assert res["hresult"] == "0x800F081F" and res["hresult_name"] == "CBS_E_SOURCE_MISSING"
    lab.labctl("make-source", host, "D:\\sources\\sxs", "NetFx3,NetFx3ServerFeatures")
    res = play(lab, tmp_path, feature(name=["NetFx3"], include_parent=True, source=["C:\\nowhere", "D:\\sources\\sxs"],
                                      limit_access=True)).task("feature").result
    assert res["changed"] is True and res["features"][0]["state_before"] == "disabled_with_payload_removed"
    assert res["features"][0]["state_after"] == "enabled" and res["parents_enabled"] == ["NetFx3ServerFeatures"]


@pytest.mark.parametrize("knob, code, name", [
    ("policy-blocked", "0x800F0907", "CBS_E_GROUPPOLICY_DISALLOWED"),
    ("wsus", "0x800F0954", "CBS_E_INVALID_WINDOWS_UPDATE_COUNT_WSUS"),
])
def test_windows_update_failures_have_their_names(lab, host, tmp_path, knob, code, name):
    lab.labctl("windows-update", host, knob)
    become = ["-b", "-e", "ansible_become_method=runas", "-e", "ansible_become_user=SYSTEM"]
    run = lab.playbook(feature(name=["NetFx3"], include_parent=True), tmp_path, extra_args=become)
    res = run.task("feature").result
    assert (res.get("hresult"), res.get("hresult_name")) == (code, name), run.stdout[-2000:]


def test_removed_payload_on_server(lab, host, tmp_path):
    res = play(lab, tmp_path, feature(name=["TelnetClient"], state="removed")).task("feature").result
    assert res["changed"] is True and res["features"][0]["state_after"] == "disabled_with_payload_removed"
    assert play(lab, tmp_path, feature(name=["TelnetClient"], state="removed")).task("feature").result["changed"] is False
    assert play(lab, tmp_path, feature(name=["TelnetClient"], state="disabled")).task("feature").result["changed"] is False
    # Online with a restart: DisablePending satisfies removed until the restart finishes it.
    res = play(lab, tmp_path, feature(name=["Windows-Defender"], state="removed")).task("feature").result
    assert res["changed"] is True and res["reboot_required"] is True and res["features"][0]["state_after"] == "disable_pending"
    assert play(lab, tmp_path, feature(name=["Windows-Defender"], state="removed")).task("feature").result["changed"] is False
    lab.labctl("reboot", host)
    assert states(lab, tmp_path, "Windows-Defender") == {"Windows-Defender": "disabled_with_payload_removed"}


def test_mounted_image_commit_keeps_and_discard_drops(lab, host, tmp_path):
    mount = ("- name: mount\n  winimaging.dism.dism_image_mount:\n    image_path: '%s'\n    index: 1\n    path: 'C:\\mount\\f'" % WIM)
    play(lab, tmp_path, mount)
    check = play(lab, tmp_path, feature(name=["TelnetClient"], path="C:\\mount\\f"), check=True).task("feature").result
    assert check["changed"] is True and check["reboot_required"] is False
    res = play(lab, tmp_path, feature(name=["TelnetClient", "Microsoft-Windows-Subsystem-Linux"], path="C:\\mount\\f")).task("feature").result
    assert res["changed"] is True and res["reboot_required"] is False  # offline changes never ask for a restart
    assert [f["state_after"] for f in res["features"]] == ["enabled", "enabled"]
    assert play(lab, tmp_path, feature(name=["TelnetClient"], path="C:\\mount\\f")).task("feature").result["changed"] is False
    # the running Windows was not touched
    assert states(lab, tmp_path, "TelnetClient") == {"TelnetClient": "disabled"}
    play(lab, tmp_path, "- name: commit\n  winimaging.dism.dism_image_mount:\n    path: 'C:\\mount\\f'\n    state: unmounted\n    commit: true")
    play(lab, tmp_path, mount)
    assert states(lab, tmp_path, "TelnetClient", path="C:\\mount\\f") == {"TelnetClient": "enabled"}
    play(lab, tmp_path, feature(name=["TFTP"], path="C:\\mount\\f"))
    play(lab, tmp_path, "- name: discard\n  winimaging.dism.dism_image_mount:\n    path: 'C:\\mount\\f'\n    state: unmounted\n    commit: false")
    play(lab, tmp_path, mount)
    assert states(lab, tmp_path, "TelnetClient", "TFTP", path="C:\\mount\\f") == {"TelnetClient": "enabled", "TFTP": "disabled"}


def test_return_code_3010_and_1_from_dism(lab, host, tmp_path):
    lab.fault(host, "DismEnableFeature", 1, "0x00000BC2")
    res = play(lab, tmp_path, feature(name=["TelnetClient"])).task("feature").result
    assert res["changed"] is True and res["reboot_required"] is True
    lab.fault(host, "DismEnableFeature", 2, "0x00000001")
    res = play(lab, tmp_path, feature(name=["TFTP"])).task("feature").result
    # 1 means "reopen the session": the after-state is read in the reopened session and is correct.
    assert res["changed"] is True and res.get("failed") is not True and res["features"][0]["state_after"] == "enabled"


def test_feature_info_lists_with_wildcards(lab, host, tmp_path):
    res = play(lab, tmp_path, task("dism_feature_info", "info", name=["iis-*", "NetFx3"])).task("info").result
    names = [f["name"] for f in res["features"]]
    assert "NetFx3" in names and "IIS-StaticContent" in names and "TelnetClient" not in names
    netfx3 = next(f for f in res["features"] if f["name"] == "NetFx3")
    assert netfx3 == {"name": "NetFx3", "state": "disabled_with_payload_removed",
                      "display_name": ".NET Framework 3.5 (includes .NET 2.0 and 3.0)", "description": netfx3["description"],
                      "restart": "possible", "parents": ["NetFx3ServerFeatures"],
                      "custom_properties": [{"name": "Id", "path": "ServerComponent", "value": "36"},
                                            {"name": "Type", "path": "ServerComponent", "value": "Feature"},
                                            {"name": "UniqueName", "path": "ServerComponent", "value": "NET-Framework-Core"}]}
    # Matched only by a wildcard: name and state, details not read (null).
    static = next(f for f in res["features"] if f["name"] == "IIS-StaticContent")
    assert static == {"name": "IIS-StaticContent", "state": "disabled", "display_name": None, "description": None,
                      "restart": None, "parents": None, "custom_properties": None}
    every = play(lab, tmp_path, task("dism_feature_info", "all", details=True)).task("all").result["features"]
    assert len(every) == 20 and all(f["display_name"] for f in every)
    iis = play(lab, tmp_path, task("dism_feature_info", "iis", name=["IIS-*"], details=True)).task("iis").result["features"]
    assert len(iis) == 7 and all(f["display_name"] and f["parents"] is not None for f in iis)
    bare = play(lab, tmp_path, task("dism_feature_info", "bare", name=["NetFx3"], details=False)).task("bare").result["features"]
    assert bare == [{"name": "NetFx3", "state": "disabled_with_payload_removed", "display_name": None, "description": None,
                     "restart": None, "parents": None, "custom_properties": None}]


def test_offline_disable_and_client_edition_keeps_removed_payload(lab, host, tmp_path):
    mount = ("- name: mount\n  winimaging.dism.dism_image_mount:\n    image_path: '%s'\n    index: 2\n    path: 'C:\\mount\\c'" % WIM)
    play(lab, tmp_path, mount)
    on = play(lab, tmp_path, feature(name=["Printing-PrintToPDFServices-Features"], state="disabled", path="C:\\mount\\c"),
              check=True).task("feature").result
    assert on["changed"] is True and on["features"][0]["state_before"] == "enabled"
    off = play(lab, tmp_path, feature(name=["Printing-PrintToPDFServices-Features"], state="disabled", path="C:\\mount\\c")).task("feature").result
    assert off["changed"] is True and off["features"][0]["state_after"] == "disabled"
    # A client edition keeps the payload: removing is reported honestly as no change, with a warning.
    removed = play(lab, tmp_path, feature(name=["Printing-PrintToPDFServices-Features"], state="removed", path="C:\\mount\\c")).task("feature").result
    assert removed["changed"] is False and removed["features"][0]["state_after"] == "disabled"
    assert removed["warnings"] == ["This Windows edition keeps the payload of disabled features (client editions since Windows 10),"
                                   " so Printing-PrintToPDFServices-Features stayed disabled with its payload."]


def test_diff_shows_the_parents_include_parent_enables(lab, host, tmp_path):
    task_yaml = feature(name=["IIS-StaticContent"], include_parent=True)
    check = play(lab, tmp_path, task_yaml, check=True, diff=True).task("feature").result
    applied = play(lab, tmp_path, task_yaml, diff=True).task("feature").result
    for result in (check, applied):
        assert set(result["diff"]["before"]["features"]) == {"IIS-StaticContent", "IIS-CommonHttpFeatures", "IIS-WebServer",
                                                             "IIS-WebServerRole"}
        assert set(result["diff"]["before"]["features"].values()) == {"disabled"}
        assert set(result["diff"]["after"]["features"].values()) == {"enabled"}, result["diff"]
    assert applied["parents_enabled"] == ["IIS-CommonHttpFeatures", "IIS-WebServer", "IIS-WebServerRole"]
