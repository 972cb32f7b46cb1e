"""Decode what Ansible runs: the PowerShell command line and the exec-wrapper stdin.

Every Ansible execution over winrm is ``PowerShell -NoProfile -NonInteractive -ExecutionPolicy
Unrestricted -EncodedCommand <b64>``. Two generations of ansible-core send two formats:

ansible-core 2.19 (``FORMAT_MANIFEST``)
    The encoded script is either ``bootstrap_wrapper.ps1`` (modules, and the helper scripts
    ``powershell_mkdtemp.ps1`` / ``powershell_expand_user.ps1``) or a short raw script
    (``Remove-Item ...``). A bootstrap execution reads on stdin
    ``<bootstrap JSON>\\n\\0\\0\\0\\0\\n<exec manifest JSON>``; the manifest holds ``scripts``
    (name -> base64 text) and ``actions`` (``become_wrapper.ps1``, ``async_wrapper.ps1``, ...,
    ending with ``module_wrapper.ps1`` whose ``params`` name the module ``Script`` and carry
    ``complex_args`` in ``Variables``).

ansible-core 2.16, 2.17 and 2.18 (``FORMAT_LEGACY``)
    The winrm connection plugin encodes the command line it is given a second time, so the
    encoded script is itself ``PowerShell ... -EncodedCommand <b64>``; inside is the older
    ``bootstrap_wrapper.ps1`` or a raw script (``Remove-Item``, and temporary directories and
    ``~`` are raw scripts too: ``New-Item -Type Directory``, ``Write-Output (Get-Location).Path``).
    A module execution reads on stdin ``<exec_wrapper.ps1 text>\\0\\0\\0\\0<payload JSON>``; the
    payload holds ``module_entry`` (the module's text, base64), ``module_args``, ``actions``
    (exec script names without ``.ps1``: ``become_wrapper``, ``async_wrapper``,
    ``async_watchdog``, ``module_powershell_wrapper``), each action's script as a base64 value
    under its own name, ``csharp_utils`` / ``powershell_modules`` (name -> base64),
    ``csharp_utils_module`` (the module's own C# utils), ``become_user`` / ``become_password`` /
    ``become_flags`` (one string, ``logon_type=... logon_flags=...``), ``async_*``,
    ``environment``, ``min_ps_version`` / ``min_os_version``. The module has no name in it: the
    wrapper itself (``module_powershell_wrapper.ps1``) takes ``module_args._ansible_module_name``.

``parse_stdin`` returns one :class:`Execution` for either format, with the same vocabulary: the
module name (``ns.coll.module``), ``complex_args``, the action names spelt as 2.19 spells them
(``become_wrapper.ps1`` ...), the become request, the module's C# and PowerShell utils
(``Ansible.Basic.cs``, ``Ansible.ModuleUtils.AddType.psm1``) and every C# source shipped.
``parse_raw`` does the same for the raw scripts.
"""

from __future__ import annotations

import abc
import base64
import binascii
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

FORMAT_MANIFEST = "2.19"
FORMAT_LEGACY = "2.16-2.18"

SEPARATOR = b"\n\0\0\0\0\n"  # 2.19: bootstrap JSON / exec manifest
LEGACY_SEPARATOR = b"\0\0\0\0"  # 2.16-2.18: exec_wrapper.ps1 / payload JSON

# A line of each generation's bootstrap_wrapper.ps1 that no raw command contains.
_BOOTSTRAP_MARKERS = {
    FORMAT_MANIFEST: '[string]::Equals($in, "`0`0`0`0")',
    FORMAT_LEGACY: '.Split(@("`0`0`0`0"), 2',
}
# What the exec wrapper turns the arguments JSON into before the module sees $complex_args.
ARGUMENT_CONVERSIONS = {
    FORMAT_MANIFEST: "ConvertFrom-Json | Convert-JsonObject",
    FORMAT_LEGACY: "ConvertFrom-AnsibleJson",
}
# The runas logon types and flags as [Ansible.AccessToken.LogonType] / [Ansible.Become.LogonFlags]
# name them (2.19's runas plugin sends these names; 2.16-2.18's become_wrapper parses snake case).
_LOGON_TYPES = ("Interactive", "Network", "Batch", "Service", "Unlock", "NetworkCleartext", "NewCredentials")
_LOGON_FLAGS = ("None", "WithProfile", "NetCredentialsOnly")
_ENCODED = re.compile(r"^(?:powershell|pwsh)(?:\.exe)?\s(?:.*\s)?-(?:EncodedCommand|enc|e)\s+([A-Za-z0-9+/=]+)$",
                      re.IGNORECASE)
