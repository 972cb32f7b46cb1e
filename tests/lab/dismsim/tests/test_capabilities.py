"""Capabilities (Features on Demand): DismGetCapabilities, DismGetCapabilityInfo, DismAddCapability and
DismRemoveCapability, online and in mounted images (dism-api.md 2.2, 3.2, 5.3, 6.8; README "The capability
model")."""

from __future__ import annotations

import ctypes
import os
import pathlib
import subprocess
import sys

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

MOUNT = r"C:\mount\one"
SSH_CLIENT = "OpenSSH.Client~~~~0.0.1.0"
SSH_SERVER = "OpenSSH.Server~~~~0.0.1.0"
IE = "Browser.InternetExplorer~~~~0.0.11.0"
XPS = "XPS.Viewer~~~~0.0.1.0"
APPCOMPAT = "ServerCore.AppCompatibility~~~~0.0.1.0"
GERMAN = "Language.Basic~~~de-DE~0.0.1.0"
SERVER_CAPABILITIES = {
    SSH_CLIENT: d.STATE_INSTALLED, SSH_SERVER: d.STATE_NOT_PRESENT,
    "Language.Basic~~~en-US~0.0.1.0": d.STATE_INSTALLED, GERMAN: d.STATE_NOT_PRESENT,
    IE: d.STATE_INSTALLED, XPS: d.STATE_STAGED, APPCOMPAT: d.STATE_NOT_PRESENT,
}
CLIENT_CAPABILITIES = {
    SSH_CLIENT: d.STATE_INSTALLED, SSH_SERVER: d.STATE_NOT_PRESENT,
    "Rsat.ActiveDirectory.DS-LDS.Tools~~~~0.0.1.0": d.STATE_NOT_PRESENT, "NetFX3~~~~": d.STATE_NOT_PRESENT,
    "Language.Basic~~~en-US~0.0.1.0": d.STATE_INSTALLED, "App.StepsRecorder~~~~0.0.1.0": d.STATE_INSTALLED,
    "Media.WindowsMediaPlayer~~~~0.0.12.0": d.STATE_STAGED,
}
LABCTL = pathlib.Path(__file__).resolve().parents[2] / "labctl.py"


def store(root: pathlib.Path) -> str:
    return (root / "Windows" / "servicing" / "LabCapabilities.txt").read_text()


def entry(root: pathlib.Path, name: str) -> list[str]:
    """The fields of a capability= line: name, state, restart, payload, display, description, sizes."""
    for line in store(root).splitlines():
        if line.startswith("capability=" + name + "|"):
            return line[len("capability="):].split("|")
    raise AssertionError(f"{name} is not in the store")


def state(dism, sid: int, name: str) -> int:
    hr, info = dism.capability_info(sid, name)
    assert hr == d.S_OK, hex(hr)
    return info["state"]


@pytest.fixture
def online(initialized, dism):
    """The running Windows Server 2022 Datacenter of the host."""
    hr, sid = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    return sid


def mount_rw(lab, dism, image: str = "server2022.wim", index: int = 3) -> int:
    (lab.drive() / "mount" / "one").mkdir(parents=True, exist_ok=True)
    assert dism.mount(rf"C:\images\{image}", MOUNT, index)[0] == d.S_OK
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    return sid


@pytest.fixture
def offline(initialized, dism):
    """server2022.wim index 3 (Datacenter, Server Core) mounted read-write at C:\\mount\\one, with a session."""
    return mount_rw(initialized, dism)


# ---- reading --------------------------------------------------------------------------------------

def test_get_capabilities_lists_the_store_in_file_order(initialized, dism, online):
    hr, caps = dism.capabilities(online)
    assert hr == d.S_OK and caps == SERVER_CAPABILITIES
    assert list(caps) == [line.split("=", 1)[1].split("|")[0] for line in store(initialized.drive()).splitlines()
                          if line.startswith("capability=")]


