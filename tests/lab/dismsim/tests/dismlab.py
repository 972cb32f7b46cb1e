"""ctypes bindings to the DISM lab (build/libDismApi.so, build/libLabKernel32.so) for tests.

Structures mirror DismApi.h with pack 1 and x64 sizes; strings are UTF-16, so they are
passed as byte buffers rather than c_wchar_p (which is UTF-32 on Linux).
"""

from __future__ import annotations

import ctypes
import os
import pathlib
import subprocess

DISMSIM = pathlib.Path(__file__).resolve().parents[1]
# DISM_LAB_BUILD_DIR points the tests at another build (e.g. an ASan one); default build/.
BUILD = pathlib.Path(os.environ.get("DISM_LAB_BUILD_DIR", DISMSIM / "build"))
DISM_LIB = BUILD / "libDismApi.so"
K32_LIB = BUILD / "libLabKernel32.so"

DISM_ONLINE_IMAGE = "DISM_{53BFAE52-B167-4E2F-A258-0A37B57FF845}"

S_OK = 0
S_RELOAD = 0x00000001
S_REBOOT = 0x00000BC2
E_NOTIMPL = 0x80004001
E_FILE_NOT_FOUND = 0x80070002
E_PATH_NOT_FOUND = 0x80070003
E_ACCESS_DENIED = 0x80070005
E_INVALID_HANDLE = 0x80070006
E_BAD_FORMAT = 0x8007000B
E_BAD_NETPATH = 0x80070035
E_INVALIDARG = 0x80070057
E_INVALID_NAME = 0x8007007B
E_ENVVAR_NOT_FOUND = 0x800700CB
E_DIRECTORY = 0x8007010B
E_NOT_FOUND = 0x80070490
E_CANCELLED = 0x800704C7
E_ALREADY_INITIALIZED = 0x800704DF
E_CRC = 0x80070017
E_FILE_CORRUPT = 0x80070570
DISMAPI_E_NOT_INITIALIZED = 0xC0040001
DISMAPI_E_OPEN_SESSION_HANDLES = 0xC0040003
DISMAPI_E_INVALID_IMAGE_INDEX = 0xC0040005
DISMAPI_E_INVALID_IMAGE_NAME = 0xC0040006
DISMAPI_E_UNABLE_TO_UNMOUNT_IMAGE_PATH = 0xC0040007
DISMAPI_E_LOGGING_DISABLED = 0xC0040009
DISMAPI_E_OPEN_HANDLES_UNABLE_TO_UNMOUNT_IMAGE_PATH = 0xC004000A
DISMAPI_E_OPEN_HANDLES_UNABLE_TO_MOUNT_IMAGE_PATH = 0xC004000B
DISMAPI_E_OPEN_HANDLES_UNABLE_TO_REMOUNT_IMAGE_PATH = 0xC004000C
DISMAPI_E_MUST_SPECIFY_ONLINE_IMAGE = 0xC004000E
DISMAPI_E_PARENT_FEATURE_DISABLED = 0xC004000D
DISMAPI_E_NEEDS_REMOUNT = 0xC1510114
DISMAPI_E_UNKNOWN_FEATURE = 0x800F080C
CBS_E_PENDING = 0x800F0806
CBS_E_SOURCE_MISSING = 0x800F081F
CBS_E_EXCLUSIVE_WOULD_MERGE = 0x800F082F
CBS_E_DOWNLOAD_FAILURE = 0x800F0906
CBS_E_GROUPPOLICY_DISALLOWED = 0x800F0907
CBS_E_INVALID_WINDOWS_UPDATE_COUNT_WSUS = 0x800F0954

# DismPackageFeatureState, DismRestartType, DismPackageIdentifier
STATE_NOT_PRESENT, STATE_UNINSTALL_PENDING, STATE_STAGED, STATE_REMOVED = 0, 1, 2, 3
STATE_INSTALLED, STATE_INSTALL_PENDING = 4, 5
RESTART_NO, RESTART_POSSIBLE, RESTART_REQUIRED = 0, 1, 2
PACKAGE_NONE, PACKAGE_NAME, PACKAGE_PATH = 0, 1, 2
# Driver servicing (README "The driver model")
E_NOT_SUPPORTED = 0x80070032
SPAPI_E_GENERAL_SYNTAX = 0x800F0003
SPAPI_E_WRONG_INF_STYLE = 0x800F0100
SPAPI_E_NO_COMPAT_DRIVERS = 0x800F0228
SPAPI_E_NO_CATALOG_FOR_OEM_INF = 0x800F022F
TRUST_E_NOSIGNATURE = 0x800B0100
SIGNATURE_UNKNOWN, SIGNATURE_UNSIGNED, SIGNATURE_SIGNED = 0, 1, 2
ARCH_X86, ARCH_AMD64 = 0, 9
WIM_E_READONLY_COMMIT = 0xC142010C
WIM_E_DIR_ALREADY_MOUNTED = 0xC1420113
WIM_E_DIR_NOT_EMPTY = 0xC1420114
WIM_E_FILES_OPEN = 0xC1420117
WIM_E_ALREADY_MOUNTED_RW = 0xC1420127
WIM_E_ESD_NOT_MOUNTABLE = 0xC142013C

