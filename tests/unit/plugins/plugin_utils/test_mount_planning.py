"""Every branch of dism_image_mount's planning (plugin_utils/_mount.py)."""

from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils._image_info import mount_from_raw
from ansible_collections.winimaging.dism.plugins.plugin_utils._mount import (
    Folder,
    MountRequest,
    plan_mount,
    resolve_index,
    same_path,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import TaskRefused

WIM = "C:\\images\\install.wim"
IMAGES = [{"index": 1, "name": "Standard"}, {"index": 2, "name": "Datacenter"}]
EMPTY = Folder(exists=True, directory=True, empty=True)
MISSING = Folder(exists=False, directory=False, empty=False)
STATUS = {"ok": 0, "needs_remount": 1, "invalid": 2}


def mount(path="C:\\mount", image=WIM, index=2, read_only=False, status="ok"):
    raw = {"mount_path": path, "image_file_path": image, "image_index": index, "mount_mode": 1 if read_only else 0,
           "mount_status": STATUS[status]}
    return dict(mount_from_raw(raw), raw=raw)


def req(**kw):
    base = {"path": "C:\\mount", "state": "mounted", "image_path": WIM, "index": 2}
    base.update(kw)
    return MountRequest(**base)


def ops(plan):
    return [o["op"] for o in plan.operations]


def refused(request, mounts=(), images=None, folder=EMPTY):
    with pytest.raises(TaskRefused) as e:
        plan_mount(request, list(mounts), IMAGES if images is None else images, folder)
    return str(e.value)


# --- paths and image selection -----------------------------------------------------------------

@pytest.mark.parametrize("a, b, same", [
    ("C:\\Mount", "c:\\mount\\", True), ("C:/mount", "C:\\MOUNT", True), ("C:\\mount\\a\\..", "C:\\mount", True),
    ("C:\\mount2", "C:\\mount", False), (None, "C:\\mount", False),
])
def test_same_path_is_windows_semantics(a, b, same):
    assert same_path(a, b) is same


def test_index_by_name_case_insensitive_and_errors():
    assert resolve_index(req(index=None, name="datacenter"), IMAGES)["index"] == 2
    with pytest.raises(TaskRefused, match="index 9 does not exist; the image file has 1 'Standard', 2 'Datacenter'"):
        resolve_index(req(index=9), IMAGES)
    with pytest.raises(TaskRefused, match="there is no image named 'Nano'; the image file has 1 'Standard', 2 'Datacenter'"):
        resolve_index(req(index=None, name="Nano"), IMAGES)
    with pytest.raises(TaskRefused, match="index or name is required to mount a WIM file"):
        resolve_index(req(index=None), IMAGES)


def test_vhd_is_index_1_only():
    vhd = "D:\\vms\\base.vhdx"
    assert resolve_index(req(image_path=vhd, index=None), [{"index": 1, "name": "Disk"}])["index"] == 1
    with pytest.raises(TaskRefused, match="holds one image, index 1; index 2 does not exist"):
        resolve_index(req(image_path=vhd, index=2), [{"index": 1, "name": "Disk"}])
    with pytest.raises(TaskRefused, match="name cannot select an image of a VHD"):
        resolve_index(req(image_path=vhd, index=None, name="Disk"), [{"index": 1, "name": "Disk"}])


# --- state=mounted -------------------------------------------------------------------------------

def test_mount_into_empty_folder():
    plan = plan_mount(req(), [], IMAGES, EMPTY)
    assert plan.changed and ops(plan) == ["get_mounted_images", "mount_image"]
    assert plan.operations[0]["expect_absent"] is True and plan.operations[0]["expect"] == {"mount_path": "C:\\mount"}
    assert plan.operations[1] == {"op": "mount_image", "image_path": WIM, "mount_path": "C:\\mount", "index": 2,
                                  "read_only": False, "optimize": False, "check_integrity": False}
    assert plan.result["mount"] == {"path": "C:\\mount", "image_path": WIM, "index": 2, "name": "Datacenter",
                                    "read_only": False, "status": "ok"}
    assert plan.result["actions"] == ["mounted"]
    assert plan.diff["before"] == {"mounted_images": []}
    assert plan.diff["after"]["mounted_images"][0]["path"] == "C:\\mount"


def test_missing_folder_is_created_first():
    plan = plan_mount(req(), [], IMAGES, MISSING)
    assert ops(plan) == ["get_mounted_images", "create_directory", "mount_image"]
    assert plan.result["actions"] == ["created folder", "mounted"]


def test_same_image_already_mounted_ok_is_unchanged():
    plan = plan_mount(req(path="c:\\MOUNT\\"), [mount()], IMAGES, None)
    assert not plan.changed and plan.operations == []
    assert plan.result["mount"]["path"] == "C:\\mount" and plan.result["mount"]["status"] == "ok"


def test_needs_remount_is_remounted():
    existing = mount(status="needs_remount")
    plan = plan_mount(req(), [existing], IMAGES, None)
    assert ops(plan) == ["get_mounted_images", "remount_image"]
    assert plan.operations[0]["expect"] == existing["raw"] and plan.operations[0]["match"] == "mount_path"
    assert plan.result["actions"] == ["remounted"]
    assert plan.diff["after"]["mounted_images"][0]["status"] == "ok"


def test_invalid_mount_fails_with_recovery_unless_opted_in():
    message = refused(req(), [mount(status="invalid")])
    assert message == (
        "the mount at 'C:\\mount' of 'C:\\images\\install.wim' index 2 (read-write, status invalid) is invalid (broken) and"
        " cannot be serviced. Its uncommitted changes cannot be saved; to discard them, clean up and mount again, set"
        " discard_invalid=true (or run dism.exe /Unmount-Image /Discard then /Cleanup-Mountpoints)"
    )
    plan = plan_mount(req(discard_invalid=True), [mount(status="invalid")], IMAGES, None)
    assert ops(plan) == ["get_mounted_images", "unmount_image", "cleanup_mountpoints", "mount_image"]
    assert plan.operations[1]["commit"] is False
    assert plan.result["actions"] == ["discarded invalid mount", "mounted"]


def test_other_image_at_path_is_refused_and_named():
    message = refused(req(), [mount(image="C:\\images\\other.wim", index=1)])
    assert message == (
        "'C:\\mount' already holds 'C:\\images\\other.wim' index 1 (read-write, status ok). Unmount it first"
        " (dism_image_mount state=unmounted with commit) or use another folder"
    )
    assert "already holds" in refused(req(), [mount(index=1)])


def test_mode_change_needs_an_unmount():
    assert refused(req(read_only=True), [mount()]) == (
        "'C:\\mount' is already mounted read-write; to mount it read-only, unmount it first")


def test_second_read_write_mount_of_the_same_image_is_refused_naming_the_other_folder():
    message = refused(req(), [mount(path="D:\\other")])
    assert message == (
        "index 2 of 'C:\\images\\install.wim' is already mounted read-write at 'D:\\other' (status ok); DISM allows one"
        " read-write mount per image. Unmount it there, use that folder, or mount read-only"
    )
    plan = plan_mount(req(read_only=True), [mount(path="D:\\other")], IMAGES, EMPTY)
    assert ops(plan) == ["get_mounted_images", "mount_image"] and plan.operations[1]["read_only"] is True


def test_folder_must_be_an_empty_folder():
    assert refused(req(), folder=Folder(exists=True, directory=True, empty=False)) == (
        "'C:\\mount' is not empty and is not a DISM mount; DISM mounts only into an empty folder")
    assert refused(req(), folder=Folder(exists=True, directory=False, empty=False)) == "'C:\\mount' exists and is not a folder"


def test_mount_flags_are_passed_through():
    plan = plan_mount(req(optimize=True, check_integrity=True), [], IMAGES, EMPTY)
    assert plan.operations[1]["optimize"] is True and plan.operations[1]["check_integrity"] is True


def test_append_and_read_only_only_where_they_mean_something():
    assert refused(req(append=True)).startswith("append saves a new index when committing")
    assert refused(req(state="unmounted", commit=False, append=True)).startswith("append saves a new index")
    assert refused(req(state="unmounted", read_only=True)).startswith("read_only applies to state=mounted")


# --- state=unmounted -----------------------------------------------------------------------------

def test_nothing_mounted_is_unchanged():
    plan = plan_mount(req(state="unmounted"), [mount(path="D:\\other")], None, None)
    assert not plan.changed and plan.result == {"mount": None, "actions": []}


def test_read_write_unmount_requires_commit():
    assert refused(req(state="unmounted", commit=None), [mount()]) == (
        "'C:\\mount' holds 'C:\\images\\install.wim' index 2 (read-write, status ok). Set commit=true to save its"
        " changes into the image file, or commit=false to discard them; this module never picks one for you"
    )


@pytest.mark.parametrize("commit, append, integrity, action", [
    (True, False, True, "committed"), (True, True, False, "committed as a new index"), (False, False, False, "discarded"),
])
def test_unmount_commit_or_discard(commit, append, integrity, action):
    existing = mount()
    plan = plan_mount(req(state="unmounted", commit=commit, append=append, check_integrity=integrity), [existing], None, None)
    assert ops(plan) == ["get_mounted_images", "unmount_image"]
    assert plan.operations[0]["expect"] == existing["raw"]
    assert plan.operations[1] == {"op": "unmount_image", "mount_path": "C:\\mount", "commit": commit, "append": append,
                                  "check_integrity": integrity}
    assert plan.result == {"mount": None, "actions": [action, "unmounted"]}
    assert plan.diff["after"] == {"mounted_images": []}


def test_read_only_mount_is_discarded_and_cannot_commit():
    plan = plan_mount(req(state="unmounted"), [mount(read_only=True)], None, None)
    assert plan.operations[1]["commit"] is False
    assert refused(req(state="unmounted", commit=True), [mount(read_only=True)]) == (
        "'C:\\mount' is mounted read-only, so there is nothing to commit; set commit=false")


def test_needs_remount_is_remounted_before_a_commit_but_not_before_a_discard():
    assert ops(plan_mount(req(state="unmounted", commit=True), [mount(status="needs_remount")], None, None)) == [
        "get_mounted_images", "remount_image", "unmount_image"]
    assert ops(plan_mount(req(state="unmounted", commit=False), [mount(status="needs_remount")], None, None)) == [
        "get_mounted_images", "unmount_image"]


def test_invalid_mount_is_discarded_and_cleaned_up_but_never_committed():
    plan = plan_mount(req(state="unmounted", commit=False), [mount(status="invalid")], None, None)
    assert ops(plan) == ["get_mounted_images", "unmount_image", "cleanup_mountpoints"]
    assert plan.result["actions"] == ["discarded", "unmounted", "cleaned up"]
    assert refused(req(state="unmounted", commit=True), [mount(status="invalid")]).startswith(
        "the mount at 'C:\\mount' is invalid (broken); its changes cannot be committed")


def test_a_named_image_that_is_not_the_one_mounted_is_left_alone():
    assert refused(req(state="unmounted", commit=True, image_path="C:\\images\\other.wim"), [mount()]) == (
        "'C:\\mount' holds 'C:\\images\\install.wim' index 2 (read-write, status ok), not 'C:\\images\\other.wim';"
        " this task leaves it alone")
    assert refused(req(state="unmounted", commit=True, index=1), [mount()]).endswith("not index 1; this task leaves it alone")


# --- state=committed -----------------------------------------------------------------------------

def test_commit_without_unmount():
    plan = plan_mount(req(state="committed", append=True), [mount()], None, None)
    assert ops(plan) == ["get_mounted_images", "commit_image"]
    assert plan.operations[1] == {"op": "commit_image", "append": True, "check_integrity": False}
    assert plan.changed and plan.result["actions"] == ["committed as a new index"]
    assert plan.result["mount"]["status"] == "ok"


@pytest.mark.parametrize("mounts, message", [
    ([], "nothing is mounted at 'C:\\mount', so there is nothing to commit"),
    ([mount(read_only=True)], "'C:\\mount' is mounted read-only, so there is nothing to commit"),
    ([mount(status="needs_remount")], "the mount at 'C:\\mount' must be remounted before its changes can be committed;"
                                      " run dism_image_mount with state=mounted first"),
    ([mount(status="invalid")], "the mount at 'C:\\mount' is invalid; its changes cannot be committed"),
])
def test_commit_refusals(mounts, message):
    assert refused(req(state="committed"), mounts) == message