def test_struct_layouts_and_returned_memory(dism, online):
    assert [(f, getattr(d.DismCapability, f).offset) for f, _t in d.DismCapability._fields_] == [
        ("Name", 0), ("State", 8)]
    assert [(f, getattr(d.DismCapabilityInfo, f).offset) for f, _t in d.DismCapabilityInfo._fields_] == [
        ("Name", 0), ("State", 8), ("DisplayName", 12), ("Description", 20), ("DownloadSize", 28),
        ("InstallSize", 32)]
    hr, caps, ptr, count = dism.capabilities(online, keep=True)
    assert hr == d.S_OK and count == 7
    # element i at ptr + 12 * i: the State of XPS.Viewer (6th entry) is at 5 * 12 + 8
    assert ctypes.c_int.from_address(ptr + 5 * 12 + 8).value == d.STATE_STAGED
    assert d.read_wstr(ctypes.c_void_p.from_address(ptr + 5 * 12).value) == XPS
    assert dism.delete(ptr + 12) == d.E_INVALIDARG       # an interior pointer is not an allocation
    assert dism.delete(ptr) == d.S_OK
    assert dism.delete(ptr) == d.E_INVALIDARG            # double free refused
    hr, info, ptr = dism.capability_info(online, SSH_CLIENT, keep=True)
    assert hr == d.S_OK
    assert ctypes.c_uint32.from_address(ptr + 28).value == info["download_size"] == 1314059
    assert ctypes.c_uint32.from_address(ptr + 32).value == info["install_size"] == 5301293
    assert dism.delete(ptr) == d.S_OK


def test_capability_info_is_case_insensitive_and_returns_the_file_spelling(dism, online):
    hr, info = dism.capability_info(online, "openssh.server~~~~0.0.1.0")
    assert hr == d.S_OK
    assert info == {"name": SSH_SERVER, "state": d.STATE_NOT_PRESENT, "display_name": "OpenSSH Server",
                    "description": "OpenSSH-based secure shell (SSH) server, for secure key management and access "
                                   "from remote machines.",
                    "download_size": 1290075, "install_size": 5490768}
    assert dism.capability_info(online, "LANGUAGE.BASIC~~~EN-US~0.0.1.0")[1]["name"] == "Language.Basic~~~en-US~0.0.1.0"


