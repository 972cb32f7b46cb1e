"""The lab's winimaging.dism.dism_helper (architecture.md section 1)."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from hostlab_support import LAB, RunningHost, module_stdin, run_module, start_host

from host.config import POWERSHELL_FLAVOURS

HELPER = "winimaging.dism.dism_helper"
TINY_SOURCE = (
    "namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper {\n"
    "  public static class Executor {\n"
    "    public static System.Collections.Hashtable Run(System.Collections.IDictionary request) {\n"
    "      return new System.Collections.Hashtable();\n"
    "    }\n"
    "  }\n"
    "}\n"
)
TINY_HASH = hashlib.sha256(TINY_SOURCE.encode()).hexdigest()
needs_mcs = pytest.mark.skipif(shutil.which("mcs") is None, reason="mcs (Debian mono-mcs) is not installed")


def call(host: RunningHost, args: dict[str, Any], **kw: Any) -> tuple[dict[str, Any] | None, str, int]:
    args = {"caller": "winimaging.dism.dism_image_info", **args}
    out, err, rc = run_module(host.protocol(), module_stdin(HELPER, args, **kw))
    return (json.loads(out) if out.strip() else None), err.decode(), rc


def cache_dir(host: RunningHost, helper_hash: str = TINY_HASH) -> Path:
    return host.root / "drives/C/ProgramData/winimaging.dism/helper" / helper_hash / POWERSHELL_FLAVOURS[host.config.powershell]


@needs_mcs
def test_missing_then_compiled_then_cached(host: RunningHost) -> None:
    request = {"operations": [], "target": None}
    result, _stderr, rc = call(host, {"helper_hash": TINY_HASH, "request": request})
    assert rc == 0 and result == {"changed": False, "helper_missing": True}

    result, err, rc = call(host, {"helper_hash": TINY_HASH, "request": request, "helper_source": TINY_SOURCE})
    assert rc == 0, err
    assert result is not None
    assert result["changed"] is False and result["helper_compiled"] is True
    response = result["response"]
    assert response["echo"] == request
    assert response["logon"] == "network"
    assert Path(response["lab_root"]) == host.root.resolve()
    assert Path(response["dll"]) == cache_dir(host) / "WinImagingDismHelper.dll"

    result, _stderr, rc = call(host, {"helper_hash": TINY_HASH, "request": request})
    assert rc == 0 and result is not None and result["helper_compiled"] is False

    assert (host.root / "lab/helper-compiles").read_text().strip() == "1"
    assert [r["helper_compiles"] for r in host.wire() if r["kind"] == "command"] == [0, 1, 0]
    config = (cache_dir(host) / "WinImagingDismHelper.dll.config").read_text()
    assert 'dll="kernel32.dll"' in config and "libLabKernel32.so" in config
    assert 'dll="DismApi"' in config and "libDismApi.so" in config
    # Windows PowerShell 5.1's Add-Type may keep the assembly it built loaded, so that build
    # folder outlives the task; the cache folder itself holds only the DLL and its dllmap.
    leftovers = [p.name for p in cache_dir(host).parent.iterdir() if p.name != cache_dir(host).name]
    assert [name.startswith("build-") for name in leftovers] == [True]
    assert sorted(p.name for p in cache_dir(host).iterdir()) == ["WinImagingDismHelper.dll", "WinImagingDismHelper.dll.config"]


def test_source_must_match_hash(host: RunningHost) -> None:
    result, _stderr, rc = call(host, {"helper_hash": "a" * 64, "request": {}, "helper_source": TINY_SOURCE})
    assert rc == 1 and result is not None and result["failed"] is True
    assert "does not match helper_hash" in result["msg"]
    assert not cache_dir(host, "a" * 64).exists()


def test_bad_hash_is_refused(host: RunningHost) -> None:
    result, _stderr, rc = call(host, {"helper_hash": "../../etc", "request": {}})
    assert result is not None and result["failed"] is True and "helper_hash" in result["msg"]


@needs_mcs
def test_compile_errors_fail_the_task(host: RunningHost) -> None:
    bad = "namespace X { class Y { void Z() { int unused; } } }"  # CS0168 warning -> error
    result, _stderr, rc = call(host, {"helper_hash": hashlib.sha256(bad.encode()).hexdigest(), "request": {},
                                      "helper_source": bad})
    assert rc == 1 and result is not None and result["failed"] is True
    assert "failed to compile" in result["msg"] and "CS0168" in result["msg"]


@needs_mcs
@pytest.mark.parametrize("target", [".", "WinImagingDismHelper.dll", "..", "../.."])
def test_integrity_check_blocks_writable_cache(host: RunningHost, target: str) -> None:
    call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE})
    path = (cache_dir(host) / target).resolve()
    path.chmod(path.stat().st_mode | 0o002)
    result, _stderr, rc = call(host, {"helper_hash": TINY_HASH, "request": {"operations": []}})
    assert rc == 1 and result is not None and result["failed"] is True
    assert result["msg"].startswith(f"Refusing to load the DISM helper: '{path}' lets group or others write to it (mode ")
    assert result["msg"].endswith(").")
    assert [r["outcome"] for r in host.wire() if r["kind"] == "command"][-1] == "failed"


@needs_mcs
def test_become_runs_with_interactive_logon(host: RunningHost) -> None:
    call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE})
    become = {"name": "become_wrapper.ps1", "params": {"BecomeUser": "SYSTEM"}}
    result, _stderr, rc = call(host, {"helper_hash": TINY_HASH, "request": {}}, extra_actions=[become],
                               csharp=["Ansible.Become.cs"])
    assert rc == 0 and result is not None and result["response"]["logon"] == "interactive"
    become_net = {"name": "become_wrapper.ps1", "params": {"BecomeUser": "x", "LogonType": "Network"}}
    result, _stderr, _rc = call(host, {"helper_hash": TINY_HASH, "request": {}}, extra_actions=[become_net])
    assert result is not None and result["response"]["logon"] == "network"
    record = host.wire()[-4]
    assert record["become"] is True and record["logon"] == "interactive"


@needs_mcs
@pytest.mark.parametrize(
    ("request_", "exit_code", "text"),
    [({"stub_exit": 70}, 70, "exited with code 70"), ({"stub_signal": int(signal.SIGSEGV)}, -1073741819, "SIGSEGV")],
)
def test_runner_death_looks_like_a_dead_module_process(
    host: RunningHost, request_: dict[str, Any], exit_code: int, text: str
) -> None:
    call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE})
    result, err, rc = call(host, {"helper_hash": TINY_HASH, "request": request_})
    assert result is None  # no JSON at all, like a crashed powershell.exe
    assert rc == exit_code
    assert text in err and err.strip().splitlines()[-1].startswith("The DISM helper process died")
    assert host.wire()[-2]["outcome"] == "died"


# -- Windows behaviours the install must survive (issue: Windows fidelity) -------------------
def _first_tasks_at_once(host: RunningHost, count: int, sleep: float) -> list[tuple[dict[str, Any] | None, str, int]]:
    """``count`` first tasks of a fresh helper version at the same moment, each keeping it loaded."""
    args = {"helper_hash": TINY_HASH, "helper_source": TINY_SOURCE, "request": {"stub_sleep": sleep}}
    results: list[tuple[dict[str, Any] | None, str, int]] = [(None, "", -1)] * count
    barrier = threading.Barrier(count)

    def one(i: int) -> None:
        barrier.wait()
        results[i] = call(host, args)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@needs_mcs
@pytest.mark.parametrize("powershell", ["5.1", "7"])
def test_concurrent_first_tasks_install_once_and_all_succeed(tmp_path: Path, powershell: str) -> None:
    # Windows keeps a loaded DLL locked: the task that loses the race must neither delete nor
    # move what the winner installed and has loaded, and must not compile a second time.
    running = start_host(tmp_path, powershell=powershell)
    try:
        results = _first_tasks_at_once(running, 3, sleep=1.5)
        for result, err, rc in results:
            assert rc == 0, (result, err)
            assert result is not None and result["response"]["completed"] is True, result
            assert result["response"]["powershell"] == powershell
        assert sorted(r[0]["helper_compiled"] for r in results if r[0]) == [False, False, True]
        assert (running.root / "lab/helper-compiles").read_text().strip() == "1"
    finally:
        running.server.shutdown()
        running.server.server_close()


@needs_mcs
def test_a_loaded_dll_cannot_be_deleted(host: RunningHost) -> None:
    """The lab's model of Windows: what a live task has loaded cannot be removed or moved."""
    call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE})
    executor = host.server.manager.executor
    dll = cache_dir(host) / "WinImagingDismHelper.dll"
    with executor.helper.images.loaded(dll, "another-task"):
        with pytest.raises(OSError, match="Access to the path .* is denied"):
            executor.helper.images.remove_tree(cache_dir(host))
        with pytest.raises(OSError, match="denied"):
            executor.helper.images.move(cache_dir(host), cache_dir(host).with_name("moved"))
    assert dll.exists()


