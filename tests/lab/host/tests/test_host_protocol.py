"""WS-Management behaviour of the lab host, driven with pywinrm directly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import xmltodict
from winrm.exceptions import InvalidCredentialsError, WinRMTransportError, WSManFaultError

from hostlab_support import RunningHost, module_stdin, run_module, start_host


def test_raw_command_lifecycle_and_refusal(host: RunningHost) -> None:
    p = host.protocol()
    shell_id = p.open_shell(codepage=65001)
    command_id = p.run_command(shell_id, "ipconfig", ["/all"])
    out, err, rc = p.get_command_output(shell_id, command_id)
    p.cleanup_command(shell_id, command_id)
    p.close_shell(shell_id)
    assert rc == 1
    assert out == b""
    assert err.decode().strip() == (
        "This is a winimaging.dism DISM lab host: it runs only the winimaging.dism helper module; "
        "'raw: ipconfig /all' is not simulated."
    )
    kinds = [r["kind"] for r in host.wire()]
    assert kinds == ["command", "shell"]


def test_wrong_password_is_rejected(host: RunningHost) -> None:
    with pytest.raises(InvalidCredentialsError):
        host.protocol(password="wrong").open_shell()


def test_unknown_shell_is_a_wsman_fault(host: RunningHost) -> None:
    p = host.protocol()
    with pytest.raises(WSManFaultError) as info:
        p.run_command("00000000-0000-0000-0000-000000000000", "dir")
    assert "shell was not found" in info.value.reason
    assert info.value.wsman_fault_code == 2150858843


def test_unknown_action_is_a_wsman_fault(host: RunningHost) -> None:
    p = host.protocol()
    rq = {"env:Envelope": p.build_wsman_header(
        action="http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd")}
    rq["env:Envelope"]["env:Body"] = {}
    with pytest.raises(WSManFaultError) as info:
        p.send_message(xmltodict.unparse(rq))
    assert "does not support the WS-Management action" in info.value.reason


def test_unknown_resource_is_a_wsman_fault(host: RunningHost) -> None:
    p = host.protocol()
    rq = {"env:Envelope": p.build_wsman_header(
        action="http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service")}
    rq["env:Envelope"]["env:Body"] = {}
    with pytest.raises(WSManFaultError) as info:
        p.send_message(xmltodict.unparse(rq))
    assert "is not simulated" in info.value.reason


def test_not_xml_is_a_fault(host: RunningHost) -> None:
    p = host.protocol()
    with pytest.raises((WSManFaultError, WinRMTransportError)):
        p.send_message("this is not xml")


def test_foreign_module_is_refused_with_json_and_stderr(host: RunningHost) -> None:
    out, err, rc = run_module(host.protocol(), module_stdin("ansible.windows.win_ping", {"data": "pong"},
                                                            csharp=["Ansible.Basic.cs"]))
    msg = ("This is a winimaging.dism DISM lab host: it runs only the winimaging.dism helper module; "
           "'ansible.windows.win_ping' is not simulated.")
    assert rc == 1
    assert err.decode().strip() == msg
    assert json.loads(out)["msg"] == msg
    record = host.wire()[0]
    assert record["module"] == "ansible.windows.win_ping"
    assert record["outcome"] == "refused"
    assert record["csharp_utils"] == ["Ansible.Basic.cs"]
    assert record["helper_compiles"] == 0


def test_collection_path_module_name_is_normalised(host: RunningHost) -> None:
    run_module(host.protocol(), module_stdin("ansible_collections.ansible.windows.plugins.modules.win_ping", {}))
    assert host.wire()[0]["module"] == "ansible.windows.win_ping"


def test_async_is_refused(host: RunningHost) -> None:
    stdin = module_stdin("winimaging.dism.dism_helper", {"helper_hash": "0" * 64, "request": {}},
                         extra_actions=[{"name": "async_wrapper.ps1", "params": {}}])
    out, err, rc = run_module(host.protocol(), stdin)
    assert rc == 1
    assert "async execution" in err.decode()


def test_facts(host: RunningHost) -> None:
    out, err, rc = run_module(host.protocol(), module_stdin("ansible.windows.setup", {"gather_subset": ["all"]}))
    assert rc == 0, err
    facts = json.loads(out)["ansible_facts"]
    assert facts["ansible_os_family"] == "Windows"
    assert facts["ansible_system"] == "Win32NT"
    assert facts["ansible_distribution"] == "Microsoft Windows Server 2022 Datacenter (DISM lab)"
    assert facts["ansible_powershell_version"] == 5
    assert facts["ansible_hostname"] == "WINTEST"


class Recorder:
    """Wraps pywinrm's transport to count exactly the envelope bytes that cross the wire."""

    def __init__(self, protocol: Any) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self._send = protocol.transport.send_message
        protocol.transport.send_message = self

    def __call__(self, message: str | bytes) -> bytes:
        data = message.encode("utf-8") if isinstance(message, str) else message
        action = data.split(b"<a:Action", 1)[1].split(b">", 2)[1].split(b"<", 1)[0].decode().rsplit("/", 1)[-1]
        try:
            response = self._send(message)
        except WinRMTransportError as exc:
            self.calls.append((action, len(data), len(exc.response_text.encode("utf-8"))))
            raise
        self.calls.append((action, len(data), len(response)))
        return response