_MAX_LAYERS = 4


class PayloadError(ValueError):
    pass


# -- the command line ------------------------------------------------------------------------------
@dataclasses.dataclass
class CommandLine:
    command: str
    arguments: str
    script: str | None  # the innermost decoded -EncodedCommand, or None
    layers: int = 0  # how many -EncodedCommand layers were decoded (2 on 2.16-2.18, 1 on 2.19)

    @property
    def exec_format(self) -> str | None:
        """``FORMAT_MANIFEST`` or ``FORMAT_LEGACY`` for a bootstrap wrapper, None for a raw script."""
        if self.script is None:
            return None
        for fmt, marker in _BOOTSTRAP_MARKERS.items():
            if marker in self.script:
                return fmt
        return None

    @property
    def is_bootstrap(self) -> bool:
        return self.exec_format is not None

    def summary(self, limit: int = 80) -> str:
        text = self.script if self.script is not None else f"{self.command} {self.arguments}".strip()
        first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("Set-StrictMode")), "")
        return first[:limit]


def _decode_encoded(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError):
        return None


def parse_command_line(command: str, arguments: str) -> CommandLine:
    parts = f"{command} {arguments}".split()
    script = None
    layers = 0
    lowered = [p.lower() for p in parts]
    for flag in ("-encodedcommand", "-enc", "-e"):
        if flag in lowered:
            idx = lowered.index(flag)
            if idx + 1 < len(parts):
                script = _decode_encoded(parts[idx + 1])
                layers = 1 if script is not None else 0
            break
    # 2.16-2.18's winrm exec_command encodes the (already encoded) command line once more: the
    # outer PowerShell only starts the inner one, which inherits its stdin.
    while script is not None and layers < _MAX_LAYERS:
        m = _ENCODED.match(script.strip())
        if m is None:
            break
        inner = _decode_encoded(m.group(1))
        if inner is None:
            break
        script, layers = inner, layers + 1
    return CommandLine(command=command, arguments=arguments, script=script, layers=layers)


# -- module executions -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Become:
    """A runas become request, in [Ansible.AccessToken.LogonType] / [Ansible.Become.LogonFlags] names."""

    user: str | None
    logon_type: str = "Interactive"
    logon_flags: tuple[str, ...] = ("WithProfile",)
    has_password: bool = False


class Execution(abc.ABC):
    """One exec-wrapper execution, whichever ansible-core generation sent it."""

    exec_format: str

    @property
    @abc.abstractmethod
    def action_names(self) -> list[str]:
        """Every action in run order, spelt as 2.19 names the scripts (``become_wrapper.ps1``)."""

    @property
    @abc.abstractmethod
    def is_module(self) -> bool:
        """A module execution (not 2.19's ``powershell_mkdtemp.ps1`` and friends)."""

    @property
    @abc.abstractmethod
    def module_name(self) -> str:
        """``ns.coll.module`` for a module, else the final action (``powershell_mkdtemp.ps1``)."""

    @property
    @abc.abstractmethod
    def script(self) -> str | None:
        """The file name the module is known by on the host, when the payload names one."""

    @property
    @abc.abstractmethod
    def complex_args(self) -> dict[str, Any]:
        """The module arguments as JSON decoded them (the exec wrapper's conversion not applied)."""

    @property
    @abc.abstractmethod
    def become(self) -> Become | None: ...

    @property
    @abc.abstractmethod
    def csharp_utils(self) -> list[str]:
        """C# utils the module itself requires (``Ansible.Basic.cs``)."""

    @property
    @abc.abstractmethod
    def powershell_utils(self) -> list[str]:
        """PowerShell utils shipped for the module (``Ansible.ModuleUtils.AddType.psm1``)."""

    @property
    @abc.abstractmethod
    def csharp_scripts(self) -> dict[str, int]:
        """Every .cs source shipped with its decoded size: a Windows host compiles all of them
        (the module's utils plus the exec wrapper's own, e.g. the become utils)."""

    @abc.abstractmethod
    def script_text(self, name: str) -> str | None:
        """The decoded text of a shipped script (a wrapper, a util or the module)."""

    @property
    def final_action(self) -> str:
        names = self.action_names
        return names[-1] if names else "<no action>"

    @property
    def is_async(self) -> bool:
        return "async_wrapper.ps1" in self.action_names

    @property
    def argument_conversion(self) -> str:
        return ARGUMENT_CONVERSIONS[self.exec_format]

    @property
    def ansible_version(self) -> str | None:
        value = self.complex_args.get("_ansible_version")
        return str(value) if value is not None else None

    @property
    def helper_params(self) -> dict[str, Any]:
        """The parameters of a non-module action (2.19's ``powershell_mkdtemp.ps1`` ...)."""
        return {}


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


