"""The lab's ``winimaging.dism.dism_helper``: architecture.md section 1 with mcs and mono.

Windows                                   | lab
------------------------------------------+------------------------------------------------------
%ProgramData%\\winimaging.dism\\helper\\   | <root>/drives/C/ProgramData/winimaging.dism/helper/
  <hash>\\<PSEdition>-<clr major>\\        |   <hash>/Desktop-4/ (5.1) or <hash>/Core-8/ (7)
host conditions (language mode, WOW64,    | <root>/lab/conditions.json (labctl condition)
  elevated token)                         |
ACL check (no reparse point, owner        | no symbolic link, owner is this uid, no group/other
  Administrators/SYSTEM, no write ACE     |   write bit, on every folder and file loaded
  for other SIDs)                         |
Global\\winimaging.dism-<hash> mutex      | flock on <root>/lab/mutexes/<sha of the name>
a loaded DLL cannot be deleted or moved   | winfs.LoadedImages, for the runner's DLL while it
  (Add-Type on 5.1 may hold its output)   |   runs, and for the build output on "5.1"
Add-Type -OutputAssembly                  | mcs -langversion:5 -warnaserror -target:library
(DllImport resolves DismApi.dll)          | WinImagingDismHelper.dll.config with <dllmap>s
2.19's ConvertFrom-Json | Convert-JsonObject | LabRunner's ArgumentShapes (DISM_LAB_POWERSHELL)
Executor.Run, then ConvertTo-Json         | mono LabRunner.exe <dll>, request JSON on stdin
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from .config import POWERSHELL_FLAVOURS, HostConfig
from .shells import ExecResult
from .winfs import LoadedImages, WindowsIOError, named_mutex

DLL_NAME = "WinImagingDismHelper.dll"
_HASH = re.compile(r"^[0-9a-f]{64}$")
_DLLMAP_NAMES = {
    "kernel32": ("kernel32.dll", "kernel32", "KERNEL32.dll", "Kernel32.dll"),
    # PathIsDirectoryEmptyW: the lab's kernel32 stand-in provides it too.
    "shlwapi": ("shlwapi.dll", "shlwapi", "SHLWAPI.dll"),
    "dismapi": ("DismApi", "DismApi.dll", "dismapi", "dismapi.dll", "DISMAPI.dll"),
}
# What Windows reports when the process dies of these (NTSTATUS as a signed exit code).
_SIGNAL_EXIT = {signal.SIGSEGV: -1073741819, signal.SIGABRT: -1073740791, signal.SIGBUS: -1073741819}
MUTEX_TIMEOUT = 600.0

# What labctl condition can change, and what a Windows host has when nothing is said.
HOST_CONDITION_DEFAULTS: dict[str, Any] = {"elevated": True, "process_bits": 64, "language_mode": "FullLanguage"}


class HelperFailure(Exception):
    """Ends the module with ``{"failed": true, "msg": ...}`` (section 1 step 6)."""


def _json_result(data: dict[str, Any], rc: int = 0) -> tuple[bytes, int]:
    return (json.dumps(data) + "\r\n").encode("utf-8"), rc


# Wording shared with plugins/modules/dism_helper.ps1 (a test checks the .ps1 says the same).
MSG_BAD_HASH = "helper_hash must be 64 lowercase hex digits"
MSG_SOURCE_MISMATCH = "helper_source does not match helper_hash"
MSG_REFUSE = "Refusing to load the DISM helper: "
MSG_REPARSE = "is a reparse point (junction or symbolic link)."
MSG_MUTEX_TIMEOUT = "waiting for another task on this host to install the DISM helper"
MSG_INTERNAL = ("winimaging.dism.dism_helper is internal to the winimaging.dism collection; use its modules "
                "(dism_image_info, dism_image_mount, dism_feature, dism_driver, ...) instead")


class HelperHost:
    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.base = config.root / "drives" / "C" / "ProgramData" / "winimaging.dism"
        self.flavour_dir = POWERSHELL_FLAVOURS[config.powershell]
        # What the host's processes have loaded: one registry for the whole (simulated) machine.
        self.images = LoadedImages()

    def _progress_delay(self) -> str:
        """labctl slow: a pause before each DISM progress report, so a task can time out mid-operation."""
        knob = self.config.control_dir / "progress-delay-ms"
        return knob.read_text(encoding="ascii").strip() if knob.exists() else "0"

    def conditions(self) -> dict[str, Any]:
        values = dict(HOST_CONDITION_DEFAULTS)
        path = self.config.control_dir / "conditions.json"
        if path.exists():
            values.update(json.loads(path.read_text(encoding="utf-8")))
        return values

    # -- entry point: dism_helper.ps1, top to bottom ----------------------------------------------
    def run(self, args: dict[str, Any], logon: str, cancel: threading.Event, exec_format: str = "2.19") -> ExecResult:
        """``exec_format``: which ansible-core exec wrapper built $complex_args (payload.FORMAT_*),
        so the runner rebuilds the argument shapes that wrapper makes."""
        meta: dict[str, Any] = {"helper_compiles": 0, "logon": logon}
        # Everything this module process loads stays loaded until it exits (end of this block).
        with contextlib.ExitStack() as process:
            caller = args.get("caller")
            if not (isinstance(caller, str) and caller.startswith("winimaging.dism.")):
                meta["outcome"] = "failed"
                out, rc = _json_result({"failed": True, "changed": False, "msg": MSG_INTERNAL})
                return ExecResult(out, b"", rc, meta)
            check_mode = bool(args.get("_ansible_check_mode"))
            refused = self._host_condition()
            if refused is not None:
                meta["outcome"] = "failed"
                out, rc = _json_result({"failed": True, "changed": False, **refused})
                return ExecResult(out, b"", rc, meta)
            try:
                helper_hash = args.get("helper_hash")
                if not isinstance(helper_hash, str) or not _HASH.match(helper_hash):
                    raise HelperFailure(MSG_BAD_HASH)
                request = args.get("request")
                if not isinstance(request, dict):
                    raise HelperFailure("request must be a dict")
                meta["helper_hash"] = helper_hash
                cache_dir = self.base / "helper" / helper_hash / self.flavour_dir
                dll = cache_dir / DLL_NAME
                compiled = False
                if not dll.exists():
                    source = args.get("helper_source")
                    if source is None:
                        meta["outcome"] = "helper_missing"
                        out, rc = _json_result({"changed": False, "helper_missing": True})
                        return ExecResult(out, b"", rc, meta)
                    self._check_source(str(source), helper_hash)
                    try:
                        with named_mutex(self.config.control_dir, f"Global\\winimaging.dism-{helper_hash}", MUTEX_TIMEOUT):
                            if not dll.exists():
                                self._install(str(source), cache_dir, process)
                                compiled = True
                                meta["helper_compiles"] = 1
                    except TimeoutError:
                        raise HelperFailure(f"timed out after {MUTEX_TIMEOUT:.0f}s {MSG_MUTEX_TIMEOUT}") from None
                self.check_integrity(cache_dir)
            except (HelperFailure, WindowsIOError) as exc:
                meta["outcome"] = "failed"
                out, rc = _json_result({"failed": True, "msg": str(exc)}, rc=1)
                return ExecResult(out, b"", rc, meta)
            return self._execute(dll, request, compiled, logon, cancel, meta, check_mode, exec_format)

    def _host_condition(self) -> dict[str, str] | None:
        """The .ps1's checks before anything is written, in its order."""
        conditions = self.conditions()
        if conditions["language_mode"] != "FullLanguage":
            return {"host_condition": "language_mode", "msg": f"PowerShell runs in {conditions['language_mode']} mode"}
        if int(conditions["process_bits"]) == 32:
            return {"host_condition": "wow64", "msg": "32-bit PowerShell on 64-bit Windows"}
        if not conditions["elevated"]:
            return {"host_condition": "not_elevated",
                    "msg": f"{self.config.display_hostname}\\{self.config.username} has no elevated Administrators token"}
        return None

    # -- integrity (Assert-Trusted) ---------------------------------------------------------------
    def check_integrity(self, cache_dir: Path) -> None:
        chain = [self.base]
        rel = cache_dir.relative_to(self.base)
        for part in rel.parts:
            chain.append(chain[-1] / part)
        chain += [cache_dir / DLL_NAME, cache_dir / (DLL_NAME + ".config")]
        for path in chain:
            self._assert_trusted(path)

    def _assert_trusted(self, path: Path) -> None:
        uid = os.getuid()
        try:
            st = path.lstat()
        except FileNotFoundError:
            raise HelperFailure(f"{MSG_REFUSE}'{path}' is missing.") from None
        problem = None
        if stat.S_ISLNK(st.st_mode):
            problem = MSG_REPARSE
        elif st.st_uid != uid:
            problem = f"is owned by uid {st.st_uid}, not by the service account (uid {uid})."
        elif st.st_mode & 0o022:
            problem = f"lets group or others write to it (mode {stat.S_IMODE(st.st_mode):04o})."
        if problem:
            raise HelperFailure(f"{MSG_REFUSE}'{path}' {problem}")

    # -- install (Install-Helper, under the mutex) ------------------------------------------------
    @staticmethod
    def _check_source(source: str, helper_hash: str) -> None:
        actual = hashlib.sha256(source.encode("utf-8")).hexdigest()
        if actual != helper_hash:
            raise HelperFailure(f"{MSG_SOURCE_MISMATCH}: its SHA-256 is {actual}, expected {helper_hash}")

    def _install(self, source: str, cache_dir: Path, process: contextlib.ExitStack) -> None:
        hash_dir = cache_dir.parent
        # New-ProtectedDirectory: mkdir with its final mode in one step (the lab's "ACL").
        for level in (self.base, self.base / "helper", hash_dir, cache_dir):
            if not level.exists():
                level.mkdir(mode=0o755, parents=True)
            self._assert_trusted(level)
        for old in [*hash_dir.glob("build-*"), *cache_dir.glob(DLL_NAME + ".*.tmp")]:
            self._remove_leftover(old)
        build = hash_dir / f"build-{uuid.uuid4().hex}"
        build.mkdir(mode=0o755)
        try:
            built = build / DLL_NAME
            self._add_type(source, built)
            if self.config.powershell == "5.1":
                # Windows PowerShell 5.1's Add-Type may keep the assembly it wrote loaded.
                process.enter_context(self.images.loaded(built, f"powershell-{threading.get_ident()}"))
            # The lab's dllmap, installed the same way just before the DLL, so a DLL is never
            # visible without it.
            config = cache_dir / (DLL_NAME + ".config")
            if config.exists():
                self.images.remove_file(config)  # lab-only file, never loaded as an image
            self._copy_into_place(self.dllmap_config().encode("utf-8"), config)
            self._copy_into_place(built.read_bytes(), cache_dir / DLL_NAME)
        finally:
            self._remove_leftover(build)
        self._count_compile()

    def _copy_into_place(self, data: bytes, final: Path) -> None:
        staged = final.with_name(f"{final.name}.{uuid.uuid4().hex}.tmp")
        staged.write_bytes(data)
        try:
            staged.chmod(0o644)  # Protect-File
            self.images.move(staged, final)
        except OSError:
            self._remove_leftover(staged)
            raise

    def _remove_leftover(self, path: Path) -> None:
        try:
            if path.is_dir():
                self.images.remove_tree(path)
            else:
                self.images.remove_file(path)
        except OSError:
            pass  # still loaded by a live process; a later install removes it

    def _add_type(self, source: str, output: Path) -> None:
        """Add-Type -TypeDefinition -OutputAssembly, as mcs."""
        with tempfile.TemporaryDirectory(prefix="add-type-") as scratch:
            src = Path(scratch) / "_DismHelper.cs"
            src.write_text(source, encoding="utf-8")
            cmd = [
                *self.config.resolved_compiler(),
                "-langversion:5",
                "-warnaserror",
                "-target:library",
                f"-out:{output}",
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
        if proc.returncode != 0 or not output.exists():
            text = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip()
            raise HelperFailure(f"Add-Type failed to compile the helper (mcs exit {proc.returncode}): {text[:8000]}")

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
        self, dll: Path, request: dict[str, Any], compiled: bool, logon: str, cancel: threading.Event, meta: dict[str, Any],
        check_mode: bool, exec_format: str,
    ) -> ExecResult:
        # Executor.Run($complex_args.request, $checkMode)
        cmd = [*self.config.resolved_runner(), str(dll), *(["--check-mode"] if check_mode else [])]
        lib_dir = str(self.config.resolved_lib_dir().resolve())
        env = dict(os.environ)
        env.update(
            DISM_LAB_ROOT=str(self.config.root.resolve()),
            DISM_LAB_LOGON=logon,
            DISM_LAB_POWERSHELL=self.config.powershell,
            DISM_LAB_EXEC_FORMAT=exec_format,
            DISM_LAB_PROGRESS_DELAY_MS=self._progress_delay(),
            LD_LIBRARY_PATH=os.pathsep.join(p for p in (lib_dir, env.get("LD_LIBRARY_PATH", "")) if p),
        )
        calls_from = _calls_log_size(self.config.root)
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                cwd=str(self.config.root), start_new_session=True,
            )
        except FileNotFoundError:
            meta["outcome"] = "failed"
            out, rc = _json_result({"failed": True, "msg": f"lab runner not found: {cmd[0]!r}"}, rc=1)
            return ExecResult(out, b"", rc, meta)
        # [Reflection.Assembly]::LoadFile: the DLL is locked until the module process exits.
        with self.images.loaded(dll, f"runner-{proc.pid}"):
            stdout, stderr, killed = _communicate(proc, json.dumps(request).encode("utf-8"), self.config.runner_timeout, cancel)
        meta["dism_calls"] = dism_calls_since(self.config.root, calls_from, proc.pid)
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


CALLS_LOG = Path("lab") / "dism-calls.log"


def _calls_log_size(root: Path) -> int:
    try:
        return (root / CALLS_LOG).stat().st_size
    except FileNotFoundError:
        return 0


def dism_calls_since(root: Path, offset: int, pid: int) -> dict[str, int]:
    """The simulator's accounting (dismsim/src/calls.c) of one module process: DISM function ->
    calls, from the lines process `pid` appended to <root>/lab/dism-calls.log after `offset`.
    Reads only what was appended while it ran, so a long-lived host stays linear."""
    counts: dict[str, int] = {}
    try:
        with open(root / CALLS_LOG, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(offset if offset <= size else 0)  # labctl calls --reset truncated it meanwhile
            data = fh.read()
    except FileNotFoundError:
        return counts
    mine = str(pid).encode("ascii")
    for line in data.splitlines():
        caller, _sep, func = line.partition(b" ")
        if caller == mine and func:
            name = func.decode("ascii", "replace")
            counts[name] = counts.get(name, 0) + 1
    return counts


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
