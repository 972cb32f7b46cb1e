# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning for dism_image_mount: current mounts + desired state -> DISM operations.

FOR INTERNAL COLLECTION USE ONLY. Everything here is a pure function of what the
read batch returned; the action plugin only runs the plan.
"""

from __future__ import annotations

import dataclasses
import ntpath
import typing as t

from ._plan import Plan, TaskRefused


@dataclasses.dataclass(frozen=True)
class MountRequest:
    """The task's options that matter for planning."""

    path: str
    state: str
    image_path: str | None = None
    index: int | None = None
    name: str | None = None
    read_only: bool = False
    optimize: bool = False
    check_integrity: bool = False
    commit: bool | None = None
    append: bool = False
    discard_invalid: bool = False

    @classmethod
    def from_options(cls, params: t.Mapping[str, t.Any]) -> "MountRequest":
        return cls(**{k: params[k] for k in cls.__dataclass_fields__})


@dataclasses.dataclass(frozen=True)
class Folder:
    exists: bool
    directory: bool
    empty: bool


def same_path(a: str | None, b: str | None) -> bool:
    """Windows paths compare case-insensitively, with either slash, ignoring a trailing one."""
    if a is None or b is None:
        return False
    return _norm(a) == _norm(b)


def _norm(path: str) -> str:
    return ntpath.normpath(path.replace("/", "\\")).rstrip("\\").casefold()


def mount_at(mounts: list[dict[str, t.Any]], path: str) -> dict[str, t.Any] | None:
    return next((m for m in mounts if same_path(m["path"], path)), None)


def planning_images(images: list[dict[str, t.Any]] | None, mounts: list[dict[str, t.Any]],
                    request: MountRequest) -> list[dict[str, t.Any]] | None:
    """The indexes to plan a mount with: the image file's (None when reading it failed) or the mount table's.

    An image DISM has mounted may not be readable (an attached VHD, a WIM moved away); when the
    mount table shows the requested image at path, the plan is made as if the file had that
    index. None: the read failed and nothing else answers (the read's failure is the task's).
    """
    if images is not None:
        return images
    existing = mount_at(mounts, request.path)
    if existing is not None and request.name is None and same_path(existing["image_path"], request.image_path) and (
            request.index in (None, existing["index"])):
        return [{"index": existing["index"], "name": None}]
    return None


def describe_request(request: MountRequest) -> str:
    """What the task does, in the words that start its failure messages."""
    if request.state == "mounted":
        which = "index %d" % request.index if request.index is not None else (
            "image '%s'" % request.name if request.name is not None else "an image")
        return "Mounting %s of '%s' at '%s'" % (which, request.image_path, request.path)
    if request.state == "unmounted":
        return "Unmounting '%s'" % request.path
    return "Committing the changes of '%s'" % request.path


FILES_OPEN = 0xC1420117


def after_failure_advice(result: dict[str, t.Any], request: MountRequest) -> str:
    """What a failed commit or unmount left behind, in the words a user needs ('' for other failures)."""
    if result.get("dism_function") not in ("DismUnmountImage", "DismCommitImage"):
        return ""
    if int(result.get("hresult", "0"), 16) == FILES_OPEN:
        return (" DISM may already have saved the changes into the image file and partly unmounted '%s'. Close what"
                " holds files open in it, then run the task again with commit=false to finish the unmount%s."
                % (request.path, " (committing again with append=true would add another index)" if request.append else ""))
    if request.commit or request.state == "committed":
        return " The mount at '%s' and its changes were kept; nothing was discarded." % request.path
    return ""


def is_vhd(image_path: str) -> bool:
    return image_path.lower().endswith((".vhd", ".vhdx"))


def describe(mount: dict[str, t.Any]) -> str:
    mode = "read-only" if mount["read_only"] else "read-write"
    return "'%s' index %s (%s, status %s)" % (mount["image_path"], mount["index"], mode, mount["status"])


