"""dism_image_mount end to end against lab hosts: real ansible-playbook over WinRM, the C# helper
under Mono, the DISM simulator's mount model."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

pytestmark = pytest.mark.lab

WIM = "C:\\images\\win11.wim"
LOG = "%WINDIR%\\Logs\\DISM\\dism.log"


def sha(lab, path):
    return hashlib.sha256(lab.windows_path("win1", path).read_bytes()).hexdigest()


def wim_files(lab, wim, index):
    out = subprocess.run(["wimlib-imagex", "dir", str(lab.windows_path("win1", wim)), str(index)],
                         check=True, capture_output=True, text=True).stdout
    return set(out.split())


def mount_task(title="mount", **args):
    lines = ["- name: %s" % title, "  winimaging.dism.dism_image_mount:"]
    for key, value in args.items():
        if isinstance(value, bool):
            value = str(value).lower()
        lines.append("    %s: %s" % (key, value if not isinstance(value, str) or value in ("true", "false") else "'%s'" % value))
    lines.append("  ignore_errors: true")
    return "\n".join(lines)


def play(lab, tmp_path, *tasks, check=False, diff=False):
    return lab.playbook("\n".join(tasks), tmp_path, check=check, diff=diff)


def mounts(lab, tmp_path):
    run = play(lab, tmp_path, "- name: mounts\n  winimaging.dism.dism_image_info:")
    return run.task("mounts").result["mounted_images"]


def test_check_mode_predicts_and_touches_nothing(lab, host, tmp_path):
    run = play(lab, tmp_path, mount_task(image_path=WIM, index=2, path="C:\\mount\\w11"), check=True, diff=True)
    res = run.task("mount").result
    assert res["changed"] is True and res.get("failed") is not True
    assert res["mount"] == {"path": "C:\\mount\\w11", "image_path": WIM, "index": 2, "name": "Windows 11 Enterprise",
                            "read_only": False, "status": "ok"}
    assert res["actions"] == ["created folder", "mounted"]
    assert res["diff"]["before"] == {"mounted_images": []}
    assert [m["path"] for m in res["diff"]["after"]["mounted_images"]] == ["C:\\mount\\w11"]
    assert mounts(lab, tmp_path) == []
    assert not lab.windows_path(host, "C:\\mount\\w11").exists()


def test_mount_then_rerun_is_unchanged(lab, host, tmp_path):
    task = mount_task(image_path=WIM, name="windows 11 pro", path="C:\\mount\\w11")
    first = play(lab, tmp_path, task).task("mount").result
    assert first["changed"] is True and first["actions"] == ["created folder", "mounted"]
    assert first["mount"] == {"path": "C:\\mount\\w11", "image_path": WIM, "index": 1, "name": "Windows 11 Pro",
                              "read_only": False, "status": "ok"}
    assert lab.windows_path(host, "C:\\mount\\w11\\Windows\\System32").is_dir()
    second = play(lab, tmp_path, task).task("mount").result
    assert second["changed"] is False and second["actions"] == []
    assert [(m["path"], m["index"], m["status"]) for m in mounts(lab, tmp_path)] == [("C:\\mount\\w11", 1, "ok")]


def test_commit_keeps_a_written_file_and_unmount_rerun_is_unchanged(lab, host, tmp_path):
    play(lab, tmp_path, mount_task(image_path=WIM, index=3, path="C:\\mount\\w11"))
    (lab.windows_path(host, "C:\\mount\\w11") / "serviced.txt").write_text("serviced by ansible\n")
    unmount = mount_task("unmount", path="C:\\mount\\w11", state="unmounted", commit=True)
    res = play(lab, tmp_path, unmount).task("unmount").result
    assert res["changed"] is True and res["actions"] == ["committed", "unmounted"] and res["mount"] is None
    assert "/serviced.txt" in wim_files(lab, WIM, 3)
    assert mounts(lab, tmp_path) == []
    assert play(lab, tmp_path, unmount).task("unmount").result["changed"] is False


def test_discard_drops_the_change_and_leaves_the_wim_as_it_was(lab, host, tmp_path):
    before = sha(lab, WIM)
    play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\mount\\w11"))
    (lab.windows_path(host, "C:\\mount\\w11") / "scratch.txt").write_text("throw me away\n")
    res = play(lab, tmp_path, mount_task("unmount", path="C:\\mount\\w11", state="unmounted", commit=False)).task("unmount").result
    assert res["actions"] == ["discarded", "unmounted"]
    assert sha(lab, WIM) == before
    assert "/scratch.txt" not in wim_files(lab, WIM, 1)


def test_append_adds_an_index(lab, host, tmp_path):
    play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\mount\\w11"))
    (lab.windows_path(host, "C:\\mount\\w11") / "appended.txt").write_text("new index\n")
    res = play(lab, tmp_path, mount_task("unmount", path="C:\\mount\\w11", state="unmounted", commit=True, append=True)).task("unmount").result
    assert res["actions"] == ["committed as a new index", "unmounted"]
    info = play(lab, tmp_path, "- name: info\n  winimaging.dism.dism_image_info:\n    image_path: '%s'" % WIM).task("info").result
    assert [i["index"] for i in info["images"]] == [1, 2, 3, 4]
    assert "/appended.txt" in wim_files(lab, WIM, 4) and "/appended.txt" not in wim_files(lab, WIM, 1)


def test_committed_state_saves_without_unmounting(lab, host, tmp_path):
    play(lab, tmp_path, mount_task(image_path=WIM, index=2, path="C:\\mount\\w11"))
    (lab.windows_path(host, "C:\\mount\\w11") / "saved.txt").write_text("saved\n")
    res = play(lab, tmp_path, mount_task("save", path="C:\\mount\\w11", state="committed")).task("save").result
    assert res["changed"] is True and res["actions"] == ["committed"] and res["mount"]["status"] == "ok"
    assert "/saved.txt" in wim_files(lab, WIM, 2)
    assert [m["path"] for m in mounts(lab, tmp_path)] == ["C:\\mount\\w11"]


def test_read_only_mount_and_its_refusals(lab, host, tmp_path):
    run = play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\mount\\ro", read_only=True),
               mount_task("commit ro", path="C:\\mount\\ro", state="unmounted", commit=True),
               mount_task("save ro", path="C:\\mount\\ro", state="committed"))
    assert run.task("mount").result["mount"]["read_only"] is True
    assert run.task("commit ro").result["msg"] == (
        "Unmounting 'C:\\mount\\ro': 'C:\\mount\\ro' is mounted read-only, so there is nothing to commit; set commit=false.")
    assert run.task("save ro").result["msg"] == (
        "Committing the changes of 'C:\\mount\\ro': 'C:\\mount\\ro' is mounted read-only, so there is nothing to commit.")
    res = play(lab, tmp_path, mount_task("unmount ro", path="C:\\mount\\ro", state="unmounted")).task("unmount ro").result
    assert res["actions"] == ["discarded", "unmounted"]


def test_simulated_reboot_needs_remount_and_gets_it(lab, host, tmp_path):
    task = mount_task(image_path=WIM, index=1, path="C:\\mount\\w11")
    play(lab, tmp_path, task)
    lab.labctl("reboot", host)
    assert [m["status"] for m in mounts(lab, tmp_path)] == ["needs_remount"]
    res = play(lab, tmp_path, task).task("mount").result
    assert res["changed"] is True and res["actions"] == ["remounted"] and res["mount"]["status"] == "ok"
    assert [m["status"] for m in mounts(lab, tmp_path)] == ["ok"]


def test_invalid_mount_fails_with_recovery_or_recovers_on_opt_in(lab, host, tmp_path):
    task = mount_task(image_path=WIM, index=1, path="C:\\mount\\w11")
    play(lab, tmp_path, task)
    lab.labctl("invalidate", host, "C:\\mount\\w11")
    res = play(lab, tmp_path, task).task("mount").result
    assert res["failed"] is True
    assert res["msg"] == (
        "Mounting index 1 of 'C:\\images\\win11.wim' at 'C:\\mount\\w11': the mount at 'C:\\mount\\w11' of"
        " 'C:\\images\\win11.wim' index 1 (read-write, status invalid) is invalid (broken) and cannot be serviced. Its"
        " uncommitted changes cannot be saved; to discard them, clean up and mount again, set discard_invalid=true (or run"
        " dism.exe /Unmount-Image /Discard then /Cleanup-Mountpoints).")
    assert [m["status"] for m in mounts(lab, tmp_path)] == ["invalid"]
    res = play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\mount\\w11", discard_invalid=True)).task("mount").result
    assert res["changed"] is True and res["actions"] == ["discarded invalid mount", "mounted"]
    assert [m["status"] for m in mounts(lab, tmp_path)] == ["ok"]


@pytest.mark.parametrize("args, message", [
    ({"image_path": "C:\\images\\nope.wim", "index": 1},
     "Mounting index 1 of 'C:\\images\\nope.wim' at 'C:\\mount\\x': DismGetImageInfo failed with 0x80070002 ERROR_FILE_NOT_FOUND."
     " DISM says: The system cannot find the file specified. (C:\\images\\nope.wim). Hint: Check the path on the managed host"
     " (paths are resolved on the Windows host, not the controller). DISM log: " + LOG + "."),
    ({"image_path": WIM, "index": 7},
     "Mounting index 7 of 'C:\\images\\win11.wim' at 'C:\\mount\\x': index 7 does not exist; the image file has"
     " 1 'Windows 11 Pro', 2 'Windows 11 Enterprise', 3 'Windows 11 Education'."),
    ({"image_path": WIM, "name": "Windows 11 Home"},
     "Mounting image 'Windows 11 Home' of 'C:\\images\\win11.wim' at 'C:\\mount\\x': there is no image named 'Windows 11 Home';"
     " the image file has 1 'Windows 11 Pro', 2 'Windows 11 Enterprise', 3 'Windows 11 Education'."),
    ({"path": "C:\\mount\\x", "state": "unmounted"}, None),  # nothing mounted: fine, unchanged
])
def test_bad_inputs_name_the_problem(lab, host, tmp_path, args, message):
    args = dict({"path": "C:\\mount\\x"}, **args)
    res = play(lab, tmp_path, mount_task(**args)).task("mount").result
    if message is None:
        assert res["changed"] is False and res.get("failed") is not True
    else:
        assert res["failed"] is True and res["msg"] == message
    assert mounts(lab, tmp_path) == []


def test_non_empty_folder_is_refused_and_left_alone(lab, host, tmp_path):
    folder = lab.windows_path(host, "C:\\work")
    folder.mkdir(parents=True)
    (folder / "keep.txt").write_text("mine\n")
    res = play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\work")).task("mount").result
    assert res["msg"] == ("Mounting index 1 of 'C:\\images\\win11.wim' at 'C:\\work': 'C:\\work' is not empty and is not a"
                          " DISM mount; DISM mounts only into an empty folder.")
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]


def test_folder_used_by_another_image_and_second_writer_are_refused(lab, host, tmp_path):
    play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\mount\\a"))
    run = play(lab, tmp_path,
               mount_task("other image", image_path="C:\\images\\server2022.wim", index=1, path="C:\\mount\\a"),
               mount_task("second writer", image_path=WIM, index=1, path="C:\\mount\\b"),
               mount_task("reader", image_path=WIM, index=1, path="C:\\mount\\c", read_only=True))
    assert run.task("other image").result["msg"] == (
        "Mounting index 1 of 'C:\\images\\server2022.wim' at 'C:\\mount\\a': 'C:\\mount\\a' already holds"
        " 'C:\\images\\win11.wim' index 1 (read-write, status ok). Unmount it first (dism_image_mount state=unmounted with"
        " commit) or use another folder.")
    assert run.task("second writer").result["msg"] == (
        "Mounting index 1 of 'C:\\images\\win11.wim' at 'C:\\mount\\b': index 1 of 'C:\\images\\win11.wim' is already mounted"
        " read-write at 'C:\\mount\\a' (status ok); DISM allows one read-write mount per image. Unmount it there, use that"
        " folder, or mount read-only.")
    assert run.task("reader").result["changed"] is True
    assert sorted(m["path"] for m in mounts(lab, tmp_path)) == ["C:\\mount\\a", "C:\\mount\\c"]


def test_unmount_without_commit_is_refused(lab, host, tmp_path):
    play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\mount\\w11"))
    res = play(lab, tmp_path, mount_task("unmount", path="C:\\mount\\w11", state="unmounted")).task("unmount").result
    assert res["msg"] == (
        "Unmounting 'C:\\mount\\w11': 'C:\\mount\\w11' holds 'C:\\images\\win11.wim' index 1 (read-write, status ok). Set"
        " commit=true to save its changes into the image file, or commit=false to discard them; this module never picks"
        " one for you.")
    assert [m["path"] for m in mounts(lab, tmp_path)] == ["C:\\mount\\w11"]


def test_failed_commit_keeps_the_mount_and_the_wim(lab, host, tmp_path):
    before = sha(lab, WIM)
    play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\mount\\w11"))
    (lab.windows_path(host, "C:\\mount\\w11") / "precious.txt").write_text("do not lose me\n")
    lab.fault(host, "DismUnmountImage:write", 1, "0x80070070", "There is not enough space on the disk.")
    res = play(lab, tmp_path, mount_task("unmount", path="C:\\mount\\w11", state="unmounted", commit=True)).task("unmount").result
    assert res["failed"] is True
    assert res["msg"] == (
        "Unmounting 'C:\\mount\\w11': DismUnmountImage failed with 0x80070070 ERROR_DISK_FULL. DISM says: There is not"
        " enough space on the disk. Hint: Free space on the image volume and in 'scratch_directory'. DISM log: " + LOG + "."
        " The mount at 'C:\\mount\\w11' and its changes were kept; nothing was discarded.")
    assert sha(lab, WIM) == before
    assert (lab.windows_path(host, "C:\\mount\\w11") / "precious.txt").read_text() == "do not lose me\n"
    assert [m["status"] for m in mounts(lab, tmp_path)] == ["ok"]


def test_open_files_block_the_unmount_with_a_hint(lab, host, tmp_path):
    play(lab, tmp_path, mount_task(image_path=WIM, index=1, path="C:\\mount\\w11"))
    lab.labctl("open-file", host, "C:\\mount\\w11\\Windows\\System32\\config\\SOFTWARE")
    res = play(lab, tmp_path, mount_task("unmount", path="C:\\mount\\w11", state="unmounted", commit=True)).task("unmount").result
    assert res["failed"] is True and res["hresult"] == "0xC1420117"
    assert "Hint: Close Explorer windows, shells, antivirus scans and loaded registry hives that use the mount folder" in res["msg"]
    assert res["msg"].endswith("then run the task again with commit=false to finish the unmount.")
    assert [m["path"] for m in mounts(lab, tmp_path)] == ["C:\\mount\\w11"]