def test_wire_accounting_equals_bytes_on_the_wire(host: RunningHost) -> None:
    p = host.protocol()
    rec = Recorder(p)
    stdin = module_stdin("ansible.windows.win_optional_feature", {"name": "x" * 1000},
                         csharp=["Ansible.Basic.cs"], filler=450_000)
    run_module(p, stdin, chunk=200_000)
    command_record, shell_record = host.wire()
    sends = [c for c in rec.calls if c[0] == "Send"]
    assert command_record["stdin_bytes"] == len(stdin)
    assert command_record["stdin_sends"] == len(sends) >= 3
    command_calls = [c for c in rec.calls if c[0] not in ("Create", "Delete")]
    assert command_record["soap_requests"] == len(command_calls)
    assert command_record["soap_bytes_in"] == sum(c[1] for c in command_calls)
    assert command_record["soap_bytes_out"] == sum(c[2] for c in command_calls)
    shell_calls = [c for c in rec.calls if c[0] in ("Create", "Delete")]
    assert shell_record["soap_bytes_in"] == sum(c[1] for c in shell_calls)
    assert shell_record["soap_bytes_out"] == sum(c[2] for c in shell_calls)
    assert shell_record["commands"] == [command_record["command_id"]]


def test_large_output_is_received_in_chunks(host: RunningHost, monkeypatch: pytest.MonkeyPatch) -> None:
    from host import shells

    monkeypatch.setattr(shells, "RECEIVE_CHUNK", 300)
    p = host.protocol()
    rec = Recorder(p)
    out, err, rc = run_module(p, module_stdin("ansible.windows.setup", {}))
    assert rc == 0
    assert json.loads(out)["ansible_facts"]["ansible_system"] == "Win32NT"
    assert sum(1 for c in rec.calls if c[0] == "Receive") >= 3


def test_receive_times_out_while_the_command_runs(tmp_path: Path) -> None:
    running = start_host(tmp_path, receive_wait_max=1.0)
    try:
        p = running.protocol()
        shell_id = p.open_shell()
        from hostlab_support import bootstrap_command

        command, args = bootstrap_command()
        command_id = p.run_command(shell_id, command, args, console_mode_stdin=False)
        # no stdin yet: the exec wrapper is still waiting, so Receive reports OperationTimeout
        from winrm.exceptions import WinRMOperationTimeoutError

        with pytest.raises(WinRMOperationTimeoutError):
            p.get_command_output_raw(shell_id, command_id)
        p.send_command_input(shell_id, command_id, module_stdin("ansible.windows.setup", {}), end=True)
        out, err, rc = p.get_command_output(shell_id, command_id)
        assert rc == 0
        p.cleanup_command(shell_id, command_id)
        p.close_shell(shell_id)
        record = running.wire()[0]
        assert record["soap_requests"] >= 5  # Command, Receive(fault), Send, Receive, Signal
    finally:
        running.server.shutdown()
        running.server.server_close()


def test_https(tmp_path: Path) -> None:
    running = start_host(tmp_path, scheme="https", cert_file=str(tmp_path / "c.pem"), key_file=str(tmp_path / "k.pem"))
    try:
        assert running.endpoint.startswith("https://")
        out, err, rc = run_module(running.protocol(), module_stdin("ansible.windows.setup", {}))
        assert rc == 0
        assert json.loads(out)["ansible_facts"]["ansible_os_family"] == "Windows"
        assert (tmp_path / "k.pem").stat().st_mode & 0o077 == 0
    finally:
        running.server.shutdown()
        running.server.server_close()


def test_refuses_non_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        start_host(tmp_path, address="0.0.0.0")
