"""Call accounting: every exported function is counted, per host, across processes."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap

import pytest

import dismlab as d
from test_abi import dynamic_symbols

pytestmark = pytest.mark.lab

# More arguments than any export takes (DismEnableFeature has 11): on x86-64 SysV extra
# arguments are ignored, and every pointer the callee may clear before its checks is NULL.
ZEROS = (ctypes.c_void_p(0),) * 12


def call_with_zeros(dism, name: str) -> int:
    # A handle of our own, so the argtypes dismlab declared on its functions stay as they are.
    fn = getattr(ctypes.CDLL(str(d.DISM_LIB)), name)
    fn.restype = ctypes.c_uint32
    return fn(*ZEROS)


def test_every_export_is_counted_even_when_refused(lab, dism):
    """Every name nm -D lists, called uninitialized (refused) and then initialized, is counted each time."""
    exports = sorted(dynamic_symbols(d.DISM_LIB))
    assert len(exports) == 36
    # Uninitialized: each call is refused with DISMAPI_E_NOT_INITIALIZED (or works, for the
    # four that need no initialization), and still counted.
    first = [n for n in exports if n != "DismInitialize"]
    for name in first:
        call_with_zeros(dism, name)
    assert dism.initialize() == d.S_OK
    for name in first:
        if name not in ("DismShutdown", "DismCleanupMountpoints"):
            call_with_zeros(dism, name)
    assert dism.shutdown() == d.S_OK
    counts = d.call_counts(lab.root, os.getpid())
    missing = [n for n in exports if n not in counts]
    assert missing == [], "exports not counted: %s" % missing
    expected = {n: 2 for n in first}
    expected.update(DismInitialize=1, DismShutdown=2, DismCleanupMountpoints=1)
    assert counts == expected


def test_failed_and_faulted_calls_are_counted(initialized, dism):
    initialized.faults("DismGetImageInfo 1 0x80070020")
    assert dism.image_info(r"C:\images\win11.wim")[0] == 0x80070020
    assert dism.image_info(r"C:\images\nope.wim")[0] == d.E_FILE_NOT_FOUND
    assert d.call_counts(initialized.root)["DismGetImageInfo"] == 2


def test_nothing_is_written_without_a_lab_root(lab, dism, monkeypatch):
    monkeypatch.delenv("DISM_LAB_ROOT")
    assert dism.initialize() == d.E_ENVVAR_NOT_FOUND
    assert d.call_log(lab.root) == []


CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import dismlab
    dism = dismlab.Dism()
    for _ in range({rounds}):
        assert dism.initialize() == 0
        hr, sid = dism.open_session(dismlab.DISM_ONLINE_IMAGE)
        assert hr == 0, hex(hr)
        assert dism.features(sid)[0] == 0
        assert dism.close_session(sid) == 0
        assert dism.shutdown() == 0
""")


def test_concurrent_processes_are_counted_apart_and_completely(lab):
    """Four processes of one host at once: no line lost or torn, each process's calls by its pid."""
    rounds = 25
    code = CHILD.format(tests=os.path.dirname(os.path.abspath(__file__)), rounds=rounds)
    env = dict(os.environ, DISM_LAB_ROOT=str(lab.root))
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env) for _proc in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    per_call = {"DismInitialize": rounds, "DismOpenSession": rounds, "DismGetFeatures": rounds,
                "DismDelete": rounds, "DismCloseSession": rounds, "DismShutdown": rounds}
    for p in procs:
        assert d.call_counts(lab.root, p.pid) == per_call
    assert len(d.call_log(lab.root)) == 4 * 6 * rounds
