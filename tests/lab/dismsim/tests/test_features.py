"""Optional features: DismGetFeatures, DismGetFeatureInfo, DismGetFeatureParent, DismEnableFeature and
DismDisableFeature, online and in mounted images (dism-api.md 2.2, 4.1, 5.1, 5.3, 6.5, 6.7, 7.4)."""

from __future__ import annotations

import pathlib

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

SERVER_FOUNDATION = "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.20348.1"
CLIENT_FOUNDATION = "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.22631.1"
MOUNT = r"C:\mount\one"


def catalog(root: pathlib.Path) -> str:
    return (root / "Windows" / "servicing" / "LabFeatures.txt").read_text()


def state(dism, sid: int, name: str) -> int:
    hr, info = dism.feature_info(sid, name)
    assert hr == d.S_OK
    return info["state"]


@pytest.fixture
def online(initialized, dism):
    """The running Windows Server 2022 Datacenter of the host."""
    hr, sid = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    return sid


@pytest.fixture
def offline(initialized, dism):
    """win11.wim index 2 (Enterprise, a client SKU) mounted read-write at C:\\mount\\one, with a session."""
    (initialized.drive() / "mount" / "one").mkdir(parents=True)
    assert dism.mount(r"C:\images\win11.wim", MOUNT, 2)[0] == d.S_OK
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    return sid


# ---- reading --------------------------------------------------------------------------------------

def test_get_features_lists_the_catalog(dism, online):
    hr, features = dism.features(online)
    assert hr == d.S_OK and len(features) == 20
    assert features["NetFx3"] == d.STATE_REMOVED and features["NetFx3ServerFeatures"] == d.STATE_STAGED
    assert features["NetFx4"] == d.STATE_INSTALLED and features["Windows-Defender"] == d.STATE_INSTALLED
    assert features["IIS-WebServerRole"] == d.STATE_STAGED and features["SMB1Protocol"] == d.STATE_STAGED


