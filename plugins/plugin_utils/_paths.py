# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows path syntax, checked on the controller before the task reaches the host.

FOR INTERNAL COLLECTION USE ONLY. A relative path would be resolved by the helper against its
working folder (C:\\Windows\\System32), and a malformed one reaches DISM as a Win32 error that
names no option; both are refused here, naming the option. The rules are Windows' own naming
rules (reserved characters, device names, trailing dots and spaces) and MAX_PATH: DISM does not
document long-path support, so every path is limited to 259 characters, in any form.

PATH_OPTIONS is the one table of which option holds what kind of path.
"""

from __future__ import annotations

import enum
import re
import typing as t


class PathKind(enum.Enum):
    ABSOLUTE = "an absolute path"
    FOLDER_NAME = "a folder relative to the image"
    DRIVE = "a drive"
    ABSOLUTE_OR_INF_NAME = "an absolute path or an INF file name"


# Option name -> what it holds (the same option has the same meaning in every module).
PATH_OPTIONS: dict[str, PathKind] = {
    "image_path": PathKind.ABSOLUTE,
    "path": PathKind.ABSOLUTE,
    "source": PathKind.ABSOLUTE,
    "log_path": PathKind.ABSOLUTE,
    "scratch_directory": PathKind.ABSOLUTE,
    "windows_directory": PathKind.FOLDER_NAME,
    "system_drive": PathKind.DRIVE,
    "driver": PathKind.ABSOLUTE_OR_INF_NAME,
    "package_path": PathKind.ABSOLUTE,
}
# List options that must name at least one item when given.
NON_EMPTY_LISTS = ("name", "driver", "source", "package_path", "package_name")

# MAX_PATH is 260 including the terminating NUL.
MAX_PATH_CHARS = 259
_RESERVED_CHARS = set('<>:"|?*') | {chr(c) for c in range(32)}
_DEVICE_NAMES = {"CON", "PRN", "AUX", "NUL"} | {"%s%s" % (d, n) for d in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3"}
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_UNC = re.compile(r"^[\\/]{2}(?![?.][\\/])([^\\/]+)[\\/]([^\\/]+)")
_LONG_DRIVE = re.compile(r"^\\\\\?\\[A-Za-z]:\\")
_LONG_UNC = re.compile(r"^\\\\\?\\UNC\\([^\\]+)\\([^\\]+)", re.IGNORECASE)


def _component_problem(part: str) -> str | None:
    bad = sorted({c for c in part if c in _RESERVED_CHARS})
    if bad:
        shown = ", ".join("'%s'" % c if c.isprintable() else "U+%04X" % ord(c) for c in bad)
        return "the name '%s' contains %s, which Windows does not allow in file names" % (part, shown)
    if part in (".", ".."):
        return None
    if part[-1] in ". ":
        return "the name '%s' ends with a %s, which Windows removes" % (part, "dot" if part[-1] == "." else "space")
    if part.split(".", 1)[0].rstrip(" ").upper() in _DEVICE_NAMES:
        return "the name '%s' is the reserved device name %s" % (part, part.split(".", 1)[0].rstrip(" ").upper())
    return None


def _parts_problem(rest: str) -> str | None:
    for part in re.split(r"[\\/]", rest):
        if part:
            problem = _component_problem(part)
            if problem:
                return problem
    return None


def absolute_path_problem(value: str) -> str | None:
    """Why `value` is not a usable absolute Windows path, or None."""
    if not value.strip():
        return "it is empty"
    if len(value) > MAX_PATH_CHARS:
        return ("it is %d characters long; DISM and the Windows calls the helper makes take at most %d (MAX_PATH)."
                " Use a shorter folder" % (len(value), MAX_PATH_CHARS))
    if value.startswith("\\\\.\\") or value.startswith("//./"):
        return "device paths (\\\\.\\...) are not files or folders DISM can use"
    for pattern in (_LONG_UNC, _LONG_DRIVE):
        match = pattern.match(value)
        if match:
            return _parts_problem(value[match.end():])
    if value.startswith("\\\\?\\"):
        return "a \\\\?\\ path must go on with a drive (\\\\?\\C:\\...) or UNC\\server\\share"
    match = _UNC.match(value) or _DRIVE.match(value)
    if match is None:
        if re.match(r"^[A-Za-z]:", value):
            return "a drive letter without a backslash (%s) is relative to that drive's current folder" % value[:2]
        return ("it is relative, and would be resolved on the host against the helper's working folder; give a"
                " drive path (C:\\...) or a UNC path (\\\\server\\share\\...)")
    return _parts_problem(value[match.end():] if _DRIVE.match(value) else value[2:])


def folder_name_problem(value: str) -> str | None:
    if not value.strip():
        return "it is empty"
    if re.match(r"^([A-Za-z]:|[\\/])", value):
        return "it is a folder relative to the image's root (such as Windows), not an absolute path"
    return _parts_problem(value)


def drive_problem(value: str) -> str | None:
    return None if re.match(r"^[A-Za-z]:\\?$", value) else "it is not a drive such as C:"


def inf_name_problem(value: str) -> str | None:
    if not value.strip():
        return "it is empty"
    return _component_problem(value)


def _problem(kind: PathKind, value: str) -> str | None:
    if kind is PathKind.ABSOLUTE:
        return absolute_path_problem(value)
    if kind is PathKind.FOLDER_NAME:
        return folder_name_problem(value)
    if kind is PathKind.DRIVE:
        return drive_problem(value)
    # A driver entry with a separator or a drive is a path; otherwise an INF name (oem3.inf).
    if "\\" in value or "/" in value or ":" in value:
        return absolute_path_problem(value)
    return inf_name_problem(value)


def option_problems(params: t.Mapping[str, t.Any]) -> list[str]:
    """Every path or list option of a task that Windows or DISM would not take, in words naming the option."""
    problems = []
    for option in NON_EMPTY_LISTS:
        if params.get(option) == []:
            problems.append("%s is an empty list: name at least one, or leave the option out" % option)
    for option, kind in PATH_OPTIONS.items():
        value = params.get(option)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            problem = _problem(kind, item)
            if problem:
                shown = item if len(item) <= 80 else item[:60] + "..." + item[-15:]
                problems.append("%s '%s' cannot be used (%s expected): %s" % (option, shown, kind.value, problem))
    return problems
