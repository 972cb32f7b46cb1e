"""DISM's mounting rules: DismMountImage, DismUnmountImage, DismCommitImage, DismRemountImage,
DismCleanupMountpoints, mount statuses, and the lab knobs that drive them (dism-api.md 2.2, 5.4, 6.9)."""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

WIN11 = r"C:\images\win11.wim"
MOUNT = r"C:\mount\one"


def folder(lab, rel: str = "mount/one") -> pathlib.Path:
    path = lab.drive() / rel
    path.mkdir(parents=True, exist_ok=True)
    return path


def wim_paths(path: pathlib.Path, index: int) -> set[str]:
    out = subprocess.run(["wimlib-imagex", "dir", str(path), str(index)], capture_output=True, text=True,
                         check=True).stdout
    return set(out.splitlines())


def wim_attributes(path: pathlib.Path) -> str:
    out = subprocess.run(["wimlib-imagex", "info", str(path)], capture_output=True, text=True, check=True).stdout
    return next(line for line in out.splitlines() if line.startswith("Attributes:"))


def registry(lab) -> list[pathlib.Path]:
    return sorted((lab.root / "state" / "mounts").glob("*.mount"))


def set_registry_value(entry: pathlib.Path, key: str, value: str) -> None:
    lines = [f"{key}={value}" if line.startswith(key + "=") else line
             for line in entry.read_text().splitlines()]
    entry.write_text("\n".join(lines) + "\n")


@pytest.fixture
def wim(initialized) -> pathlib.Path:
    return initialized.drive() / "images" / "win11.wim"


@pytest.fixture
def mounted(initialized, dism, wim):
    """win11.wim index 2 (Enterprise) mounted read-write at C:\\mount\\one."""
    target = folder(initialized)
    assert dism.mount(WIN11, MOUNT, 2)[0] == d.S_OK
    return target


# ---- mount ----------------------------------------------------------------------------------------

def test_mount_extracts_the_image_and_registers_it(initialized, dism):
    target = folder(initialized)
    hr, calls = dism.mount(r"c:\IMAGES\Win11.WIM", "c:\\MOUNT\\One\\", 2, flags=d.DISM_MOUNT_OPTIMIZE)
    assert hr == d.S_OK
    assert (target / "Windows" / "System32" / "lab-edition.txt").read_text() == "Enterprise\n"
    assert (target / "Program Files" / "Windows Defender" / "MsMpEng.exe").is_file()
    hr, _array, count, entries = dism.mounted_images()
    assert (hr, count) == (d.S_OK, 1)
    assert entries == [{"mount_path": MOUNT, "image_path": WIN11, "index": 2, "mode": 0, "status": 0}]
    text = registry(initialized)[0].read_text()
    assert "optimize=1\n" in text and "status=ok\n" in text and "boot_id=" in text
    assert calls and calls[-1] == (1000, 1000)
    assert all(cur <= total == 1000 for cur, total in calls)
    assert [call[0] for call in calls] == sorted(call[0] for call in calls)


def test_mount_by_name_ignores_case(initialized, dism):
    target = folder(initialized)
    assert dism.mount(WIN11, MOUNT, 0, name="windows 11 EDUCATION")[0] == d.S_OK
    assert (target / "Windows" / "System32" / "lab-edition.txt").read_text() == "Education\n"
    assert dism.mounted_images()[3][0]["index"] == 3


@pytest.mark.parametrize("index", [0, 4, 99])
def test_invalid_index(initialized, dism, index):
    target = folder(initialized)
    assert dism.mount(WIN11, MOUNT, index)[0] == d.DISMAPI_E_INVALID_IMAGE_INDEX
    assert "3 image(s)" in dism.last_error()[1]
    assert list(target.iterdir()) == [] and registry(initialized) == []


def test_unknown_name(initialized, dism):
    folder(initialized)
    assert dism.mount(WIN11, MOUNT, 0, name="Windows 11 Home")[0] == d.DISMAPI_E_INVALID_IMAGE_NAME
    assert "Windows 11 Home" in dism.last_error()[1]


