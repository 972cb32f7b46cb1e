"""DismOpenSession/DismCloseSession rules."""

from __future__ import annotations

import pytest

import dismlab as d

pytestmark = pytest.mark.lab


def test_online_session_ids_are_small_and_never_zero(initialized, dism):
    hr1, first = dism.open_session(d.DISM_ONLINE_IMAGE)
    hr2, second = dism.open_session(d.DISM_ONLINE_IMAGE.lower())
    assert (hr1, hr2) == (d.S_OK, d.S_OK)
    assert 0 < first < second
    assert dism.close_session(first) == d.S_OK
    assert dism.close_session(first) == d.E_INVALIDARG
    assert dism.close_session(second) == d.S_OK


def test_online_session_rejects_windows_directory_and_system_drive(initialized, dism):
    assert dism.open_session(d.DISM_ONLINE_IMAGE, windir="Windows")[0] == d.E_INVALIDARG
    assert dism.open_session(d.DISM_ONLINE_IMAGE, drive="C:")[0] == d.E_INVALIDARG


def test_unknown_session_is_invalidarg(initialized, dism):
    assert dism.close_session(0) == d.E_INVALIDARG
    assert dism.close_session(4242) == d.E_INVALIDARG
    assert dism.check_health(4242, False)[0] == d.E_INVALIDARG
    assert "4242" in dism.last_error()[1]


def test_offline_session_on_applied_image(initialized, dism):
    initialized.windows_tree(initialized.drive() / "mount" / "Image One")
    hr, sid = dism.open_session(r"c:\MOUNT\image one")
    assert hr == d.S_OK and sid > 0
    assert dism.check_health(sid, False)[:2] == (d.S_OK, 0)
    assert dism.close_session(sid) == d.S_OK


def test_offline_session_with_custom_windows_directory_and_system_drive(initialized, dism):
    initialized.windows_tree(initialized.drive() / "applied", windows="WinNT")
    assert dism.open_session(r"C:\applied")[0] == d.E_PATH_NOT_FOUND
    hr, sid = dism.open_session(r"C:\applied", windir="winnt", drive="C:")
    assert hr == d.S_OK
    dism.close_session(sid)
    assert dism.open_session(r"C:\applied", windir="WinNT", drive="bogus")[0] == d.E_INVALIDARG


def test_offline_session_errors(initialized, dism):
    assert dism.open_session(r"C:\does\not\exist")[0] == d.E_PATH_NOT_FOUND
    (initialized.drive() / "empty").mkdir()
    assert dism.open_session(r"C:\empty")[0] == d.E_PATH_NOT_FOUND
    assert "Windows" in dism.last_error()[1]
    assert dism.open_session(r"\\server\share\image")[0] == d.E_BAD_NETPATH


def test_running_os_root_must_be_opened_online(initialized, dism):
    assert dism.open_session("C:\\")[0] == d.DISMAPI_E_MUST_SPECIFY_ONLINE_IMAGE
    assert dism.open_session("c:")[0] == d.DISMAPI_E_MUST_SPECIFY_ONLINE_IMAGE


def test_online_session_needs_a_running_windows(initialized, dism, monkeypatch):
    monkeypatch.setenv("DISM_LAB_SYSTEM_DRIVE", "D")
    assert dism.open_session(d.DISM_ONLINE_IMAGE)[0] == d.E_PATH_NOT_FOUND
    assert "--online-root" in dism.last_error()[1]


def test_not_simulated_functions_apply_session_rules_then_say_so(initialized, dism):
    enable = dism.raw["DismEnableFeature"]
    assert enable(77, d.wstr("NetFx3"), None, 0, 0, None, 0, 0, None, d.PROGRESS(), None) == d.E_INVALIDARG
    hr, sid = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    state = d.ctypes.c_uint32(0)
    assert dism.raw["DismGetReservedStorageState"](77, d.ctypes.byref(state)) == d.E_INVALIDARG
    assert dism.raw["DismGetReservedStorageState"](sid, d.ctypes.byref(state)) == d.E_NOTIMPL
    assert dism.last_error()[1] == ("Not implemented. DismGetReservedStorageState is not simulated by the "
                                    "DISM lab yet.")