DISM_MOUNT_READONLY = 0x1
DISM_MOUNT_OPTIMIZE = 0x2
DISM_MOUNT_CHECK_INTEGRITY = 0x4
DISM_DISCARD_IMAGE = 0x1
DISM_COMMIT_GENERATE_INTEGRITY = 0x10000
DISM_COMMIT_APPEND = 0x20000

WAIT_OBJECT_0 = 0
WAIT_TIMEOUT = 0x102
WAIT_FAILED = 0xFFFFFFFF

PCWSTR = ctypes.c_void_p
PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p)


class SYSTEMTIME(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint16) for n in
                ("wYear", "wMonth", "wDayOfWeek", "wDay", "wHour", "wMinute", "wSecond", "wMilliseconds")]


class DismString(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("Value", PCWSTR)]


class DismWimCustomizedInfo(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("Size", ctypes.c_uint), ("DirectoryCount", ctypes.c_uint), ("FileCount", ctypes.c_uint),
                ("CreatedTime", SYSTEMTIME), ("ModifiedTime", SYSTEMTIME)]


class DismImageInfo(ctypes.Structure):
    _pack_ = 1
    _fields_ = [
        ("ImageType", ctypes.c_int), ("ImageIndex", ctypes.c_uint), ("ImageName", PCWSTR),
        ("ImageDescription", PCWSTR), ("ImageSize", ctypes.c_uint64), ("Architecture", ctypes.c_uint),
        ("ProductName", PCWSTR), ("EditionId", PCWSTR), ("InstallationType", PCWSTR), ("Hal", PCWSTR),
        ("ProductType", PCWSTR), ("ProductSuite", PCWSTR), ("MajorVersion", ctypes.c_uint),
        ("MinorVersion", ctypes.c_uint), ("Build", ctypes.c_uint), ("SpBuild", ctypes.c_uint),
        ("SpLevel", ctypes.c_uint), ("Bootable", ctypes.c_int), ("SystemRoot", PCWSTR),
        ("Language", ctypes.c_void_p), ("LanguageCount", ctypes.c_uint),
        ("DefaultLanguageIndex", ctypes.c_uint), ("CustomizedInfo", ctypes.c_void_p),
    ]


class DismMountedImageInfo(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("MountPath", PCWSTR), ("ImageFilePath", PCWSTR), ("ImageIndex", ctypes.c_uint),
                ("MountMode", ctypes.c_int), ("MountStatus", ctypes.c_int)]


class DismFeature(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("FeatureName", PCWSTR), ("State", ctypes.c_int)]


class DismCustomProperty(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("Name", PCWSTR), ("Value", PCWSTR), ("Path", PCWSTR)]


class DismFeatureInfo(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("FeatureName", PCWSTR), ("FeatureState", ctypes.c_int), ("DisplayName", PCWSTR),
                ("Description", PCWSTR), ("RestartRequired", ctypes.c_int), ("CustomProperty", ctypes.c_void_p),
                ("CustomPropertyCount", ctypes.c_uint)]


class DismDriverPackage(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("PublishedName", PCWSTR), ("OriginalFileName", PCWSTR), ("InBox", ctypes.c_int),
                ("CatalogFile", PCWSTR), ("ClassName", PCWSTR), ("ClassGuid", PCWSTR),
                ("ClassDescription", PCWSTR), ("BootCritical", ctypes.c_int), ("DriverSignature", ctypes.c_int),
                ("ProviderName", PCWSTR), ("Date", SYSTEMTIME), ("MajorVersion", ctypes.c_uint),
                ("MinorVersion", ctypes.c_uint), ("Build", ctypes.c_uint), ("Revision", ctypes.c_uint)]


class DismDriver(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("ManufacturerName", PCWSTR), ("HardwareDescription", PCWSTR), ("HardwareId", PCWSTR),
                ("Architecture", ctypes.c_uint), ("ServiceName", PCWSTR), ("CompatibleIds", PCWSTR),
                ("ExcludeIds", PCWSTR)]


class FILETIME(ctypes.Structure):
    _fields_ = [("dwLowDateTime", ctypes.c_uint32), ("dwHighDateTime", ctypes.c_uint32)]


class WIN32_FIND_DATAW(ctypes.Structure):
    """Natural alignment, as in the Windows SDK."""
    _fields_ = [("dwFileAttributes", ctypes.c_uint32), ("ftCreationTime", FILETIME),
                ("ftLastAccessTime", FILETIME), ("ftLastWriteTime", FILETIME), ("nFileSizeHigh", ctypes.c_uint32),
                ("nFileSizeLow", ctypes.c_uint32), ("dwReserved0", ctypes.c_uint32), ("dwReserved1", ctypes.c_uint32),
                ("cFileName", ctypes.c_uint16 * 260), ("cAlternateFileName", ctypes.c_uint16 * 14)]


assert ctypes.sizeof(DismDriverPackage) == 100 and ctypes.sizeof(DismDriver) == 52
assert ctypes.sizeof(WIN32_FIND_DATAW) == 592
assert ctypes.sizeof(DismFeature) == 12 and ctypes.sizeof(DismFeatureInfo) == 44
assert ctypes.sizeof(DismCustomProperty) == 24
assert ctypes.sizeof(DismImageInfo) == 140 and ctypes.sizeof(DismMountedImageInfo) == 28


def wstr(text: str | None):
    """A NUL-terminated UTF-16LE buffer for a PCWSTR argument (None -> NULL)."""
    if text is None:
        return None
    return ctypes.create_string_buffer(text.encode("utf-16-le") + b"\0\0")


