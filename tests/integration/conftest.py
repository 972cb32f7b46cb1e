from __future__ import annotations

import pytest

from lablib import Lab, start_lab, stop_lab


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    """Two simulated Windows hosts (win1, win2) for the whole session; each test resets what it dirties."""
    base = tmp_path_factory.mktemp("dism-lab")
    try:
        yield start_lab(base, hosts=2)
    finally:
        stop_lab(base)


@pytest.fixture
def host(lab: Lab):
    """win1 with a fresh lab root for every test (mounts, faults, knobs, images as built)."""
    lab.labctl("reset", "win1")
    yield "win1"
    lab.labctl("slow", "win1", "off")
