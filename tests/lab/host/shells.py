"""WinRS shells and commands: state kept between SOAP requests."""

from __future__ import annotations

import base64
import dataclasses
import threading
import time
import uuid
from typing import Any, Callable, Protocol

from . import soap
from .payload import CommandLine, PayloadError, parse_command_line, parse_stdin
from .wire import Traffic, WireLog

RECEIVE_CHUNK = 96 * 1024  # raw output bytes per Receive (base64 stays under MaxEnvelopeSize)


@dataclasses.dataclass
class ExecResult:
    stdout: bytes
    stderr: bytes
    exit_code: int
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)


class Executor(Protocol):
    def __call__(self, cmdline: CommandLine, stdin: bytes, cancel: threading.Event) -> ExecResult: ...


@dataclasses.dataclass(eq=False)
class Command:
    id: str
    shell_id: str
    cmdline: CommandLine
    stdin: bytearray = dataclasses.field(default_factory=bytearray)
    stdin_sends: int = 0
    stdin_closed: bool = False
    started: bool = False
    result: ExecResult | None = None
    out_pos: int = 0
    err_pos: int = 0
    traffic: Traffic = dataclasses.field(default_factory=Traffic)
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)
    signalled: bool = False
    logged: bool = False
    created: float = dataclasses.field(default_factory=time.monotonic)
    finished: float | None = None


@dataclasses.dataclass(eq=False)
class Shell:
    id: str
    codepage: str
    traffic: Traffic = dataclasses.field(default_factory=Traffic)
    commands: dict[str, Command] = dataclasses.field(default_factory=dict)
    command_order: list[str] = dataclasses.field(default_factory=list)
    last_used: float = dataclasses.field(default_factory=time.monotonic)
    deleted: bool = False


# What a request is billed to, for wire accounting.
Attribution = Shell | Command | None