def read_wstr(address: int | None) -> str | None:
    if not address:
        return None
    units = ctypes.cast(address, ctypes.POINTER(ctypes.c_uint16))
    out = []
    i = 0
    while units[i]:
        out.append(units[i])
        i += 1
    return b"".join(u.to_bytes(2, "little") for u in out).decode("utf-16-le")


def systemtime(st: SYSTEMTIME) -> tuple:
    return (st.wYear, st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond, st.wMilliseconds)


def build() -> None:
    if "DISM_LAB_BUILD_DIR" not in os.environ:
        subprocess.run(["make", "-s", "-C", str(DISMSIM)], check=True)


def _declare(lib, name, *argtypes):
    fn = getattr(lib, name)
    fn.argtypes = list(argtypes)
    fn.restype = ctypes.c_uint32
    return fn


class Dism:
    """Thin wrappers returning (hresult, value) and remembering open sessions."""

    def __init__(self, lib_path: pathlib.Path = DISM_LIB, k32_path: pathlib.Path = K32_LIB):
        self.k32 = ctypes.CDLL(str(k32_path))
        self.lib = ctypes.CDLL(str(lib_path))
        self.sessions: set[int] = set()
        p, u, vp = PCWSTR, ctypes.c_uint, ctypes.c_void_p
        self.raw = {
            "DismInitialize": _declare(self.lib, "DismInitialize", ctypes.c_int, p, p),
            "DismShutdown": _declare(self.lib, "DismShutdown"),
            "DismOpenSession": _declare(self.lib, "DismOpenSession", p, p, p, ctypes.POINTER(u)),
            "DismCloseSession": _declare(self.lib, "DismCloseSession", u),
            "DismGetLastErrorMessage": _declare(self.lib, "DismGetLastErrorMessage", ctypes.POINTER(vp)),
            "DismDelete": _declare(self.lib, "DismDelete", vp),
            "DismGetImageInfo": _declare(self.lib, "DismGetImageInfo", p, ctypes.POINTER(vp), ctypes.POINTER(u)),
            "DismGetMountedImageInfo": _declare(self.lib, "DismGetMountedImageInfo", ctypes.POINTER(vp),
                                                ctypes.POINTER(u)),
            "DismCheckImageHealth": _declare(self.lib, "DismCheckImageHealth", u, ctypes.c_int, vp, PROGRESS, vp,
                                             ctypes.POINTER(ctypes.c_int)),
            "DismEnableFeature": _declare(self.lib, "DismEnableFeature", u, p, p, ctypes.c_int, ctypes.c_int, vp,
                                          u, ctypes.c_int, vp, PROGRESS, vp),
            "DismDisableFeature": _declare(self.lib, "DismDisableFeature", u, p, p, ctypes.c_int, vp, PROGRESS, vp),
            "DismGetFeatures": _declare(self.lib, "DismGetFeatures", u, p, ctypes.c_int, ctypes.POINTER(vp),
                                        ctypes.POINTER(u)),
            "DismGetFeatureInfo": _declare(self.lib, "DismGetFeatureInfo", u, p, p, ctypes.c_int,
                                           ctypes.POINTER(vp)),
            "DismGetFeatureParent": _declare(self.lib, "DismGetFeatureParent", u, p, p, ctypes.c_int,
                                             ctypes.POINTER(vp), ctypes.POINTER(u)),
            "DismMountImage": _declare(self.lib, "DismMountImage", p, p, u, p, ctypes.c_int, ctypes.c_uint32, vp,
                                       PROGRESS, vp),
            "DismUnmountImage": _declare(self.lib, "DismUnmountImage", p, ctypes.c_uint32, vp, PROGRESS, vp),
            "DismRemountImage": _declare(self.lib, "DismRemountImage", p),
            "DismCleanupMountpoints": _declare(self.lib, "DismCleanupMountpoints"),
            "DismCommitImage": _declare(self.lib, "DismCommitImage", u, ctypes.c_uint32, vp, PROGRESS, vp),
            "DismAddDriver": _declare(self.lib, "DismAddDriver", u, p, ctypes.c_int),
            "DismRemoveDriver": _declare(self.lib, "DismRemoveDriver", u, p),
            "DismGetDrivers": _declare(self.lib, "DismGetDrivers", u, ctypes.c_int, ctypes.POINTER(vp),
                                       ctypes.POINTER(u)),
            "DismGetDriverInfo": _declare(self.lib, "DismGetDriverInfo", u, p, ctypes.POINTER(vp), ctypes.POINTER(u),
                                          ctypes.POINTER(vp)),
            "DismGetReservedStorageState": _declare(self.lib, "DismGetReservedStorageState", u,
                                                    ctypes.POINTER(ctypes.c_uint32)),
        }
        self.k32.CreateEventW.argtypes = [vp, ctypes.c_int, ctypes.c_int, vp]
        self.k32.CreateEventW.restype = vp
        for name in ("SetEvent", "ResetEvent", "CloseHandle"):
            getattr(self.k32, name).argtypes = [vp]
            getattr(self.k32, name).restype = ctypes.c_int
        self.k32.WaitForSingleObject.argtypes = [vp, ctypes.c_uint32]
        self.k32.WaitForSingleObject.restype = ctypes.c_uint32
        self.k32.FindFirstFileW.argtypes = [vp, ctypes.POINTER(WIN32_FIND_DATAW)]
        self.k32.FindFirstFileW.restype = vp
        self.k32.FindNextFileW.argtypes = [vp, ctypes.POINTER(WIN32_FIND_DATAW)]
        self.k32.FindNextFileW.restype = ctypes.c_int
        self.k32.FindClose.argtypes = [vp]
        self.k32.FindClose.restype = ctypes.c_int
        self.k32.GetLastError.argtypes = []
        self.k32.GetLastError.restype = ctypes.c_uint32

    # -- process --
    def initialize(self, level: int = 2, log: str | None = None, scratch: str | None = None) -> int:
        return self.raw["DismInitialize"](level, wstr(log), wstr(scratch))

    def shutdown(self) -> int:
        return self.raw["DismShutdown"]()

    def reset(self) -> None:
        """Closes what a test left open and shuts down, whatever state it ended in."""
        for sid in sorted(self.sessions):
            self.raw["DismCloseSession"](sid)
        self.sessions.clear()
        self.shutdown()

    # -- sessions --
    def open_session(self, path: str, windir: str | None = None, drive: str | None = None) -> tuple[int, int]:
        sid = ctypes.c_uint(0xDEAD)
        hr = self.raw["DismOpenSession"](wstr(path), wstr(windir), wstr(drive), ctypes.byref(sid))
        if hr == S_OK:
            self.sessions.add(sid.value)
        return hr, sid.value

    def close_session(self, sid: int) -> int:
        self.sessions.discard(sid)
        return self.raw["DismCloseSession"](sid)

    # -- errors and memory --
    def last_error(self) -> tuple[int, str | None]:
        ptr = ctypes.c_void_p()
        hr = self.raw["DismGetLastErrorMessage"](ctypes.byref(ptr))
        if hr != S_OK:
            return hr, None
        text = read_wstr(DismString.from_address(ptr.value).Value)
        assert self.delete(ptr.value) == S_OK
        return hr, text

    def delete(self, address) -> int:
        return self.raw["DismDelete"](address)

    # -- images --
    def image_info(self, path: str, keep: bool = False):
        ptr, count = ctypes.c_void_p(), ctypes.c_uint(0xDEAD)
        hr = self.raw["DismGetImageInfo"](wstr(path), ctypes.byref(ptr), ctypes.byref(count))
        images = read_array(ptr.value, count.value, DismImageInfo, image_dict)
        if hr < 0x80000000:
            assert len(images) == count.value
        if not keep:
            assert self.delete(ptr.value) == S_OK
        return (hr, images, ptr.value) if keep else (hr, images)

    def mounted_images(self):
        ptr, count = ctypes.c_void_p(), ctypes.c_uint(0xDEAD)
        hr = self.raw["DismGetMountedImageInfo"](ctypes.byref(ptr), ctypes.byref(count))
        out = []
        for i in range(count.value):
            m = DismMountedImageInfo.from_address(ptr.value + i * 28)
            out.append({"mount_path": read_wstr(m.MountPath), "image_path": read_wstr(m.ImageFilePath),
                        "index": m.ImageIndex, "mode": m.MountMode, "status": m.MountStatus})
        assert self.delete(ptr.value) == S_OK
        return hr, ptr.value, count.value, out

    # -- mounting --
    @staticmethod
    def _recorder(calls: list, progress):
        def record(current, total, _user):
            calls.append((current, total))
            if progress:
                progress(current, total)
        return PROGRESS(record)

    def mount(self, image: str, folder: str, index: int = 1, name: str | None = None, flags: int = 0,
              cancel=None, progress=None):
        """DismMountImage by index, or by name when `name` is given; returns (hr, progress calls)."""
        calls: list[tuple[int, int]] = []
        hr = self.raw["DismMountImage"](wstr(image), wstr(folder), index, wstr(name), 1 if name else 0, flags,
                                        cancel, self._recorder(calls, progress), None)
        return hr, calls

    def unmount(self, folder: str, flags: int = 0, cancel=None, progress=None):
        calls: list[tuple[int, int]] = []
        hr = self.raw["DismUnmountImage"](wstr(folder), flags, cancel, self._recorder(calls, progress), None)
        return hr, calls

    def remount(self, folder: str) -> int:
        return self.raw["DismRemountImage"](wstr(folder))

    def cleanup_mountpoints(self) -> int:
        return self.raw["DismCleanupMountpoints"]()

    def commit(self, sid: int, flags: int = 0, cancel=None, progress=None):
        calls: list[tuple[int, int]] = []
        hr = self.raw["DismCommitImage"](sid, flags, cancel, self._recorder(calls, progress), None)
        return hr, calls

    def check_health(self, sid: int, scan: bool, cancel=None, progress=None):
        calls: list[tuple[int, int]] = []

        def record(current, total, _user):
            calls.append((current, total))
            if progress:
                progress(current, total)

        cb = PROGRESS(record)
        state = ctypes.c_int(-1)
        hr = self.raw["DismCheckImageHealth"](sid, int(scan), cancel, cb, None, ctypes.byref(state))
        return hr, state.value, calls

    # -- features --
    def features(self, sid: int, ident: str | None = None, kind: int = 0):
        """DismGetFeatures -> (hr, {name: state}) in catalog order."""
        ptr, count = ctypes.c_void_p(), ctypes.c_uint(0xDEAD)
        hr = self.raw["DismGetFeatures"](sid, wstr(ident), kind, ctypes.byref(ptr), ctypes.byref(count))
        out = {read_wstr(f.FeatureName): f.State for f in read_array(ptr.value, count.value, DismFeature, lambda x: x)}
        assert self.delete(ptr.value) == S_OK
        return hr, out

    def feature_info(self, sid: int, name: str, ident: str | None = None, kind: int = 0):
        ptr = ctypes.c_void_p(0xDEAD)
        hr = self.raw["DismGetFeatureInfo"](sid, wstr(name), wstr(ident), kind, ctypes.byref(ptr))
        if not ptr.value:
            return hr, None
        info = DismFeatureInfo.from_address(ptr.value)
        props = [(read_wstr(c.Path), read_wstr(c.Name), read_wstr(c.Value))
                 for c in read_array(info.CustomProperty, info.CustomPropertyCount, DismCustomProperty, lambda x: x)]
        out = {"name": read_wstr(info.FeatureName), "state": info.FeatureState,
               "display_name": read_wstr(info.DisplayName), "description": read_wstr(info.Description),
               "restart": info.RestartRequired, "custom": props}
        assert self.delete(ptr.value) == S_OK
        return hr, out

    def feature_parents(self, sid: int, name: str, ident: str | None = None, kind: int = 0):
        ptr, count = ctypes.c_void_p(), ctypes.c_uint(0xDEAD)
        hr = self.raw["DismGetFeatureParent"](sid, wstr(name), wstr(ident), kind, ctypes.byref(ptr),
                                              ctypes.byref(count))
        out = {read_wstr(f.FeatureName): f.State for f in read_array(ptr.value, count.value, DismFeature, lambda x: x)}
        assert self.delete(ptr.value) == S_OK
        return hr, out

    def enable_feature(self, sid: int, names: str, ident: str | None = None, kind: int = 0, limit_access=False,
                       sources=(), enable_all=False, cancel=None, progress=None):
        """DismEnableFeature -> (hr, progress calls)."""
        calls: list[tuple[int, int]] = []
        bufs = [wstr(src) for src in sources]
        array = (ctypes.c_void_p * max(1, len(bufs)))(*[ctypes.addressof(b) for b in bufs])
        hr = self.raw["DismEnableFeature"](sid, wstr(names), wstr(ident), kind, int(limit_access),
                                           array if bufs else None, len(bufs), int(enable_all), cancel,
                                           self._recorder(calls, progress), None)
        return hr, calls

    def disable_feature(self, sid: int, names: str, package: str | None = None, remove_payload=False, cancel=None,
                        progress=None):
        calls: list[tuple[int, int]] = []
        hr = self.raw["DismDisableFeature"](sid, wstr(names), wstr(package), int(remove_payload), cancel,
                                            self._recorder(calls, progress), None)
        return hr, calls

    # -- drivers --
    def add_driver(self, sid: int, path: str, force_unsigned: bool = False) -> int:
        return self.raw["DismAddDriver"](sid, wstr(path), int(force_unsigned))

    def remove_driver(self, sid: int, published: str) -> int:
        return self.raw["DismRemoveDriver"](sid, wstr(published))

    def drivers(self, sid: int, all_drivers: bool = False):
        """DismGetDrivers -> (hr, [package dict]) in store order."""
        ptr, count = ctypes.c_void_p(), ctypes.c_uint(0xDEAD)
        hr = self.raw["DismGetDrivers"](sid, int(all_drivers), ctypes.byref(ptr), ctypes.byref(count))
        out = read_array(ptr.value, count.value, DismDriverPackage, package_dict)
        assert self.delete(ptr.value) == S_OK
        return hr, out

    def driver_info(self, sid: int, path: str, want_package: bool = True):
        """DismGetDriverInfo -> (hr, [driver dict], package dict or None); each block deleted on its own."""
        ptr, count, pkg = ctypes.c_void_p(), ctypes.c_uint(0xDEAD), ctypes.c_void_p(0xDEAD)
        hr = self.raw["DismGetDriverInfo"](sid, wstr(path), ctypes.byref(ptr), ctypes.byref(count),
                                           ctypes.byref(pkg) if want_package else None)
        drivers = read_array(ptr.value, count.value, DismDriver, driver_dict)
        package = package_dict(DismDriverPackage.from_address(pkg.value)) if want_package and pkg.value else None
        assert self.delete(ptr.value) == S_OK
        if want_package:
            assert self.delete(pkg.value) == S_OK
        return hr, drivers, package

    # -- kernel32 directory enumeration --
    def find_files(self, pattern: str):
        """FindFirstFileW/FindNextFileW/FindClose -> (last error, [(name, attributes, size)])."""
        data = WIN32_FIND_DATAW()
        handle = self.k32.FindFirstFileW(wstr(pattern), ctypes.byref(data))
        if handle in (None, 0, ctypes.c_void_p(-1).value):
            return self.k32.GetLastError(), []
        out = []
        while True:
            out.append((find_name(data), data.dwFileAttributes,
                        (data.nFileSizeHigh << 32) | data.nFileSizeLow))
            if not self.k32.FindNextFileW(handle, ctypes.byref(data)):
                break
        error = self.k32.GetLastError()
        assert self.k32.FindClose(handle) == 1
        return error, out