def test_get_features_package_scoping(dism, online):
    assert dism.features(online, None, d.PACKAGE_NAME)[1] == dism.features(online)[1]   # ignored without a name
    assert dism.features(online, SERVER_FOUNDATION.upper(), d.PACKAGE_NAME)[0] == d.S_OK
    assert dism.features(online, CLIENT_FOUNDATION, d.PACKAGE_NAME) == (d.DISMAPI_E_UNKNOWN_FEATURE, {})
    assert "Package " + CLIENT_FOUNDATION + " is unknown." in dism.last_error()[1]
    assert dism.features(online, r"C:\pkgs\x.cab", d.PACKAGE_PATH)[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    assert dism.features(online, SERVER_FOUNDATION, d.PACKAGE_NONE)[0] == d.E_INVALIDARG


def test_feature_info_is_case_insensitive_and_returns_dism_spelling(dism, online):
    hr, info = dism.feature_info(online, "netfx3")
    assert hr == d.S_OK
    assert info["name"] == "NetFx3" and info["state"] == d.STATE_REMOVED
    assert info["display_name"] == ".NET Framework 3.5 (includes .NET 2.0 and 3.0)"
    assert info["description"] and info["restart"] == d.RESTART_POSSIBLE
    assert ("ServerComponent", "UniqueName", "NET-Framework-Core") in info["custom"]
    hr, info = dism.feature_info(online, "CONTAINERS", SERVER_FOUNDATION, d.PACKAGE_NAME)
    assert (hr, info["name"], info["restart"], info["custom"]) == (d.S_OK, "Containers", d.RESTART_REQUIRED, [])


def test_unknown_feature(dism, online):
    assert dism.feature_info(online, "Nope") == (d.DISMAPI_E_UNKNOWN_FEATURE, None)
    assert dism.last_error()[1] == "Feature name Nope is unknown."
    assert dism.feature_parents(online, "Nope") == (d.DISMAPI_E_UNKNOWN_FEATURE, {})
    assert dism.enable_feature(online, "Nope")[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    assert dism.disable_feature(online, "Nope")[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    assert dism.last_error()[1] == "Feature name Nope is unknown."


def test_feature_parents(dism, online):
    assert dism.feature_parents(online, "iis-staticcontent") == (d.S_OK, {"IIS-CommonHttpFeatures": d.STATE_STAGED})
    assert dism.feature_parents(online, "NetFx4") == (d.S_OK, {"NetFx4ServerFeatures": d.STATE_INSTALLED})
    assert dism.feature_parents(online, "TelnetClient") == (d.S_OK, {})


def test_client_and_x86_catalogs(initialized, dism):
    for rel, image in (("mount/c", "win11.wim"), ("mount/x", "win10_x86.wim")):
        (initialized.drive() / rel).mkdir(parents=True)
        assert dism.mount(rf"C:\images\{image}", "C:\\" + rel.replace("/", "\\"), 1,
                          flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    sid = dism.open_session(r"C:\mount\c")[1]
    features = dism.features(sid)[1]
    assert features["Microsoft-Hyper-V-All"] == d.STATE_STAGED and features["NetFx3"] == d.STATE_REMOVED
    assert features["Printing-PrintToPDFServices-Features"] == d.STATE_INSTALLED
    assert dism.feature_parents(sid, "Microsoft-Hyper-V-Management-PowerShell")[1] == {
        "Microsoft-Hyper-V-Tools-All": d.STATE_STAGED}
    assert dism.feature_info(sid, "NetFx3")[1]["custom"] == []
    x86 = dism.open_session(r"C:\mount\x")[1]
    features = dism.features(x86)[1]
    assert "Microsoft-Hyper-V-All" not in features and "SMB1Protocol-Client" in features
    x86_foundation = "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~x86~~10.0.19045.1"
    assert dism.features(x86, x86_foundation, d.PACKAGE_NAME)[0] == d.S_OK


def test_vhdx_volume_has_the_server_catalog(initialized, dism):
    (initialized.drive() / "mount" / "v").mkdir(parents=True)
    assert dism.mount(r"C:\images\disk.vhdx", r"C:\mount\v", 1, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    sid = dism.open_session(r"C:\mount\v")[1]
    assert dism.features(sid, SERVER_FOUNDATION, d.PACKAGE_NAME)[1]["Containers"] == d.STATE_STAGED


def test_image_without_a_catalog_has_no_features(initialized, dism):
    initialized.windows_tree(initialized.drive() / "bare")
    sid = dism.open_session(r"C:\bare")[1]
    assert dism.features(sid) == (d.S_OK, {})
    assert dism.enable_feature(sid, "NetFx3")[0] == d.DISMAPI_E_UNKNOWN_FEATURE


# ---- enabling -------------------------------------------------------------------------------------

def test_enable_online_without_restart_and_progress(dism, online):
    hr, calls = dism.enable_feature(online, "telnetclient")
    assert hr == d.S_OK and state(dism, online, "TelnetClient") == d.STATE_INSTALLED
    assert calls[-1] == (1000, 1000) and [call[0] for call in calls] == sorted(call[0] for call in calls)
    assert all(call[1] == 1000 for call in calls)
    assert dism.enable_feature(online, "TelnetClient")[0] == d.S_OK          # already enabled: no-op
    assert state(dism, online, "TelnetClient") == d.STATE_INSTALLED


def test_parent_disabled_without_enable_all(initialized, dism, online):
    before = catalog(initialized.drive())
    assert dism.enable_feature(online, "IIS-StaticContent")[0] == d.DISMAPI_E_PARENT_FEATURE_DISABLED
    message = dism.last_error()[1]
    assert message.startswith("One or several parent features are disabled")
    for parent in ("IIS-CommonHttpFeatures", "IIS-WebServer", "IIS-WebServerRole"):
        assert parent in message
    assert catalog(initialized.drive()) == before


def test_enable_all_enables_the_parents(dism, online):
    assert dism.enable_feature(online, "IIS-StaticContent", enable_all=True)[0] == d.S_OK
    for name in ("IIS-WebServerRole", "IIS-WebServer", "IIS-CommonHttpFeatures", "IIS-StaticContent"):
        assert state(dism, online, name) == d.STATE_INSTALLED
    assert state(dism, online, "IIS-DefaultDocument") == d.STATE_STAGED
    assert state(dism, online, "IIS-WebServerManagementTools") == d.STATE_STAGED
    # a parent in the same list counts, without EnableAll
    assert dism.enable_feature(online, "IIS-ManagementConsole;IIS-WebServerManagementTools")[0] == d.S_OK


def test_lists_are_all_or_nothing(initialized, dism, online):
    before = catalog(initialized.drive())
    assert dism.enable_feature(online, "TelnetClient;Nope")[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    assert dism.enable_feature(online, "TelnetClient;IIS-DefaultDocument")[0] == d.DISMAPI_E_PARENT_FEATURE_DISABLED
    assert dism.enable_feature(online, "TelnetClient;NetFx3", limit_access=True, enable_all=True)[0] == \
        d.CBS_E_SOURCE_MISSING
    assert catalog(initialized.drive()) == before
    assert dism.enable_feature(online, " TelnetClient ; tftp;")[0] == d.S_OK
    assert state(dism, online, "TelnetClient") == state(dism, online, "TFTP") == d.STATE_INSTALLED
    assert dism.enable_feature(online, ";")[0] == d.E_INVALIDARG


def test_enable_online_restart_required_is_pending_until_reboot(initialized, dism, online):
    assert dism.enable_feature(online, "Containers")[0] == d.S_REBOOT
    assert state(dism, online, "Containers") == d.STATE_INSTALL_PENDING
    assert "feature=Containers|InstallPending>Installed|" in catalog(initialized.drive())
    assert dism.enable_feature(online, "Containers")[0] == d.S_OK             # already enable-pending
    d.reboot(initialized)
    assert state(dism, online, "Containers") == d.STATE_INSTALLED
    assert "pending_boot" not in catalog(initialized.drive())


def test_restart_possible_is_installed_at_once_online(dism, online):
    assert dism.enable_feature(online, "Printing-PrintToPDFServices-Features")[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    src = r"C:\Windows"       # the running OS itself: NetFx3 is Removed there, so not a source
    assert dism.enable_feature(online, "NetFx3", enable_all=True, sources=[src], limit_access=True)[0] == \
        d.CBS_E_SOURCE_MISSING
    assert dism.enable_feature(online, "NetFx3", enable_all=True)[0] == d.S_OK     # WU reachable by default
    assert state(dism, online, "NetFx3") == d.STATE_INSTALLED


def test_pending_reboot_allows_other_changes_unless_the_knob_blocks(initialized, dism, online):
    assert dism.enable_feature(online, "Microsoft-Hyper-V-Online", enable_all=True)[0] == d.S_REBOOT
    assert dism.enable_feature(online, "TelnetClient")[0] == d.S_OK
    d.knob(initialized, "pending-block", "")
    assert dism.enable_feature(online, "TFTP")[0] == d.CBS_E_EXCLUSIVE_WOULD_MERGE
    assert "Microsoft-Hyper-V is InstallPending" in dism.last_error()[1]
    assert dism.disable_feature(online, "TelnetClient")[0] == d.CBS_E_EXCLUSIVE_WOULD_MERGE
    assert dism.enable_feature(online, "Microsoft-Hyper-V")[0] == d.S_OK       # the pending one itself
    d.knob(initialized, "pending-block", "0x800F0806")
    assert dism.enable_feature(online, "TFTP")[0] == d.CBS_E_PENDING
    d.reboot(initialized)
    assert dism.enable_feature(online, "TFTP")[0] == d.S_OK
    assert state(dism, online, "Microsoft-Hyper-V-Online") == d.STATE_INSTALLED


def test_package_path_enables_nothing(initialized, dism, online):
    before = catalog(initialized.drive())
    assert dism.enable_feature(online, "TelnetClient", r"C:\pkgs\never-added.cab", d.PACKAGE_PATH)[0] == d.S_OK
    assert catalog(initialized.drive()) == before
    assert dism.enable_feature(online, "TelnetClient", "Other~31bf3856ad364e35~amd64~~1.0", d.PACKAGE_NAME)[0] == \
        d.DISMAPI_E_UNKNOWN_FEATURE
    assert dism.enable_feature(online, "TelnetClient", SERVER_FOUNDATION, d.PACKAGE_NAME)[0] == d.S_OK


# ---- payload sources and Windows Update ---------------------------------------------------------------

def test_sources_are_searched_in_order(initialized, dism, online):
    wrong_build = d.make_source(initialized, "src/w11", 22631, "NetFx3")
    wrong_feature = d.make_source(initialized, "src/other", 20348, "TelnetClient")
    good = d.make_source(initialized, "src/sxs", 20348, "NetFx3", arch="amd64")
    sources = [r"C:\src\missing", r"\\server\share\sxs", "wim:C:\\x.wim:1", wrong_build, wrong_feature]
    assert dism.enable_feature(online, "NetFx3", limit_access=True, sources=sources, enable_all=True)[0] == \
        d.CBS_E_SOURCE_MISSING
    assert "NetFx3" in dism.last_error()[1] and "LimitAccess" in dism.last_error()[1]
    assert state(dism, online, "NetFx3") == d.STATE_REMOVED
    assert dism.enable_feature(online, "NetFx3", limit_access=True, sources=sources + [good], enable_all=True)[0] \
        == d.S_OK
    assert state(dism, online, "NetFx3") == d.STATE_INSTALLED
    assert state(dism, online, "NetFx3ServerFeatures") == d.STATE_INSTALLED


def test_source_of_another_architecture_does_not_count(initialized, dism, online):
    x86 = d.make_source(initialized, "src/x86", 20348, "NetFx3", arch="x86")
    assert dism.enable_feature(online, "NetFx3", limit_access=True, sources=[x86], enable_all=True)[0] == \
        d.CBS_E_SOURCE_MISSING


def test_windows_folder_of_another_image_is_a_source(initialized, dism, online):
    other = initialized.drive() / "other"
    (other / "Windows" / "servicing").mkdir(parents=True)
    text = catalog(initialized.drive()).replace("feature=NetFx3|Removed|", "feature=NetFx3|Installed|")
    (other / "Windows" / "servicing" / "LabFeatures.txt").write_text(text)
    assert dism.enable_feature(online, "NetFx3", limit_access=True, sources=[r"C:\other\Windows"],
                               enable_all=True)[0] == d.S_OK
    (other / "Windows" / "servicing" / "LabFeatures.txt").write_text(text.replace("build=20348", "build=17763"))
    d.reboot(initialized)
    assert dism.disable_feature(online, "NetFx3", remove_payload=True)[0] == d.S_OK
    assert dism.enable_feature(online, "NetFx3", limit_access=True, sources=[r"C:\other\Windows"])[0] == \
        d.CBS_E_SOURCE_MISSING


@pytest.mark.parametrize("wu,logon,expected,words", [
    (None, None, d.S_OK, None),
    ("reachable", "interactive", d.S_OK, None),
    ("reachable", "network", d.CBS_E_DOWNLOAD_FAILURE, "network logon"),
    ("unreachable", "interactive", d.CBS_E_DOWNLOAD_FAILURE, "could not be reached"),
    ("policy-blocked", "network", d.CBS_E_GROUPPOLICY_DISALLOWED, "Group Policy"),
    ("wsus", "interactive", d.CBS_E_INVALID_WINDOWS_UPDATE_COUNT_WSUS, "WSUS"),
    ("wsus", "network", d.CBS_E_DOWNLOAD_FAILURE, "network logon"),
])
def test_windows_update_knob_and_logon(initialized, dism, online, monkeypatch, wu, logon, expected, words):
    if wu:
        d.knob(initialized, "windows-update", wu)
    if logon:
        monkeypatch.setenv("DISM_LAB_LOGON", logon)
    else:
        monkeypatch.delenv("DISM_LAB_LOGON", raising=False)
    assert dism.enable_feature(online, "NetFx3", enable_all=True)[0] == expected
    assert state(dism, online, "NetFx3") == (d.STATE_INSTALLED if expected == d.S_OK else d.STATE_REMOVED)
    if words:
        assert words in dism.last_error()[1]


def test_limit_access_never_uses_windows_update(initialized, dism, online):
    d.knob(initialized, "windows-update", "reachable")
    assert dism.enable_feature(online, "NetFx3", enable_all=True, limit_access=True)[0] == d.CBS_E_SOURCE_MISSING


def test_a_source_wins_before_windows_update(initialized, dism, online, monkeypatch):
    monkeypatch.setenv("DISM_LAB_LOGON", "network")
    good = d.make_source(initialized, "src/sxs", 20348, "NetFx3")
    assert dism.enable_feature(online, "NetFx3", enable_all=True, sources=[good])[0] == d.S_OK


# ---- offline --------------------------------------------------------------------------------------------

def test_offline_enable_is_installed_and_commit_keeps_it(initialized, dism, offline):
    mount = initialized.drive() / "mount" / "one"
    assert dism.enable_feature(offline, "Microsoft-Windows-Subsystem-Linux")[0] == d.S_OK     # no 3010 offline
    assert state(dism, offline, "Microsoft-Windows-Subsystem-Linux") == d.STATE_INSTALLED
    assert "pending_boot" not in catalog(mount)
    assert dism.close_session(offline) == d.S_OK
    assert dism.unmount(MOUNT)[0] == d.S_OK                                                  # commit
    assert dism.mount(r"C:\images\win11.wim", MOUNT, 2)[0] == d.S_OK
    sid = dism.open_session(MOUNT)[1]
    assert state(dism, sid, "Microsoft-Windows-Subsystem-Linux") == d.STATE_INSTALLED
    assert dism.enable_feature(sid, "TelnetClient")[0] == d.S_OK
    assert dism.close_session(sid) == d.S_OK
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK                            # discard
    assert dism.mount(r"C:\images\win11.wim", MOUNT, 2)[0] == d.S_OK
    sid = dism.open_session(MOUNT)[1]
    assert state(dism, sid, "TelnetClient") == d.STATE_STAGED
    assert state(dism, sid, "Microsoft-Windows-Subsystem-Linux") == d.STATE_INSTALLED
    # other editions of the same WIM were not touched
    dism.close_session(sid)
    dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)
    assert dism.mount(r"C:\images\win11.wim", MOUNT, 1)[0] == d.S_OK
    assert state(dism, dism.open_session(MOUNT)[1], "Microsoft-Windows-Subsystem-Linux") == d.STATE_STAGED


def test_offline_never_uses_windows_update(initialized, dism, offline):
    d.knob(initialized, "windows-update", "reachable")
    assert dism.enable_feature(offline, "NetFx3")[0] == d.CBS_E_SOURCE_MISSING
    assert "online image" in dism.last_error()[1]
    good = d.make_source(initialized, "src/w11", 22631, "NetFx3")
    assert dism.enable_feature(offline, "NetFx3", sources=[good])[0] == d.S_OK
    assert state(dism, offline, "NetFx3") == d.STATE_INSTALLED


def test_offline_hyper_v_with_enable_all(dism, offline):
    hr, calls = dism.enable_feature(offline, "Microsoft-Hyper-V-Hypervisor", enable_all=True)
    assert hr == d.S_OK and calls[-1] == (1000, 1000)
    for name in ("Microsoft-Hyper-V-All", "Microsoft-Hyper-V", "Microsoft-Hyper-V-Hypervisor"):
        assert state(dism, offline, name) == d.STATE_INSTALLED
    assert state(dism, offline, "Microsoft-Hyper-V-Tools-All") == d.STATE_STAGED


def test_read_only_mount_can_be_read_not_changed(initialized, dism):
    (initialized.drive() / "mount" / "ro").mkdir(parents=True)
    assert dism.mount(r"C:\images\win11.wim", r"C:\mount\ro", 1, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    sid = dism.open_session(r"C:\mount\ro")[1]
    assert dism.features(sid)[1]["TelnetClient"] == d.STATE_STAGED
    assert dism.enable_feature(sid, "TelnetClient")[0] == d.E_ACCESS_DENIED
    assert dism.disable_feature(sid, "Printing-PrintToPDFServices-Features")[0] == d.E_ACCESS_DENIED


# ---- disabling ------------------------------------------------------------------------------------------

def test_disable_cascades_to_enabled_children(dism, online):
    assert dism.enable_feature(online, "IIS-StaticContent;IIS-DefaultDocument", enable_all=True)[0] == d.S_OK
    hr, calls = dism.disable_feature(online, "IIS-WebServer")
    assert hr == d.S_OK and calls[-1] == (1000, 1000)
    for name in ("IIS-WebServer", "IIS-CommonHttpFeatures", "IIS-StaticContent", "IIS-DefaultDocument"):
        assert state(dism, online, name) == d.STATE_STAGED
    assert state(dism, online, "IIS-WebServerRole") == d.STATE_INSTALLED


def test_disable_cascades_offline_on_a_client(dism, offline):
    assert dism.enable_feature(offline, "SMB1Protocol-Client;SMB1Protocol-Server", enable_all=True)[0] == d.S_OK
    assert dism.disable_feature(offline, "smb1protocol", remove_payload=True)[0] == d.S_OK
    for name in ("SMB1Protocol", "SMB1Protocol-Client", "SMB1Protocol-Server"):
        assert state(dism, offline, name) == d.STATE_STAGED          # client SKUs keep the payload


def test_remove_payload_on_server_removes(dism, online):
    assert dism.enable_feature(online, "TelnetClient")[0] == d.S_OK
    assert dism.disable_feature(online, "TelnetClient;TFTP", remove_payload=True)[0] == d.S_OK
    assert state(dism, online, "TelnetClient") == state(dism, online, "TFTP") == d.STATE_REMOVED
    assert dism.enable_feature(online, "TelnetClient", limit_access=True)[0] == d.CBS_E_SOURCE_MISSING


def test_disable_already_disabled_is_a_no_op(initialized, dism, online):
    before = catalog(initialized.drive())
    assert dism.disable_feature(online, "TelnetClient;NetFx3")[0] == d.S_OK
    assert dism.disable_feature(online, "TelnetClient", SERVER_FOUNDATION)[0] == d.S_OK
    assert dism.disable_feature(online, "TelnetClient", CLIENT_FOUNDATION)[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    assert dism.disable_feature(online, "TelnetClient;Nope")[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    assert catalog(initialized.drive()).replace("\n", "") == before.replace("\n", "")


def test_disable_online_restart_required_is_pending_until_reboot(initialized, dism, online):
    assert dism.disable_feature(online, "Windows-Defender", remove_payload=True)[0] == d.S_REBOOT
    assert state(dism, online, "Windows-Defender") == d.STATE_UNINSTALL_PENDING
    assert dism.disable_feature(online, "Windows-Defender")[0] == d.S_OK                   # already disable-pending
    d.reboot(initialized)
    assert state(dism, online, "Windows-Defender") == d.STATE_REMOVED


def test_disable_an_enable_pending_feature_cancels_it(initialized, dism, online):
    assert dism.enable_feature(online, "Microsoft-Windows-Subsystem-Linux")[0] == d.S_REBOOT
    assert dism.disable_feature(online, "Microsoft-Windows-Subsystem-Linux")[0] == d.S_OK
    assert state(dism, online, "Microsoft-Windows-Subsystem-Linux") == d.STATE_STAGED
    d.reboot(initialized)
    assert state(dism, online, "Microsoft-Windows-Subsystem-Linux") == d.STATE_STAGED


# ---- cancel ---------------------------------------------------------------------------------------------

def test_cancel_before_the_work_changes_nothing(initialized, dism, online):
    before = catalog(initialized.drive())
    event = dism.k32.CreateEventW(None, 1, 1, None)
    assert dism.enable_feature(online, "TelnetClient", cancel=event) == (d.E_CANCELLED, [])
    assert dism.disable_feature(online, "NetFx4", cancel=event) == (d.E_CANCELLED, [])
    assert dism.last_error()[1] == "The operation was canceled by the user."
    assert catalog(initialized.drive()) == before
    dism.k32.CloseHandle(event)


def test_cancel_from_the_callback_changes_nothing(initialized, dism, online):
    before = catalog(initialized.drive())
    event = dism.k32.CreateEventW(None, 1, 0, None)
    hr, calls = dism.enable_feature(online, "IIS-StaticContent", enable_all=True, cancel=event,
                                    progress=lambda cur, total: cur >= 400 and dism.k32.SetEvent(event))
    assert hr == d.E_CANCELLED and calls[-1] == (400, 1000)
    assert catalog(initialized.drive()) == before
    dism.k32.CloseHandle(event)