@needs_mcs
def test_a_cache_folder_without_its_dll_is_refilled_not_replaced(host: RunningHost) -> None:
    # A DLL deleted or quarantined by an antivirus leaves its folder: the next install writes
    # into it instead of removing it (another task may have files in it loaded).
    call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE})
    (cache_dir(host) / "WinImagingDismHelper.dll").unlink()
    (cache_dir(host) / "WinImagingDismHelper.dll.0123.tmp").write_bytes(b"half a copy")
    result, err, rc = call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE})
    assert rc == 0, err
    assert result is not None and result["helper_compiled"] is True
    assert sorted(p.name for p in cache_dir(host).iterdir()) == ["WinImagingDismHelper.dll", "WinImagingDismHelper.dll.config"]


@pytest.mark.parametrize(("condition", "value", "reason", "text"), [
    ("elevated", False, "not_elevated", "has no elevated Administrators token"),
    ("process_bits", 32, "wow64", "32-bit PowerShell on 64-bit Windows"),
    ("language_mode", "ConstrainedLanguage", "language_mode", "PowerShell runs in ConstrainedLanguage mode"),
])
def test_host_conditions_refuse_before_anything_is_written(host: RunningHost, condition: str, value: Any,
                                                           reason: str, text: str) -> None:
    (host.root / "lab/conditions.json").write_text(json.dumps({condition: value}))
    result, _err, rc = call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE})
    assert result is not None and result["failed"] is True
    assert result["host_condition"] == reason
    assert text in result["msg"]
    assert not (host.root / "drives/C/ProgramData/winimaging.dism").exists()