def find_name(data: WIN32_FIND_DATAW) -> str:
    units = list(data.cFileName)
    return b"".join(u.to_bytes(2, "little") for u in units[:units.index(0)]).decode("utf-16-le")


def package_dict(p: DismDriverPackage) -> dict:
    return {
        "published_name": read_wstr(p.PublishedName), "original_file_name": read_wstr(p.OriginalFileName),
        "inbox": p.InBox, "catalog_file": read_wstr(p.CatalogFile), "class_name": read_wstr(p.ClassName),
        "class_guid": read_wstr(p.ClassGuid), "class_description": read_wstr(p.ClassDescription),
        "boot_critical": p.BootCritical, "signature": p.DriverSignature, "provider": read_wstr(p.ProviderName),
        "date": (p.Date.wYear, p.Date.wMonth, p.Date.wDay, p.Date.wDayOfWeek),
        "version": (p.MajorVersion, p.MinorVersion, p.Build, p.Revision),
    }


def driver_dict(x: DismDriver) -> dict:
    return {"manufacturer": read_wstr(x.ManufacturerName), "description": read_wstr(x.HardwareDescription),
            "hardware_id": read_wstr(x.HardwareId), "arch": x.Architecture, "service": read_wstr(x.ServiceName),
            "compatible_ids": read_wstr(x.CompatibleIds), "exclude_ids": read_wstr(x.ExcludeIds)}


