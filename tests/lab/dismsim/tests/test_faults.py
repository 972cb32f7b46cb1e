"""Fault injection: failures on the Nth call, counters shared across processes, crashes, success codes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import dismlab
    dism = dismlab.Dism()
    assert dism.initialize() == 0
    hr, images = dism.image_info(r"C:\\images\\win11.wim")
    print(hex(hr), len(images), flush=True)
    dism.shutdown()
""")


def run_child(lab) -> subprocess.CompletedProcess:
    code = CHILD.format(tests=os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, DISM_LAB_ROOT=str(lab.root))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def test_nth_call_fails_with_the_injected_hresult(initialized, dism):
    initialized.faults("# second image query fails", "DismGetImageInfo 2 0x80070020 The file is in use (lab).")
    assert dism.image_info(r"C:\images\win11.wim")[0] == d.S_OK
    assert dism.image_info(r"C:\images\win11.wim") == (0x80070020, [])
    assert dism.last_error()[1] == "The file is in use (lab)."
    assert dism.image_info(r"C:\images\win11.wim")[0] == d.S_OK
    assert (initialized.root / "lab" / "fault-counts" / "DismGetImageInfo").read_text().strip() == "3"


def test_default_message_and_every_call(initialized, dism):
    initialized.faults("DismOpenSession * 0x800F0902")
    assert dism.open_session(d.DISM_ONLINE_IMAGE)[0] == 0x800F0902
    assert dism.last_error()[1] == "Injected fault: DismOpenSession call 1"
    assert dism.open_session(d.DISM_ONLINE_IMAGE)[0] == 0x800F0902


def test_faults_apply_after_the_not_initialized_check(lab, dism):
    lab.faults("DismGetImageInfo 1 0x80004005")
    assert dism.image_info(r"C:\images\win11.wim")[0] == d.DISMAPI_E_NOT_INITIALIZED
    assert dism.initialize() == d.S_OK
    assert dism.image_info(r"C:\images\win11.wim")[0] == 0x80004005


def test_initialize_can_fail(lab, dism):
    lab.faults("DismInitialize 1 0x800702E4 Elevation is required (lab).")
    assert dism.initialize() == 0x800702E4
    assert dism.shutdown() == d.DISMAPI_E_NOT_INITIALIZED
    assert dism.initialize() == d.S_OK


def test_counters_persist_across_processes(lab):
    lab.faults("DismGetImageInfo 2 0x80070005")
    first, second, third = run_child(lab), run_child(lab), run_child(lab)
    assert [p.stdout.split() for p in (first, second, third)] == [["0x0", "3"], ["0x80070005", "0"], ["0x0", "3"]]


def test_die_kills_the_process(lab):
    lab.faults("DismGetImageInfo 1 die")
    child = run_child(lab)
    assert child.returncode == 70 and child.stdout == ""
    assert run_child(lab).stdout.split() == ["0x0", "3"]


@pytest.mark.parametrize("code", [d.S_RELOAD, d.S_REBOOT])
def test_success_codes_are_returned_after_the_work(initialized, dism, code):
    initialized.faults(f"DismGetImageInfo 1 0x{code:08X}")
    hr, images = dism.image_info(r"C:\images\win11.wim")
    assert hr == code and len(images) == 3 and images[0]["name"] == "Windows 11 Pro"


def test_success_code_does_not_hide_a_real_failure(initialized, dism):
    initialized.faults("DismGetImageInfo 1 0x00000BC2")
    assert dism.image_info(r"C:\images\missing.wim")[0] == d.E_FILE_NOT_FOUND