@needs_mcs
@pytest.mark.parametrize("target", [".", ".."])
def test_a_reparse_point_in_the_cache_is_refused(host: RunningHost, tmp_path: Path, target: str) -> None:
    call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE})
    real = (cache_dir(host) / target).resolve()
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(real), str(elsewhere))
    real.symlink_to(elsewhere, target_is_directory=True)
    result, _err, rc = call(host, {"helper_hash": TINY_HASH, "request": {}})
    assert rc == 1 and result is not None and result["failed"] is True
    assert result["msg"] == f"Refusing to load the DISM helper: '{real}' is a reparse point (junction or symbolic link)."


@pytest.mark.parametrize("caller", [None, "", "mycorp.tools.wrapper"])
def test_a_direct_call_is_refused(host: RunningHost, caller: str | None) -> None:
    args = {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE, "caller": caller}
    if caller is None:
        del args["caller"]
    out, _err, rc = run_module(host.protocol(), module_stdin(HELPER, args))
    result = json.loads(out)
    assert result["failed"] is True and result["msg"].startswith("winimaging.dism.dism_helper is internal")
    assert not (host.root / "drives/C/ProgramData/winimaging.dism").exists()


@needs_mcs
def test_check_mode_reaches_the_executor(host: RunningHost) -> None:
    result, err, rc = call(host, {"helper_hash": TINY_HASH, "request": {}, "helper_source": TINY_SOURCE,
                                  "_ansible_check_mode": True})
    assert rc == 0, err
    assert result is not None and result["response"]["check_mode"] is True
    result, err, rc = call(host, {"helper_hash": TINY_HASH, "request": {}, "_ansible_check_mode": False})
    assert result is not None and result["response"]["check_mode"] is False


# -- the real thing: mcs + mono + LabRunner.exe + libDismApi.so -------------------------------
REAL_SOURCE = LAB.parents[1] / "plugins/module_utils/_DismHelper.cs"  # the first of the helper's files
REAL_RUNNER = LAB / "runner/build/LabRunner.exe"
REAL_LIBS = [LAB / "dismsim/build/libDismApi.so", LAB / "dismsim/build/libLabKernel32.so"]
_missing = [str(p) for p in [REAL_SOURCE, REAL_RUNNER, *REAL_LIBS] if not p.exists()]
_missing += [tool for tool in ("mono", "mcs") if shutil.which(tool) is None]


@pytest.mark.skipif(bool(_missing), reason=f"lab pieces not built/installed (make -C tests/lab/dismsim; "
                                           f"tests/lab/runner/build.sh): missing {', '.join(_missing)}")
def test_real_runner_and_simulator(tmp_path: Path) -> None:
    running = start_host(tmp_path, runner_command=None, runner_exe=str(REAL_RUNNER),
                         lib_dir=str(REAL_LIBS[0].parent))
    (running.root / "drives/C/images").mkdir(parents=True)
    try:
        from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import helper_source

        source = helper_source()  # the joined _DismHelper*.cs, as the action plugins send it
        args = {"helper_hash": source.sha256, "helper_source": source.text,
                "request": {"operations": [{"op": "get_image_info", "image_path": "C:\\images\\missing.wim"}]}}
        result, err, rc = call(running, args)
        assert rc == 0, err
        assert result is not None and result["helper_compiled"] is True
        response = result["response"]
        assert response["completed"] is False
        first = response["results"][0]
        assert first["op"] == "get_image_info" and first["ok"] is False
        assert first["error"]["function"] == "DismGetImageInfo"
        assert first["error"]["hresult"] & 0xFFFFFFFF == 0x80070002
    finally:
        running.server.shutdown()
        running.server.server_close()


def test_lab_and_windows_helper_word_failures_alike() -> None:
    """The lab emulates dism_helper.ps1; its failure wording must be the .ps1's."""
    from host import helper as lab_helper

    ps1 = (LAB.parents[1] / "plugins" / "modules" / "dism_helper.ps1").read_text(encoding="utf-8")
    for message in (lab_helper.MSG_BAD_HASH, lab_helper.MSG_SOURCE_MISMATCH, lab_helper.MSG_REFUSE,
                    lab_helper.MSG_REPARSE, lab_helper.MSG_MUTEX_TIMEOUT, lab_helper.MSG_INTERNAL):
        assert message in ps1, message
