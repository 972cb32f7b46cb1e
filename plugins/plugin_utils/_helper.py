# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the DISM helper on the managed host through the task's own connection.

FOR INTERNAL COLLECTION USE ONLY. The contract with the host side is
docs/architecture.md sections 1 and 2. The helper's C# is identified by its
SHA-256; the host compiles it once and keeps it, so a task normally sends only
the hash and the request, and the source only when the host asks for it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import typing as t

from ._errors import describe, format_hresult

HELPER_MODULE = "winimaging.dism.dism_helper"
_MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils")
# The helper's C# files, joined in this order into the one source the host compiles (each keeps
# its using directives inside the namespace, so the join is valid C#). The order is part of the
# hash: changing it makes every host compile again.
HELPER_SOURCE_FILES = (
    "_DismHelper.cs",
    "_DismHelperNative.cs",
    "_DismHelperMarshal.cs",
    "_DismHelperImages.cs",
    "_DismHelperMounts.cs",
    "_DismHelperFeatures.cs",
    "_DismHelperDrivers.cs",
    "_DismHelperPackages.cs",
    "_DismHelperCapabilities.cs",
)


@dataclasses.dataclass(frozen=True)
class HelperSource:
    text: str
    sha256: str


@functools.lru_cache(maxsize=1)
def helper_source(folder: str = _MODULE_UTILS) -> HelperSource:
    """The helper's source as the host compiles it, and its SHA-256."""
    parts = []
    for name in HELPER_SOURCE_FILES:
        with open(os.path.join(folder, name), "rb") as f:
            parts.append(f.read().rstrip(b"\n") + b"\n")
    data = b"\n".join(parts)
    return HelperSource(text=data.decode("utf-8"), sha256=hashlib.sha256(data).hexdigest())


class HelperError(Exception):
    """The helper did not return a response (host-side failure, crash, transport)."""

    def __init__(self, msg: str, details: dict[str, t.Any] | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.details = details or {}


@dataclasses.dataclass
class HelperCall:
    """One executor response and what it cost on the host."""

    response: dict[str, t.Any]
    module_calls: int
    compiled: bool


class ModuleExecutor(t.Protocol):
    """The slice of ActionBase the client needs (a fake in unit tests)."""

    def __call__(self, module_name: str, module_args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]: ...


_HOST_RESULT_KEYS = ("rc", "module_stdout", "module_stderr", "stdout", "stderr", "exception")


@dataclasses.dataclass(frozen=True)
class HostCondition:
    """A host on which the helper refuses to start (dism_helper.ps1 checks these first)."""

    summary: str
    hint: str
    hresult: int | None = None  # the DISM failure the condition would otherwise end in


# Keys are the `host_condition` values dism_helper.ps1 returns.
HOST_CONDITIONS: dict[str, HostCondition] = {
    "not_elevated": HostCondition(
        summary="The connection's account has no elevated administrator token on the host, and DISM refuses to run without one",
        hint=describe(0x800702E4).hint + " Over WinRM a local administrator other than the built-in Administrator"
        " gets a filtered token unless LocalAccountTokenFilterPolicy is set; become (runas) also gives a full token",
        hresult=0x800702E4,
    ),
    "wow64": HostCondition(
        summary="The module ran in a 32-bit PowerShell on 64-bit Windows; DISM must run in a process of the"
        " operating system's architecture",
        hint="Use the 64-bit PowerShell (C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe): for SSH make"
        " it the default shell, and do not point ansible_shell_executable or ansible_psrp_configuration_name at a"
        " 32-bit (SysWOW64 / Microsoft.PowerShell32) endpoint",
    ),
    "language_mode": HostCondition(
        summary="PowerShell on the host runs this module in ConstrainedLanguage mode (an App Control for Business /"
        " WDAC or AppLocker policy), which blocks Add-Type and Assembly.LoadFile, so the DISM helper cannot load",
        hint="Run these tasks on hosts without that policy, or have the policy trust both the module script (signed,"
        " or listed in a signed hash list) and the helper assembly it compiles under"
        " %ProgramData%\\winimaging.dism\\helper (a hash or file path rule); see the collection's host requirements guide",
    ),
}


def _condition_failure(name: str, result: dict[str, t.Any]) -> HelperError:
    condition = HOST_CONDITIONS.get(name)
    if condition is None:
        return HelperError("The DISM helper refused to run on the host: %s (%s)" % (result.get("msg") or "no message", name))
    details: dict[str, t.Any] = {"host_condition": name, "hint": condition.hint}
    msg = "%s (host: %s)" % (condition.summary, result.get("msg") or name)
    if condition.hresult is not None:
        info = describe(condition.hresult)
        details.update(hresult=format_hresult(condition.hresult), hresult_name=info.name)
        msg = "%s: %s %s" % (msg, format_hresult(condition.hresult), info.name)
    return HelperError("%s. Hint: %s." % (msg, condition.hint), details)


# dism_helper.ps1 starts every refusal of its cache with this; the controller adds what to do.
CACHE_REFUSED = "Refusing to load the DISM helper: "
CACHE_HINT = (
    "Delete '%ProgramData%\\winimaging.dism' on the host and run the task again. If Windows says a file there is in use,"
    " a task on this host still has the helper loaded: wait for running tasks to end (or restart the host), then delete it"
)


def _host_failure(result: dict[str, t.Any]) -> HelperError:
    if result.get("host_condition"):
        return _condition_failure(str(result["host_condition"]), result)
    details = {k: result[k] for k in _HOST_RESULT_KEYS if result.get(k) not in (None, "")}
    if str(result.get("msg") or "").startswith(CACHE_REFUSED):
        details["hint"] = CACHE_HINT
        return HelperError("The DISM helper on the host failed: %s Hint: %s." % (result["msg"], CACHE_HINT), details)
    if result.get("_ansible_parsed") is False:
        # No JSON came back: the host process died or was killed mid-call.
        rc = result.get("rc")
        msg = "The DISM helper process on the host ended without returning a result"
        if rc is not None:
            msg += " (exit code %s)" % rc
        msg += ". What it was doing was interrupted; check the image's state before retrying."
        stderr = str(result.get("module_stderr") or "").strip()
        if stderr:
            msg += " Host output: %s" % stderr.splitlines()[-1][:500]
        return HelperError(msg, details)
    return HelperError("The DISM helper on the host failed: %s" % (result.get("msg") or "no message"), details)


class HelperClient:
    """Sends executor requests to the host and returns the executor's responses."""

    def __init__(self, execute_module: ModuleExecutor, task_vars: dict[str, t.Any], source: HelperSource | None = None,
                 caller: str = "winimaging.dism.action") -> None:
        self._execute_module = execute_module
        self._task_vars = task_vars
        self._caller = caller
        self._source = source or helper_source()
        self.warnings: list[str] = []

    def run(self, request: dict[str, t.Any]) -> HelperCall:
        args: dict[str, t.Any] = {"caller": self._caller, "helper_hash": self._source.sha256, "request": request}
        result = self._execute_module(HELPER_MODULE, args, self._task_vars)
        calls = 1
        if result.get("helper_missing") and not result.get("failed"):
            # First use of this helper version on this host: send the source once.
            args["helper_source"] = self._source.text
            result = self._execute_module(HELPER_MODULE, args, self._task_vars)
            calls = 2
        if result.get("failed") or not isinstance(result.get("response"), dict):
            raise _host_failure(result)
        self.warnings.extend(str(w) for w in result.get("warnings") or [])
        return HelperCall(response=result["response"], module_calls=calls, compiled=bool(result.get("helper_compiled")))
