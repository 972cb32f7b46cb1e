"""Helpers shared by the lab host tests: an in-process host and Ansible-shaped payloads."""

from __future__ import annotations

import base64
import dataclasses
import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

LAB = Path(__file__).resolve().parents[2]
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from host.config import HostConfig  # noqa: E402
from host.server import LabServer  # noqa: E402

STUB_RUNNER = Path(__file__).with_name("stub_runner.py")
USER, PASSWORD = "labadmin", "Lab-Test-Pw1"

winrm = pytest.importorskip("winrm")


@dataclasses.dataclass
class RunningHost:
    config: HostConfig
    server: LabServer

    @property
    def endpoint(self) -> str:
        return f"{self.config.scheme}://{self.config.address}:{self.server.port}/wsman"

    @property
    def root(self) -> Path:
        return self.config.root

    def protocol(self, password: str = PASSWORD, **kwargs: Any) -> Any:
        kwargs.setdefault("server_cert_validation", "ignore")
        return winrm.Protocol(self.endpoint, transport="basic", username=USER, password=password, **kwargs)

    def wire(self) -> list[dict[str, Any]]:
        path = self.root / "lab" / "wire.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def start_host(tmp_path: Path, **overrides: Any) -> RunningHost:
    root = tmp_path / "root"
    (root / "lab").mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = dict(
        name="wintest", lab_root=str(root), address="127.0.0.2", port=0, username=USER, password=PASSWORD,
        runner_command=[sys.executable, str(STUB_RUNNER)], receive_wait_max=5.0,
    )
    values.update(overrides)
    config = HostConfig(**values)
    server = LabServer(config)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return RunningHost(config, server)


# -- building exec-wrapper stdin like ansible-core 2.19 does -----------------------------------
def module_stdin(
    module: str,
    args: dict[str, Any],
    *,
    csharp: list[str] | None = None,
    extra_actions: list[dict[str, Any]] | None = None,
    filler: int = 0,
) -> bytes:
    """``<bootstrap JSON>\\n\\0\\0\\0\\0\\n<manifest JSON>`` for one module execution."""
    scripts = {
        "module_wrapper.ps1": {"script": base64.b64encode(b"# module wrapper").decode(), "path": "module_wrapper.ps1"},
        f"{module}.ps1": {"script": base64.b64encode(b"# module" + b" " * filler).decode(), "path": f"/x/{module}.ps1"},
    }
    for cs in csharp or []:
        scripts[cs] = {"script": base64.b64encode(b"// c# util").decode(), "path": cs}
    actions = list(extra_actions or []) + [
        {
            "name": "module_wrapper.ps1",
            "params": {
                "Script": f"{module}.ps1",
                "Environment": {},
                "Variables": [{"Name": "complex_args", "Value": args, "Scope": "Global"}],
                "CSharpModules": csharp or [],
                "PowerShellModules": [],
                "ForModule": True,
            },
            "secure_params": {},
        }
    ]
    bootstrap = {"name": "exec_wrapper", "script": "# exec wrapper", "params": {}}
    manifest = {"scripts": scripts, "actions": actions, "signed_hashlist": []}
    return f"{json.dumps(bootstrap)}\n\0\0\0\0\n{json.dumps(manifest)}".encode()


def bootstrap_command() -> tuple[str, list[str]]:
    """The command line Ansible runs for a pipelined module (bootstrap_wrapper.ps1, encoded)."""
    try:
        from ansible.executor.powershell.module_manifest import _get_powershell_script

        script = _get_powershell_script("bootstrap_wrapper.ps1").decode()
    except ImportError:  # the line of bootstrap_wrapper.ps1 the host recognises
        script = '$codeJson = foreach ($in in $input) { if ([string]::Equals($in, "`0`0`0`0")) { break }; $in }'
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    return "PowerShell", ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted", "-EncodedCommand", encoded]


def run_module(protocol: Any, stdin: bytes, chunk: int = 200000) -> tuple[bytes, bytes, int]:
    """What ansible's winrm plugin does for one module: shell, command, Send chunks, Receive, Signal, Delete."""
    shell_id = protocol.open_shell(codepage=65001)
    command, args = bootstrap_command()
    command_id = protocol.run_command(shell_id, command, args, console_mode_stdin=False)
    for i in range(0, len(stdin), chunk):
        protocol.send_command_input(shell_id, command_id, stdin[i : i + chunk], end=i + chunk >= len(stdin))
    out, err, rc = protocol.get_command_output(shell_id, command_id)
    protocol.cleanup_command(shell_id, command_id)
    protocol.close_shell(shell_id)
    return out, err, rc
