"""Wire accounting: one JSON line per command (and one per shell) in <lab root>/lab/wire.jsonl.

What is counted (bytes are HTTP request/response *bodies*, i.e. SOAP envelopes, as they cross
the socket; HTTP headers are not counted):

* kind "command": every envelope that names the command, from its ``Command`` request through
  each ``Send``, each ``Receive`` (including OperationTimeout faults while it runs) to the
  ``Signal`` that ends it.  ``stdin_bytes`` is the decoded stdin stream length (the exec-wrapper
  payload), ``stdin_sends`` the number of ``Send`` messages.  The line is written when the command
  is signalled, or when its shell is deleted without a signal.
* kind "shell": the shell's own envelopes (``Create`` and ``Delete``) and the ids of the commands
  it ran, written at ``Delete``.  A task costs its command lines plus its shell line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from pathlib import Path
from typing import Any


@dataclasses.dataclass
class Traffic:
    requests: int = 0
    bytes_in: int = 0
    bytes_out: int = 0

    def add(self, bytes_in: int, bytes_out: int) -> None:
        self.requests += 1
        self.bytes_in += bytes_in
        self.bytes_out += bytes_out


class WireLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        record = {"ts": round(time.time(), 3), **record}
        line = json.dumps(record, sort_keys=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
