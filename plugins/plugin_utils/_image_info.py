# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that turn helper values into dism_image_info results.

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import typing as t

from ._dism_enums import ARCHITECTURES, BOOTABLE, IMAGE_TYPES, MOUNT_MODES, MOUNT_STATUSES, enum_name


def image_from_raw(raw: dict[str, t.Any]) -> dict[str, t.Any]:
    """One index of an image file, in the names the module documents."""
    languages = list(raw.get("languages") or [])
    default_index = raw.get("default_language_index")
    default_language = None
    if isinstance(default_index, int) and 0 <= default_index < len(languages):
        default_language = languages[default_index]
    custom = raw.get("customized_info") or {}
    version_parts = [raw.get(k) or 0 for k in ("major_version", "minor_version", "build", "sp_build")]
    return {
        "index": raw.get("index"),
        "name": raw.get("name"),
        "description": raw.get("description"),
        "image_type": enum_name(IMAGE_TYPES, raw.get("image_type")),
        "size": raw.get("size"),
        "architecture": enum_name(ARCHITECTURES, raw.get("architecture")),
        "product_name": raw.get("product_name"),
        "edition_id": raw.get("edition_id"),
        "installation_type": raw.get("installation_type"),
        "product_type": raw.get("product_type"),
        "product_suite": raw.get("product_suite"),
        "hal": raw.get("hal") or None,
        "version": "%d.%d.%d.%d" % tuple(version_parts),
        "major_version": raw.get("major_version"),
        "minor_version": raw.get("minor_version"),
        "build": raw.get("build"),
        "sp_build": raw.get("sp_build"),
        "sp_level": raw.get("sp_level"),
        "bootable": BOOTABLE.get(raw.get("bootable")) if raw.get("bootable") is not None else None,
        "system_root": raw.get("system_root"),
        "languages": languages,
        "default_language": default_language,
        "directory_count": custom.get("directory_count"),
        "file_count": custom.get("file_count"),
        "created_time": custom.get("created_time"),
        "modified_time": custom.get("modified_time"),
    }


def mount_from_raw(raw: dict[str, t.Any]) -> dict[str, t.Any]:
    """One DISM mount of the machine, named like dism_image_mount's options."""
    mode = MOUNT_MODES.get(raw.get("mount_mode"))
    return {
        "path": raw.get("mount_path"),
        "image_path": raw.get("image_file_path"),
        "index": raw.get("image_index"),
        "read_only": None if mode is None else mode == "read_only",
        "status": enum_name(MOUNT_STATUSES, raw.get("mount_status")),
    }


def select_images(images: list[dict[str, t.Any]], index: int | None, name: str | None) -> list[dict[str, t.Any]] | str:
    """The images a task asked for, or the message that explains why none match."""
    if index is not None:
        chosen = [i for i in images if i["index"] == index]
        if not chosen:
            return "index %d does not exist; the image file has %s" % (index, _index_list(images))
        return chosen
    if name is not None:
        # DISM matches image names case-insensitively.
        chosen = [i for i in images if (i["name"] or "").casefold() == name.casefold()]
        if not chosen:
            names = ", ".join("%d '%s'" % (i["index"], i["name"]) for i in images)
            return "no image is named '%s'; the image file has %s" % (name, names or "no images")
        return chosen
    return images


def _index_list(images: list[dict[str, t.Any]]) -> str:
    indexes = [str(i["index"]) for i in images]
    if not indexes:
        return "no images"
    return ("index " if len(indexes) == 1 else "indexes ") + ", ".join(indexes)
