"""DismInitialize/DismShutdown state machine, DISM_LAB_ROOT, log file and scratch directory."""

from __future__ import annotations

import re

import pytest

import dismlab as d

pytestmark = pytest.mark.lab


def test_everything_but_initialize_needs_initialize(lab, dism):
    assert dism.shutdown() == d.DISMAPI_E_NOT_INITIALIZED
    assert dism.image_info(r"C:\images\win11.wim")[0] == d.DISMAPI_E_NOT_INITIALIZED
    assert dism.open_session(d.DISM_ONLINE_IMAGE)[0] == d.DISMAPI_E_NOT_INITIALIZED
    assert dism.mounted_images()[:3] == (d.DISMAPI_E_NOT_INITIALIZED, None, 0)
    assert dism.close_session(1) == d.DISMAPI_E_NOT_INITIALIZED
    assert dism.check_health(1, False)[0] == d.DISMAPI_E_NOT_INITIALIZED
    hr, message = dism.last_error()
    assert hr == d.S_OK and "DismInitialize" in message
    assert dism.delete(None) == d.S_OK


def test_double_initialize_and_reinitialize(lab, dism):
    assert dism.initialize() == d.S_OK
    assert dism.initialize() == d.E_ALREADY_INITIALIZED
    assert "already" in dism.last_error()[1]
    assert dism.shutdown() == d.S_OK
    assert dism.shutdown() == d.DISMAPI_E_NOT_INITIALIZED
    assert dism.initialize() == d.S_OK
    assert dism.image_info(r"C:\images\win10_x86.wim")[0] == d.S_OK


def test_shutdown_with_open_session_fails_until_closed(initialized, dism):
    hr, sid = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    assert dism.shutdown() == d.DISMAPI_E_OPEN_SESSION_HANDLES
    assert dism.close_session(sid) == d.S_OK
    assert dism.shutdown() == d.S_OK


def test_missing_lab_root_fails_clearly(lab, dism, monkeypatch):
    monkeypatch.delenv("DISM_LAB_ROOT")
    assert dism.initialize() == d.E_ENVVAR_NOT_FOUND
    assert "DISM_LAB_ROOT" in dism.last_error()[1]


def test_invalid_log_level(lab, dism):
    assert dism.initialize(level=7) == d.E_INVALIDARG
    assert dism.shutdown() == d.DISMAPI_E_NOT_INITIALIZED


def test_default_log_lines_look_like_dism_log(initialized, dism):
    dism.image_info(r"C:\images\missing.wim")
    log = (initialized.drive() / "Windows" / "Logs" / "DISM" / "dism.log").read_text(encoding="utf-8")
    line = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d, (Info|Warning|Error) +DISM   API: PID=\d+ TID=\d+ .* - "
                      r"Dism\w+Internal$")
    lines = log.splitlines()
    assert lines and all(line.match(entry) for entry in lines)
    assert any("DismGetImageInfo failed. hr = 0x80070002" in entry for entry in lines)


def test_explicit_log_path_and_error_only_level(lab, dism):
    (lab.drive() / "logs dir").mkdir()
    assert dism.initialize(level=0, log=r"C:\LOGS DIR\my.log") == d.S_OK
    dism.image_info(r"C:\images\win11.wim")
    dism.image_info(r"C:\images\nothing.wim")
    text = (lab.drive() / "logs dir" / "my.log").read_text(encoding="utf-8")
    assert ", Error " in text and ", Info " not in text


def test_unusable_log_path_fails_initialize(lab, dism):
    assert dism.initialize(log=r"C:\no such dir\dism.log") == d.DISMAPI_E_LOGGING_DISABLED
    assert "no such dir" in dism.last_error()[1]
    assert dism.shutdown() == d.DISMAPI_E_NOT_INITIALIZED


def test_scratch_directory_must_exist(lab, dism):
    assert dism.initialize(scratch=r"C:\scratch") == d.E_PATH_NOT_FOUND
    (lab.drive() / "scratch.txt").write_text("x")
    assert dism.initialize(scratch=r"C:\scratch.txt") == d.E_DIRECTORY
    (lab.drive() / "Scratch").mkdir()
    assert dism.initialize(scratch=r"C:\scratch") == d.S_OK