def resolve_index(request: MountRequest, images: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """The image (index) the task names, or TaskRefused listing what the file has."""
    if request.image_path is None:
        raise TaskRefused("image_path is required to mount an image")
    if is_vhd(request.image_path):
        if request.name is not None:
            raise TaskRefused("name cannot select an image of a VHD or VHDX file; it holds one image, index 1")
        if request.index not in (None, 1):
            raise TaskRefused("a VHD or VHDX file holds one image, index 1; index %d does not exist" % request.index)
        return images[0] if images else {"index": 1, "name": None}
    if request.index is None and request.name is None:
        raise TaskRefused("index or name is required to mount a WIM file; it has %s" % _listing(images))
    for image in images:
        if request.index is not None and image["index"] == request.index:
            return image
        if request.name is not None and (image["name"] or "").casefold() == request.name.casefold():
            return image
    wanted = "index %d" % request.index if request.index is not None else "no image named '%s'" % request.name
    if request.index is not None:
        raise TaskRefused("%s does not exist; the image file has %s" % (wanted, _listing(images)))
    raise TaskRefused("there is %s; the image file has %s" % (wanted, _listing(images)))


def _listing(images: list[dict[str, t.Any]]) -> str:
    if not images:
        return "no images"
    return ", ".join("%d '%s'" % (i["index"], i["name"]) for i in images)


def _facts(path: str, image_path: str, index: int, name: str | None, read_only: bool, status: str) -> dict[str, t.Any]:
    return {"path": path, "image_path": image_path, "index": index, "name": name, "read_only": read_only, "status": status}


def _present(mount: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """The apply batch's precondition: this mount is still there, unchanged."""
    return [{"op": "get_mounted_images", "match": "mount_path", "expect": _raw_keys(mount)}]


def _absent(path: str) -> list[dict[str, t.Any]]:
    """The apply batch's precondition: still nothing mounted at path."""
    return [{"op": "get_mounted_images", "match": "mount_path", "expect_absent": True, "expect": {"mount_path": path}}]


def _raw_keys(mount: dict[str, t.Any]) -> dict[str, t.Any]:
    return mount["raw"]


def _table(mounts: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    return sorted(({k: v for k, v in m.items() if k != "raw"} for m in mounts), key=lambda m: _norm(m["path"]))


def _cleanup_warning(mounts: list[dict[str, t.Any]], ours: dict[str, t.Any]) -> list[str]:
    """DismCleanupMountpoints is machine-wide: say which other invalid mounts it will clean up."""
    others = [m["path"] for m in mounts if m["status"] == "invalid" and m is not ours]
    if not others:
        return []
    return ["DISM's cleanup of invalid mount points is machine-wide: it also cleans up the invalid mount%s at %s." % (
        "s" if len(others) > 1 else "", ", ".join("'%s'" % o for o in others))]


def _diff(before: list[dict[str, t.Any]], after: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    return {"before": {"mounted_images": _table(before)}, "after": {"mounted_images": _table(after)}}


def plan_mount(
    request: MountRequest,
    mounts: list[dict[str, t.Any]],
    images: list[dict[str, t.Any]] | None,
    folder: Folder | None,
) -> Plan:
    """Plan for state=mounted, unmounted or committed. Raises TaskRefused."""
    if request.append and (request.state == "mounted" or request.commit is False):
        raise TaskRefused("append saves a new index when committing: use it with state=committed or with commit=true")
    if request.read_only and request.state != "mounted":
        raise TaskRefused("read_only applies to state=mounted; the mount's own mode decides how it is unmounted")
    if request.name is not None and request.state != "mounted":
        raise TaskRefused("name selects the image to mount; to check what is mounted at path, use image_path and index")
    image_path = request.image_path if request.state == "mounted" else (mount_at(mounts, request.path) or {}).get("image_path")
    if image_path and is_vhd(image_path):
        wim_only = [o for o in ("optimize", "check_integrity", "append") if getattr(request, o)]
        if wim_only:
            raise TaskRefused("%s appl%s to WIM files only; '%s' is a VHD/VHDX image" % (
                " and ".join(wim_only), "ies" if len(wim_only) == 1 else "y", image_path))
    existing = mount_at(mounts, request.path)
    if request.state == "mounted":
        return _plan_mounted(request, mounts, existing, images or [], folder)
    if request.state == "unmounted":
        return _plan_unmounted(request, mounts, existing)
    return _plan_committed(request, mounts, existing)


def _check_named(request: MountRequest, existing: dict[str, t.Any]) -> None:
    """When the task names an image, the mount at path must be that image: never touch another."""
    if request.image_path is not None and not same_path(existing["image_path"], request.image_path):
        raise TaskRefused("'%s' holds %s, not '%s'; this task leaves it alone" % (request.path, describe(existing), request.image_path))
    if request.index is not None and existing["index"] != request.index:
        raise TaskRefused("'%s' holds %s, not index %d; this task leaves it alone" % (request.path, describe(existing), request.index))


def _plan_mounted(request, mounts, existing, images, folder) -> Plan:
    image = resolve_index(request, images)
    index = image["index"]
    wanted = _facts(request.path, request.image_path, index, image.get("name"), request.read_only, "ok")

    if existing is not None:
        if not (same_path(existing["image_path"], request.image_path) and existing["index"] == index):
            raise TaskRefused(
                "'%s' already holds %s. Unmount it first (dism_image_mount state=unmounted with commit) or use another"
                " folder" % (request.path, describe(existing))
            )
        if existing["read_only"] != request.read_only:
            raise TaskRefused(
                "'%s' is already mounted %s; to mount it %s, unmount it first" % (
                    request.path, "read-only" if existing["read_only"] else "read-write",
                    "read-only" if request.read_only else "read-write")
            )
        facts = dict(wanted, path=existing["path"], image_path=existing["image_path"])
        if existing["status"] == "ok":
            return Plan(operations=[], result={"mount": facts, "actions": []})
        if existing["status"] == "needs_remount":
            ops = _present(existing) + [{"op": "remount_image", "mount_path": existing["path"]}]
            after = [m for m in mounts if m is not existing] + [dict(existing, status="ok")]
            return Plan(operations=ops, result={"mount": facts, "actions": ["remounted"]}, diff=_diff(mounts, after))
        if existing["status"] == "invalid":
            if not request.discard_invalid:
                raise TaskRefused(
                    "the mount at '%s' of %s is invalid (broken) and cannot be serviced. Its uncommitted changes cannot"
                    " be saved; to discard them, clean up and mount again, set discard_invalid=true (or run"
                    " dism.exe /Unmount-Image /Discard then /Cleanup-Mountpoints)" % (request.path, describe(existing))
                )
            ops = _present(existing) + [
                {"op": "unmount_image", "mount_path": existing["path"], "commit": False},
                {"op": "cleanup_mountpoints"},
            ] + _mount_ops(request, index, create=False)
            after = [m for m in mounts if m is not existing] + [dict(existing, status="ok")]
            result = {"mount": facts, "actions": ["discarded invalid mount", "mounted"], "warnings": _cleanup_warning(mounts, existing)}
            return Plan(operations=ops, result=result, diff=_diff(mounts, after))
        raise TaskRefused("the mount at '%s' has status %s, which this module does not know" % (request.path, existing["status"]))

    if not request.read_only:
        writer = next((m for m in mounts if same_path(m["image_path"], request.image_path) and m["index"] == index and not m["read_only"]), None)
        if writer is not None:
            raise TaskRefused(
                "index %d of '%s' is already mounted read-write at '%s' (status %s); DISM allows one read-write mount per"
                " image. Unmount it there, use that folder, or mount read-only" % (index, request.image_path, writer["path"], writer["status"])
            )
    if folder is None:
        raise ValueError("planning a mount needs the state of the mount folder")
    if folder.exists and not folder.directory:
        raise TaskRefused("'%s' exists and is not a folder" % request.path)
    if folder.exists and not folder.empty:
        raise TaskRefused("'%s' is not empty and is not a DISM mount; DISM mounts only into an empty folder" % request.path)
    ops = _absent(request.path) + _mount_ops(request, index, create=not folder.exists)
    actions = (["created folder"] if not folder.exists else []) + ["mounted"]
    after = mounts + [dict(wanted, raw={})]
    return Plan(operations=ops, result={"mount": wanted, "actions": actions}, diff=_diff(mounts, after))


def _mount_ops(request: MountRequest, index: int, create: bool) -> list[dict[str, t.Any]]:
    ops: list[dict[str, t.Any]] = [{"op": "create_directory", "path": request.path}] if create else []
    ops.append({
        "op": "mount_image",
        "image_path": request.image_path,
        "mount_path": request.path,
        "index": index,
        "read_only": request.read_only,
        "optimize": request.optimize,
        "check_integrity": request.check_integrity,
    })
    return ops


def _plan_unmounted(request, mounts, existing) -> Plan:
    if existing is None:
        return Plan(operations=[], result={"mount": None, "actions": []})
    _check_named(request, existing)
    after = [m for m in mounts if m is not existing]
    status = existing["status"]
    if existing["read_only"]:
        if request.commit:
            raise TaskRefused("'%s' is mounted read-only, so there is nothing to commit; set commit=false" % request.path)
        commit = False
    else:
        if request.commit is None and status == "invalid":
            raise TaskRefused(
                "the mount at '%s' is invalid (broken); its changes cannot be committed. Set commit=false to discard"
                " them and clean up" % request.path
            )
        if request.commit is None:
            raise TaskRefused(
                "'%s' holds %s. Set commit=true to save its changes into the image file, or commit=false to"
                " discard them; this module never picks one for you" % (request.path, describe(existing))
            )
        commit = request.commit
    if commit and status == "invalid":
        raise TaskRefused(
            "the mount at '%s' is invalid (broken); its changes cannot be committed. Set commit=false to discard"
            " them and clean up" % request.path
        )
    ops = _present(existing)
    actions = []
    if commit and status == "needs_remount":
        ops.append({"op": "remount_image", "mount_path": existing["path"]})
        actions.append("remounted")
    ops.append({"op": "unmount_image", "mount_path": existing["path"], "commit": commit,
                "append": request.append and commit, "check_integrity": request.check_integrity and commit})
    actions.append(("committed as a new index" if request.append else "committed") if commit else "discarded")
    actions.append("unmounted")
    result: dict[str, t.Any] = {"mount": None, "actions": actions}
    if status == "invalid":
        ops.append({"op": "cleanup_mountpoints"})
        actions.append("cleaned up")
        result["warnings"] = _cleanup_warning(mounts, existing)
    return Plan(operations=ops, result=result, diff=_diff(mounts, after))


def _plan_committed(request, mounts, existing) -> Plan:
    if existing is None:
        raise TaskRefused("nothing is mounted at '%s', so there is nothing to commit" % request.path)
    _check_named(request, existing)
    if existing["read_only"]:
        raise TaskRefused("'%s' is mounted read-only, so there is nothing to commit" % request.path)
    if existing["status"] == "needs_remount":
        raise TaskRefused(
            "the mount at '%s' must be remounted before its changes can be committed; run dism_image_mount with"
            " state=mounted first" % request.path
        )
    if existing["status"] != "ok":
        raise TaskRefused("the mount at '%s' is %s; its changes cannot be committed" % (request.path, existing["status"]))
    facts = _facts(existing["path"], existing["image_path"], existing["index"], None, False, "ok")
    ops = _present(existing) + [{"op": "commit_image", "append": request.append, "check_integrity": request.check_integrity}]
    return Plan(operations=ops, result={"mount": facts, "actions": ["committed as a new index" if request.append else "committed"]},
                diff=_diff(mounts, mounts))