def _b64_text(value: Any) -> str | None:
    try:
        return base64.b64decode(str(value)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


@dataclasses.dataclass
class ManifestExecution(Execution):
    """ansible-core 2.19: bootstrap JSON and the exec manifest."""

    bootstrap: dict[str, Any]
    manifest: dict[str, Any]
    exec_format: str = FORMAT_MANIFEST

    @property
    def actions(self) -> list[dict[str, Any]]:
        return [a for a in self.manifest.get("actions") or [] if isinstance(a, dict)]

    @property
    def action_names(self) -> list[str]:
        return [str(a.get("name", "")) for a in self.actions]

    def action_params(self, name: str) -> dict[str, Any] | None:
        for action in self.actions:
            if action.get("name") == name:
                return dict(action.get("params") or {})
        return None

    @property
    def module_params(self) -> dict[str, Any] | None:
        return self.action_params("module_wrapper.ps1") if self.final_action == "module_wrapper.ps1" else None

    @property
    def is_module(self) -> bool:
        return self.module_params is not None

    @property
    def script(self) -> str | None:
        params = self.module_params
        return None if params is None else str(params.get("Script", "<no script>"))

    @property
    def module_name(self) -> str:
        script = self.script
        return self.final_action if script is None else normalise_module_name(script)

    @property
    def complex_args(self) -> dict[str, Any]:
        for var in (self.module_params or {}).get("Variables") or []:
            if isinstance(var, dict) and var.get("Name") == "complex_args":
                value = var.get("Value")
                return dict(value) if isinstance(value, dict) else {}
        return {}

    @property
    def become(self) -> Become | None:
        params = self.action_params("become_wrapper.ps1")
        if params is None:
            return None
        secure = next((a.get("secure_params") or {} for a in self.actions if a.get("name") == "become_wrapper.ps1"), {})
        flags = params.get("LogonFlags")
        flag_list = [str(f) for f in flags] if isinstance(flags, list) else (
            [f.strip() for f in str(flags).split(",") if f.strip()] if flags else ["WithProfile"])
        return Become(
            user=None if params.get("BecomeUser") is None else str(params["BecomeUser"]),
            logon_type=_enum_name(str(params.get("LogonType") or "Interactive"), _LOGON_TYPES),
            logon_flags=tuple(_enum_name(f, _LOGON_FLAGS) for f in flag_list),
            has_password=bool(isinstance(secure, dict) and secure.get("BecomePassword")),
        )

    @property
    def csharp_utils(self) -> list[str]:
        return [str(x) for x in (self.module_params or {}).get("CSharpModules") or []]

    @property
    def powershell_utils(self) -> list[str]:
        return [str(x) for x in (self.module_params or {}).get("PowerShellModules") or []]

    @property
    def csharp_scripts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, info in (self.manifest.get("scripts") or {}).items():
            if str(name).lower().endswith(".cs") and isinstance(info, dict):
                out[str(name)] = _b64_len(str(info.get("script", "")))
        return out

    def script_text(self, name: str) -> str | None:
        info = (self.manifest.get("scripts") or {}).get(name)
        return _b64_text(info.get("script", "")) if isinstance(info, dict) else None

    @property
    def helper_params(self) -> dict[str, Any]:
        if self.is_module or not self.actions:
            return {}
        return dict(self.actions[-1].get("params") or {})


@dataclasses.dataclass
class LegacyExecution(Execution):
    """ansible-core 2.16-2.18: exec_wrapper.ps1 text and the payload JSON."""

    wrapper: str
    payload: dict[str, Any]
    exec_format: str = FORMAT_LEGACY

    @property
    def raw_actions(self) -> list[str]:
        return [str(a) for a in self.payload.get("actions") or []]

    @property
    def action_names(self) -> list[str]:
        return [a if a.lower().endswith(".ps1") else a + ".ps1" for a in self.raw_actions]

    @property
    def is_module(self) -> bool:
        # module_powershell_wrapper (and module_script_wrapper for action/script) end every
        # payload 2.16-2.18 build; the module text is module_entry.
        return "module_entry" in self.payload and self.final_action.startswith("module_")

    @property
    def script(self) -> str | None:
        return None  # the payload carries the module's text, not its file name

    @property
    def module_name(self) -> str:
        if not self.is_module:
            return self.final_action
        name = self.complex_args.get("_ansible_module_name")
        return normalise_module_name(str(name)) if name else "<unnamed module>"

    @property
    def complex_args(self) -> dict[str, Any]:
        value = self.payload.get("module_args")
        return dict(value) if isinstance(value, dict) else {}

    @property
    def module_source(self) -> str | None:
        entry = self.payload.get("module_entry")
        return None if entry is None else _b64_text(entry)

    @property
    def become(self) -> Become | None:
        if "become_wrapper.ps1" not in self.action_names:
            return None
        logon_type, logon_flags = _parse_become_flags(self.payload.get("become_flags"))
        user = self.payload.get("become_user")
        return Become(
            user=None if user is None else str(user), logon_type=logon_type, logon_flags=logon_flags,
            has_password=bool(self.payload.get("become_password")),
        )

    @property
    def csharp_utils(self) -> list[str]:
        return [f"{name}.cs" for name in self.payload.get("csharp_utils_module") or []]

    @property
    def powershell_utils(self) -> list[str]:
        return [f"{name}.psm1" for name in self.payload.get("powershell_modules") or {}]

    @property
    def csharp_scripts(self) -> dict[str, int]:
        utils = self.payload.get("csharp_utils") or {}
        return {f"{name}.cs": _b64_len(str(data)) for name, data in utils.items()} if isinstance(utils, dict) else {}

    def script_text(self, name: str) -> str | None:
        base = name[:-4] if name.lower().endswith(".ps1") else name
        for table, suffix in ((self.payload.get("csharp_utils"), ".cs"), (self.payload.get("powershell_modules"), ".psm1")):
            if isinstance(table, dict) and name.endswith(suffix) and name[: -len(suffix)] in table:
                return _b64_text(table[name[: -len(suffix)]])
        if base == "exec_wrapper" and "exec_wrapper" not in self.payload:
            return self.wrapper
        if base in self.payload and base not in ("module_args", "actions", "environment"):
            return _b64_text(self.payload[base])
        return None


def _enum_name(value: str, names: tuple[str, ...]) -> str:
    """``new_credentials`` / ``NewCredentials`` -> ``NewCredentials`` (unknown values unchanged)."""
    key = value.replace("_", "").lower()
    return next((n for n in names if n.lower() == key), value)


def _parse_become_flags(flags: Any) -> tuple[str, tuple[str, ...]]:
    """2.16-2.18's become_wrapper.ps1 Get-BecomeFlag: ``logon_type=x logon_flags=a,b``."""
    logon_type, logon_flags = "Interactive", ("WithProfile",)
    if not flags:
        return logon_type, logon_flags
    if not isinstance(flags, str):
        raise PayloadError(f"become_flags must be a string, was {type(flags).__name__}")
    for flag in flags.split(" "):
        key, sep, value = flag.partition("=")
        if not sep or "=" in value:
            raise PayloadError(f"become_flags entry '{flag}' is in an invalid format, must be a key=value pair")
        if key == "logon_type":
            logon_type = _enum_name(value, _LOGON_TYPES)
        elif key == "logon_flags":
            logon_flags = tuple(_enum_name(v, _LOGON_FLAGS) for v in value.split(",") if v) or ("None",)
        else:
            raise PayloadError(f"become_flags key '{key}' is not a valid runas flag, must be 'logon_type' or 'logon_flags'")
    return logon_type, logon_flags


def parse_stdin(data: bytes, exec_format: str | None = None) -> Execution:
    """The execution behind a bootstrap wrapper's stdin; the format is sniffed when not given."""
    if exec_format is None:
        exec_format = FORMAT_MANIFEST if data.lstrip()[:1] == b"{" else FORMAT_LEGACY
    if exec_format == FORMAT_MANIFEST:
        if SEPARATOR not in data:
            raise PayloadError("stdin has no exec-wrapper separator (\\n\\0\\0\\0\\0\\n)")
        head, tail = data.split(SEPARATOR, 1)
    elif exec_format == FORMAT_LEGACY:
        if LEGACY_SEPARATOR not in data:
            raise PayloadError("stdin has no exec-wrapper separator (\\0\\0\\0\\0)")
        head, tail = data.split(LEGACY_SEPARATOR, 1)
    else:
        raise PayloadError(f"unknown exec-wrapper format {exec_format!r}")
    try:
        first = head.decode("utf-8")
        second = json.loads(tail.decode("utf-8")) if tail.strip() else {}
        first_value: Any = json.loads(first) if exec_format == FORMAT_MANIFEST else first
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"stdin is not exec-wrapper input: {exc}") from None
    if not isinstance(second, dict) or (exec_format == FORMAT_MANIFEST and not isinstance(first_value, dict)):
        raise PayloadError("exec-wrapper bootstrap and manifest must be JSON objects")
    if exec_format == FORMAT_MANIFEST:
        return ManifestExecution(bootstrap=first_value, manifest=second)
    return LegacyExecution(wrapper=first_value, payload=second)


