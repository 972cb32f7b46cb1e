from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils import _errors


def test_signed_hresult_from_helper_is_looked_up_unsigned():
    # The helper returns HRESULTs as signed 32-bit ints.
    signed = 0x80070002 - (1 << 32)
    assert _errors.describe(signed).name == "ERROR_FILE_NOT_FOUND"
    assert _errors.format_hresult(signed) == "0x80070002"


@pytest.mark.parametrize(
    "code, name",
    [
        (0xC0040001, "DISMAPI_E_DISMAPI_NOT_INITIALIZED"),
        (0xC004000D, "DISMAPI_E_PARENT_FEATURE_DISABLED"),
        (0xC1510114, "DISMAPI_E_NEEDS_REMOUNT"),
        (0x800F080C, "DISMAPI_E_UNKNOWN_FEATURE"),
        (0x800F081F, "CBS_E_SOURCE_MISSING"),
        (0x800F0954, "CBS_E_INVALID_WINDOWS_UPDATE_COUNT_WSUS"),
        (0x800702E4, "ERROR_ELEVATION_REQUIRED"),
        (0x8007000B, "ERROR_BAD_FORMAT"),
    ],
)
def test_table_names_match_dismapi_h_and_cbs(code, name):
    assert _errors.describe(code).name == name


def test_unknown_win32_code_gets_a_generic_win32_name():
    info = _errors.describe(0x80070079)
    assert info.name == "HRESULT_FROM_WIN32(121)"
    assert info.hint == ""


def test_unknown_non_win32_code():
    assert _errors.describe(0xC0DE0001).name == "UNKNOWN_HRESULT"


def test_mount_layer_labels_are_marked_unpublished():
    assert _errors.describe(0xC1420127).name_is_published is False
    assert _errors.describe(0x80070002).name_is_published is True


def test_success_codes_are_not_in_the_failure_table():
    # S_OK, DISMAPI_S_RELOAD_IMAGE_SESSION_REQUIRED and ERROR_SUCCESS_REBOOT_REQUIRED are success.
    for code in (0, 1, 3010):
        assert code not in _errors.HRESULTS


def test_helper_request_errors_are_not_worded_as_dism_failures():
    error = {"hresult": 0x80070057 - (1 << 32), "function": "Executor", "message": "request: 'log_level' must be between 0 and 2, got 7"}
    failure = _errors.failure_from_helper(error, "Listing the mounted images", None)
    assert failure.msg == (
        "Listing the mounted images: internal error in the DISM helper (0x80070057): "
        "request: 'log_level' must be between 0 and 2, got 7. Please report this."
    )


def test_failure_message_names_everything_a_user_needs():
    failure = _errors.failure_from_helper(
        {"hresult": 0x80070002 - (1 << 32), "function": "DismGetImageInfo", "message": "The system cannot find the file specified.\r\n"},
        "Reading image information from 'C:\\x.wim'",
        None,
    )
    assert failure.msg == (
        "Reading image information from 'C:\\x.wim': DismGetImageInfo failed with 0x80070002 ERROR_FILE_NOT_FOUND. "
        "DISM says: The system cannot find the file specified. "
        "Hint: Check the path on the managed host (paths are resolved on the Windows host, not the controller). "
        "DISM log: %WINDIR%\\Logs\\DISM\\dism.log."
    )
    result = failure.to_result()
    assert result["hresult"] == "0x80070002"
    assert result["hresult_name"] == "ERROR_FILE_NOT_FOUND"
    assert result["dism_function"] == "DismGetImageInfo"
    assert result["dism_message"] == "The system cannot find the file specified."
    assert result["log_path"] == "%WINDIR%\\Logs\\DISM\\dism.log"


def test_failure_without_dism_text_falls_back_to_the_table_meaning_and_custom_log():
    error = {"hresult": 0xC004000D - (1 << 32), "function": "DismEnableFeature", "message": None}
    failure = _errors.failure_from_helper(error, "Enabling X", "C:\\logs\\d.log")
    assert "DISM says: A parent feature of the requested feature is disabled." in failure.msg
    assert failure.msg.endswith("DISM log: C:\\logs\\d.log.")
    assert "Hint: Set include_parent=true" in failure.msg


def test_every_entry_has_a_name_and_meaning():
    for code, info in _errors.HRESULTS.items():
        assert 0 < code <= 0xFFFFFFFF
        assert info.name and info.meaning.endswith("."), hex(code)


def test_the_helpers_own_windows_calls_are_not_worded_as_dism():
    error = {"hresult": 0x8007007B - (1 << 32), "function": "GetFileAttributesW", "message": None}
    failure = _errors.failure_from_helper(error, "Mounting index 1 of 'C:\\a.wim' at 'C:\\m\\x'", None)
    assert failure.msg == (
        "Mounting index 1 of 'C:\\a.wim' at 'C:\\m\\x': the helper's Windows call GetFileAttributesW failed with 0x8007007B"
        " ERROR_INVALID_NAME. The file name, folder name or volume label syntax is incorrect. Hint: Check the path for"
        " characters Windows does not allow in names (< > : \" | ? *)."
    )
    assert "DISM says" not in failure.msg and "DISM log" not in failure.msg