def test_image_file_rules(initialized, dism):
    lab = initialized
    folder(lab)
    images = lab.drive() / "images"
    assert dism.mount(r"C:\images\missing.wim", MOUNT)[0] == d.E_FILE_NOT_FOUND
    assert dism.mount(r"C:\nowhere\missing.wim", MOUNT)[0] == d.E_PATH_NOT_FOUND
    shutil.copy(images / "win11.wim", images / "win11.esd")
    assert dism.mount(r"C:\images\win11.esd", MOUNT)[0] == d.WIM_E_ESD_NOT_MOUNTABLE
    assert dism.last_error()[1].startswith("An ESD image file cannot be mounted.")
    shutil.copy(images / "win11.wim", images / "win11.swm")
    assert dism.mount(r"C:\images\win11.swm", MOUNT)[0] == d.E_INVALIDARG
    assert dism.mount(r"C:\images", MOUNT)[0] == d.E_ACCESS_DENIED
    assert registry(lab) == []


def test_argument_rules(initialized, dism):
    folder(initialized)
    mount = dism.raw["DismMountImage"]
    assert mount(None, d.wstr(MOUNT), 1, None, 0, 0, None, d.PROGRESS(), None) == d.E_INVALIDARG
    assert mount(d.wstr(WIN11), None, 1, None, 0, 0, None, d.PROGRESS(), None) == d.E_INVALIDARG
    assert mount(d.wstr(WIN11), d.wstr(MOUNT), 0, None, 1, 0, None, d.PROGRESS(), None) == d.E_INVALIDARG
    assert mount(d.wstr(WIN11), d.wstr(MOUNT), 1, None, 2, 0, None, d.PROGRESS(), None) == d.E_INVALIDARG
    assert dism.mount(WIN11, MOUNT, 1, flags=0x8)[0] == d.E_INVALIDARG
    assert "0x8" in dism.last_error()[1]


def test_mount_folder_rules(initialized, dism):
    lab = initialized
    assert dism.mount(WIN11, r"C:\mount\missing")[0] == d.E_PATH_NOT_FOUND
    assert "mount folder does not exist" in dism.last_error()[1]
    folder(lab, "mount")
    (lab.drive() / "mount" / "file").write_text("x")
    assert dism.mount(WIN11, r"C:\mount\file")[0] == d.E_DIRECTORY
    assert dism.mount(WIN11, "C:\\")[0] == d.E_INVALIDARG
    assert dism.mount(WIN11, "D:")[0] == d.E_INVALIDARG
    busy = folder(lab, "mount/busy")
    (busy / "leftover.txt").write_text("x")
    assert dism.mount(WIN11, r"C:\mount\busy")[0] == d.WIM_E_DIR_NOT_EMPTY
    assert sorted(p.name for p in busy.iterdir()) == ["leftover.txt"]
    assert registry(lab) == []


def test_folder_that_already_hosts_a_mount(dism, mounted):
    assert dism.mount(WIN11, MOUNT.upper(), 1, flags=d.DISM_MOUNT_READONLY)[0] == d.WIM_E_DIR_ALREADY_MOUNTED
    assert r"C:\images\win11.wim index 2" in dism.last_error()[1]
    assert len(dism.mounted_images()[3]) == 1


