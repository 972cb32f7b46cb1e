"""The WS-Management HTTP(S) endpoint of one simulated Windows host.

Run: ``PYTHONPATH=tests/lab python -m host --config <host.json>``.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import logging
import signal
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import soap
from .config import HostConfig
from .modules import LabExecutor
from .shells import BilledFault, ShellManager
from .tls import ensure_certificate
from .wire import WireLog

log = logging.getLogger("dismlab.host")


class LabServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, config: HostConfig) -> None:
        config.validate()
        self.config = config
        super().__init__((config.address, config.port), WSManHandler)
        self.port = self.server_address[1]
        self.manager = ShellManager(
            executor=LabExecutor(config),
            wire=WireLog(config.control_dir / "wire.jsonl"),
            host_name=config.name,
            max_shells=config.max_shells,
            max_stdin=config.max_stdin_bytes,
            receive_wait_max=config.receive_wait_max,
            endpoint=f"{config.scheme}://{config.address}:{self.port}/wsman",
        )
        self._expected_auth = "Basic " + base64.b64encode(f"{config.username}:{config.password}".encode()).decode()
        if config.scheme == "https":
            assert config.cert_file and config.key_file
            ensure_certificate(Path(config.cert_file), Path(config.key_file), config.address, config.display_hostname)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(config.cert_file, config.key_file)
            self.socket = ctx.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        if config.port_file:
            Path(config.port_file).write_text(f"{self.port}\n", encoding="ascii")

    def authorized(self, header: str | None) -> bool:
        return header is not None and hmac.compare_digest(header.strip().encode(), self._expected_auth.encode())

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.warning("connection from %s failed: %s", client_address, sys.exc_info()[1])


class WSManHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are dropped after this
    server: LabServer

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def _reply(self, status: int, body: bytes = b"", content_type: str = "application/soap+xml;charset=UTF-8",
               extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        if self.path.split("?", 1)[0].rstrip("/").lower() != "/wsman":
            self.close_connection = True
            self._reply(404, b"not found: the DISM lab host serves /wsman only\n", "text/plain")
            return
        if not self.server.authorized(self.headers.get("Authorization")):
            self.close_connection = True
            self._reply(401, extra={"WWW-Authenticate": 'Basic realm="WSMAN"'})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.close_connection = True
            self._reply(411)
            return
        if length < 0 or length > self.server.config.max_body_bytes:
            self.close_connection = True
            self._reply(413, f"envelope larger than {self.server.config.max_body_bytes} bytes\n".encode(), "text/plain")
            return
        body = self.rfile.read(length)
        if len(body) != length:
            self.close_connection = True
            return
        if not body:
            self._reply(400, b"empty request\n", "text/plain")
            return
        manager = self.server.manager
        relates_to = ""
        target = None
        try:
            req = soap.parse_request(body)
            relates_to = req.message_id
            response, target = manager.handle(req)
            status = 200
        except BilledFault as fault:
            response, target, status = soap.fault_response(fault, relates_to, self.server.config.display_hostname), fault.target, 500
        except soap.WSManFault as fault:
            log.info("fault %s: %s", fault.code, fault.reason)
            response, status = soap.fault_response(fault, relates_to, self.server.config.display_hostname), 500
        # Bill before replying so a client that reads wire.jsonl right after its last call sees it.
        manager.account(target, len(body), len(response))
        self._reply(status, response)

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._reply(405, b"the DISM lab host accepts POST /wsman only\n", "text/plain", {"Allow": "POST"})

    do_GET = do_PUT = do_DELETE = do_HEAD = do_PATCH = _not_allowed  # noqa: N815


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dismlab-host", description=__doc__)
    parser.add_argument("--config", required=True, help="host JSON written by labctl.py")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = HostConfig.load(args.config)
    config.control_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = LabServer(config)
    except (OSError, ValueError) as exc:
        log.error("cannot start %s: %s", config.name, exc)
        return 2
    log.info("%s listening on %s://%s:%d/wsman (lab root %s)", config.name, config.scheme, config.address,
             server.port, config.root)

    def stop(signum: int, _frame: Any) -> None:
        log.info("signal %d: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0
