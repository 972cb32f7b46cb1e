"""WS-Management SOAP envelopes: parse what pywinrm sends, build what Windows answers.

Only the WinRS (remote shell) subset is implemented: Create, Command, Send, Receive,
Signal and Delete on the ``windows/shell/cmd`` resource.  Anything else becomes a
wsman fault whose reason says what this lab host does not do.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}

SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
ACTION_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
ACTION_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
ACTION_COMMAND = NS["rsp"] + "/Command"
ACTION_SEND = NS["rsp"] + "/Send"
ACTION_RECEIVE = NS["rsp"] + "/Receive"
ACTION_SIGNAL = NS["rsp"] + "/Signal"
STATE_DONE = NS["rsp"] + "/CommandState/Done"
STATE_RUNNING = NS["rsp"] + "/CommandState/Running"
SIGNAL_TERMINATE = NS["rsp"] + "/signal/terminate"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

# Fault codes Windows uses (pywinrm keys on the first one to retry a Receive).
CODE_OPERATION_TIMEOUT = 2150858793  # 0x80338029 ERROR_WSMAN_OPERATION_TIMEDOUT
CODE_SHELL_NOT_FOUND = 2150858843  # 0x8033805B
CODE_INVALID_SELECTORS = 2150858778  # 0x8033801A
CODE_ACTION_NOT_SUPPORTED = 2150858770  # 0x80338012
CODE_INVALID_MESSAGE = 2150858817  # 0x80338041
CODE_COMMAND_FINISHED = 2150858751  # generic "command no longer exists"

_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)S)?$")


class WSManFault(Exception):
    """A fault to answer with HTTP 500 and a SOAP Fault envelope."""

    def __init__(self, code: int, reason: str, subcode: str = "w:InvalidParameter") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.subcode = subcode


@dataclasses.dataclass
class Request:
    """The parts of a WS-Man request this host looks at."""

    action: str
    resource_uri: str
    message_id: str
    shell_id: str | None
    operation_timeout: float | None
    options: dict[str, str]
    body: ET.Element

    def find(self, path: str) -> ET.Element | None:
        return self.body.find(path, NS)


def parse_request(data: bytes) -> Request:
    """Parse one envelope; raise WSManFault for anything malformed."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise WSManFault(CODE_INVALID_MESSAGE, "DTDs are not accepted by the DISM lab host")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise WSManFault(CODE_INVALID_MESSAGE, f"The request is not well-formed XML: {exc}") from None
    header = root.find("s:Header", NS)
    body = root.find("s:Body", NS)
    if root.tag != f"{{{NS['s']}}}Envelope" or header is None or body is None:
        raise WSManFault(CODE_INVALID_MESSAGE, "The request is not a SOAP 1.2 envelope with Header and Body")

    def text(path: str) -> str:
        node = header.find(path, NS)
        return (node.text or "").strip() if node is not None else ""

    shell_id = None
    for sel in header.findall("w:SelectorSet/w:Selector", NS):
        if sel.get("Name") == "ShellId":
            shell_id = (sel.text or "").strip()
    options = {
        opt.get("Name", ""): (opt.text or "").strip()
        for opt in header.findall("w:OptionSet/w:Option", NS)
    }
    timeout = None
    match = _DURATION.match(text("w:OperationTimeout"))
    if match and match.group(1):
        timeout = float(match.group(1))
    return Request(
        action=text("a:Action"),
        resource_uri=text("w:ResourceURI"),
        message_id=text("a:MessageID"),
        shell_id=shell_id,
        operation_timeout=timeout,
        options=options,
        body=body,
    )


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    header = (
        f"<a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
    )
    xmlns = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    return (
        f'<s:Envelope xml:lang="en-US" {xmlns}>'
        f"<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode("utf-8")


def create_response(req: Request, shell_id: str, address: str) -> bytes:
    body = (
        "<x:ResourceCreated>"
        f"<a:Address>{escape(address)}</a:Address>"
        "<a:ReferenceParameters>"
        f"<w:ResourceURI>{SHELL_URI}</w:ResourceURI>"
        f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
        "</a:ReferenceParameters></x:ResourceCreated>"
        f"<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId>"
        "<rsp:ResourceUri>" + SHELL_URI + "</rsp:ResourceUri>"
        "<rsp:InputStreams>stdin</rsp:InputStreams>"
        "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>"
    )
    return _envelope(ACTION_CREATE + "Response", req.message_id, body)


def delete_response(req: Request) -> bytes:
    return _envelope(ACTION_DELETE + "Response", req.message_id, "")


def command_response(req: Request, command_id: str) -> bytes:
    body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
    return _envelope(ACTION_COMMAND + "Response", req.message_id, body)


def send_response(req: Request) -> bytes:
    return _envelope(ACTION_SEND + "Response", req.message_id, "<rsp:SendResponse/>")


def signal_response(req: Request) -> bytes:
    return _envelope(ACTION_SIGNAL + "Response", req.message_id, "<rsp:SignalResponse/>")


def receive_response(
    req: Request,
    command_id: str,
    streams: list[tuple[str, str, bool]],
    exit_code: int | None,
) -> bytes:
    """streams: (name, base64 text, end) in order; exit_code None means still running."""
    cid = quoteattr(command_id)
    parts = ["<rsp:ReceiveResponse>"]
    for name, b64, end in streams:
        end_attr = ' End="true"' if end else ""
        parts.append(f'<rsp:Stream Name="{name}" CommandId={cid}{end_attr}>{b64}</rsp:Stream>')
    if exit_code is None:
        parts.append(f'<rsp:CommandState CommandId={cid} State="{STATE_RUNNING}"/>')
    else:
        parts.append(
            f'<rsp:CommandState CommandId={cid} State="{STATE_DONE}">'
            f"<rsp:ExitCode>{int(exit_code)}</rsp:ExitCode></rsp:CommandState>"
        )
    parts.append("</rsp:ReceiveResponse>")
    return _envelope(ACTION_RECEIVE + "Response", req.message_id, "".join(parts))


def fault_response(fault: WSManFault, relates_to: str = "", machine: str = "localhost") -> bytes:
    """A SOAP fault shaped like Windows' (pywinrm reads Code, Subcode, Reason, WSManFault@Code)."""
    reason = escape(fault.reason)
    body = (
        "<s:Fault><s:Code><s:Value>s:Receiver</s:Value>"
        f"<s:Subcode><s:Value>{escape(fault.subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        f'<s:Detail><f:WSManFault Code="{fault.code}" Machine={quoteattr(machine)}>'
        f"<f:Message>{reason}</f:Message></f:WSManFault></s:Detail></s:Fault>"
    )
    return _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to or "uuid:" + str(uuid.uuid4()), body)


def timeout_fault() -> WSManFault:
    return WSManFault(
        CODE_OPERATION_TIMEOUT,
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
        subcode="w:TimedOut",
    )
