"""The lab's ``winimaging.dism.dism_helper``: architecture.md section 1 with mcs and mono.

Windows                                   | lab
------------------------------------------+------------------------------------------------------
%ProgramData%\\winimaging.dism\\helper\\   | <root>/drives/C/ProgramData/winimaging.dism/helper/
  <hash>\\<PSEdition>-<clr major>\\        |   <hash>/Mono-4/
ACL check (owner Administrators/SYSTEM,   | owner is this uid, no group/other write bit, no
  no write ACE for other SIDs)            |   symbolic links, on every folder and file loaded
Add-Type -OutputAssembly                  | mcs -langversion:5 -warnaserror -target:library
(DllImport resolves DismApi.dll)          | WinImagingDismHelper.dll.config with <dllmap>s
Executor.Run between ConvertFrom/To-Json  | mono LabRunner.exe <dll>, request JSON on stdin
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from .config import HostConfig
from .shells import ExecResult

DLL_NAME = "WinImagingDismHelper.dll"
EDITION_DIR = "Mono-4"  # <PSEdition>-<CLR major> as the lab's "PowerShell" reports it
_HASH = re.compile(r"^[0-9a-f]{64}$")
_DLLMAP_NAMES = {
    "kernel32": ("kernel32.dll", "kernel32", "KERNEL32.dll", "Kernel32.dll"),
    # PathIsDirectoryEmptyW: the lab's kernel32 stand-in provides it too.
    "shlwapi": ("shlwapi.dll", "shlwapi", "SHLWAPI.dll"),
    "dismapi": ("DismApi", "DismApi.dll", "dismapi", "dismapi.dll", "DISMAPI.dll"),
}
# What Windows reports when the process dies of these (NTSTATUS as a signed exit code).
_SIGNAL_EXIT = {signal.SIGSEGV: -1073741819, signal.SIGABRT: -1073740791, signal.SIGBUS: -1073741819}

_compile_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class HelperFailure(Exception):
    """Ends the module with ``{"failed": true, "msg": ...}`` (section 1 step 6)."""


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _compile_locks.setdefault(key, threading.Lock())


def _json_result(data: dict[str, Any], rc: int = 0) -> tuple[bytes, int]:
    return (json.dumps(data) + "\r\n").encode("utf-8"), rc


# Wording shared with plugins/modules/dism_helper.ps1 (a test checks the .ps1 says the same).
MSG_BAD_HASH = "helper_hash must be 64 lowercase hex digits"
MSG_SOURCE_MISMATCH = "helper_source does not match helper_hash"
MSG_REFUSE = "Refusing to load the DISM helper: "
MSG_RETRY = " and run the task again."


class HelperHost:
    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.base = config.root / "drives" / "C" / "ProgramData" / "winimaging.dism"

    # -- entry point ----------------------------------------------------------------------------
    def run(self, args: dict[str, Any], logon: str, cancel: threading.Event) -> ExecResult:
        meta: dict[str, Any] = {"helper_compiles": 0, "logon": logon}
        try:
            helper_hash = args.get("helper_hash")
            if not isinstance(helper_hash, str) or not _HASH.match(helper_hash):
                raise HelperFailure(MSG_BAD_HASH)
            request = args.get("request")
            if not isinstance(request, dict):
                raise HelperFailure("request must be a dict")
            meta["helper_hash"] = helper_hash
            cache_dir = self.base / "helper" / helper_hash / EDITION_DIR
            dll = cache_dir / DLL_NAME
            compiled = False
            with _lock_for(helper_hash):
                if not dll.exists():
                    source = args.get("helper_source")
                    if source is None:
                        meta["outcome"] = "helper_missing"
                        out, rc = _json_result({"changed": False, "helper_missing": True})
                        return ExecResult(out, b"", rc, meta)
                    self._compile(str(source), helper_hash, cache_dir)
                    compiled = True
                    meta["helper_compiles"] = 1
            self.check_integrity(cache_dir)
        except HelperFailure as exc:
            meta["outcome"] = "failed"
            out, rc = _json_result({"failed": True, "msg": str(exc)}, rc=1)
            return ExecResult(out, b"", rc, meta)
        return self._execute(dll, request, compiled, logon, cancel, meta)

    # -- integrity (the ACL check) --------------------------------------------------------------
    def check_integrity(self, cache_dir: Path) -> None:
        chain = [self.base]
        rel = cache_dir.relative_to(self.base)
        for part in rel.parts:
            chain.append(chain[-1] / part)
        chain += [cache_dir / DLL_NAME, cache_dir / (DLL_NAME + ".config")]
        uid = os.getuid()
        for path in chain:
            try:
                st = path.lstat()
            except FileNotFoundError:
                raise HelperFailure(f"{MSG_REFUSE}'{path}' is missing. Delete '{self.base}'{MSG_RETRY}") from None
            problem = None
            if stat.S_ISLNK(st.st_mode):
                problem = "is a symbolic link"
            elif st.st_uid != uid:
                problem = f"is owned by uid {st.st_uid}, not by the service account (uid {uid})"
            elif st.st_mode & 0o022:
                problem = f"lets group or others write to it (mode {stat.S_IMODE(st.st_mode):04o})"
            if problem:
                raise HelperFailure(f"{MSG_REFUSE}'{path}' {problem}. Delete '{self.base}'{MSG_RETRY}")

    # -- compile (Add-Type -OutputAssembly) -----------------------------------------------------
    def _compile(self, source: str, helper_hash: str, cache_dir: Path) -> None:
        actual = hashlib.sha256(source.encode("utf-8")).hexdigest()
        if actual != helper_hash:
            raise HelperFailure(f"{MSG_SOURCE_MISMATCH}: its SHA-256 is {actual}, expected {helper_hash}")
        parent = cache_dir.parent
        for folder in (self.base.parent, self.base, self.base / "helper", parent):
            if not folder.exists():
                folder.mkdir(mode=0o755, parents=True, exist_ok=True)
                folder.chmod(0o755)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=parent))
        try:
            tmp.chmod(0o755)
            src = tmp / "_DismHelper.cs"
            src.write_text(source, encoding="utf-8")
            cmd = [
                *self.config.resolved_compiler(),
                "-langversion:5",
                "-warnaserror",
                "-target:library",
                f"-out:{tmp / DLL_NAME}",
                str(src),
            ]
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, timeout=self.config.compile_timeout, check=False, stdin=subprocess.DEVNULL
                )
            except FileNotFoundError:
                raise HelperFailure(f"cannot compile the helper: {cmd[0]!r} is not installed on the lab host") from None
            except subprocess.TimeoutExpired:
                raise HelperFailure(f"compiling the helper timed out after {self.config.compile_timeout:.0f}s") from None
            if proc.returncode != 0 or not (tmp / DLL_NAME).exists():
                output = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip()
                raise HelperFailure(f"Add-Type failed to compile the helper (mcs exit {proc.returncode}): {output[:8000]}")
            src.unlink()
            config = tmp / (DLL_NAME + ".config")
            config.write_text(self.dllmap_config(), encoding="utf-8")
            for f in tmp.iterdir():
                f.chmod(0o644)
            try:
                os.rename(tmp, cache_dir)
            except OSError:
                if not (cache_dir / DLL_NAME).exists():
                    raise
                # another build won the race; its result is equivalent
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self._count_compile()

    def dllmap_config(self) -> str:
        lib_dir = self.config.resolved_lib_dir().resolve()
        targets = {"kernel32": lib_dir / "libLabKernel32.so", "shlwapi": lib_dir / "libLabKernel32.so", "dismapi": lib_dir / "libDismApi.so"}
        lines = ["<configuration>"]
        for key, names in _DLLMAP_NAMES.items():
            for name in names:
                lines.append(f'  <dllmap dll="{name}" target="{targets[key]}" os="!windows"/>')
        lines.append("</configuration>")
        return "\n".join(lines) + "\n"

    def _count_compile(self) -> None:
        counter = self.config.control_dir / "helper-compiles"
        counter.parent.mkdir(parents=True, exist_ok=True)
        with open(counter, "a+", encoding="ascii") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            text = fh.read().strip()
            fh.seek(0)
            fh.truncate()
            fh.write(f"{(int(text) if text.isdigit() else 0) + 1}\n")

    # -- run (Executor.Run) ---------------------------------------------------------------------
    def _execute(
        self, dll: Path, request: dict[str, Any], compiled: bool, logon: str, cancel: threading.Event, meta: dict[str, Any]
    ) -> ExecResult:
        cmd = [*self.config.resolved_runner(), str(dll)]
        lib_dir = str(self.config.resolved_lib_dir().resolve())
        env = dict(os.environ)
        env.update(
            DISM_LAB_ROOT=str(self.config.root.resolve()),
            DISM_LAB_LOGON=logon,
            LD_LIBRARY_PATH=os.pathsep.join(p for p in (lib_dir, env.get("LD_LIBRARY_PATH", "")) if p),
        )
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                cwd=str(self.config.root), start_new_session=True,
            )
        except FileNotFoundError:
            meta["outcome"] = "failed"
            out, rc = _json_result({"failed": True, "msg": f"lab runner not found: {cmd[0]!r}"}, rc=1)
            return ExecResult(out, b"", rc, meta)
        stdout, stderr, killed = _communicate(proc, json.dumps(request).encode("utf-8"), self.config.runner_timeout, cancel)
        if proc.returncode != 0 or killed:
            return self._died(proc.returncode, stderr, killed, meta)
        try:
            response = json.loads(stdout.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            meta["outcome"] = "failed"
            out, rc = _json_result(
                {"failed": True, "msg": f"the lab runner wrote no JSON response ({exc}); stdout: {stdout[:2000]!r}; "
                 f"stderr: {stderr[:2000]!r}"}, rc=1)
            return ExecResult(out, b"", rc, meta)
        meta["outcome"] = "ok"
        out, rc = _json_result({"changed": False, "helper_compiled": compiled, "response": response})
        return ExecResult(out, b"", rc, meta)

    @staticmethod
    def _died(returncode: int, stderr: bytes, killed: str | None, meta: dict[str, Any]) -> ExecResult:
        """Answer like a Windows host whose module process died: no JSON, exit code, stderr."""
        meta["outcome"] = "died"
        if returncode < 0:
            sig = signal.Signals(-returncode)
            exit_code = _SIGNAL_EXIT.get(sig, 1)
            how = f"was terminated by {sig.name}"
        else:
            exit_code = returncode or 1
            how = f"exited with code {returncode}"
        if killed:
            how = f"was killed ({killed})"
            exit_code = 1
        meta["runner_exit"] = returncode
        text = stderr.decode("utf-8", "replace").strip()
        message = (
            f"The DISM helper process died before returning a result: the lab runner {how} "
            f"(Windows exit code {exit_code}, 0x{exit_code & 0xFFFFFFFF:08X})."
        )
        # The summary goes last: callers tend to show the last stderr line.
        if text:
            message = text[-16000:] + "\r\n" + message
        return ExecResult(b"", (message + "\r\n").encode("utf-8"), exit_code, meta)


def _communicate(
    proc: subprocess.Popen[bytes], data: bytes, timeout: float, cancel: threading.Event
) -> tuple[bytes, bytes, str | None]:
    """communicate() that also stops when the WinRS command is signalled or the timeout passes."""
    waited = 0.0
    pending: bytes | None = data
    while True:
        try:
            out, err = proc.communicate(input=pending, timeout=0.5)
            return out, err, None
        except subprocess.TimeoutExpired:
            pending = None
            waited += 0.5
            reason = "the command was terminated by the client" if cancel.is_set() else None
            if waited >= timeout:
                reason = f"timeout after {timeout:.0f}s"
            if reason:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                out, err = proc.communicate()
                return out, err, reason
