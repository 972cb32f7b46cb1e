"""Builds what one ansible-core version sends a Windows host over winrm, with that version's code.

Run with the Python of a venv that has ansible-core and pywinrm (``.venv``, ``.venv-core216`` ...):

    .venv-core216/bin/python tests/lab/host/tests/payload_samples.py

It prints one JSON object: ``{"ansible_version": "2.16.19", "samples": {name: {"command": str,
"arguments": [str], "stdin": <base64 or null>}}}``. Every sample goes through the version's own
``module_manifest._create_powershell_wrapper`` (modules), the powershell shell plugin (temporary
directories, ``~`` expansion, removal, the module command line) and the winrm connection plugin's
``exec_command`` (which on 2.16-2.18 encodes an already encoded command a second time); only the
network call at the end (``_winrm_exec``) is replaced by a recorder. The test
``test_payload_versions.py`` feeds the samples to the lab host's parser and to a running lab host.
"""

from __future__ import annotations

import base64
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

from ansible import release
from ansible.executor.powershell import module_manifest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import become_loader, connection_loader
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

# 2.19 looks up the module's collection (for its signed hash list): make winimaging.dism importable.
_REPO = Path(__file__).resolve().parents[4]
_AnsibleCollectionFinder(paths=[os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(_REPO / ".cache" / "ac"))])._install()

MODULE_FQN = "winimaging.dism.dism_helper"
MODULE_SOURCE = b"#!powershell\n#Requires -Version 5.1\n\n# lab payload sample: a module with no AnsibleRequires\n'{}'\n"
BASIC_SOURCE = b"#!powershell\n\n#AnsibleRequires -CSharpUtil Ansible.Basic\n\n$module = [Ansible.Basic.AnsibleModule]::Create($args, @{})\n"

# What an action plugin sends: lists of strings and of dicts, nested dicts, ints that fit and do
# not fit Int32, a fraction, a bool, a null, an ISO 8601 date-time and non-ASCII text.
ARGS: dict[str, Any] = {
    "caller": "winimaging.dism.dism_image_info",
    "helper_hash": "0" * 64,
    "request": {
        "target": {"kind": "image", "path": "C:\\mount\\a"},
        "operations": [
            {"op": "enable_feature", "names": ["IIS-WebServerRole", "IIS-StaticContent"], "sources": []},
            {"op": "get_features", "details": ["Microsoft-Hyper-V"], "ancestors": True},
        ],
        "index": 1,
        "big": 5000000000,
        "ratio": 0.5,
        "flag": False,
        "nothing": None,
        "when": "2024-05-01T10:20:30Z",
        "text": "Größe ✓",
    },
}


def module_args(name: str, check_mode: bool = False) -> dict[str, Any]:
    """The module arguments plus the internal ones ActionBase._update_module_args adds."""
    args = json.loads(json.dumps(ARGS))
    args.update(
        _ansible_check_mode=check_mode,
        _ansible_no_log=False,
        _ansible_debug=False,
        _ansible_diff=False,
        _ansible_verbosity=0,
        _ansible_version=release.__version__,
        _ansible_module_name=name,
        _ansible_syslog_facility="LOG_USER",
        _ansible_selinux_special_fs=["fuse", "nfs", "vboxsf", "ramfs", "9p", "vfat"],
        _ansible_string_conversion_action="warn",
        _ansible_socket=None,
        _ansible_shell_executable="/bin/sh",
        _ansible_keep_remote_files=False,
        _ansible_tmpdir=None,
        _ansible_remote_tmp="%TEMP%",
    )
    return args


def runas(flags: str = "", user: str = "labadmin", password: str | None = "Secret-1") -> Any:
    plugin = become_loader.get("runas")
    options: dict[str, Any] = {"become_user": user, "become_flags": flags}
    if password is not None:
        options["become_pass"] = password
    plugin.set_options(direct=options)
    return plugin