# -- raw scripts -----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RawCommand:
    """A raw script the shell plugin builds, with the parameters 2.19's helper scripts take.

    ``remove``: ``Path``, ``Recurse``; ``mkdtemp``: ``Directory`` (unexpanded), ``Name``;
    ``expand_user``: ``Path`` (``~``, ``~\\sub`` or a literal path); ``boot_time``: nothing;
    ``restart``: ``Delay`` (seconds)."""

    kind: str
    params: dict[str, Any]


_Q = r"'((?:[^']|'')*)'"  # a single-quoted PowerShell string


def _reboot_scripts() -> tuple[str, str]:
    """The restart scripts the collection runs (plugins/plugin_utils/_reboot.py, read so they cannot drift)."""
    namespace: dict[str, Any] = {}
    source = Path(__file__).resolve().parents[3] / "plugins" / "plugin_utils" / "_reboot.py"
    exec(compile(source.read_text(encoding="utf-8"), str(source), "exec"), namespace)  # noqa: S102  # pylint: disable=exec-used
    return namespace["BOOT_TIME_SCRIPT"], namespace["RESTART_SCRIPT"]


BOOT_TIME_SCRIPT, RESTART_SCRIPT = _reboot_scripts()
_RAW_FORMS: list[tuple[str, list[re.Pattern[str]], Any]] = [
    ("remove", [re.compile(rf"^Remove-Item {_Q} -Force( -Recurse)?;$")],
     lambda m: {"Path": m[0].group(1), "Recurse": bool(m[0].group(2))}),
    ("mkdtemp", [
        re.compile(rf"^\$tmp_path = \[System\.Environment\]::ExpandEnvironmentVariables\({_Q}\)$"),
        re.compile(rf"^\$tmp = New-Item -Type Directory -Path \$tmp_path -Name {_Q}$"),
        re.compile(r"^Write-Output -InputObject \$tmp\.FullName$"),
    ], lambda m: {"Directory": m[0].group(1), "Name": m[1].group(1)}),
    ("expand_user", [re.compile(r"^Write-Output \(Get-Location\)\.Path$")], lambda m: {"Path": "~"}),
    ("expand_user", [re.compile(rf"^Write-Output \(\(Get-Location\)\.Path \+ {_Q}\)$")],
     lambda m: {"Path": "~" + m[0].group(1)}),
    ("expand_user", [re.compile(rf"^Write-Output {_Q}$")], lambda m: {"Path": m[0].group(1)}),
    # dism_feature's reboot=true (plugin_utils/_reboot.py): the last boot time, then shutdown.exe /r.
    ("boot_time", [re.compile("^" + re.escape(BOOT_TIME_SCRIPT) + "$")], lambda m: {}),
    ("restart", [re.compile("^" + re.escape(RESTART_SCRIPT).replace("%d", r"(\d+)") + "$")],
     lambda m: {"Delay": int(m[0].group(1))}),
]
# Lines the shell plugin adds around every raw script (strict mode, exit code, 2.18's UTF-8 console).
_CONSOLE_ENCODING = "try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding } catch {}"


def raw_lines(script: str) -> list[str]:
    lines: list[str] = []
    for line in script.replace("\r", "").split("\n"):
        line = line.strip()
        if not line or line.startswith("Set-StrictMode") or line.startswith("If (-not $?)"):
            continue
        if line.startswith(_CONSOLE_ENCODING):
            line = line[len(_CONSOLE_ENCODING):].lstrip("; ").strip()
            if not line:
                continue
        lines.append(line)
    return lines


def parse_raw(script: str | None) -> RawCommand | None:
    """The raw script as one of the commands the lab host knows, or None."""
    if script is None:
        return None
    lines = raw_lines(script)
    for kind, patterns, params in _RAW_FORMS:
        if len(lines) != len(patterns):
            continue
        matches = [p.match(line) for p, line in zip(patterns, lines)]
        if all(matches):
            values = {k: (v.replace("''", "'") if isinstance(v, str) else v) for k, v in params(matches).items()}
            return RawCommand(kind, values)
    return None
