"""MAX_PATH in the lab (src/model_paths.c, src/kernel32_files.c; README "Long paths"): DISM's entry points
refuse paths longer than 259 characters with 0x800700CE, the Win32 file calls of libLabKernel32 fail on them
unless given in the \\\\?\\ form, and the folder-scan conditions Windows has and a root-run Linux lab lacks
(access denied, junctions/symbolic links) are reproduced."""

from __future__ import annotations

import ctypes
import os

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

E_FILENAME_EXCED_RANGE = 0x800700CE
ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, ERROR_ACCESS_DENIED = 2, 3, 5
ERROR_NO_MORE_FILES, ERROR_FILENAME_EXCED_RANGE = 18, 206
INVALID_FILE_ATTRIBUTES = 0xFFFFFFFF
DIRECTORY, NORMAL, REPARSE_POINT = 0x10, 0x80, 0x400
IO_REPARSE_TAG_SYMLINK = 0xA000000C
NIC = r"C:\drivers\nic\cnet68x64.inf"
MOUNT = r"C:\mount\one"


def long_path(prefix: str, total: int, leaf: str = "") -> str:
    """A path of exactly `total` characters: prefix, then 100-character folder names, then leaf."""
    parts = [prefix.rstrip("\\")]
    while len("\\".join(parts)) + 101 + (len(leaf) + 1 if leaf else 0) < total:
        parts.append("d" * 100)
    room = total - len("\\".join(parts)) - 1 - (len(leaf) + 1 if leaf else 0)
    if room > 0:
        parts.append("e" * room)
    path = "\\".join(parts + ([leaf] if leaf else []))
    assert len(path) == total, (len(path), total)
    return path


def lab_dir(lab, win: str):
    """Creates the lab folder of a C:\\ path (Linux takes 255 bytes a name, so any MAX_PATH path fits)."""
    path = lab.drive() / win[3:].replace("\\", "/")
    path.mkdir(parents=True, exist_ok=True)
    return path


def too_long(dism, hr, what: str, path: str) -> None:
    assert hr == E_FILENAME_EXCED_RANGE, hex(hr)
    message = dism.last_error()[1]
    assert message.startswith("The filename or extension is too long. %s is %d characters long; DISM takes paths of at"
                              " most 259 characters (MAX_PATH)" % (what, len(path.replace("\\\\?\\", "", 1))))
    assert path in message


@pytest.fixture
def k32(dism):
    lib = dism.k32
    for name in ("GetFileAttributesW",):
        getattr(lib, name).argtypes = [ctypes.c_void_p]
        getattr(lib, name).restype = ctypes.c_uint32
    lib.CreateDirectoryW.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.CreateDirectoryW.restype = ctypes.c_int
    lib.PathIsDirectoryEmptyW.argtypes = [ctypes.c_void_p]
    lib.PathIsDirectoryEmptyW.restype = ctypes.c_int
    return lib


def find(dism, pattern: str):
    """FindFirstFileW/FindNextFileW -> (last error, [(name, attributes, dwReserved0)])."""
    data = d.WIN32_FIND_DATAW()
    handle = dism.k32.FindFirstFileW(d.wstr(pattern), ctypes.byref(data))
    if handle in (None, 0, ctypes.c_void_p(-1).value):
        return dism.k32.GetLastError(), []
    out = []
    while True:
        out.append((d.find_name(data), data.dwFileAttributes, data.dwReserved0))
        if not dism.k32.FindNextFileW(handle, ctypes.byref(data)):
            break
    error = dism.k32.GetLastError()
    assert dism.k32.FindClose(handle) == 1
    return error, out


# ---- DISM: one rule, every entry point that takes a path ------------------------------------------

def test_image_info_refuses_a_path_over_max_path_before_looking_for_it(dism, initialized):
    assert dism.image_info(long_path(r"C:\images", 259, "x.wim"))[0] == d.E_PATH_NOT_FOUND   # 259 fits
    path = long_path(r"C:\images", 260, "x.wim")
    too_long(dism, dism.image_info(path)[0], "ImageFilePath", path)