def wrap_module(source: bytes, name: str, *, become: Any = None, async_timeout: int = 0,
                check_mode: bool = False) -> bytes:
    """_create_powershell_wrapper exactly as this version's module_common calls it."""
    args = module_args(name, check_mode)
    path = "/collections/ansible_collections/winimaging/dism/plugins/modules/dism_helper.ps1"
    environment = {"ANSIBLE_ASYNC_DIR": "%USERPROFILE%\\.ansible_async"} if async_timeout else {}
    params = inspect.signature(module_manifest._create_powershell_wrapper).parameters
    if "become_plugin" in params:  # 2.19: keyword-only, the become plugin object
        collection, short = name.rsplit(".", 1)
        return module_manifest._create_powershell_wrapper(
            name=f"ansible_collections.{collection}.plugins.modules.{short}", module_data=source,
            module_path=path, module_args=args, environment=environment, async_timeout=async_timeout,
            become_plugin=become, substyle="powershell", task_vars={}, profile="legacy",
        )
    # 2.16-2.18: become as separate values (module_common passes them from the become plugin)
    return module_manifest._create_powershell_wrapper(  # pylint: disable=missing-kwoa,too-many-function-args
        source, path, args, environment, async_timeout, become is not None,
        "runas" if become is not None else None,
        become.get_option("become_user") if become is not None else None,
        become.get_option("become_pass") if become is not None else None,
        become.get_option("become_flags") if become is not None else None,
        "powershell", {}, name,
    )


class Recorder:
    """The winrm connection plugin with the network replaced: records what it would send."""

    def __init__(self) -> None:
        self.connection = connection_loader.get("winrm", PlayContext(), None)
        self.connection.set_options(direct={"remote_user": "labadmin", "remote_addr": "127.0.0.2"})
        self.connection._connected = True
        self.shell = self.connection._shell
        self.shell.set_options()
        self.sent: list[dict[str, Any]] = []
        self.connection._winrm_exec = self._record

    def _record(self, command: Any, args: Any, from_exec: bool = False, stdin_iterator: Any = None) -> tuple[int, bytes, bytes]:
        stdin = b"".join(chunk for chunk, _last in stdin_iterator) if stdin_iterator is not None else None
        self.sent.append({
            "command": _text(command),
            "arguments": [_text(a) for a in args],
            "stdin": base64.b64encode(stdin).decode() if stdin is not None else None,
        })
        return 0, b"", b""

    def exec(self, cmd: str, in_data: bytes | None = None) -> dict[str, Any]:
        self.connection.exec_command(cmd, in_data=in_data)
        return self.sent.pop()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def module_command(shell: Any) -> str:
    return shell.build_module_command("", "#!powershell", "")


def samples() -> dict[str, Any]:
    rec = Recorder()
    shell = rec.shell
    out: dict[str, Any] = {}
    out["module"] = rec.exec(module_command(shell), wrap_module(MODULE_SOURCE, MODULE_FQN))
    out["module_check"] = rec.exec(module_command(shell), wrap_module(MODULE_SOURCE, MODULE_FQN, check_mode=True))
    out["basic"] = rec.exec(module_command(shell), wrap_module(BASIC_SOURCE, "winimaging.dism.basic_sample"))
    out["become"] = rec.exec(module_command(shell), wrap_module(MODULE_SOURCE, MODULE_FQN, become=runas()))
    out["become_flags"] = rec.exec(module_command(shell), wrap_module(
        MODULE_SOURCE, MODULE_FQN,
        become=runas("logon_type=new_credentials logon_flags=netcredentials_only", password=None)))
    out["async"] = rec.exec(module_command(shell), wrap_module(MODULE_SOURCE, MODULE_FQN, async_timeout=60))
    # ActionBase._make_tmp_path / _remote_expand_user / _remove_tmp_path
    out["mkdtemp"] = _shell_command(rec, "mkdtemp", basefile="ansible-tmp-1-2-3", system=False, tmpdir=None)
    out["expand_home"] = _shell_command(rec, "expand_user", "~")
    out["expand_sub"] = _shell_command(rec, "expand_user", "~\\.ansible\\tmp")
    out["remove"] = rec.exec(shell.remove("C:\\Users\\labadmin\\AppData\\Local\\Temp\\ansible-tmp-1-2-3", recurse=True))
    return out


def _shell_command(rec: Recorder, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """2.19 runs these through the exec wrapper (``_mkdtemp2`` etc.); 2.16-2.18 as raw scripts."""
    wrapped = getattr(rec.shell, f"_{name}2", None)
    if wrapped is not None:
        command = wrapped(*args, **kwargs)
        return rec.exec(command.command, command.input_data)
    return rec.exec(getattr(rec.shell, name)(*args, **kwargs))


def main() -> int:
    json.dump({"ansible_version": release.__version__, "samples": samples()}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