def read_array(address: int | None, count: int, struct, convert) -> list:
    """Converts `count` packed structs at `address` (NULL -> empty list)."""
    if not address:
        return []
    size = ctypes.sizeof(struct)
    return [convert(struct.from_address(address + i * size)) for i in range(count)]


def image_dict(info: DismImageInfo) -> dict:
    langs = [read_wstr(DismString.from_address(info.Language + 8 * i).Value) for i in range(info.LanguageCount)]
    custom = None
    if info.CustomizedInfo:
        ci = DismWimCustomizedInfo.from_address(info.CustomizedInfo)
        custom = {"size": ci.Size, "dirs": ci.DirectoryCount, "files": ci.FileCount,
                  "created": systemtime(ci.CreatedTime), "modified": systemtime(ci.ModifiedTime)}
    return {
        "type": info.ImageType, "index": info.ImageIndex, "name": read_wstr(info.ImageName),
        "description": read_wstr(info.ImageDescription), "size": info.ImageSize, "arch": info.Architecture,
        "product_name": read_wstr(info.ProductName), "edition_id": read_wstr(info.EditionId),
        "installation_type": read_wstr(info.InstallationType), "hal": read_wstr(info.Hal),
        "product_type": read_wstr(info.ProductType), "product_suite": read_wstr(info.ProductSuite),
        "version": (info.MajorVersion, info.MinorVersion, info.Build, info.SpBuild), "sp_level": info.SpLevel,
        "bootable": info.Bootable, "system_root": read_wstr(info.SystemRoot), "languages": langs,
        "default_language_index": info.DefaultLanguageIndex, "customized": custom,
    }


