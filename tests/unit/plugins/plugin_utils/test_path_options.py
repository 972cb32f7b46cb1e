"""Windows path syntax on the controller (plugin_utils/_paths.py): a table of valid and invalid paths."""

from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils._paths import (
    MAX_PATH_CHARS,
    PATH_OPTIONS,
    PathKind,
    absolute_path_problem,
    option_problems,
)

VALID = [
    "C:\\mount\\w11",
    "c:/mount/w11",
    "D:\\",
    "C:\\images\\Windows 11 (x64)\\install.wim",
    "C:\\Mount\\é€中😀",
    "C:\\mount\\..\\mount\\x",
    "\\\\fileserver\\share\\sxs",
    "\\\\fileserver.example.com\\d$\\sources\\sxs",
    "\\\\?\\C:\\mount\\w11",
    "\\\\?\\UNC\\fileserver\\share\\sxs",
    "C:\\" + "a" * (MAX_PATH_CHARS - 3),
]

INVALID = [
    ("", "it is empty"),
    ("   ", "it is empty"),
    ("mount\\b7", "it is relative"),
    ("\\mount\\b7", "it is relative"),
    ("C:mount", "a drive letter without a backslash (C:) is relative to that drive's current folder"),
    ("C:\\mount\\bad|name", "the name 'bad|name' contains '|'"),
    ("C:\\mount\\a<b>", "contains '<', '>'"),
    ("C:\\mount\\tab\there", "contains U+0009"),
    ("C:\\mount\\what?", "contains '?'"),
    ("C:\\mount\\dots.", "the name 'dots.' ends with a dot"),
    ("C:\\mount\\space \\x", "the name 'space ' ends with a space"),
    ("C:\\mount\\NUL", "the reserved device name NUL"),
    ("C:\\mount\\con.txt", "the reserved device name CON"),
    ("C:\\mount\\Com1", "the reserved device name COM1"),
    ("C:\\mount\\LPT\u00b9", "the reserved device name LPT\u00b9"),
    ("\\\\.\\PhysicalDrive0", "device paths"),
    ("\\\\?\\mount", "must go on with a drive"),
    ("C:\\" + "a" * (MAX_PATH_CHARS - 2), "it is 260 characters long; DISM and the Windows calls the helper makes take at most 259"),
    ("\\\\?\\C:\\" + "a" * 300, "characters long"),
]


@pytest.mark.parametrize("value", VALID)
def test_valid_absolute_paths(value):
    assert absolute_path_problem(value) is None


@pytest.mark.parametrize(("value", "problem"), INVALID, ids=[repr(v[:30]) for v, _p in INVALID])
def test_invalid_absolute_paths(value, problem):
    found = absolute_path_problem(value)
    assert found is not None and problem in found, found


def test_each_option_is_checked_as_what_it_holds():
    assert option_problems({"windows_directory": "Win", "system_drive": "E:", "driver": ["oem3.inf", "C:\\d\\a.inf"]}) == []
    assert option_problems({"windows_directory": "C:\\Windows"}) == [
        "windows_directory 'C:\\Windows' cannot be used (a folder relative to the image expected): it is a folder relative"
        " to the image's root (such as Windows), not an absolute path"]
    assert option_problems({"system_drive": "E"}) == ["system_drive 'E' cannot be used (a drive expected): it is not a drive such as C:"]
    assert option_problems({"driver": ["drivers\\net"]})[0].startswith(
        "driver 'drivers\\net' cannot be used (an absolute path or an INF file name expected): it is relative")


def test_every_path_option_of_a_list_is_checked_and_all_problems_are_reported():
    problems = option_problems({"source": ["D:\\sxs", "sxs"], "path": "x", "log_path": "C:\\logs\\a|b.log"})
    assert [p.split(" ", 1)[0] for p in problems] == ["path", "source", "log_path"]


@pytest.mark.parametrize("option", ["name", "driver", "source"])
def test_empty_lists_are_refused(option):
    assert option_problems({option: []}) == ["%s is an empty list: name at least one, or leave the option out" % option]


def test_long_values_are_shortened_in_the_message():
    problem = option_problems({"path": "C:\\" + "x" * 300})[0]
    assert "..." in problem and len(problem) < 300


def test_the_table_names_every_path_option_once():
    assert set(PATH_OPTIONS) == {"image_path", "path", "source", "log_path", "scratch_directory", "windows_directory",
                                 "system_drive", "driver", "package_path"}
    assert PATH_OPTIONS["driver"] is PathKind.ABSOLUTE_OR_INF_NAME
    assert PATH_OPTIONS["package_path"] is PathKind.ABSOLUTE


def test_every_option_that_holds_a_path_is_checked():
    from ansible_collections.winimaging.dism.plugins.plugin_utils._options import MODULE_SPECS

    options = {name for spec in MODULE_SPECS.values() for name in spec.argument_spec}
    pathlike = {name for name in options if name.endswith(("path", "directory", "drive")) or name in ("source", "driver")}
    assert pathlike <= set(PATH_OPTIONS), pathlike - set(PATH_OPTIONS)
