"""DismCheckImageHealth progress and cancellation, and libLabKernel32 events."""

from __future__ import annotations

import threading
import time

import pytest

import dismlab as d

pytestmark = pytest.mark.lab


@pytest.fixture
def online(initialized, dism):
    hr, sid = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    return sid


def test_scan_reports_progress_up_to_total(dism, online):
    hr, state, calls = dism.check_health(online, True)
    assert (hr, state) == (d.S_OK, 0)
    assert len(calls) > 5 and calls[0] == (50, 1000) and calls[-1] == (1000, 1000)
    currents = [call[0] for call in calls]
    assert all(cur <= total for cur, total in calls)
    assert currents == sorted(currents)


def test_no_scan_means_no_callbacks(dism, online):
    assert dism.check_health(online, False) == (d.S_OK, 0, [])


@pytest.mark.parametrize("word,state", [("Repairable", 1), ("NonRepairable", 2), ("Healthy", 0)])
def test_state_recorded_in_the_image(initialized, dism, word, state):
    root = initialized.windows_tree(initialized.drive() / "applied")
    (root / "Windows" / "servicing").mkdir(parents=True)
    (root / "Windows" / "servicing" / "LabImageHealth").write_text(word + "\n")
    hr, sid = dism.open_session(r"C:\applied")
    assert hr == d.S_OK
    assert dism.check_health(sid, False)[:2] == (d.S_OK, state)
    assert dism.check_health(sid, True)[:2] == (d.S_OK, state)


def test_event_set_before_the_scan_cancels_it(dism, online):
    event = dism.k32.CreateEventW(None, 1, 1, None)
    hr, state, calls = dism.check_health(online, True, cancel=event)
    assert (hr, state, calls) == (d.E_CANCELLED, -1, [])
    assert dism.last_error()[1] == "The operation was canceled by the user."
    assert dism.k32.CloseHandle(event)


def test_cancel_from_the_callback(dism, online):
    event = dism.k32.CreateEventW(None, 1, 0, None)
    hr, state, calls = dism.check_health(online, True, cancel=event,
                                         progress=lambda cur, total: cur >= 200 and dism.k32.SetEvent(event))
    assert (hr, state) == (d.E_CANCELLED, -1) and calls[-1] == (200, 1000)
    dism.k32.CloseHandle(event)


def test_cancel_from_another_thread_while_slowed(dism, online, monkeypatch):
    monkeypatch.setenv("DISM_LAB_PROGRESS_DELAY_MS", "20")
    event = dism.k32.CreateEventW(None, 1, 0, None)
    timer = threading.Timer(0.1, dism.k32.SetEvent, args=(event,))
    started = time.monotonic()
    timer.start()
    hr, state, calls = dism.check_health(online, True, cancel=event)
    assert (hr, state) == (d.E_CANCELLED, -1) and 0 < len(calls) < 20
    assert time.monotonic() - started < 1.0
    dism.k32.CloseHandle(event)


def test_garbage_cancel_handle_is_an_error_not_a_crash(dism, online):
    assert dism.check_health(online, True, cancel=0x12345678)[0] == d.E_INVALID_HANDLE
    event = dism.k32.CreateEventW(None, 1, 0, None)
    dism.k32.CloseHandle(event)
    assert dism.check_health(online, True, cancel=event)[0] == d.E_INVALID_HANDLE


def test_kernel32_events(dism):
    k32 = dism.k32
    manual = k32.CreateEventW(None, 1, 0, None)
    auto = k32.CreateEventW(None, 0, 1, None)
    assert manual and auto and manual != auto
    assert k32.WaitForSingleObject(manual, 0) == d.WAIT_TIMEOUT
    started = time.monotonic()
    assert k32.WaitForSingleObject(manual, 50) == d.WAIT_TIMEOUT
    assert time.monotonic() - started >= 0.04
    assert k32.SetEvent(manual) and k32.WaitForSingleObject(manual, 0) == d.WAIT_OBJECT_0
    assert k32.WaitForSingleObject(manual, 0) == d.WAIT_OBJECT_0          # manual reset stays set
    assert k32.ResetEvent(manual) and k32.WaitForSingleObject(manual, 0) == d.WAIT_TIMEOUT
    assert k32.WaitForSingleObject(auto, 0) == d.WAIT_OBJECT_0
    assert k32.WaitForSingleObject(auto, 0) == d.WAIT_TIMEOUT             # auto reset consumed it
    threading.Timer(0.05, k32.SetEvent, args=(auto,)).start()
    assert k32.WaitForSingleObject(auto, 0xFFFFFFFF) == d.WAIT_OBJECT_0
    assert k32.CloseHandle(manual) and not k32.CloseHandle(manual)
    assert k32.WaitForSingleObject(manual, 0) == d.WAIT_FAILED
    assert not k32.SetEvent(0xDEADBEE0) and not k32.CloseHandle(None)
    k32.CloseHandle(auto)


def test_named_events_are_shared(dism):
    name = d.wstr("Global\\lab-cancel")
    first = dism.k32.CreateEventW(None, 1, 0, name)
    second = dism.k32.CreateEventW(None, 1, 0, name)
    assert first != second
    dism.k32.SetEvent(first)
    assert dism.k32.WaitForSingleObject(second, 0) == d.WAIT_OBJECT_0
    dism.k32.CloseHandle(first)
    assert dism.k32.WaitForSingleObject(second, 0) == d.WAIT_OBJECT_0
    dism.k32.CloseHandle(second)
