"""Fixtures for the DISM lab's own tests: build the libraries, build image fixtures, give each
test a fresh simulated host ($DISM_LAB_ROOT) and leave the process uninitialized afterwards."""

from __future__ import annotations

import importlib.util
import pathlib
import shutil
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import dismlab  # noqa: E402  pylint: disable=wrong-import-position

FIXTURES_SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "build_images.py"


def _load_fixture_builder():
    spec = importlib.util.spec_from_file_location("lab_build_images", FIXTURES_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def builder():
    return _load_fixture_builder()


@pytest.fixture(scope="session")
def images_dir(tmp_path_factory, builder) -> pathlib.Path:
    out = tmp_path_factory.mktemp("images")
    builder.build_images(out)
    return out


@pytest.fixture(scope="session")
def dism() -> dismlab.Dism:
    dismlab.build()
    return dismlab.Dism()


class Lab:
    """One simulated host: $DISM_LAB_ROOT with a running Windows on C: and the images in C:\\images."""

    def __init__(self, root: pathlib.Path):
        self.root = root

    def drive(self, letter: str = "C") -> pathlib.Path:
        return self.root / "drives" / letter

    def faults(self, *rules: str) -> None:
        path = self.root / "lab" / "faults"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(rules) + "\n", encoding="utf-8")

    def windows_tree(self, lab_dir: pathlib.Path, windows: str = "Windows") -> pathlib.Path:
        (lab_dir / windows / "System32" / "config").mkdir(parents=True, exist_ok=True)
        return lab_dir


@pytest.fixture
def lab(tmp_path, monkeypatch, dism, builder, images_dir) -> Lab:
    root = tmp_path / "host"
    builder.build_online_root(root)
    shutil.copytree(images_dir, root / "drives" / "C" / "images")
    for name in ("DISM_LAB_CWD", "DISM_LAB_PROGRESS_DELAY_MS", "DISM_LAB_SYSTEM_DRIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISM_LAB_ROOT", str(root))
    yield Lab(root)
    dism.reset()


@pytest.fixture
def initialized(lab, dism) -> Lab:
    assert dism.initialize() == dismlab.S_OK
    return lab