class ShellManager:
    IDLE_LIMIT = 2 * 3600.0

    def __init__(
        self,
        executor: Executor,
        wire: WireLog,
        host_name: str,
        max_shells: int = 64,
        max_stdin: int = 256 * 1024 * 1024,
        receive_wait_max: float = 20.0,
        endpoint: str = "",
    ) -> None:
        self.executor = executor
        self.wire = wire
        self.host_name = host_name
        self.max_shells = max_shells
        self.max_stdin = max_stdin
        self.receive_wait_max = receive_wait_max
        self.endpoint = endpoint
        self._shells: dict[str, Shell] = {}
        self._lock = threading.Lock()

    # -- dispatch -------------------------------------------------------------------------------
    def handle(self, req: soap.Request) -> tuple[bytes, Attribution]:
        if req.resource_uri and req.resource_uri != soap.SHELL_URI:
            raise soap.WSManFault(
                soap.CODE_ACTION_NOT_SUPPORTED,
                f"The DISM lab host serves only the WinRS resource {soap.SHELL_URI}; "
                f"resource {req.resource_uri!r} is not simulated.",
                subcode="w:DestinationUnreachable",
            )
        handlers: dict[str, Callable[[soap.Request], tuple[bytes, Attribution]]] = {
            soap.ACTION_CREATE: self._create,
            soap.ACTION_DELETE: self._delete,
            soap.ACTION_COMMAND: self._command,
            soap.ACTION_SEND: self._send,
            soap.ACTION_RECEIVE: self._receive,
            soap.ACTION_SIGNAL: self._signal,
        }
        handler = handlers.get(req.action)
        if handler is None:
            raise soap.WSManFault(
                soap.CODE_ACTION_NOT_SUPPORTED,
                f"The DISM lab host does not support the WS-Management action {req.action!r}; "
                "it answers only WinRS Create, Command, Send, Receive, Signal and Delete.",
                subcode="a:ActionNotSupported",
            )
        return handler(req)

    def account(self, target: Attribution, bytes_in: int, bytes_out: int) -> None:
        """Bill one request/response pair and write wire lines that became complete."""
        if target is None:
            return
        with self._lock:
            self._account_locked(target, bytes_in, bytes_out)

    def _account_locked(self, target: Shell | Command, bytes_in: int, bytes_out: int) -> None:
        target.traffic.add(bytes_in, bytes_out)
        if isinstance(target, Command):
            if target.signalled:
                self._log_command(target)
        elif target.deleted:
            for cid in target.command_order:
                self._log_command(target.commands[cid])
            self.wire.write(
                {
                    "kind": "shell",
                    "host": self.host_name,
                    "shell_id": target.id,
                    "commands": list(target.command_order),
                    "soap_requests": target.traffic.requests,
                    "soap_bytes_in": target.traffic.bytes_in,
                    "soap_bytes_out": target.traffic.bytes_out,
                }
            )

    # -- lookups ---------------------------------------------------------------------------------
    def _shell(self, req: soap.Request) -> Shell:
        if not req.shell_id:
            raise soap.WSManFault(
                soap.CODE_INVALID_SELECTORS, "The request has no ShellId selector.", subcode="w:InvalidSelectors"
            )
        with self._lock:
            shell = self._shells.get(req.shell_id)
        if shell is None or shell.deleted:
            raise soap.WSManFault(
                soap.CODE_SHELL_NOT_FOUND,
                f"The request for the Windows Remote Shell with ShellId {req.shell_id} failed because the shell "
                "was not found on the server.",
                subcode="w:InvalidSelectors",
            )
        shell.last_used = time.monotonic()
        return shell

    def _command_of(self, shell: Shell, node: Any, what: str) -> Command:
        cid = node.get("CommandId") if node is not None else None
        cmd = shell.commands.get(cid or "")
        if cmd is None:
            raise soap.WSManFault(
                soap.CODE_COMMAND_FINISHED,
                f"{what}: the command {cid!r} does not exist in shell {shell.id}.",
                subcode="w:InvalidParameter",
            )
        return cmd

    # -- actions ---------------------------------------------------------------------------------
    def _create(self, req: soap.Request) -> tuple[bytes, Attribution]:
        now = time.monotonic()
        with self._lock:
            for sid, old in list(self._shells.items()):
                if old.deleted or now - old.last_used > self.IDLE_LIMIT:
                    del self._shells[sid]
            if len(self._shells) >= self.max_shells:
                raise soap.WSManFault(
                    0x803381A4,
                    f"The DISM lab host allows at most {self.max_shells} open shells; delete one first.",
                    subcode="w:QuotaLimit",
                )
            shell = Shell(id=str(uuid.uuid4()).upper(), codepage=req.options.get("WINRS_CODEPAGE", "437"))
            self._shells[shell.id] = shell
        return soap.create_response(req, shell.id, self.endpoint), shell

    def _delete(self, req: soap.Request) -> tuple[bytes, Attribution]:
        shell = self._shell(req)
        for cmd in shell.commands.values():
            cmd.cancel.set()
        shell.deleted = True
        with self._lock:
            self._shells.pop(shell.id, None)
        return soap.delete_response(req), shell

    def _command(self, req: soap.Request) -> tuple[bytes, Attribution]:
        shell = self._shell(req)
        line = req.find("rsp:CommandLine")
        if line is None:
            raise soap.WSManFault(soap.CODE_INVALID_MESSAGE, "Command request without rsp:CommandLine.")
        command = (line.findtext("rsp:Command", "", soap.NS) or "").strip()
        arguments = " ".join((a.text or "") for a in line.findall("rsp:Arguments", soap.NS)).strip()
        cmd = Command(id=str(uuid.uuid4()).upper(), shell_id=shell.id, cmdline=parse_command_line(command, arguments))
        shell.commands[cmd.id] = cmd
        shell.command_order.append(cmd.id)
        if not cmd.cmdline.is_bootstrap:
            # A raw command does not wait for stdin (Ansible sends none for these).
            self._start(cmd)
        return soap.command_response(req, cmd.id), cmd

    def _send(self, req: soap.Request) -> tuple[bytes, Attribution]:
        shell = self._shell(req)
        stream = req.find("rsp:Send/rsp:Stream")
        cmd = self._command_of(shell, stream, "Send")
        if stream is None or stream.get("Name", "stdin") != "stdin":
            raise soap.WSManFault(soap.CODE_INVALID_MESSAGE, "Send carries only the stdin stream.")
        if cmd.stdin_closed:
            raise soap.WSManFault(soap.CODE_INVALID_MESSAGE, f"stdin of command {cmd.id} is already closed (End=true).")
        try:
            data = base64.b64decode((stream.text or "").strip(), validate=True)
        except ValueError:
            raise soap.WSManFault(soap.CODE_INVALID_MESSAGE, "Send stream is not valid base64.") from None
        if len(cmd.stdin) + len(data) > self.max_stdin:
            raise soap.WSManFault(soap.CODE_INVALID_MESSAGE, f"stdin exceeds the lab limit of {self.max_stdin} bytes.")
        cmd.stdin.extend(data)
        cmd.stdin_sends += 1
        if stream.get("End", "false").lower() == "true":
            cmd.stdin_closed = True
            self._start(cmd)
        return soap.send_response(req), cmd

    def _receive(self, req: soap.Request) -> tuple[bytes, Attribution]:
        shell = self._shell(req)
        cmd = self._command_of(shell, req.find("rsp:Receive/rsp:DesiredStream"), "Receive")
        wait = min(req.operation_timeout or self.receive_wait_max, self.receive_wait_max)
        if cmd.out_pos == 0 and cmd.err_pos == 0 and not cmd.done.wait(timeout=wait):
            # Billed to the command: a fault envelope crosses the wire like any answer.
            raise BilledFault(soap.timeout_fault(), cmd)
        result = cmd.result
        assert result is not None
        budget = RECEIVE_CHUNK
        streams: list[tuple[str, str, bool]] = []
        out = result.stdout[cmd.out_pos : cmd.out_pos + budget]
        cmd.out_pos += len(out)
        budget -= len(out)
        err = result.stderr[cmd.err_pos : cmd.err_pos + budget]
        cmd.err_pos += len(err)
        finished = cmd.out_pos >= len(result.stdout) and cmd.err_pos >= len(result.stderr)
        if out:
            streams.append(("stdout", base64.b64encode(out).decode(), False))
        if err:
            streams.append(("stderr", base64.b64encode(err).decode(), False))
        if finished:
            streams.append(("stdout", "", True))
            streams.append(("stderr", "", True))
        return soap.receive_response(req, cmd.id, streams, result.exit_code if finished else None), cmd

    def _signal(self, req: soap.Request) -> tuple[bytes, Attribution]:
        shell = self._shell(req)
        node = req.find("rsp:Signal")
        cmd = self._command_of(shell, node, "Signal")
        code = (node.findtext("rsp:Code", "", soap.NS) if node is not None else "").strip()
        if code == soap.SIGNAL_TERMINATE:
            cmd.signalled = True
            cmd.cancel.set()
        return soap.signal_response(req), cmd

    # -- execution -------------------------------------------------------------------------------
    def _start(self, cmd: Command) -> None:
        if cmd.started:
            return
        cmd.started = True
        threading.Thread(target=self._run, args=(cmd,), name=f"cmd-{cmd.id[:8]}", daemon=True).start()

    def _run(self, cmd: Command) -> None:
        try:
            cmd.result = self.executor(cmd.cmdline, bytes(cmd.stdin), cmd.cancel)
        except Exception as exc:  # noqa: BLE001 - a host bug must still end the command
            cmd.result = ExecResult(
                b"", f"DISM lab host internal error: {type(exc).__name__}: {exc}\r\n".encode(), 1,
                {"module": "<internal error>", "outcome": "error"},
            )
        cmd.finished = time.monotonic()
        cmd.done.set()

    def _log_command(self, cmd: Command) -> None:
        if cmd.logged:
            return
        cmd.logged = True
        meta = dict(cmd.result.meta) if cmd.result else {"module": _name_of(cmd), "outcome": "not-finished"}
        record: dict[str, Any] = {
            "kind": "command",
            "host": self.host_name,
            "shell_id": cmd.shell_id,
            "command_id": cmd.id,
            "module": meta.pop("module", None),
            "outcome": meta.pop("outcome", None),
            "exit_code": cmd.result.exit_code if cmd.result else None,
            "stdin_bytes": len(cmd.stdin),
            "stdin_sends": cmd.stdin_sends,
            "soap_requests": cmd.traffic.requests,
            "soap_bytes_in": cmd.traffic.bytes_in,
            "soap_bytes_out": cmd.traffic.bytes_out,
            "stdout_bytes": len(cmd.result.stdout) if cmd.result else 0,
            "stderr_bytes": len(cmd.result.stderr) if cmd.result else 0,
            "csharp_utils": meta.pop("csharp_utils", []),
            "helper_compiles": meta.pop("helper_compiles", 0),
            "duration_ms": round(((cmd.finished or time.monotonic()) - cmd.created) * 1000),
        }
        record.update(meta)
        self.wire.write(record)


def _name_of(cmd: Command) -> str:
    """The module name of a command that never finished (terminated or its shell deleted)."""
    if not cmd.cmdline.is_bootstrap:
        return "raw: " + cmd.cmdline.summary()
    try:
        return parse_stdin(bytes(cmd.stdin)).module_name
    except PayloadError:
        return "<incomplete exec-wrapper input>"


class BilledFault(soap.WSManFault):
    """A fault answer that still belongs to a command's traffic."""

    def __init__(self, fault: soap.WSManFault, target: Attribution) -> None:
        super().__init__(fault.code, fault.reason, fault.subcode)
        self.target = target
