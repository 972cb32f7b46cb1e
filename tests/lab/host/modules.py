"""What the simulated host does with one command: the exec-wrapper, minus PowerShell.

Both exec-wrapper generations (ansible-core 2.19, and 2.16-2.18) arrive here as one
``payload.Execution``; raw scripts (2.16-2.18 send temporary directories and ``~`` as raw
scripts, 2.19 through the exec wrapper) as one ``payload.RawCommand``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from pathlib import Path, PureWindowsPath
from typing import Any

from . import boot
from .config import HostConfig
from .helper import HelperHost
from .payload import CommandLine, Execution, PayloadError, RawCommand, parse_raw, parse_stdin
from .shells import ExecResult

log = logging.getLogger("dismlab.host")

HELPER_MODULES = {"winimaging.dism.dism_helper"}
SETUP_MODULES = {"ansible.windows.setup", "ansible.builtin.setup", "ansible.legacy.setup", "setup"}
ASYNC_ACTIONS = {"async_wrapper.ps1", "async_watchdog.ps1"}
# How long the simulated host answers nothing useful while it restarts (shutdown.exe /r).
RESTART_DOWNTIME = 2.0
# shutdown.exe's exit code when a shutdown is already scheduled (ERROR_SHUTDOWN_IS_SCHEDULED).
SHUTDOWN_IS_SCHEDULED = 1190


def refusal_message(name: str) -> str:
    return (
        "This is a winimaging.dism DISM lab host: it runs only the winimaging.dism helper module; "
        f"'{name}' is not simulated."
    )


class LabExecutor:
    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.helper = HelperHost(config)
        self._restart_lock = threading.Lock()
        self._restart_at: float | None = None  # when a scheduled shutdown.exe /r happens
        self._down_until = 0.0

    # -- paths -----------------------------------------------------------------------------------
    @property
    def user_profile(self) -> str:
        return f"C:\\Users\\{self.config.username}"

    def environment(self) -> dict[str, str]:
        profile = self.user_profile
        return {
            "USERPROFILE": profile,
            "HOMEDRIVE": "C:",
            "HOMEPATH": profile[2:],
            "TEMP": profile + "\\AppData\\Local\\Temp",
            "TMP": profile + "\\AppData\\Local\\Temp",
            "APPDATA": profile + "\\AppData\\Roaming",
            "LOCALAPPDATA": profile + "\\AppData\\Local",
            "ProgramData": "C:\\ProgramData",
            "ALLUSERSPROFILE": "C:\\ProgramData",
            "SystemRoot": "C:\\Windows",
            "windir": "C:\\Windows",
            "SystemDrive": "C:",
            "COMPUTERNAME": self.config.display_hostname,
            "USERNAME": self.config.username,
            "PSModulePath": "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules",
        }

    def expand(self, text: str) -> str:
        env = {k.lower(): v for k, v in self.environment().items()}
        return re.sub(r"%([^%]+)%", lambda m: env.get(m.group(1).lower(), m.group(0)), text)

    def to_lab_path(self, windows_path: str) -> Path:
        p = PureWindowsPath(windows_path)
        if not p.drive or len(p.drive) != 2 or not p.drive[0].isalpha() or ".." in p.parts:
            raise ValueError(f"not an absolute drive path: {windows_path!r}")
        return self.config.root / "drives" / p.drive[0].upper() / Path(*p.parts[1:])

    # -- dispatch --------------------------------------------------------------------------------
    def __call__(self, cmdline: CommandLine, stdin: bytes, cancel: threading.Event) -> ExecResult:
        if self._restarting():
            # While it restarts the host runs nothing: every command fails (a WinRM client would
            # see refused or reset connections; this lab host keeps its listener).
            return ExecResult(b"", b"The host is restarting (DISM lab).\r\n", 1, {"module": "(restarting)", "outcome": "failed"})
        if not cmdline.is_bootstrap:
            return self._raw(cmdline)
        try:
            execution = parse_stdin(stdin, cmdline.exec_format)
            become = execution.become
        except PayloadError as exc:
            return self._refuse("<unparsable exec-wrapper input>", {"error": str(exc)})
        name = execution.module_name
        meta: dict[str, Any] = {
            "module": name,
            "script": execution.script,
            "actions": execution.action_names,
            "is_module": execution.is_module,
            "csharp_utils": execution.csharp_utils,
            "csharp_scripts": execution.csharp_scripts,
            "powershell_utils": execution.powershell_utils,
            "become": become is not None,
            "exec_format": execution.exec_format,
            "ansible_version": execution.ansible_version,
        }
        if ASYNC_ACTIONS & set(execution.action_names):
            return self._refuse(name, meta, reason=f"async execution of '{name}' is not simulated by the DISM lab host.")
        if name in HELPER_MODULES:
            logon = self._logon(execution)
            result = self.helper.run(execution.complex_args, logon, cancel, exec_format=execution.exec_format)
            meta.update(result.meta)
            result.meta = meta
            return result
        if name in SETUP_MODULES:
            return self._json(self.facts(), meta, "ok")
        if not execution.is_module and name == "powershell_mkdtemp.ps1":
            return self._mkdtemp(execution.helper_params, meta)
        if not execution.is_module and name == "powershell_expand_user.ps1":
            return self._expand_user(execution.helper_params, meta)
        return self._refuse(name, meta)

    @staticmethod
    def _logon(execution: Execution) -> str:
        become = execution.become
        if become is None:
            return "network"  # a WinRM session is a network logon
        return "interactive" if become.logon_type == "Interactive" else "network"

    def _refuse(self, name: str, meta: dict[str, Any], reason: str | None = None) -> ExecResult:
        msg = refusal_message(name) if reason is None else f"This is a winimaging.dism DISM lab host: {reason}"
        log.warning("refused: %s", msg)
        meta = {"module": name, **meta, "outcome": "refused"}
        is_module = bool(meta.get("is_module"))
        stdout = (json.dumps({"failed": True, "msg": msg, "lab_refused": True}) + "\r\n").encode() if is_module else b""
        return ExecResult(stdout, (msg + "\r\n").encode("utf-8"), 1, meta)

    @staticmethod
    def _json(data: Any, meta: dict[str, Any], outcome: str, rc: int = 0) -> ExecResult:
        meta["outcome"] = outcome
        return ExecResult((json.dumps(data) + "\r\n").encode("utf-8"), b"", rc, meta)

    # -- raw commands ----------------------------------------------------------------------------
    def _raw(self, cmdline: CommandLine) -> ExecResult:
        meta: dict[str, Any] = {"module": "raw: " + cmdline.summary(), "actions": [], "encoded_layers": cmdline.layers}
        raw: RawCommand | None = parse_raw(cmdline.script)
        if raw is None:
            return self._refuse(meta["module"], meta)
        if raw.kind == "mkdtemp":  # 2.16-2.18 ActionBase._make_tmp_path (shell.mkdtemp)
            return self._mkdtemp(raw.params, meta)
        if raw.kind == "expand_user":  # 2.16-2.18 ActionBase._remote_expand_user (shell.expand_user)
            return self._expand_user(raw.params, meta)
        if raw.kind == "boot_time":  # (Get-CimInstance Win32_OperatingSystem).LastBootUpTime
            return ExecResult(f"{boot.boot_time_filetime(self.config.root)}\r\n".encode(), b"", 0, {**meta, "outcome": "ok"})
        if raw.kind == "restart":  # shutdown.exe /r /t N; the script prints $LASTEXITCODE
            return self._schedule_restart(int(raw.params["Delay"]), meta)
        # ActionBase._remove_tmp_path (shell.remove); only inside the lab drives.
        try:
            target = self.to_lab_path(str(raw.params["Path"]))
        except ValueError as exc:
            return ExecResult(b"", f"{exc}\r\n".encode(), 1, {**meta, "outcome": "failed"})
        if target.is_dir() and raw.params["Recurse"]:
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink()
        return ExecResult(b"", b"", 0, {**meta, "outcome": "ok"})

    # -- restart (shutdown.exe /r) ---------------------------------------------------------------
    def _schedule_restart(self, delay: int, meta: dict[str, Any]) -> ExecResult:
        with self._restart_lock:
            if self._restart_at is not None:
                return ExecResult(f"{SHUTDOWN_IS_SCHEDULED}\r\n".encode(), b"", 0, {**meta, "outcome": "failed"})
            self._restart_at = time.monotonic() + delay
        log.info("restart scheduled in %ds", delay)
        return ExecResult(b"0\r\n", b"", 0, {**meta, "outcome": "ok"})

    def _restarting(self) -> bool:
        """Restarts the host when a scheduled restart is due (a new boot, as labctl reboot makes);
        True while it is down."""
        with self._restart_lock:
            now = time.monotonic()
            if self._restart_at is not None and now >= self._restart_at:
                self._restart_at = None
                boot.new_boot(self.config.root)
                self._down_until = now + RESTART_DOWNTIME
            return now < self._down_until

    def _mkdtemp(self, params: dict[str, Any], meta: dict[str, Any]) -> ExecResult:
        directory = self.expand(str(params.get("Directory", "%TEMP%")))
        name = str(params.get("Name", ""))
        if not name or "\\" in name or "/" in name or ".." in name:
            return ExecResult(b"", f"invalid temporary directory name {name!r}\r\n".encode(), 1, {**meta, "outcome": "failed"})
        win_path = str(PureWindowsPath(directory) / name)
        try:
            self.to_lab_path(win_path).mkdir(parents=True, exist_ok=False)
        except (ValueError, OSError) as exc:
            return ExecResult(b"", f"New-Item: {exc}\r\n".encode(), 1, {**meta, "outcome": "failed"})
        meta["outcome"] = "ok"
        return ExecResult((win_path + "\r\n").encode(), b"", 0, meta)

    def _expand_user(self, params: dict[str, Any], meta: dict[str, Any]) -> ExecResult:
        # Get-Location: a WinRM shell starts in the user's profile folder.
        path = str(params.get("Path", "~"))
        if path == "~":
            path = self.user_profile
        elif path.startswith("~\\"):
            path = self.user_profile + path[1:]
        meta["outcome"] = "ok"
        return ExecResult((path + "\r\n").encode(), b"", 0, meta)

    # -- facts -----------------------------------------------------------------------------------
    def facts(self) -> dict[str, Any]:
        host = self.config.display_hostname
        now = time.time()
        lt = time.localtime(now)
        return {
            "changed": False,
            "ansible_facts": {
                "ansible_os_family": "Windows",
                "ansible_system": "Win32NT",
                "ansible_os_name": "Microsoft Windows Server 2022 Datacenter",
                "ansible_distribution": "Microsoft Windows Server 2022 Datacenter (DISM lab)",
                "ansible_distribution_version": "10.0.20348.0",
                "ansible_distribution_major_version": "10",
                "ansible_kernel": "10.0.20348.0",
                "ansible_os_product_type": "server",
                "ansible_os_installation_type": "Server",
                "ansible_architecture": "64-bit",
                "ansible_architecture2": "x86_64",
                "ansible_hostname": host,
                "ansible_netbios_name": host,
                "ansible_nodename": host.lower() + ".dismlab.invalid",
                "ansible_fqdn": host.lower() + ".dismlab.invalid",
                "ansible_domain": "dismlab.invalid",
                "ansible_windows_domain": "WORKGROUP",
                "ansible_windows_domain_member": False,
                "ansible_windows_domain_role": "Stand-alone server",
                "ansible_ip_addresses": [self.config.address],
                "ansible_interfaces": [],
                "ansible_powershell_version": 5,
                "ansible_user_id": self.config.username,
                "ansible_user_dir": self.user_profile,
                "ansible_env": self.environment(),
                "ansible_system_vendor": "winimaging.dism lab",
                "ansible_product_name": "DISM lab host",
                "ansible_processor_vcpus": os.cpu_count() or 1,
                "ansible_date_time": {
                    "date": time.strftime("%Y-%m-%d", lt),
                    "time": time.strftime("%H:%M:%S", lt),
                    "epoch": str(int(now)),
                    "iso8601": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                    "tz_offset": time.strftime("%z", lt),
                },
                "module_setup": True,
                "gather_subset": ["all"],
            },
        }