# -- call accounting (src/calls.c): one "<pid> <Function>" line per exported call ----------------
def call_log(root: pathlib.Path) -> list[tuple[int, str]]:
    """Every counted call of the host at `root`, oldest first, as (pid, function)."""
    path = root / "lab" / "dism-calls.log"
    if not path.exists():
        return []
    calls = []
    for line in path.read_text(encoding="ascii").splitlines():
        pid, _sep, func = line.partition(" ")
        calls.append((int(pid), func))
    return calls


def call_counts(root: pathlib.Path, pid: int | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for caller, func in call_log(root):
        if pid is None or caller == pid:
            counts[func] = counts.get(func, 0) + 1
    return counts


# ==== capabilities: DismGetCapabilities, DismGetCapabilityInfo, DismAddCapability, DismRemoveCapability ====
# (README "The capability model").  A block of its own: the methods are attached to Dism below, and the
# functions are declared on first use, so the class above stays as it is.
CBS_E_CANNOT_UNINSTALL = 0x800F0825
E_FILENAME_EXCED_RANGE = 0x800700CE


class DismCapability(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("Name", PCWSTR), ("State", ctypes.c_int)]


class DismCapabilityInfo(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("Name", PCWSTR), ("State", ctypes.c_int), ("DisplayName", PCWSTR), ("Description", PCWSTR),
                ("DownloadSize", ctypes.c_uint32), ("InstallSize", ctypes.c_uint32)]


assert ctypes.sizeof(DismCapability) == 12 and ctypes.sizeof(DismCapabilityInfo) == 36


def capability_info_dict(info: DismCapabilityInfo) -> dict:
    return {"name": read_wstr(info.Name), "state": info.State, "display_name": read_wstr(info.DisplayName),
            "description": read_wstr(info.Description), "download_size": info.DownloadSize,
            "install_size": info.InstallSize}


class CapabilityCalls:
    """Methods of Dism for the capability exports (attached below)."""

    def _capability_fn(self, name: str):
        if name not in self.raw:
            p, u, vp = PCWSTR, ctypes.c_uint, ctypes.c_void_p
            argtypes = {
                "DismGetCapabilities": (u, ctypes.POINTER(vp), ctypes.POINTER(u)),
                "DismGetCapabilityInfo": (u, p, ctypes.POINTER(vp)),
                "DismAddCapability": (u, p, ctypes.c_int, vp, u, vp, PROGRESS, vp),
                "DismRemoveCapability": (u, p, vp, PROGRESS, vp),
            }[name]
            self.raw[name] = _declare(self.lib, name, *argtypes)
        return self.raw[name]

    def capabilities(self, sid: int, keep: bool = False):
        """DismGetCapabilities -> (hr, {name: state}) in store order (and the pointer with keep=True)."""
        ptr, count = ctypes.c_void_p(0xDEAD), ctypes.c_uint(0xDEAD)
        hr = self._capability_fn("DismGetCapabilities")(sid, ctypes.byref(ptr), ctypes.byref(count))
        items = read_array(ptr.value, count.value, DismCapability, lambda x: (read_wstr(x.Name), x.State))
        # NULL array <-> no items (pylint infers ptr.value from the 0xDEAD sentinel, hence "not").
        assert len(items) == (0 if not ptr.value else count.value)
        out = dict(items)
        if keep:
            return hr, out, ptr.value, count.value
        assert self.delete(ptr.value) == S_OK
        return hr, out

    def capability_info(self, sid: int, name: str | None, keep: bool = False):
        """DismGetCapabilityInfo -> (hr, dict or None) (and the pointer with keep=True)."""
        ptr = ctypes.c_void_p(0xDEAD)
        hr = self._capability_fn("DismGetCapabilityInfo")(sid, wstr(name), ctypes.byref(ptr))
        info = None if not ptr.value else capability_info_dict(DismCapabilityInfo.from_address(ptr.value))
        if keep:
            return hr, info, ptr.value
        assert self.delete(ptr.value) == S_OK
        return hr, info

    def add_capability(self, sid: int, name: str | None, limit_access=False, sources=(), cancel=None,
                       progress=None, count: int | None = None):
        """DismAddCapability -> (hr, progress calls).  `count` overrides SourcePathCount."""
        calls: list[tuple[int, int]] = []
        bufs = [wstr(src) for src in sources]
        array = (ctypes.c_void_p * max(1, len(bufs)))(*[ctypes.addressof(b) for b in bufs])
        n = len(bufs) if count is None else count
        hr = self._capability_fn("DismAddCapability")(sid, wstr(name), int(limit_access),
                                                      array if bufs else None, n, cancel,
                                                      self._recorder(calls, progress), None)
        return hr, calls

    def remove_capability(self, sid: int, name: str | None, cancel=None, progress=None):
        """DismRemoveCapability -> (hr, progress calls)."""
        calls: list[tuple[int, int]] = []
        hr = self._capability_fn("DismRemoveCapability")(sid, wstr(name), cancel, self._recorder(calls, progress),
                                                         None)
        return hr, calls


for _name in ("_capability_fn", "capabilities", "capability_info", "add_capability", "remove_capability"):
    setattr(Dism, _name, getattr(CapabilityCalls, _name))


# ==== packages: DismGetPackages, DismGetPackageInfo(Ex), DismAddPackage, DismRemovePackage ====
# (README "The package model").  A block of its own, attached to Dism like the capability block.
CBS_E_INVALID_PACKAGE = 0x800F0805
CBS_E_NOT_APPLICABLE = 0x800F081E
CBS_E_NEW_SERVICING_STACK_REQUIRED = 0x800F0823
DISM_PACKAGE_NONE, DISM_PACKAGE_NAME, DISM_PACKAGE_PATH = 0, 1, 2
STATE_SUPERSEDED = 6
RESTART_NO, RESTART_POSSIBLE, RESTART_REQUIRED = 0, 1, 2
RELEASE_FOUNDATION, RELEASE_HOTFIX, RELEASE_SECURITY_UPDATE, RELEASE_UPDATE = 9, 3, 4, 6
OFFLINE_INSTALLABLE, OFFLINE_NOT_INSTALLABLE = 0, 1


class DismPackage(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("PackageName", PCWSTR), ("PackageState", ctypes.c_int), ("ReleaseType", ctypes.c_int),
                ("InstallTime", SYSTEMTIME)]


class DismPackageInfo(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("PackageName", PCWSTR), ("PackageState", ctypes.c_int), ("ReleaseType", ctypes.c_int),
                ("InstallTime", SYSTEMTIME), ("Applicable", ctypes.c_int), ("Copyright", PCWSTR),
                ("Company", PCWSTR), ("CreationTime", SYSTEMTIME), ("DisplayName", PCWSTR),
                ("Description", PCWSTR), ("InstallClient", PCWSTR), ("InstallPackageName", PCWSTR),
                ("LastUpdateTime", SYSTEMTIME), ("ProductName", PCWSTR), ("ProductVersion", PCWSTR),
                ("RestartRequired", ctypes.c_int), ("FullyOffline", ctypes.c_int),
                ("SupportInformation", PCWSTR), ("CustomProperty", ctypes.c_void_p),
                ("CustomPropertyCount", ctypes.c_uint), ("Feature", ctypes.c_void_p), ("FeatureCount", ctypes.c_uint)]


class DismPackageInfoEx(ctypes.Structure):
    _pack_ = 1
    _fields_ = DismPackageInfo._fields_ + [("CapabilityId", PCWSTR)]


assert (ctypes.sizeof(DismPackage), ctypes.sizeof(DismPackageInfo), ctypes.sizeof(DismPackageInfoEx)) == (32, 172, 180)
_PACKAGE_STRINGS = ("PackageName", "Copyright", "Company", "DisplayName", "Description", "InstallClient",
                    "InstallPackageName", "ProductName", "ProductVersion", "SupportInformation")


def package_info_dict(info) -> dict:
    out = {f: read_wstr(getattr(info, f)) for f in _PACKAGE_STRINGS}
    out.update({f: getattr(info, f) for f in ("PackageState", "ReleaseType", "Applicable", "RestartRequired",
                                              "FullyOffline", "CustomPropertyCount", "FeatureCount")})
    out.update({f: systemtime(getattr(info, f)) for f in ("InstallTime", "CreationTime", "LastUpdateTime")})
    out["CustomProperty"], out["Feature"] = info.CustomProperty, info.Feature
    if isinstance(info, DismPackageInfoEx):
        out["CapabilityId"] = read_wstr(info.CapabilityId)
    return out


class PackageCalls:
    """Methods of Dism for the package exports (attached below)."""

    def _package_fn(self, name: str):
        if name not in self.raw:
            p, u, vp, i = PCWSTR, ctypes.c_uint, ctypes.c_void_p, ctypes.c_int
            argtypes = {
                "DismGetPackages": (u, ctypes.POINTER(vp), ctypes.POINTER(u)),
                "DismGetPackageInfo": (u, p, i, ctypes.POINTER(vp)),
                "DismGetPackageInfoEx": (u, p, i, ctypes.POINTER(vp)),
                "DismAddPackage": (u, p, i, i, vp, PROGRESS, vp),
                "DismRemovePackage": (u, p, i, vp, PROGRESS, vp),
            }[name]
            self.raw[name] = _declare(self.lib, name, *argtypes)
        return self.raw[name]

    def packages(self, sid: int, keep: bool = False):
        """DismGetPackages -> (hr, {identity: (state, release type, install time)}) in store order."""
        ptr, count = ctypes.c_void_p(0xDEAD), ctypes.c_uint(0xDEAD)
        hr = self._package_fn("DismGetPackages")(sid, ctypes.byref(ptr), ctypes.byref(count))
        items = read_array(ptr.value, count.value, DismPackage,
                           lambda x: (read_wstr(x.PackageName), (x.PackageState, x.ReleaseType,
                                                                 systemtime(x.InstallTime))))
        out = dict(items)
        if keep:
            return hr, out, ptr.value, count.value
        assert self.delete(ptr.value) == S_OK
        return hr, out

    def package_info(self, sid: int, identifier: str | None, kind: int = DISM_PACKAGE_NAME, ex: bool = False,
                     keep: bool = False):
        """DismGetPackageInfo(Ex) -> (hr, dict or None) (and the pointer with keep=True)."""
        ptr = ctypes.c_void_p(0xDEAD)
        fn = self._package_fn("DismGetPackageInfoEx" if ex else "DismGetPackageInfo")
        hr = fn(sid, wstr(identifier), kind, ctypes.byref(ptr))
        struct = DismPackageInfoEx if ex else DismPackageInfo
        info = None if not ptr.value else package_info_dict(struct.from_address(ptr.value))
        if keep:
            return hr, info, ptr.value
        assert self.delete(ptr.value) == S_OK
        return hr, info

    def add_package(self, sid: int, path: str | None, ignore_check=False, prevent_pending=False, cancel=None,
                    progress=None):
        """DismAddPackage -> (hr, progress calls)."""
        calls: list[tuple[int, int]] = []
        hr = self._package_fn("DismAddPackage")(sid, wstr(path), int(ignore_check), int(prevent_pending), cancel,
                                                self._recorder(calls, progress), None)
        return hr, calls

    def remove_package(self, sid: int, identifier: str | None, kind: int = DISM_PACKAGE_NAME, cancel=None,
                       progress=None):
        """DismRemovePackage -> (hr, progress calls)."""
        calls: list[tuple[int, int]] = []
        hr = self._package_fn("DismRemovePackage")(sid, wstr(identifier), kind, cancel,
                                                   self._recorder(calls, progress), None)
        return hr, calls


for _name in ("_package_fn", "packages", "package_info", "add_package", "remove_package"):
    setattr(Dism, _name, getattr(PackageCalls, _name))


# ---- the lab's host state that tests set directly (tests/lab/dismsim/README.md, "On-disk state") --------

def reboot(lab, boot_id: str = "boot-2") -> None:
    """A new state/boot-id: the next online session sees a reboot."""
    (lab.root / "state").mkdir(exist_ok=True)
    (lab.root / "state" / "boot-id").write_text(boot_id + "\n")


def knob(lab, name: str, text: str) -> None:
    """A lab/<name> behaviour switch (pending-block, windows-update, ...)."""
    (lab.root / "lab").mkdir(exist_ok=True)
    (lab.root / "lab" / name).write_text(text + "\n")


def make_source(lab, rel: str, build: int, *payloads: str, arch: str | None = None) -> str:
    """A payload source folder C:\\<rel> holding LabPayload.txt for `build`; returns its Windows path."""
    folder = lab.drive() / rel
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"build={build}"] + ([f"arch={arch}"] if arch else []) + list(payloads)
    (folder / "LabPayload.txt").write_text("\n".join(lines) + "\n")
    return "C:\\" + rel.replace("/", "\\")
