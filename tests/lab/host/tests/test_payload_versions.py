"""What ansible-core 2.16, 2.17, 2.18 and 2.19 send over winrm, as the lab host decodes it.

The samples are built by each version's own code (``payload_samples.py``, run with the Python of
``.venv-core216`` / ``.venv-core217`` / ``.venv-core218`` (scripts/setup.sh --lint) and of the
test venv for 2.19): module_manifest, the powershell shell plugin and the winrm connection plugin.
A version whose venv is missing is skipped, with the reason.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hostlab_support import USER, RunningHost

from host.payload import (
    FORMAT_LEGACY,
    FORMAT_MANIFEST,
    Become,
    LegacyExecution,
    ManifestExecution,
    PayloadError,
    parse_command_line,
    parse_raw,
    parse_stdin,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
SAMPLER = HERE / "payload_samples.py"
HELPER = "winimaging.dism.dism_helper"
VERSIONS = {
    "2.16": REPO / ".venv-core216" / "bin" / "python",
    "2.17": REPO / ".venv-core217" / "bin" / "python",
    "2.18": REPO / ".venv-core218" / "bin" / "python",
    "2.19": Path(sys.executable),
}
_CACHE: dict[str, dict[str, Any]] = {}


def samples_of(version: str) -> dict[str, Any]:
    if version not in _CACHE:
        python = VERSIONS[version]
        if not python.exists():
            pytest.skip(f"no ansible-core {version} venv ({python.parent.parent}): run scripts/setup.sh --lint")
        proc = subprocess.run([str(python), str(SAMPLER)], capture_output=True, text=True, timeout=120, check=False,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(REPO / ".cache"), "ANSIBLE_LOCAL_TEMP": str(REPO / ".cache" / "ansible-tmp"),
                                   "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".cache" / "ac")})
        assert proc.returncode == 0, proc.stderr[-3000:]
        data = json.loads(proc.stdout)
        assert data["ansible_version"].startswith(version + "."), data["ansible_version"]
        _CACHE[version] = data
    return _CACHE[version]


@pytest.fixture(params=sorted(VERSIONS))
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def fmt_of(version: str) -> str:
    return FORMAT_MANIFEST if version == "2.19" else FORMAT_LEGACY


def decoded(version: str, name: str) -> tuple[Any, bytes | None]:
    sample = samples_of(version)["samples"][name]
    cmdline = parse_command_line(sample["command"], " ".join(sample["arguments"]))
    stdin = base64.b64decode(sample["stdin"]) if sample["stdin"] is not None else None
    return cmdline, stdin


def execution(version: str, name: str) -> Any:
    cmdline, stdin = decoded(version, name)
    assert cmdline.is_bootstrap and cmdline.exec_format == fmt_of(version)
    assert stdin is not None
    parsed = parse_stdin(stdin, cmdline.exec_format)
    # The format sniffed from stdin alone (what shells.py does for an unfinished command) agrees.
    assert type(parse_stdin(stdin)) is type(parsed)
    return parsed


# -- the payloads, version by version --------------------------------------------------------------
def test_module_execution(version: str) -> None:
    cmdline = decoded(version, "module")[0]
    # 2.16-2.18's winrm plugin encodes the encoded command line a second time; 2.19 does not.
    assert cmdline.layers == (1 if version == "2.19" else 2)
    ex = execution(version, "module")
    assert isinstance(ex, ManifestExecution if version == "2.19" else LegacyExecution)
    assert ex.is_module and ex.module_name == HELPER
    assert ex.action_names == (["module_wrapper.ps1"] if version == "2.19" else ["module_powershell_wrapper.ps1"])
    assert ex.script == ("ansible_collections.winimaging.dism.plugins.modules.dism_helper.ps1" if version == "2.19" else None)
    assert ex.become is None and not ex.is_async
    assert ex.csharp_utils == [] and ex.powershell_utils == [] and ex.csharp_scripts == {}
    assert ex.ansible_version.startswith(version + ".")
    assert ex.argument_conversion == ("ConvertFrom-Json | Convert-JsonObject" if version == "2.19" else "ConvertFrom-AnsibleJson")
    args = ex.complex_args
    assert args["_ansible_module_name"] == HELPER and args["_ansible_check_mode"] is False
    request = args["request"]
    assert request["operations"][0]["names"] == ["IIS-WebServerRole", "IIS-StaticContent"]
    assert (request["index"], request["big"], request["ratio"], request["flag"], request["nothing"]) == (1, 5000000000, 0.5, False, None)
    assert request["when"] == "2024-05-01T10:20:30Z" and request["text"] == "Größe ✓"


def test_module_text_is_what_the_controller_read(version: str) -> None:
    ex = execution(version, "module")
    source = ex.script_text(ex.script) if version == "2.19" else ex.module_source
    assert source is not None and "lab payload sample: a module with no AnsibleRequires" in source


def test_check_mode_reaches_the_module(version: str) -> None:
    assert execution(version, "module_check").complex_args["_ansible_check_mode"] is True


def test_csharp_utils_of_a_module(version: str) -> None:
    ex = execution(version, "basic")
    assert ex.module_name == "winimaging.dism.basic_sample"
    assert ex.csharp_utils == ["Ansible.Basic.cs"]
    assert ex.powershell_utils == ["Ansible.ModuleUtils.AddType.psm1"]
    assert set(ex.csharp_scripts) == {"Ansible.Basic.cs"} and ex.csharp_scripts["Ansible.Basic.cs"] > 10000
    text = ex.script_text("Ansible.Basic.cs")
    assert text is not None and "namespace Ansible.Basic" in text


def test_become_runas_default_logon(version: str) -> None:
    ex = execution(version, "become")
    assert ex.action_names[0] == "become_wrapper.ps1" and ex.is_module and ex.module_name == HELPER
    assert ex.become == Become(user="labadmin", logon_type="Interactive", logon_flags=("WithProfile",), has_password=True)
    assert {"Ansible.Become.cs", "Ansible.AccessToken.cs", "Ansible.Process.cs"} <= set(ex.csharp_scripts)
    assert ex.csharp_utils == []  # the become utils are the wrapper's, not the module's


def test_become_runas_flags(version: str) -> None:
    ex = execution(version, "become_flags")
    assert ex.become == Become(user="labadmin", logon_type="NewCredentials", logon_flags=("NetCredentialsOnly",),
                               has_password=False)


def test_async(version: str) -> None:
    ex = execution(version, "async")
    assert ex.is_async and ex.module_name == HELPER
    assert ex.action_names[:2] == ["async_wrapper.ps1", "async_watchdog.ps1"]


def helper_command(version: str, name: str) -> tuple[str, dict[str, Any]]:
    """2.19 sends temp dir / ~ handling through the exec wrapper, 2.16-2.18 as raw scripts."""
    cmdline, stdin = decoded(version, name)
    if cmdline.is_bootstrap:
        assert stdin is not None and version == "2.19"
        ex = parse_stdin(stdin, cmdline.exec_format)
        assert not ex.is_module
        kind = {"powershell_mkdtemp.ps1": "mkdtemp", "powershell_expand_user.ps1": "expand_user"}[ex.module_name]
        return kind, ex.helper_params
    raw = parse_raw(cmdline.script)
    assert raw is not None, cmdline.script
    return raw.kind, raw.params


def test_shell_helper_commands(version: str) -> None:
    assert helper_command(version, "mkdtemp") == ("mkdtemp", {"Directory": "%TEMP%", "Name": "ansible-tmp-1-2-3"})
    assert helper_command(version, "expand_home") == ("expand_user", {"Path": "~"})
    assert helper_command(version, "expand_sub") == ("expand_user", {"Path": "~\\.ansible\\tmp"})
    cmdline, stdin = decoded(version, "remove")
    assert not cmdline.is_bootstrap and stdin is None
    raw = parse_raw(cmdline.script)
    assert raw is not None and (raw.kind, raw.params) == (
        "remove", {"Path": "C:\\Users\\labadmin\\AppData\\Local\\Temp\\ansible-tmp-1-2-3", "Recurse": True})


# -- the same samples through a running lab host ---------------------------------------------------
def run_sample(host: RunningHost, version: str, name: str) -> tuple[bytes, bytes, int]:
    sample = samples_of(version)["samples"][name]
    p = host.protocol()
    shell_id = p.open_shell(codepage=65001)
    command_id = p.run_command(shell_id, sample["command"], sample["arguments"], console_mode_stdin=False)
    if sample["stdin"] is not None:
        data = base64.b64decode(sample["stdin"])
        chunk = 200000
        for i in range(0, len(data), chunk):
            p.send_command_input(shell_id, command_id, data[i : i + chunk], end=i + chunk >= len(data))
    out, err, rc = p.get_command_output(shell_id, command_id)
    p.cleanup_command(shell_id, command_id)
    p.close_shell(shell_id)
    return out, err, rc


def test_lab_host_serves_every_version(host: RunningHost, version: str) -> None:
    for name in ("module", "become", "become_flags"):
        out, err, rc = run_sample(host, version, name)
        assert rc == 0, err
        assert json.loads(out) == {"changed": False, "helper_missing": True}
    records = [r for r in host.wire() if r["kind"] == "command"]
    assert [(r["module"], r["outcome"], r["become"], r["logon"], r["exec_format"]) for r in records] == [
        (HELPER, "helper_missing", False, "network", fmt_of(version)),
        (HELPER, "helper_missing", True, "interactive", fmt_of(version)),
        (HELPER, "helper_missing", True, "network", fmt_of(version)),
    ]
    assert all(r["ansible_version"].startswith(version + ".") for r in records)
    assert {"Ansible.Become.cs", "Ansible.AccessToken.cs", "Ansible.Process.cs"} <= set(records[1]["csharp_scripts"])

    out, err, rc = run_sample(host, version, "async")
    assert rc == 1 and "async execution of 'winimaging.dism.dism_helper'" in err.decode()


def test_lab_host_temp_dirs_for_every_version(host: RunningHost, version: str) -> None:
    profile = f"C:\\Users\\{USER}"
    out, err, rc = run_sample(host, version, "mkdtemp")
    assert rc == 0, err
    assert out.decode().strip() == profile + "\\AppData\\Local\\Temp\\ansible-tmp-1-2-3"
    folder = host.root / "drives/C/Users" / USER / "AppData/Local/Temp/ansible-tmp-1-2-3"
    assert folder.is_dir()
    assert run_sample(host, version, "expand_home")[0].decode().strip() == profile
    assert run_sample(host, version, "expand_sub")[0].decode().strip() == profile + "\\.ansible\\tmp"
    out, err, rc = run_sample(host, version, "remove")
    assert rc == 0, err
    assert not folder.exists()
    assert all(r["outcome"] == "ok" for r in host.wire() if r["kind"] == "command")


# -- the parsers on their own ----------------------------------------------------------------------
def _encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


def test_nested_encoded_commands_are_unwrapped() -> None:
    inner = "Set-StrictMode -Version Latest\nRemove-Item 'C:\\x' -Force;"
    outer = f"PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand {_encode(inner)}"
    cmdline = parse_command_line("PowerShell", f"-NoProfile -EncodedCommand {_encode(outer)}")
    assert cmdline.layers == 2 and cmdline.script == inner and not cmdline.is_bootstrap


def test_legacy_become_flags_errors() -> None:
    payload = {"actions": ["become_wrapper", "module_powershell_wrapper"], "module_entry": "", "module_args": {},
               "become_user": "x", "become_flags": "logon_type"}
    ex = LegacyExecution(wrapper="", payload=payload)
    with pytest.raises(PayloadError, match="key=value"):
        assert ex.become is None
    payload["become_flags"] = "logon_type=batch logon_flags="
    assert LegacyExecution(wrapper="", payload=payload).become == Become("x", "Batch", ("None",), False)
    payload["become_flags"] = "colour=blue"
    with pytest.raises(PayloadError, match="not a valid runas flag"):
        assert LegacyExecution(wrapper="", payload=payload).become is None


def test_legacy_stdin_without_separator_or_json() -> None:
    with pytest.raises(PayloadError, match="separator"):
        parse_stdin(b"begin { }", FORMAT_LEGACY)
    with pytest.raises(PayloadError, match="not exec-wrapper input"):
        parse_stdin(b"begin { }\0\0\0\0{not json", FORMAT_LEGACY)


def test_unknown_raw_scripts_are_not_guessed() -> None:
    assert parse_raw("Get-ChildItem C:\\") is None
    assert parse_raw("Remove-Item 'C:\\a' -Force;\nRemove-Item 'C:\\b' -Force;") is None
    assert parse_raw(None) is None