def test_the_long_path_prefix_does_not_lift_dism_s_limit(dism, initialized):
    path = "\\\\?\\" + long_path(r"C:\images", 300, "x.wim")
    too_long(dism, dism.image_info(path)[0], "ImageFilePath", path)


def test_a_relative_path_counts_with_the_current_directory(dism, initialized, monkeypatch):
    cwd = long_path(r"C:\work", 250)
    monkeypatch.setenv("DISM_LAB_CWD", cwd)
    hr = dism.image_info("images\\x.wim")[0]
    assert hr == E_FILENAME_EXCED_RANGE
    assert "ImageFilePath is %d characters long" % (len(cwd) + len("\\images\\x.wim")) in dism.last_error()[1]


def test_initialize_refuses_long_log_and_scratch_paths_and_stays_uninitialized(dism, lab):
    log = long_path(r"C:\logs", 270, "dism.log")
    too_long(dism, dism.initialize(2, log), "LogFilePath", log)
    scratch = long_path(r"C:\scratch", 261)
    too_long(dism, dism.initialize(2, None, scratch), "ScratchDirectory", scratch)
    assert dism.image_info(r"C:\images\win11.wim")[0] == d.DISMAPI_E_NOT_INITIALIZED
    assert dism.initialize() == d.S_OK


def test_mount_unmount_remount_and_session_refuse_long_paths(dism, initialized):
    folder = long_path(r"C:\mount", 262)
    lab_dir(initialized, folder)
    too_long(dism, dism.mount(r"C:\images\win11.wim", folder, 1)[0], "MountPath", folder)
    image = long_path(r"C:\images", 265, "win11.wim")
    lab_dir(initialized, image.rsplit("\\", 1)[0])
    (lab_dir(initialized, MOUNT))
    too_long(dism, dism.mount(image, MOUNT, 1)[0], "ImageFilePath", image)
    assert dism.mounted_images()[3] == []                        # nothing was mounted
    assert list((initialized.drive() / "mount/one").iterdir()) == []
    too_long(dism, dism.unmount(folder, d.DISM_DISCARD_IMAGE)[0], "MountPath", folder)
    too_long(dism, dism.remount(folder), "MountPath", folder)
    too_long(dism, dism.open_session(folder)[0], "ImagePath", folder)


def test_open_session_counts_the_windows_directory_joined_to_the_image_path(dism, initialized):
    root = long_path(r"C:\applied", 255)
    initialized.windows_tree(lab_dir(initialized, root))
    hr = dism.open_session(root, "Windows")[0]
    assert hr == E_FILENAME_EXCED_RANGE
    assert "The Windows directory (ImagePath\\WindowsDirectory) is 263 characters long" in dism.last_error()[1]


def test_drivers_refuse_long_inf_paths_but_not_published_names(dism, initialized):
    lab_dir(initialized, MOUNT)
    assert dism.mount(r"C:\images\win11.wim", MOUNT, 2)[0] == d.S_OK
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    inf = long_path(r"C:\drivers", 261, "cnet68x64.inf")
    too_long(dism, dism.add_driver(sid, inf), "DriverPath", inf)
    too_long(dism, dism.driver_info(sid, inf)[0], "DriverPath", inf)
    assert dism.driver_info(sid, "machine.inf")[0] == d.S_OK
    assert dism.add_driver(sid, NIC) == d.S_OK
    assert dism.close_session(sid) == d.S_OK
    assert dism.unmount(MOUNT, d.DISM_DISCARD_IMAGE)[0] == d.S_OK


def test_enable_feature_refuses_a_long_source_and_changes_nothing(dism, initialized):
    hr, sid = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    source = long_path(r"C:\sources", 280)
    too_long(dism, dism.enable_feature(sid, "NetFx3", sources=[r"C:\nothere", source])[0], "A SourcePaths entry", source)
    assert dism.features(sid)[1]["NetFx3"] == d.STATE_REMOVED


# ---- kernel32: MAX_PATH without long-path opt-in -------------------------------------------------

