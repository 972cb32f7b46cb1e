from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostlab_support import RunningHost, start_host  # noqa: E402


@pytest.fixture
def host(tmp_path: Path) -> Iterator[RunningHost]:
    running = start_host(tmp_path)
    yield running
    running.server.shutdown()
    running.server.server_close()
