"""DismGetMountedImageInfo and the machine-wide mount registry."""

from __future__ import annotations

import pytest

import dismlab as d

pytestmark = pytest.mark.lab


def register(lab, mount_id: str, **values) -> None:
    folder = lab.root / "state" / "mounts"
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{k}={v}\n" for k, v in values.items())
    (folder / f"{mount_id}.mount").write_text(text, encoding="utf-8")


def test_no_mounts_is_null_and_zero(initialized, dism):
    hr, ptr, count, entries = dism.mounted_images()
    assert (hr, ptr, count, entries) == (d.S_OK, None, 0, [])


def test_registry_entries_come_back_as_windows_paths(initialized, dism):
    lab = initialized
    register(lab, "a", mount_path=r"C:\mount\one", image_path=r"C:\images\win11.wim", image_index=2,
             mount_mode="readonly", status="ok")
    register(lab, "b", mount_path=str(lab.drive() / "mount" / "tw\u00f6"),
             image_path=str(lab.drive() / "images" / "disk.vhdx"), image_index=1, mount_mode="readwrite",
             status="invalid")
    (lab.root / "state" / "mounts" / "junk.txt").write_text("ignored")
    hr, ptr, count, entries = dism.mounted_images()
    assert hr == d.S_OK and ptr and count == 2
    assert entries == [
        {"mount_path": r"C:\mount\one", "image_path": r"C:\images\win11.wim", "index": 2, "mode": 1, "status": 0},
        {"mount_path": "C:\\mount\\tw\u00f6", "image_path": r"C:\images\disk.vhdx", "index": 1, "mode": 0,
         "status": 2},
    ]


def test_mounts_need_remount_after_a_reboot(initialized, dism):
    lab = initialized
    (lab.root / "state").mkdir(exist_ok=True)
    (lab.root / "state" / "boot-id").write_text("boot-1\n")
    register(lab, "a", mount_path=r"C:\mount\one", image_path=r"C:\images\win11.wim", image_index=1,
             mount_mode="readwrite", status="ok", boot_id="boot-1")
    assert dism.mounted_images()[3][0]["status"] == 0
    lab.windows_tree(lab.drive() / "mount" / "one")
    hr, sid = dism.open_session(r"C:\mount\one")
    assert hr == d.S_OK
    dism.close_session(sid)
    (lab.root / "state" / "boot-id").write_text("boot-2\n")
    assert dism.mounted_images()[3][0]["status"] == 1
    assert dism.open_session(r"C:\MOUNT\one")[0] == d.DISMAPI_E_NEEDS_REMOUNT