def test_unknown_capability(dism, online):
    assert dism.capability_info(online, "Nope~~~~0.0.1.0") == (d.DISMAPI_E_UNKNOWN_FEATURE, None)
    assert dism.last_error()[1] == "Capability name Nope~~~~0.0.1.0 is unknown."
    assert dism.add_capability(online, "Nope~~~~0.0.1.0")[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    assert dism.remove_capability(online, "OpenSSH.Server")[0] == d.DISMAPI_E_UNKNOWN_FEATURE   # no prefix match
    assert dism.last_error()[1] == "Capability name OpenSSH.Server is unknown."


def test_argument_and_session_rules(lab, dism):
    sid = 77
    hr, caps, ptr, count = dism.capabilities(sid, keep=True)
    assert (hr, ptr, count) == (d.DISMAPI_E_NOT_INITIALIZED, None, 0)     # out-parameters cleared first
    assert dism.initialize() == d.S_OK
    assert dism.capabilities(sid)[0] == d.E_INVALIDARG                    # unknown session
    assert dism.capability_info(sid, SSH_CLIENT, keep=True)[::2] == (d.E_INVALIDARG, None)
    sid = dism.open_session(d.DISM_ONLINE_IMAGE)[1]
    assert dism.capability_info(sid, None)[0] == d.E_INVALIDARG
    assert dism.add_capability(sid, None)[0] == d.E_INVALIDARG
    assert dism.remove_capability(sid, None)[0] == d.E_INVALIDARG
    assert dism.add_capability(sid, XPS, count=2)[0] == d.E_INVALIDARG    # SourcePathCount without SourcePaths
    raw = dism._capability_fn("DismGetCapabilities")
    assert raw(sid, None, None) == d.E_INVALIDARG
    assert state(dism, sid, XPS) == d.STATE_STAGED


def test_client_and_x86_stores(initialized, dism):
    for rel, image in (("mount/c", "win11.wim"), ("mount/x", "win10_x86.wim")):
        (initialized.drive() / rel).mkdir(parents=True)
        assert dism.mount(rf"C:\images\{image}", "C:\\" + rel.replace("/", "\\"), 1,
                          flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
        sid = dism.open_session("C:\\" + rel.replace("/", "\\"))[1]
        assert dism.capabilities(sid) == (d.S_OK, CLIENT_CAPABILITIES)
        assert dism.capability_info(sid, "netfx3~~~~")[1]["display_name"].startswith(".NET Framework 3.5")


def test_vhdx_volume_and_every_server_edition_have_the_server_store(initialized, dism):
    (initialized.drive() / "mount" / "v").mkdir(parents=True)
    assert dism.mount(r"C:\images\disk.vhdx", r"C:\mount\v", 1, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    assert dism.capabilities(dism.open_session(r"C:\mount\v")[1]) == (d.S_OK, SERVER_CAPABILITIES)
    (initialized.drive() / "mount" / "s").mkdir(parents=True)
    assert dism.mount(r"C:\images\server2022.wim", r"C:\mount\s", 2, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    assert dism.capabilities(dism.open_session(r"C:\mount\s")[1]) == (d.S_OK, SERVER_CAPABILITIES)


def test_image_without_a_store_has_no_capabilities(initialized, dism):
    initialized.windows_tree(initialized.drive() / "bare")
    sid = dism.open_session(r"C:\bare")[1]
    hr, caps, ptr, count = dism.capabilities(sid, keep=True)
    assert (hr, caps, ptr, count) == (d.S_OK, {}, None, 0)
    assert dism.add_capability(sid, XPS)[0] == d.DISMAPI_E_UNKNOWN_FEATURE


# ---- adding -----------------------------------------------------------------------------------------

def test_add_staged_needs_no_source_and_reports_progress(initialized, dism, online):
    hr, calls = dism.add_capability(online, XPS.lower(), limit_access=True)
    assert hr == d.S_OK and state(dism, online, XPS) == d.STATE_INSTALLED
    assert calls == [(100, 1000), (400, 1000), (800, 1000), (1000, 1000)]
    assert entry(initialized.drive(), XPS)[:4] == [XPS, "Installed", "No", "present"]


def test_add_of_an_installed_capability_changes_nothing(initialized, dism, online):
    before = store(initialized.drive())
    hr, calls = dism.add_capability(online, SSH_CLIENT, limit_access=True)
    assert hr == d.S_OK and calls[-1] == (1000, 1000)
    assert store(initialized.drive()) == before


def test_add_without_payload_needs_a_source(initialized, dism, online):
    assert dism.add_capability(online, SSH_SERVER, limit_access=True)[0] == d.CBS_E_SOURCE_MISSING
    message = dism.last_error()[1]
    assert message.startswith("The source files could not be found.") and SSH_SERVER in message
    assert "LimitAccess" in message
    assert state(dism, online, SSH_SERVER) == d.STATE_NOT_PRESENT
    assert entry(initialized.drive(), SSH_SERVER)[3] == "absent"


def test_sources_are_searched_in_order(initialized, dism, online):
    wrong_build = d.make_source(initialized, "fod/w11", 22631, SSH_SERVER)
    wrong_name = d.make_source(initialized, "fod/other", 20348, GERMAN)
    wrong_arch = d.make_source(initialized, "fod/x86", 20348, SSH_SERVER, arch="x86")
    good = d.make_source(initialized, "fod/good", 20348, SSH_SERVER.upper(), arch="amd64")
    sources = [r"C:\fod\missing", r"\\server\share\fod", wrong_build, wrong_name, wrong_arch]
    assert dism.add_capability(online, SSH_SERVER, limit_access=True, sources=sources)[0] == d.CBS_E_SOURCE_MISSING
    assert state(dism, online, SSH_SERVER) == d.STATE_NOT_PRESENT
    assert dism.add_capability(online, SSH_SERVER, limit_access=True, sources=sources + [good])[0] == d.S_OK
    assert state(dism, online, SSH_SERVER) == d.STATE_INSTALLED
    assert entry(initialized.drive(), SSH_SERVER)[3] == "present"
    assert f"Found the payload of {SSH_SERVER} in {good}" in (
        initialized.drive() / "Windows" / "Logs" / "DISM" / "dism.log").read_text()


def test_source_path_longer_than_max_path(initialized, dism, online):
    long_source = "C:\\" + "a" * 300
    assert dism.add_capability(online, SSH_SERVER, sources=[long_source])[0] == d.E_FILENAME_EXCED_RANGE
    assert "SourcePaths" in dism.last_error()[1]


def test_windows_folder_of_another_image_is_a_source(initialized, dism, online):
    other = initialized.drive() / "other"
    (other / "Windows" / "servicing").mkdir(parents=True)
    features = (initialized.drive() / "Windows" / "servicing" / "LabFeatures.txt").read_text()
    (other / "Windows" / "servicing" / "LabFeatures.txt").write_text(features)
    text = store(initialized.drive()).replace(f"{GERMAN}|NotPresent|No|absent|", f"{GERMAN}|Installed|No|present|")
    (other / "Windows" / "servicing" / "LabCapabilities.txt").write_text(text)
    # the other image lacks the payload of OpenSSH.Server: not found there
    assert dism.add_capability(online, SSH_SERVER, limit_access=True, sources=[r"C:\other\Windows"])[0] == \
        d.CBS_E_SOURCE_MISSING
    assert dism.add_capability(online, GERMAN, limit_access=True, sources=[r"C:\other\Windows"])[0] == d.S_OK
    # another build does not count
    (other / "Windows" / "servicing" / "LabFeatures.txt").write_text(features.replace("build=20348", "build=17763"))
    assert dism.remove_capability(online, GERMAN)[0] == d.S_OK
    assert dism.add_capability(online, GERMAN, limit_access=True, sources=[r"C:\other\Windows"])[0] == \
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
    assert dism.add_capability(online, SSH_SERVER)[0] == expected
    assert state(dism, online, SSH_SERVER) == (d.STATE_INSTALLED if expected == d.S_OK else d.STATE_NOT_PRESENT)
    if words:
        assert words in dism.last_error()[1] and SSH_SERVER in dism.last_error()[1]


def test_a_source_wins_before_windows_update(initialized, dism, online, monkeypatch):
    monkeypatch.setenv("DISM_LAB_LOGON", "network")
    good = d.make_source(initialized, "fod", 20348, SSH_SERVER)
    assert dism.add_capability(online, SSH_SERVER, sources=[good])[0] == d.S_OK


def test_add_online_restart_required_is_pending_until_reboot(initialized, dism, online):
    assert dism.add_capability(online, APPCOMPAT)[0] == d.S_REBOOT         # Windows Update reachable by default
    assert state(dism, online, APPCOMPAT) == d.STATE_INSTALL_PENDING
    text = store(initialized.drive())
    assert f"capability={APPCOMPAT}|InstallPending>Installed|Required|present|" in text
    assert "pending_boot=0\n" in text
    assert dism.add_capability(online, APPCOMPAT)[0] == d.S_OK              # already install-pending: no-op
    d.reboot(initialized)
    assert dism.capabilities(online)[1][APPCOMPAT] == d.STATE_INSTALLED    # the first call after the reboot
    assert "pending_boot" not in store(initialized.drive())


def test_add_of_an_uninstall_pending_capability_cancels_the_removal(initialized, dism, online):
    assert dism.remove_capability(online, IE)[0] == d.S_REBOOT
    assert dism.add_capability(online, IE, limit_access=True)[0] == d.S_OK
    assert state(dism, online, IE) == d.STATE_INSTALLED
    assert "pending_boot" not in store(initialized.drive())                # nothing is pending any more
    d.reboot(initialized)
    assert state(dism, online, IE) == d.STATE_INSTALLED


def test_injected_success_code_after_the_work(initialized, dism, online):
    initialized.faults("DismAddCapability 1 0x00000BC2")
    assert dism.add_capability(online, XPS)[0] == d.S_REBOOT
    assert state(dism, online, XPS) == d.STATE_INSTALLED
    initialized.faults("DismRemoveCapability * 0x80070020")
    assert dism.remove_capability(online, XPS)[0] == 0x80070020
    assert state(dism, online, XPS) == d.STATE_INSTALLED


# ---- removing ---------------------------------------------------------------------------------------

def test_remove_online_without_restart(initialized, dism, online):
    hr, calls = dism.remove_capability(online, SSH_CLIENT)
    assert hr == d.S_OK and calls == [(100, 1000), (400, 1000), (800, 1000), (1000, 1000)]
    assert entry(initialized.drive(), SSH_CLIENT)[:4] == [SSH_CLIENT, "NotPresent", "No", "absent"]
    # the payload is gone: adding it again needs a source
    assert dism.add_capability(online, SSH_CLIENT, limit_access=True)[0] == d.CBS_E_SOURCE_MISSING


def test_remove_of_a_capability_that_is_not_installed(initialized, dism, online):
    before = store(initialized.drive())
    for name in (SSH_SERVER, XPS):
        assert dism.remove_capability(online, name)[0] == d.CBS_E_CANNOT_UNINSTALL
        assert name in dism.last_error()[1]
    assert store(initialized.drive()) == before


def test_remove_online_restart_required_is_pending_until_reboot(initialized, dism, online):
    assert dism.remove_capability(online, IE)[0] == d.S_REBOOT
    assert state(dism, online, IE) == d.STATE_UNINSTALL_PENDING
    assert f"capability={IE}|UninstallPending>NotPresent|Required|present|" in store(initialized.drive())
    before = store(initialized.drive())
    assert dism.remove_capability(online, IE) == (d.S_OK, [(100, 1000), (400, 1000), (800, 1000), (1000, 1000)])
    assert store(initialized.drive()) == before                             # already uninstall-pending: no-op
    d.reboot(initialized)
    assert state(dism, online, IE) == d.STATE_NOT_PRESENT
    assert entry(initialized.drive(), IE)[3] == "absent"


def test_remove_of_an_install_pending_capability_cancels_it(initialized, dism, online):
    assert dism.add_capability(online, APPCOMPAT)[0] == d.S_REBOOT
    assert dism.remove_capability(online, APPCOMPAT)[0] == d.S_OK
    assert state(dism, online, APPCOMPAT) == d.STATE_NOT_PRESENT
    assert entry(initialized.drive(), APPCOMPAT)[3] == "absent"
    d.reboot(initialized)
    assert state(dism, online, APPCOMPAT) == d.STATE_NOT_PRESENT


def test_restart_possible_and_partially_installed(initialized, dism, online):
    path = initialized.drive() / "Windows" / "servicing" / "LabCapabilities.txt"
    text = store(initialized.drive())
    text = text.replace(f"{XPS}|Staged|No|", f"{XPS}|Staged|Possible|")
    text = text.replace(f"{SSH_CLIENT}|Installed|No|", f"{SSH_CLIENT}|PartiallyInstalled|No|")
    path.write_text(text)
    assert dism.add_capability(online, XPS)[0] == d.S_OK                  # Possible: no 3010, no pending
    assert state(dism, online, XPS) == d.STATE_INSTALLED
    assert dism.remove_capability(online, SSH_CLIENT)[0] == d.S_OK        # PartiallyInstalled counts as installed
    assert state(dism, online, SSH_CLIENT) == d.STATE_NOT_PRESENT


def test_malformed_store(initialized, dism, online):
    path = initialized.drive() / "Windows" / "servicing" / "LabCapabilities.txt"
    path.write_text(store(initialized.drive()) + "capability=Broken~~~~|Installed|No\n")
    assert dism.capabilities(online)[0] == 0x80004005
    assert "bad capability at line 9" in dism.last_error()[1]


# ---- pending reboot -----------------------------------------------------------------------------------

def test_pending_reboot_allows_other_changes_unless_the_knob_blocks(initialized, dism, online):
    assert dism.add_capability(online, APPCOMPAT)[0] == d.S_REBOOT
    assert dism.add_capability(online, XPS)[0] == d.S_OK                   # no knob: allowed
    d.knob(initialized, "pending-block", "")
    assert dism.remove_capability(online, XPS)[0] == d.CBS_E_EXCLUSIVE_WOULD_MERGE
    assert f"{APPCOMPAT} is InstallPending" in dism.last_error()[1]
    assert dism.add_capability(online, SSH_CLIENT)[0] == d.CBS_E_EXCLUSIVE_WOULD_MERGE   # before the no-op rule
    assert dism.add_capability(online, APPCOMPAT)[0] == d.S_OK              # the pending one itself
    assert dism.remove_capability(online, SSH_SERVER)[0] == d.CBS_E_CANNOT_UNINSTALL     # checked before the knob
    d.knob(initialized, "pending-block", "0x800F0806")
    assert dism.remove_capability(online, XPS)[0] == d.CBS_E_PENDING
    d.reboot(initialized)
    assert dism.remove_capability(online, XPS)[0] == d.S_OK
    assert state(dism, online, APPCOMPAT) == d.STATE_INSTALLED


def test_a_pending_feature_blocks_capability_changes_too(initialized, dism, online):
    assert dism.enable_feature(online, "Containers")[0] == d.S_REBOOT
    d.knob(initialized, "pending-block", "on-means-default")                 # not an HRESULT: the default
    assert dism.add_capability(online, XPS)[0] == d.CBS_E_EXCLUSIVE_WOULD_MERGE
    assert "feature Containers is InstallPending" in dism.last_error()[1]
    d.reboot(initialized)                                                     # the feature is done at this boot
    assert dism.add_capability(online, XPS)[0] == d.S_OK


# ---- cancel -----------------------------------------------------------------------------------------

def test_cancel_before_the_work_changes_nothing(initialized, dism, online):
    before = store(initialized.drive())
    event = dism.k32.CreateEventW(None, 1, 1, None)
    assert dism.add_capability(online, XPS, cancel=event) == (d.E_CANCELLED, [])
    assert dism.remove_capability(online, SSH_CLIENT, cancel=event) == (d.E_CANCELLED, [])
    assert dism.last_error()[1] == "The operation was canceled by the user."
    assert store(initialized.drive()) == before
    dism.k32.CloseHandle(event)


@pytest.mark.parametrize("at", [100, 400])
def test_cancel_from_the_callback_changes_nothing(initialized, dism, online, at):
    """The event set in the callback of report `at` is seen at the next cancellable report."""
    before = store(initialized.drive())
    event = dism.k32.CreateEventW(None, 1, 0, None)
    hr, calls = dism.add_capability(online, APPCOMPAT, cancel=event,
                                    progress=lambda cur, total: cur >= at and dism.k32.SetEvent(event))
    assert hr == d.E_CANCELLED and calls[-1] == (at, 1000)
    assert dism.k32.ResetEvent(event) == 1
    hr, calls = dism.remove_capability(online, IE, cancel=event,
                                       progress=lambda cur, total: cur >= at and dism.k32.SetEvent(event))
    assert hr == d.E_CANCELLED and calls[-1] == (at, 1000)
    assert store(initialized.drive()) == before
    dism.k32.CloseHandle(event)


def test_cancel_after_the_last_cancellable_report_is_too_late(dism, online):
    event = dism.k32.CreateEventW(None, 1, 0, None)
    hr, calls = dism.add_capability(online, APPCOMPAT, cancel=event,
                                    progress=lambda cur, total: cur >= 800 and dism.k32.SetEvent(event))
    assert hr == d.S_REBOOT and calls[-1] == (1000, 1000)
    assert state(dism, online, APPCOMPAT) == d.STATE_INSTALL_PENDING
    dism.k32.CloseHandle(event)


# ---- offline ------------------------------------------------------------------------------------------

def test_offline_has_no_pending_states_and_no_windows_update(initialized, dism, offline):
    mount = initialized.drive() / "mount" / "one"
    d.knob(initialized, "windows-update", "reachable")
    assert dism.add_capability(offline, APPCOMPAT)[0] == d.CBS_E_SOURCE_MISSING
    assert "online image" in dism.last_error()[1]
    good = d.make_source(initialized, "fod", 20348, APPCOMPAT)
    assert dism.add_capability(offline, APPCOMPAT, sources=[good])[0] == d.S_OK      # restart Required: no 3010
    assert state(dism, offline, APPCOMPAT) == d.STATE_INSTALLED
    assert dism.remove_capability(offline, IE)[0] == d.S_OK
    assert state(dism, offline, IE) == d.STATE_NOT_PRESENT
    assert "pending_boot" not in store(mount)
    assert store(initialized.drive()) == store(mount).replace(
        f"{APPCOMPAT}|Installed|Required|present|", f"{APPCOMPAT}|NotPresent|Required|absent|").replace(
        f"{IE}|NotPresent|Required|absent|", f"{IE}|Installed|Required|present|")   # the running OS untouched


def test_offline_pending_block_does_not_apply(initialized, dism, offline):
    assert dism.enable_feature(dism.open_session(d.DISM_ONLINE_IMAGE)[1], "Containers")[0] == d.S_REBOOT
    d.knob(initialized, "pending-block", "")
    assert dism.add_capability(offline, XPS)[0] == d.S_OK


def test_commit_keeps_and_discard_drops(initialized, dism, offline):
    assert dism.add_capability(offline, XPS)[0] == d.S_OK
    assert dism.close_session(offline) == d.S_OK
    assert dism.unmount(MOUNT)[0] == d.S_OK                                           # commit
    sid = mount_rw(initialized, dism)
    assert state(dism, sid, XPS) == d.STATE_INSTALLED
    assert dism.remove_capability(sid, SSH_CLIENT)[0] == d.S_OK
    assert dism.close_session(sid) == d.S_OK
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK                     # discard
    sid = mount_rw(initialized, dism)
    assert state(dism, sid, SSH_CLIENT) == d.STATE_INSTALLED
    assert state(dism, sid, XPS) == d.STATE_INSTALLED
    dism.close_session(sid)
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK
    sid = mount_rw(initialized, dism, index=1)                                        # other editions untouched
    assert state(dism, sid, XPS) == d.STATE_STAGED


def test_read_only_mount_can_be_read_not_changed(initialized, dism):
    (initialized.drive() / "mount" / "ro").mkdir(parents=True)
    assert dism.mount(r"C:\images\win11.wim", r"C:\mount\ro", 1, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    sid = dism.open_session(r"C:\mount\ro")[1]
    assert dism.capabilities(sid)[1]["Media.WindowsMediaPlayer~~~~0.0.12.0"] == d.STATE_STAGED
    assert dism.add_capability(sid, "Media.WindowsMediaPlayer~~~~0.0.12.0")[0] == d.E_ACCESS_DENIED
    assert "read-only" in dism.last_error()[1]
    assert dism.remove_capability(sid, SSH_CLIENT)[0] == d.E_ACCESS_DENIED
    assert dism.remove_capability(sid, "Nope")[0] == d.DISMAPI_E_UNKNOWN_FEATURE      # the name is checked first


# ---- labctl make-source with capability names ----------------------------------------------------------

def test_labctl_make_source_takes_capability_names(initialized, dism, online, tmp_path):
    base = tmp_path / "labbase"
    (base / "hosts").mkdir(parents=True)
    (base / "lab.json").write_text('{"hosts": [{"name": "win1"}]}')
    (base / "hosts" / "win1").symlink_to(initialized.root)
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}   # e.g. an ASan run
    done = subprocess.run([sys.executable, str(LABCTL), "make-source", "win1", r"C:\fod\ssh",
                           f"{SSH_SERVER},{GERMAN}", "--base-dir", str(base)],
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = (initialized.drive() / "fod" / "ssh" / "LabPayload.txt").read_text().splitlines()
    assert manifest[1:] == ["build=20348", SSH_SERVER, GERMAN]
    assert dism.add_capability(online, GERMAN, limit_access=True, sources=[r"C:\fod\ssh"])[0] == d.S_OK
    bad = subprocess.run([sys.executable, str(LABCTL), "make-source", "win1", r"C:\fod\x", "~x~", "--base-dir",
                          str(base)], env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
