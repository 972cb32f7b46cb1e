"""Configuration of one simulated Windows host (one server process)."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import shlex
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
LAB_DIR = REPO_ROOT / "tests" / "lab"


def default_lib_dir() -> Path:
    return Path(os.environ.get("DISM_LAB_LIBDIR") or LAB_DIR / "dismsim" / "build")


def default_runner_exe() -> Path:
    return Path(os.environ.get("DISM_LAB_RUNNER") or LAB_DIR / "runner" / "build" / "LabRunner.exe")


# PowerShell flavour -> the <PSEdition>-<CLR major> cache folder name dism_helper.ps1 uses there.
POWERSHELL_FLAVOURS = {"5.1": "Desktop-4", "7": "Core-8"}


@dataclasses.dataclass
class HostConfig:
    name: str
    lab_root: str
    address: str = "127.0.0.2"
    port: int = 5985
    scheme: str = "http"  # http | https
    username: str = "labadmin"
    password: str = "Lab-Passw0rd!"
    hostname: str = ""  # ansible_hostname; defaults to name upper-cased
    cert_file: str | None = None
    key_file: str | None = None
    port_file: str | None = None  # written after bind (useful with port 0)
    # Module execution.  None = derive from the repo layout / environment at run time.
    lib_dir: str | None = None
    runner_exe: str | None = None
    runner_command: list[str] | None = None  # replaces ["mono", runner_exe]
    compiler_command: list[str] | None = None  # replaces ["mcs"]
    # Which PowerShell the host runs modules in: "5.1" (Windows PowerShell, cache folder
    # Desktop-4) or "7" (PowerShell 7 on .NET 8, Core-8); it decides the argument shapes the
    # helper receives (tests/lab/runner/LabRunner.cs, ArgumentShapes).
    powershell: str = "5.1"
    runner_timeout: float = 900.0
    compile_timeout: float = 300.0
    receive_wait_max: float = 20.0  # cap on waiting inside one Receive
    max_body_bytes: int = 16 * 1024 * 1024
    max_stdin_bytes: int = 256 * 1024 * 1024
    max_shells: int = 64

    def validate(self) -> None:
        if not ipaddress.ip_address(self.address) in ipaddress.ip_network("127.0.0.0/8"):
            raise ValueError(f"refusing to bind {self.address}: the DISM lab listens on 127.0.0.0/8 only")
        if self.scheme not in ("http", "https"):
            raise ValueError(f"scheme must be http or https, not {self.scheme!r}")
        if self.powershell not in POWERSHELL_FLAVOURS:
            raise ValueError(f"powershell must be one of {sorted(POWERSHELL_FLAVOURS)}, not {self.powershell!r}")
        if self.scheme == "https" and not (self.cert_file and self.key_file):
            raise ValueError("https needs cert_file and key_file")

    @property
    def root(self) -> Path:
        return Path(self.lab_root)

    @property
    def control_dir(self) -> Path:
        return self.root / "lab"

    @property
    def display_hostname(self) -> str:
        return self.hostname or self.name.upper()

    def resolved_lib_dir(self) -> Path:
        return Path(self.lib_dir) if self.lib_dir else default_lib_dir()

    def resolved_runner(self) -> list[str]:
        env_cmd = os.environ.get("DISM_LAB_RUNNER_CMD")
        if env_cmd:
            return shlex.split(env_cmd)
        if self.runner_command:
            return list(self.runner_command)
        exe = Path(self.runner_exe) if self.runner_exe else default_runner_exe()
        return ["mono", str(exe)]

    def resolved_compiler(self) -> list[str]:
        env_cmd = os.environ.get("DISM_LAB_MCS")
        if env_cmd:
            return shlex.split(env_cmd)
        return list(self.compiler_command) if self.compiler_command else ["mcs"]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> HostConfig:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown host config keys: {sorted(unknown)}")
        return cls(**data)

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n", encoding="utf-8")
