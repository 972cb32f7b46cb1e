"""Per-thread last-error messages and DismDelete."""

from __future__ import annotations

import ctypes
import threading

import pytest

import dismlab as d

pytestmark = pytest.mark.lab


def test_no_failure_on_a_thread_means_no_message(initialized, dism):
    result = {}

    def worker():
        result["value"] = dism.last_error()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert result["value"] == (d.E_NOT_FOUND, None)


def test_last_error_is_per_thread(initialized, dism):
    assert dism.image_info(r"C:\images\absent.wim")[0] == d.E_FILE_NOT_FOUND
    seen = {}

    def worker():
        seen["hr"] = dism.image_info(r"C:\images\readme.txt")[0]
        seen["message"] = dism.last_error()[1]

    (initialized.drive() / "images" / "readme.txt").write_text("hello")
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen["hr"] == d.E_INVALIDARG and "readme.txt" in seen["message"]
    assert dism.last_error()[1] == r"The system cannot find the file specified. (C:\images\absent.wim)"


def test_message_survives_later_successes(initialized, dism):
    dism.image_info(r"C:\images\absent.wim")
    assert dism.image_info(r"C:\images\win11.wim")[0] == d.S_OK
    assert "absent.wim" in dism.last_error()[1]


def test_delete_rules(initialized, dism):
    assert dism.delete(None) == d.S_OK
    junk = ctypes.create_string_buffer(64)
    assert dism.delete(ctypes.addressof(junk)) == d.E_INVALIDARG
    hr, images, ptr = dism.image_info(r"C:\images\win11.wim", keep=True)
    assert hr == d.S_OK and len(images) == 3
    assert dism.delete(ptr + 140) == d.E_INVALIDARG      # interior pointers are not allocations
    assert dism.delete(ptr) == d.S_OK
    assert dism.delete(ptr) == d.E_INVALIDARG            # double free is refused, not a crash


def test_memory_outlives_shutdown(lab, dism):
    assert dism.initialize() == d.S_OK
    hr, images, ptr = dism.image_info(r"C:\images\win10_x86.wim", keep=True)
    assert hr == d.S_OK
    assert dism.shutdown() == d.S_OK
    assert dism.delete(ptr) == d.S_OK
