"""Decode what Ansible runs: the PowerShell command line and the exec-wrapper stdin.

Every Ansible execution over winrm (ansible-core 2.19) is
``PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand <b64>``
where the encoded script is either ``bootstrap_wrapper.ps1`` (modules, and the helper scripts
``powershell_mkdtemp.ps1`` etc.) or a short raw script (``Remove-Item ...``).  A bootstrap
execution reads on stdin ``<bootstrap JSON>\\n\\0\\0\\0\\0\\n<exec manifest JSON>``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from typing import Any

SEPARATOR = b"\n\0\0\0\0\n"
# A line of bootstrap_wrapper.ps1 that no raw command contains.
_BOOTSTRAP_MARKER = '[string]::Equals($in, "`0`0`0`0")'


@dataclasses.dataclass
class CommandLine:
    command: str
    arguments: str
    script: str | None  # decoded -EncodedCommand, or None

    @property
    def is_bootstrap(self) -> bool:
        return self.script is not None and _BOOTSTRAP_MARKER in self.script

    def summary(self, limit: int = 80) -> str:
        text = self.script if self.script is not None else f"{self.command} {self.arguments}".strip()
        first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("Set-StrictMode")), "")
        return first[:limit]


def parse_command_line(command: str, arguments: str) -> CommandLine:
    parts = f"{command} {arguments}".split()
    script = None
    lowered = [p.lower() for p in parts]
    for flag in ("-encodedcommand", "-enc", "-e"):
        if flag in lowered:
            idx = lowered.index(flag)
            if idx + 1 < len(parts):
                try:
                    script = base64.b64decode(parts[idx + 1], validate=True).decode("utf-16-le")
                except (binascii.Error, UnicodeDecodeError):
                    script = None
            break
    return CommandLine(command=command, arguments=arguments, script=script)


class PayloadError(ValueError):
    pass


@dataclasses.dataclass
class Execution:
    """One exec-wrapper execution as the manifest describes it."""

    bootstrap: dict[str, Any]
    manifest: dict[str, Any]

    @property
    def actions(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("actions") or [])

    @property
    def action_names(self) -> list[str]:
        return [str(a.get("name", "")) for a in self.actions]

    @property
    def final_action(self) -> dict[str, Any]:
        return self.actions[-1] if self.actions else {}

    @property
    def module_params(self) -> dict[str, Any] | None:
        last = self.final_action
        if last.get("name") == "module_wrapper.ps1":
            return dict(last.get("params") or {})
        return None

    @property
    def module_name(self) -> str:
        """``ns.coll.module`` for a module, else the final action (``powershell_mkdtemp.ps1``)."""
        params = self.module_params
        if params is None:
            return str(self.final_action.get("name", "<no action>"))
        return normalise_module_name(str(params.get("Script", "<no script>")))

    @property
    def complex_args(self) -> dict[str, Any]:
        for var in (self.module_params or {}).get("Variables") or []:
            if isinstance(var, dict) and var.get("Name") == "complex_args":
                value = var.get("Value")
                return dict(value) if isinstance(value, dict) else {}
        return {}

    @property
    def csharp_utils(self) -> list[str]:
        """C# utils the module requires (the module_wrapper's CSharpModules)."""
        return [str(x) for x in (self.module_params or {}).get("CSharpModules") or []]

    @property
    def powershell_utils(self) -> list[str]:
        return [str(x) for x in (self.module_params or {}).get("PowerShellModules") or []]

    @property
    def csharp_scripts(self) -> dict[str, int]:
        """Every .cs script shipped in the manifest with its decoded size.

        A Windows host compiles all of them: the module's utils plus the exec wrapper's own
        (Ansible.Become.cs, Ansible.AccessToken.cs, Ansible.Process.cs for become)."""
        out: dict[str, int] = {}
        for name, info in (self.manifest.get("scripts") or {}).items():
            if str(name).lower().endswith(".cs") and isinstance(info, dict):
                out[str(name)] = _b64_len(str(info.get("script", "")))
        return out

    def action_params(self, name: str) -> dict[str, Any] | None:
        for action in self.actions:
            if action.get("name") == name:
                return dict(action.get("params") or {})
        return None

    def script_text(self, name: str) -> str | None:
        info = (self.manifest.get("scripts") or {}).get(name)
        if not isinstance(info, dict):
            return None
        try:
            return base64.b64decode(str(info.get("script", ""))).decode("utf-8", "replace")
        except binascii.Error:
            return None


def normalise_module_name(script: str) -> str:
    """``ansible_collections.ns.coll.plugins.modules.name.ps1`` or ``ns.coll.name.ps1`` -> ``ns.coll.name``."""
    name = script[:-4] if script.lower().endswith(".ps1") else script
    if name.startswith("ansible_collections.") and ".plugins.modules." in name:
        collection, module = name[len("ansible_collections."):].split(".plugins.modules.", 1)
        name = f"{collection}.{module}"
    return name


def _b64_len(text: str) -> int:
    stripped = text.rstrip("=")
    return (len(stripped) * 3) // 4


def parse_stdin(data: bytes) -> Execution:
    if SEPARATOR not in data:
        raise PayloadError("stdin has no exec-wrapper separator (\\n\\0\\0\\0\\0\\n)")
    head, tail = data.split(SEPARATOR, 1)
    try:
        bootstrap = json.loads(head.decode("utf-8"))
        manifest = json.loads(tail.decode("utf-8")) if tail.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"stdin is not exec-wrapper JSON: {exc}") from None
    if not isinstance(bootstrap, dict) or not isinstance(manifest, dict):
        raise PayloadError("exec-wrapper bootstrap and manifest must be JSON objects")
    return Execution(bootstrap=bootstrap, manifest=manifest)