def test_one_read_write_mount_per_image(initialized, dism, mounted):
    lab = initialized
    folder(lab, "mount/two")
    assert dism.mount(r"c:\images\WIN11.wim", r"C:\mount\two", 2)[0] == d.WIM_E_ALREADY_MOUNTED_RW
    assert MOUNT in dism.last_error()[1]
    assert list((lab.drive() / "mount" / "two").iterdir()) == []
    assert dism.mount(WIN11, r"C:\mount\two", 2, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    folder(lab, "mount/three")
    assert dism.mount(WIN11, r"C:\mount\three", 3)[0] == d.S_OK   # another index of the same file
    modes = [(m["mount_path"], m["index"], m["mode"]) for m in dism.mounted_images()[3]]
    assert modes == [(MOUNT, 2, 0), (r"C:\mount\two", 2, 1), (r"C:\mount\three", 3, 0)]


def test_invalid_and_needs_remount_mounts_still_hold_the_writer_slot(initialized, dism, mounted):
    set_registry_value(registry(initialized)[0], "status", "invalid")
    folder(initialized, "mount/two")
    assert dism.mount(WIN11, r"C:\mount\two", 2)[0] == d.WIM_E_ALREADY_MOUNTED_RW


def test_read_write_needs_a_writable_image_file(initialized, dism, wim):
    folder(initialized)
    wim.chmod(0o444)
    assert dism.mount(WIN11, MOUNT, 1)[0] == d.E_ACCESS_DENIED
    assert "DISM_MOUNT_READONLY" in dism.last_error()[1]
    assert dism.mount(WIN11, MOUNT, 1, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK


def test_read_only_mount_cannot_commit(initialized, dism, wim):
    target = folder(initialized)
    assert dism.mount(WIN11, MOUNT, 1, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    before = wim.read_bytes()
    (target / "new.txt").write_text("x")
    assert dism.unmount(MOUNT, 0)[0] == d.WIM_E_READONLY_COMMIT
    assert "read-only" in dism.last_error()[1]
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    assert dism.commit(sid)[0] == d.WIM_E_READONLY_COMMIT
    dism.close_session(sid)
    assert wim.read_bytes() == before and (target / "new.txt").exists()
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK
    assert list(target.iterdir()) == [] and wim.read_bytes() == before


# ---- unmount and commit -------------------------------------------------------------------------

def test_commit_on_unmount_writes_the_folder_into_the_same_index(initialized, dism, wim, mounted):
    before = dism.image_info(WIN11)[1]
    (mounted / "Windows" / "NEWFILE.txt").write_text("added in the lab\n")
    shutil.rmtree(mounted / "Users")
    hr, calls = dism.unmount(MOUNT, 0)
    assert hr == d.S_OK and calls[-1] == (1000, 1000)
    assert list(mounted.iterdir()) == [] and registry(initialized) == []
    assert dism.mounted_images()[2] == 0
    files = wim_paths(wim, 2)
    assert "/Windows/NEWFILE.txt" in files and not any(f.startswith("/Users") for f in files)
    assert "/Windows/NEWFILE.txt" not in wim_paths(wim, 1) and "/Users/Default/NTUSER.DAT" in wim_paths(wim, 1)
    after = dism.image_info(WIN11)[1]
    assert [i["name"] for i in after] == [i["name"] for i in before]
    for key in ("description", "edition_id", "version", "languages", "arch", "installation_type"):
        assert after[1][key] == before[1][key]
    assert after[1]["customized"]["modified"] > before[1]["customized"]["modified"]
    assert after[0]["customized"]["modified"] == before[0]["customized"]["modified"]
    assert not [p for p in wim.parent.iterdir() if "dismlab" in p.name]   # no temporary file left
    # mounting the committed image again shows the change
    assert dism.mount(WIN11, MOUNT, 2, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    assert (mounted / "Windows" / "NEWFILE.txt").read_text() == "added in the lab\n"


def test_discard_drops_the_changes(initialized, dism, wim, mounted):
    before = wim.read_bytes()
    (mounted / "NEWFILE.txt").write_text("x")
    assert dism.unmount("c:\\mount\\ONE", d.DISM_DISCARD_IMAGE)[0] == d.S_OK
    assert wim.read_bytes() == before
    assert list(mounted.iterdir()) == [] and dism.mounted_images()[2] == 0


def test_append_adds_a_new_index_and_leaves_the_original(initialized, dism, wim, mounted):
    (mounted / "NEWFILE.txt").write_text("x")
    assert dism.unmount(MOUNT, d.DISM_COMMIT_APPEND)[0] == d.S_OK
    images = dism.image_info(WIN11)[1]
    assert [i["name"] for i in images] == ["Windows 11 Pro", "Windows 11 Enterprise", "Windows 11 Education",
                                           "Windows 11 Enterprise (4)"]
    assert images[3]["edition_id"] == "Enterprise" and images[3]["languages"] == ["en-US", "de-DE"]
    assert images[3]["description"] == images[1]["description"]
    assert "/NEWFILE.txt" in wim_paths(wim, 4) and "/NEWFILE.txt" not in wim_paths(wim, 2)


def test_generate_integrity_writes_the_table(initialized, dism, wim, mounted):
    assert "Integrity info" not in wim_attributes(wim)
    assert dism.unmount(MOUNT, d.DISM_COMMIT_GENERATE_INTEGRITY)[0] == d.S_OK
    assert "Integrity info" in wim_attributes(wim)
    subprocess.run(["wimlib-imagex", "verify", str(wim)], check=True, capture_output=True)
    # a later plain commit keeps the table the WIM already has
    assert dism.mount(WIN11, MOUNT, 1)[0] == d.S_OK
    assert dism.unmount(MOUNT, 0)[0] == d.S_OK
    assert "Integrity info" in wim_attributes(wim)


def test_check_integrity_on_mount(initialized, dism, wim):
    target = folder(initialized)
    subprocess.run(["wimlib-imagex", "optimize", str(wim), "--check"], check=True, capture_output=True)
    assert dism.mount(WIN11, MOUNT, 1, flags=d.DISM_MOUNT_CHECK_INTEGRITY)[0] == d.S_OK
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK
    data = bytearray(wim.read_bytes())
    at = data.index(b"lab placeholder for the SOFTWARE hive")
    data[at] ^= 0x20
    wim.write_bytes(bytes(data))
    assert dism.mount(WIN11, MOUNT, 1, flags=d.DISM_MOUNT_CHECK_INTEGRITY)[0] == d.E_CRC
    assert "corrupt" in dism.last_error()[1]
    assert list(target.iterdir()) == [] and registry(initialized) == []


def test_unmount_rules(initialized, dism, mounted):
    assert dism.unmount(r"C:\mount\other")[0] == d.DISMAPI_E_UNABLE_TO_UNMOUNT_IMAGE_PATH
    assert dism.unmount(r"C:\images")[0] == d.DISMAPI_E_UNABLE_TO_UNMOUNT_IMAGE_PATH
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE | d.DISM_COMMIT_APPEND)[0] == d.E_INVALIDARG
    assert dism.unmount(MOUNT, 0x4)[0] == d.E_INVALIDARG
    assert dism.raw["DismUnmountImage"](None, 0, None, d.PROGRESS(), None) == d.E_INVALIDARG
    assert len(dism.mounted_images()[3]) == 1


def test_commit_image_keeps_the_mount(initialized, dism, wim, mounted):
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    (mounted / "first.txt").write_text("1")
    hr, calls = dism.commit(sid, 0)
    assert hr == d.S_OK and calls[-1] == (1000, 1000)
    assert "/first.txt" in wim_paths(wim, 2) and (mounted / "first.txt").exists()
    assert dism.mounted_images()[3][0]["status"] == 0
    assert dism.commit(sid, d.DISM_COMMIT_APPEND)[0] == d.S_OK
    assert dism.commit(sid, d.DISM_COMMIT_APPEND)[0] == d.S_OK
    names = [i["name"] for i in dism.image_info(WIN11)[1]]
    assert names[3:] == ["Windows 11 Enterprise (4)", "Windows 11 Enterprise (5)"]
    # DISM_DISCARD_IMAGE through DismCommitImage restores the folder from the image
    (mounted / "second.txt").write_text("2")
    assert dism.commit(sid, d.DISM_DISCARD_IMAGE)[0] == d.S_OK
    assert not (mounted / "second.txt").exists() and (mounted / "first.txt").exists()
    assert dism.commit(sid, 0x4)[0] == d.E_INVALIDARG
    dism.close_session(sid)
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK


def test_commit_image_needs_a_session_on_a_mount(initialized, dism):
    hr, online = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    assert dism.commit(online)[0] == d.E_INVALIDARG
    initialized.windows_tree(initialized.drive() / "applied")
    hr, applied = dism.open_session(r"C:\applied")
    assert hr == d.S_OK
    assert dism.commit(applied)[0] == d.E_INVALIDARG
    assert "not mounted" in dism.last_error()[1]
    assert dism.commit(4242)[0] == d.E_INVALIDARG


@pytest.mark.parametrize("disk", ["disk.vhdx", "disk.vhd"])
def test_vhd_mount_and_commit_round_trip(initialized, dism, disk):
    lab = initialized
    image = rf"C:\images\{disk}"
    path = lab.drive() / "images" / disk
    target = folder(lab)
    assert dism.mount(image, MOUNT, 2)[0] == d.DISMAPI_E_INVALID_IMAGE_INDEX
    assert dism.mount(image, MOUNT, 0, name="Windows Server 2022 Datacenter (Desktop Experience)")[0] \
        == d.E_INVALIDARG
    assert dism.mount(image, MOUNT, 1, flags=d.DISM_MOUNT_CHECK_INTEGRITY)[0] == d.E_INVALIDARG
    assert dism.mount(image, MOUNT, 1)[0] == d.S_OK
    assert (target / "Windows" / "explorer.exe").is_file()
    assert dism.mounted_images()[3][0]["image_path"] == image
    (target / "Windows" / "NEWFILE.txt").write_text("vhd change\n")
    before = path.read_bytes()
    assert dism.unmount(MOUNT, d.DISM_COMMIT_APPEND)[0] == d.E_INVALIDARG
    assert dism.unmount(MOUNT, d.DISM_COMMIT_GENERATE_INTEGRITY)[0] == d.E_INVALIDARG
    assert path.read_bytes() == before
    assert dism.unmount(MOUNT, 0)[0] == d.S_OK
    after = path.read_bytes()
    assert after != before and after[:8] == before[:8] and after[-512:-504] == before[-512:-504]
    hr, images = dism.image_info(image)
    assert hr == d.S_OK and images[0]["type"] == 1 and images[0]["edition_id"] == "ServerDatacenter"
    assert dism.mount(image, MOUNT, 1, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    assert (target / "Windows" / "NEWFILE.txt").read_text() == "vhd change\n"


# ---- statuses, remount, cleanup -------------------------------------------------------------------

def test_reboot_needs_remount_then_remount_makes_it_ok(initialized, dism, wim, mounted):
    d.reboot(initialized)
    assert dism.mounted_images()[3][0]["status"] == 1
    assert dism.open_session(MOUNT)[0] == d.DISMAPI_E_NEEDS_REMOUNT
    before = wim.read_bytes()
    assert dism.unmount(MOUNT, 0)[0] == d.DISMAPI_E_NEEDS_REMOUNT
    assert wim.read_bytes() == before
    assert dism.remount(r"c:\MOUNT\one") == d.S_OK
    assert dism.mounted_images()[3][0]["status"] == 0
    assert "boot_id=boot-2\n" in registry(initialized)[0].read_text()
    assert dism.remount(MOUNT) == d.S_OK          # already Ok: nothing to do
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    dism.close_session(sid)
    assert dism.remount(r"C:\mount\other") == d.DISMAPI_E_UNABLE_TO_UNMOUNT_IMAGE_PATH


def test_needs_remount_can_be_discarded(initialized, dism, mounted):
    d.reboot(initialized)
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK
    assert dism.mounted_images()[2] == 0 and list(mounted.iterdir()) == []


def test_invalid_mounts_and_cleanup(initialized, dism):
    lab = initialized
    for name, index in (("ok", 1), ("bad", 2), ("stale", 3)):
        folder(lab, f"mount/{name}")
        assert dism.mount(WIN11, rf"C:\mount\{name}", index)[0] == d.S_OK
    entries = registry(lab)
    set_registry_value(entries[1], "status", "invalid")
    set_registry_value(entries[2], "boot_id", "an-earlier-boot")
    statuses = [(m["mount_path"], m["status"]) for m in dism.mounted_images()[3]]
    assert statuses == [(r"C:\mount\ok", 0), (r"C:\mount\bad", 2), (r"C:\mount\stale", 1)]
    assert dism.open_session(r"C:\mount\bad")[0] == d.E_FILE_CORRUPT
    assert dism.remount(r"C:\mount\bad") == d.E_FILE_CORRUPT
    assert dism.unmount(r"C:\mount\bad", 0)[0] == d.E_FILE_CORRUPT
    assert "DismCleanupMountpoints" in dism.last_error()[1]
    assert dism.cleanup_mountpoints() == d.S_OK
    statuses = [(m["mount_path"], m["status"]) for m in dism.mounted_images()[3]]
    assert statuses == [(r"C:\mount\ok", 0), (r"C:\mount\stale", 1)]
    assert list((lab.drive() / "mount" / "bad").iterdir()) == []
    assert (lab.drive() / "mount" / "stale" / "Windows").is_dir()
    assert dism.cleanup_mountpoints() == d.S_OK


# ---- sessions, open files, faults, cancel ---------------------------------------------------------

def test_open_session_blocks_unmount_and_remount(initialized, dism, mounted):
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.DISMAPI_E_OPEN_HANDLES_UNABLE_TO_UNMOUNT_IMAGE_PATH
    d.reboot(initialized)   # the session outlives the "reboot" in the lab
    assert dism.remount(MOUNT) == d.DISMAPI_E_OPEN_HANDLES_UNABLE_TO_REMOUNT_IMAGE_PATH
    assert dism.close_session(sid) == d.S_OK
    assert dism.remount(MOUNT) == d.S_OK
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK


def test_session_on_a_folder_blocks_mounting_into_it(initialized, dism):
    lab = initialized
    target = folder(lab)
    lab.windows_tree(target)
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    assert dism.mount(WIN11, MOUNT, 1)[0] == d.DISMAPI_E_OPEN_HANDLES_UNABLE_TO_MOUNT_IMAGE_PATH
    dism.close_session(sid)
    assert dism.mount(WIN11, MOUNT, 1)[0] == d.WIM_E_DIR_NOT_EMPTY


HOLDER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import dismlab
    dism = dismlab.Dism()
    assert dism.initialize() == 0
    hr, sid = dism.open_session({mount!r})
    print(hex(hr), flush=True)
    sys.stdin.readline()
    dism.close_session(sid)
    dism.shutdown()
""")


def hold_session(lab) -> subprocess.Popen:
    code = HOLDER.format(tests=os.path.dirname(os.path.abspath(__file__)), mount=MOUNT)
    env = dict(os.environ, DISM_LAB_ROOT=str(lab.root))
    child = subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout.readline().strip() == "0x0"
    return child


def test_session_of_another_live_process_blocks_unmount(initialized, dism, mounted):
    child = hold_session(initialized)
    try:
        assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.DISMAPI_E_OPEN_HANDLES_UNABLE_TO_UNMOUNT_IMAGE_PATH
        assert dism.remount(MOUNT) == d.DISMAPI_E_OPEN_HANDLES_UNABLE_TO_REMOUNT_IMAGE_PATH
        assert len(list((initialized.root / "state" / "sessions").iterdir())) == 1
    finally:
        child.communicate("\n", timeout=30)
    assert child.returncode == 0
    assert list((initialized.root / "state" / "sessions").iterdir()) == []
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK


def test_session_of_a_dead_process_is_ignored(initialized, dism, mounted):
    child = hold_session(initialized)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert len(list((initialized.root / "state" / "sessions").iterdir())) == 1   # left behind by the crash
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK
    assert list((initialized.root / "state" / "sessions").iterdir()) == []


def test_open_files_make_unmount_fail_and_change_nothing(initialized, dism, wim, mounted):
    (mounted / "NEWFILE.txt").write_text("x")
    before = wim.read_bytes()
    knob = initialized.root / "lab" / "open-files"
    knob.parent.mkdir(exist_ok=True)
    knob.write_text("C:\\images\\win11.wim\nc:\\MOUNT\\one\\windows\\system32\\config\\SOFTWARE\n")
    for flags in (0, d.DISM_DISCARD_IMAGE):
        assert dism.unmount(MOUNT, flags)[0] == d.WIM_E_FILES_OPEN
        assert "files opened within the mount directory" in dism.last_error()[1]
    assert wim.read_bytes() == before
    assert (mounted / "NEWFILE.txt").exists() and (mounted / "Windows" / "System32" / "config" / "SOFTWARE").exists()
    assert dism.mounted_images()[3][0]["status"] == 0
    knob.unlink()
    assert dism.unmount(MOUNT, 0)[0] == d.S_OK
    assert "/NEWFILE.txt" in wim_paths(wim, 2)


@pytest.mark.parametrize("via", ["DismUnmountImage", "DismCommitImage"])
def test_injected_write_failure_keeps_the_mount_and_the_image(initialized, dism, wim, mounted, via):
    initialized.faults(f"{via}:write 1 0x80070070 There is not enough space on the disk (lab).")
    (mounted / "NEWFILE.txt").write_text("x")
    before = wim.read_bytes()
    sid = None
    if via == "DismCommitImage":
        hr, sid = dism.open_session(MOUNT)
        assert hr == d.S_OK
        result = dism.commit(sid, 0)[0]
    else:
        result = dism.unmount(MOUNT, 0)[0]
    assert result == 0x80070070
    assert dism.last_error()[1] == "There is not enough space on the disk (lab)."
    assert wim.read_bytes() == before
    assert (mounted / "NEWFILE.txt").exists() and len(dism.mounted_images()[3]) == 1
    assert not [p for p in wim.parent.iterdir() if "dismlab" in p.name]
    if sid is not None:
        assert dism.commit(sid, 0)[0] == d.S_OK    # the second call is not faulted
        dism.close_session(sid)
    else:
        assert dism.unmount(MOUNT, 0)[0] == d.S_OK
    assert "/NEWFILE.txt" in wim_paths(wim, 2)


def test_cancel_during_mount_leaves_no_mount(initialized, dism):
    target = folder(initialized)
    event = dism.k32.CreateEventW(None, 1, 0, None)
    hr, calls = dism.mount(WIN11, MOUNT, 1, cancel=event, progress=lambda cur, total: dism.k32.SetEvent(event))
    assert hr == d.E_CANCELLED and len(calls) == 1 and calls[0][0] < 1000
    assert list(target.iterdir()) == [] and registry(initialized) == []
    assert dism.mounted_images()[2] == 0
    assert dism.mount(WIN11, MOUNT, 1, cancel=event)[0] == d.E_CANCELLED    # already signalled
    dism.k32.ResetEvent(event)
    assert dism.mount(WIN11, MOUNT, 1, cancel=event)[0] == d.S_OK
    dism.k32.CloseHandle(event)


def test_cancel_during_unmount_leaves_the_mount(initialized, dism, wim, mounted):
    (mounted / "NEWFILE.txt").write_text("x")
    before = wim.read_bytes()
    event = dism.k32.CreateEventW(None, 1, 1, None)
    for flags in (0, d.DISM_DISCARD_IMAGE):
        assert dism.unmount(MOUNT, flags, cancel=event)[0] == d.E_CANCELLED
    assert wim.read_bytes() == before and (mounted / "NEWFILE.txt").exists()
    assert len(dism.mounted_images()[3]) == 1
    dism.k32.CloseHandle(event)


def test_a_crash_during_mount_is_not_recorded(initialized, dism):
    target = folder(initialized)
    initialized.faults("DismMountImage 1 0x80070070")
    assert dism.mount(WIN11, MOUNT, 1)[0] == 0x80070070
    assert list(target.iterdir()) == [] and registry(initialized) == []