def test_file_calls_fail_over_max_path_unless_given_with_the_prefix(dism, lab, k32):
    deep = long_path(r"C:\deep", 270)
    lab_dir(lab, deep)
    assert k32.GetFileAttributesW(d.wstr(deep)) == INVALID_FILE_ATTRIBUTES
    assert k32.GetLastError() == ERROR_FILENAME_EXCED_RANGE
    assert k32.GetFileAttributesW(d.wstr("\\\\?\\" + deep)) == DIRECTORY
    assert k32.PathIsDirectoryEmptyW(d.wstr(deep)) == 0 and k32.GetLastError() == ERROR_FILENAME_EXCED_RANGE
    assert k32.PathIsDirectoryEmptyW(d.wstr("\\\\?\\" + deep)) == 1
    assert find(dism, deep + "\\*") == (ERROR_PATH_NOT_FOUND, [])
    error, entries = find(dism, "\\\\?\\" + deep + "\\*")
    assert error == ERROR_NO_MORE_FILES and [e[0] for e in entries] == [".", ".."]
    # the limit counts the terminating NUL: 259 characters fit, 260 do not
    fits = long_path(r"C:\deep", 257)
    lab_dir(lab, fits)
    assert find(dism, fits + "\\*")[0] == ERROR_NO_MORE_FILES
    assert find(dism, fits + "\\*.")[0] == ERROR_PATH_NOT_FOUND


def test_create_directory_has_its_248_character_limit(dism, lab, k32):
    fits, name = long_path(r"C:\mk", 247), long_path(r"C:\mk", 248)
    lab_dir(lab, fits.rsplit("\\", 1)[0])
    lab_dir(lab, name.rsplit("\\", 1)[0])
    assert k32.CreateDirectoryW(d.wstr(fits), None) == 1
    assert k32.CreateDirectoryW(d.wstr(name), None) == 0 and k32.GetLastError() == ERROR_FILENAME_EXCED_RANGE
    assert k32.CreateDirectoryW(d.wstr("\\\\?\\" + name), None) == 1


# ---- kernel32: access denied, junctions and symbolic links ---------------------------------------

def test_the_access_denied_marker_denies_listing_the_folder_only(dism, lab, k32):
    denied = lab_dir(lab, r"C:\drivers\locked")
    (denied / ".lab-access-denied").write_text("")
    (denied / "inner").mkdir()
    assert find(dism, r"C:\drivers\locked\*") == (ERROR_ACCESS_DENIED, [])
    assert find(dism, r"C:\drivers\locked\x.inf") == (ERROR_ACCESS_DENIED, [])
    assert k32.GetFileAttributesW(d.wstr(r"C:\drivers\locked")) == DIRECTORY     # its attributes stay readable
    assert "locked" in [e[0] for e in find(dism, r"C:\drivers\*")[1]]
    assert find(dism, r"C:\drivers\locked\inner\*")[0] == ERROR_NO_MORE_FILES     # only that folder


def test_symbolic_links_are_reparse_points_and_are_not_followed_by_attributes(dism, lab, k32):
    root = lab_dir(lab, r"C:\linked")
    (root / "real").mkdir()
    (root / "real" / "a.inf").write_text("x")
    os.symlink(root, root / "real" / "loop")                     # a loop back to the top
    os.symlink(root / "real" / "a.inf", root / "real" / "b.inf")
    os.symlink(root / "gone", root / "real" / "dangling")
    error, entries = find(dism, r"C:\linked\real\*")
    assert error == ERROR_NO_MORE_FILES
    assert entries == [(".", DIRECTORY, 0), ("..", DIRECTORY, 0), ("a.inf", NORMAL, 0),
                       ("b.inf", REPARSE_POINT, IO_REPARSE_TAG_SYMLINK),
                       ("loop", DIRECTORY | REPARSE_POINT, IO_REPARSE_TAG_SYMLINK)]
    assert k32.GetFileAttributesW(d.wstr(r"C:\linked\real\loop")) == DIRECTORY | REPARSE_POINT
    assert k32.GetFileAttributesW(d.wstr(r"C:\linked\real\b.inf")) == REPARSE_POINT
    assert k32.GetFileAttributesW(d.wstr(r"C:\linked\real\dangling")) == REPARSE_POINT
    assert k32.GetFileAttributesW(d.wstr(r"C:\linked\real")) == DIRECTORY
