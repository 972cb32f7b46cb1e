"""Identical tasks started at the same moment converge: one changes the image, the others report ok."""

from __future__ import annotations

import pytest

from lablib import at_once, module_task as task

pytestmark = pytest.mark.lab

WIM = "C:\\images\\win11.wim"


def results_at_once(lab, tmp_path, tasks: str) -> list[dict]:
    return [run.task("t").result for run in at_once(lab, tmp_path, tasks, 2)]


def test_two_identical_mounts_at_once_converge(lab, host, tmp_path):
    # A slow DismMountImage keeps the first mount in flight while the second task applies.
    lab.labctl("slow", host, "150")
    results = results_at_once(lab, tmp_path, task("dism_image_mount", "t", image_path=WIM, index=1, path="C:\\mount\\same"))
    assert len(results) == 2
    assert [r.get("failed", False) for r in results] == [False, False], [r.get("msg") for r in results]
    assert sorted(r["changed"] for r in results) == [False, True]
    assert all(r["mount"]["path"] == "C:\\mount\\same" and r["mount"]["index"] == 1 for r in results)
    lab.labctl("slow", host, "off")
    discard = task("dism_image_mount", "discard", path="C:\\mount\\same", state="unmounted", commit=False)
    assert lab.playbook(discard, tmp_path).task("discard").result["changed"] is True


def test_two_identical_feature_changes_at_once_converge(lab, host, tmp_path):
    lab.labctl("slow", host, "150")
    results = results_at_once(lab, tmp_path, task("dism_feature", "t", name=["TelnetClient"]))
    assert [r.get("failed", False) for r in results] == [False, False], [r.get("msg") for r in results]
    assert sorted(r["changed"] for r in results) == [False, True]
    assert all(r["features"][0]["state_after"] == "enabled" for r in results)
