"""Identical tasks started at the same moment converge: one changes the image, the others report ok."""

from __future__ import annotations

import threading

import pytest

from lablib import PlaybookRun, module_task as task

pytestmark = pytest.mark.lab

WIM = "C:\\images\\win11.wim"


@pytest.fixture
def host(lab):
    lab.labctl("reset", "win1")
    yield "win1"
    lab.labctl("slow", "win1", "off")


def at_once(lab, tmp_path, tasks: str, count: int = 2) -> list[dict]:
    runs: list[PlaybookRun | None] = [None] * count
    barrier = threading.Barrier(count)

    def one(i: int) -> None:
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        barrier.wait()
        runs[i] = lab.playbook(tasks, folder)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return [run.task("t").result for run in runs if run is not None]


def test_two_identical_mounts_at_once_converge(lab, host, tmp_path):
    # A slow DismMountImage keeps the first mount in flight while the second task applies.
    lab.labctl("slow", host, "150")
    results = at_once(lab, tmp_path, task("dism_image_mount", "t", image_path=WIM, index=1, path="C:\\mount\\same"))
    assert len(results) == 2
    assert [r.get("failed", False) for r in results] == [False, False], [r.get("msg") for r in results]
    assert sorted(r["changed"] for r in results) == [False, True]
    assert all(r["mount"]["path"] == "C:\\mount\\same" and r["mount"]["index"] == 1 for r in results)
    lab.labctl("slow", host, "off")
    discard = task("dism_image_mount", "discard", path="C:\\mount\\same", state="unmounted", commit=False)
    assert lab.playbook(discard, tmp_path).task("discard").result["changed"] is True


def test_two_identical_feature_changes_at_once_converge(lab, host, tmp_path):
    lab.labctl("slow", host, "150")
    results = at_once(lab, tmp_path, task("dism_feature", "t", name=["TelnetClient"]))
    assert [r.get("failed", False) for r in results] == [False, False], [r.get("msg") for r in results]
    assert sorted(r["changed"] for r in results) == [False, True]
    assert all(r["features"][0]["state_after"] == "enabled" for r in results)
