# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HRESULTs DISM returns, their symbolic names, meanings and hints.

FOR INTERNAL COLLECTION USE ONLY. This table is the single source of truth for
error wording: failure messages and the tests read it.
Values and names come from DismApi.h, the CBS and Win32 code lists (see
dism-api.md section 5); hints are ours.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ._dism_enums import DEFAULT_LOG_PATH


@dataclasses.dataclass(frozen=True)
class HResultInfo:
    name: str
    meaning: str
    hint: str
    # False for codes with no published symbolic name (the 0xC142xxxx mount
    # layer): the name is this collection's label and the docs say so.
    name_is_published: bool = True


def _e(name: str, meaning: str, hint: str = "") -> HResultInfo:
    return HResultInfo(name=name, meaning=meaning, hint=hint)


def _label(name: str, meaning: str, hint: str = "") -> HResultInfo:
    return HResultInfo(name=name, meaning=meaning, hint=hint, name_is_published=False)


_SOURCE_HINT = (
    "Give 'source' with a folder that holds the payload of the same Windows build (for example the"
    " 'sources\\sxs' folder of the matching installation media or the Windows folder of a mounted image)."
    " Online, Windows Update is used only when 'limit_access' is false and the connection may reach it:"
    " under WinRM/SSH use become, see the collection's connection guide."
)

HRESULTS: dict[int, HResultInfo] = {
    # DismApi.h
    0xC0040001: _e("DISMAPI_E_DISMAPI_NOT_INITIALIZED", "DismInitialize has not been called in this process.",
                   "This is a defect in the collection's helper; please report it with the DISM log."),
    0xC0040002: _e("DISMAPI_E_SHUTDOWN_IN_PROGRESS", "The DISM session is being shut down."),
    0xC0040003: _e("DISMAPI_E_OPEN_SESSION_HANDLES", "DismShutdown was called while sessions are still open."),
    0xC0040004: _e("DISMAPI_E_INVALID_DISM_SESSION", "The DISM session handle is not valid."),
    0xC0040005: _e("DISMAPI_E_INVALID_IMAGE_INDEX", "The image index does not exist in the image file.",
                   "List the indexes with winimaging.dism.dism_image_info."),
    0xC0040006: _e("DISMAPI_E_INVALID_IMAGE_NAME", "The image name does not exist in the image file.",
                   "List the image names with winimaging.dism.dism_image_info."),
    0xC0040007: _e("DISMAPI_E_UNABLE_TO_UNMOUNT_IMAGE_PATH", "The path is not a mounted WIM or VHD image.",
                   "List the mounts with winimaging.dism.dism_image_info without image_path."),
    0xC0040009: _e("DISMAPI_E_LOGGING_DISABLED", "The requested DISM log file cannot be used, so logging is disabled.",
                   "Check that the folder of 'log_path' exists and is writable."),
    0xC004000A: _e("DISMAPI_E_OPEN_HANDLES_UNABLE_TO_UNMOUNT_IMAGE_PATH",
                   "The image cannot be unmounted while DISM sessions are open on it.",
                   "Another DISM client is servicing this mount; wait for it to finish."),
    0xC004000B: _e("DISMAPI_E_OPEN_HANDLES_UNABLE_TO_MOUNT_IMAGE_PATH",
                   "The image cannot be mounted while DISM sessions are open on it."),
    0xC004000C: _e("DISMAPI_E_OPEN_HANDLES_UNABLE_TO_REMOUNT_IMAGE_PATH",
                   "The image cannot be remounted while DISM sessions are open on it."),
    0xC004000D: _e("DISMAPI_E_PARENT_FEATURE_DISABLED", "A parent feature of the requested feature is disabled.",
                   "Set include_parent=true or enable the parent features first."),
    0xC004000E: _e("DISMAPI_E_MUST_SPECIFY_ONLINE_IMAGE", "The offline path given is the running Windows installation.",
                   "Omit 'path' to service the running installation."),
    0xC004000F: _e("DISMAPI_E_INVALID_PRODUCT_KEY", "The product key is not valid for this edition."),
    0xC1510114: _e("DISMAPI_E_NEEDS_REMOUNT", "The image must be remounted before it can be serviced.",
                   "Remount the image (DismRemountImage, dism /Remount-Image) or unmount it with discard."),
    0x800F080C: _e("DISMAPI_E_UNKNOWN_FEATURE", "The feature, package or capability name is unknown to this image.",
                   "Check the spelling against the names DISM lists for this image (DismGetFeatures, Get-WindowsOptionalFeature)."),
    0x800F0902: _e("DISMAPI_E_BUSY", "The servicing stack is busy with another operation.",
                   "Another DISM or Windows Update operation is running; retry when it has finished."),
    # CBS (servicing stack)
    0x800F0805: _e("CBS_E_INVALID_PACKAGE", "The package is not valid.",
                   "Point package_path at a .cab or .msu file, an expanded package folder (one holding update.mum),"
                   " or a folder of .cab and .msu files; a download that did not complete is not a valid package."),
    0x800F0806: _e("CBS_E_PENDING", "The operation is blocked by pending servicing operations.",
                   "Restart the machine (or boot the image) to finish the pending operations, then retry."),
    0x800F080D: _e("CBS_E_MANIFEST_INVALID_ITEM", "A manifest in the package is invalid."),
    0x800F081E: _e("CBS_E_NOT_APPLICABLE", "The package is not applicable to this image.",
                   "The package is for another Windows build, architecture or edition, or a newer version of it is"
                   " installed; winimaging.dism.dism_package_info with package_path shows 'applicable' for the file."
                   " ignore_check=true makes DISM skip the check."),
    0x800F081F: _e("CBS_E_SOURCE_MISSING", "The source files for the payload could not be found.", _SOURCE_HINT),
    0x800F0820: _e("CBS_E_CANCEL", "The operation was cancelled."),
    0x800F0821: _e("CBS_E_ABORT", "The operation was aborted."),
    0x800F0823: _e("CBS_E_NEW_SERVICING_STACK_REQUIRED", "A newer servicing stack is required.",
                   "Install the latest servicing stack update first."),
    0x800F0825: _e("CBS_E_CANNOT_UNINSTALL", "The package or capability cannot be uninstalled.",
                   "Permanent packages (servicing stack updates) cannot be removed; a capability can be removed only"
                   " while it is installed."),
    0x800F0828: _e("CBS_E_INSUFFICIENT_DISK_SPACE", "There is not enough disk space.",
                   "Free space on the image volume and in 'scratch_directory'."),
    0x800F082E: _e("CBS_E_NOT_ALLOWED_OFFLINE", "The operation is not allowed on an offline image."),
    0x800F082F: _e("CBS_E_EXCLUSIVE_WOULD_MERGE", "The operation conflicts with pending servicing operations.",
                   "Restart the machine (or boot the image) to finish the pending operations, then retry; with"
                   " prevent_pending=true DISM also refuses a package that would itself leave operations pending."),
    0x800F0830: _e("CBS_E_IMAGE_UNSERVICEABLE", "The image cannot be serviced."),
    0x800F0831: _e("CBS_E_STORE_CORRUPTION", "The component store is corrupt.",
                   "Repair the image (DISM /RestoreHealth) before servicing it."),
    0x800F0906: _e("CBS_E_DOWNLOAD_FAILURE", "The payload could not be downloaded.", _SOURCE_HINT),
    0x800F0907: _e("CBS_E_GROUPPOLICY_DISALLOWED", "Group Policy forbids downloading the payload.", _SOURCE_HINT),
    0x800F0922: _e("CBS_E_INSTALLERS_FAILED", "An advanced installer failed while the change was applied."),
    0x800F0950: _e("CBS_E_INVALID_WINDOWS_UPDATE_COUNT", "Windows Update could not provide the payload.", _SOURCE_HINT),
    0x800F0954: _e("CBS_E_INVALID_WINDOWS_UPDATE_COUNT_WSUS", "WSUS could not provide the payload.", _SOURCE_HINT),
    # SetupAPI / code integrity, from driver servicing
    0x800F0003: _e("SPAPI_E_GENERAL_SYNTAX", "The INF file has a syntax error.",
                   "Fix the INF named in DISM's message, or leave it out (on_error=skip adds the others)."),
    0x800F0100: _e("SPAPI_E_WRONG_INF_STYLE", "The file is not a valid driver INF (no [Version] section or Signature).",
                   "Point 'driver' at the package's .inf file, or leave this one out (on_error=skip adds the others)."),
    0x800F0228: _e("SPAPI_E_NO_COMPAT_DRIVERS", "The driver package has no driver for this image's architecture.",
                   "Use the package built for the image's architecture (x64 or x86)."),
    0x800F022F: _e("SPAPI_E_NO_CATALOG_FOR_OEM_INF", "The INF names no catalog file, so the package is unsigned.",
                   "Use a signed package, or set force_unsigned=true for an x64 image (for testing only)."),
    0x800B0100: _e("TRUST_E_NOSIGNATURE", "The driver package is not signed.",
                   "Use a signed package, or set force_unsigned=true for an x64 image (for testing only)."),
    # WIMGAPI / mount layer: no published names, labels are ours
    0xC1420113: _label("WIM_MOUNT_DIR_IN_USE", "The mount folder already holds a mounted image.",
                       "Use another mount folder, or unmount the image that is mounted there."),
    0xC1420114: _label("WIM_MOUNT_DIR_NOT_EMPTY", "The mount folder is not empty.",
                       "Mount into an empty folder."),
    0xC1420117: _label("WIM_UNMOUNT_FILES_OPEN", "The mount folder could not be completely unmounted: files in it are open.",
                       "Close Explorer windows, shells, antivirus scans and loaded registry hives that use the mount folder, then retry."),
    0xC1420127: _label("WIM_ALREADY_MOUNTED_READ_WRITE",
                       "The image in this WIM file is already mounted for read/write access.",
                       "Unmount the other mount, or mount read-only."),
    0xC1420134: _label("WIM_MOUNT_DIR_NOT_FIXED", "The mount folder is not on a fixed disk.",
                       "Mount into a folder on a local fixed NTFS volume."),
    # Win32 errors as HRESULTs
    0x80004001: _e("E_NOTIMPL", "The operation is not implemented by this DISM.",
                   "The DISM on the host may be older than the image; install the Windows ADK that matches the image."),
    0x80004005: _e("E_FAIL", "Unspecified error."),
    0x80040154: _e("REGDB_E_CLASSNOTREG", "DISM could not be loaded: class not registered.",
                   "Run from a non-packaged PowerShell (not the Microsoft Store / MSIX edition)."),
    0x80070002: _e("ERROR_FILE_NOT_FOUND", "The system cannot find the file specified.",
                   "Check the path on the managed host (paths are resolved on the Windows host, not the controller)."),
    0x80070003: _e("ERROR_PATH_NOT_FOUND", "The system cannot find the path specified.",
                   "Check the path on the managed host (paths are resolved on the Windows host, not the controller)."),
    0x80070005: _e("ERROR_ACCESS_DENIED", "Access is denied.",
                   "DISM needs an elevated administrator; for network paths see the become recipes in the connection guide."),
    0x8007000B: _e("ERROR_BAD_FORMAT", "The file is not in a format DISM can read.",
                   "Check that the file is a complete .wim, .esd, .vhd or .vhdx image."),
    0x80070020: _e("ERROR_SHARING_VIOLATION", "The file is in use by another process."),
    0x80070032: _e("ERROR_NOT_SUPPORTED", "The request is not supported.",
                   "Some DISM operations work on offline images only (adding .msu packages, adding and removing"
                   " drivers): set 'path' to a mounted or applied image."),
    0x80070035: _e("ERROR_BAD_NETPATH", "The network path was not found."),
    0x80070057: _e("E_INVALIDARG", "The parameter is incorrect."),
    0x80070070: _e("ERROR_DISK_FULL", "There is not enough space on the disk.",
                   "Free space on the image volume and in 'scratch_directory'."),
    0x8007007B: _e("ERROR_INVALID_NAME", "The file name, folder name or volume label syntax is incorrect.",
                   "Check the path for characters Windows does not allow in names (< > : \" | ? *)."),
    0x80070091: _e("ERROR_DIR_NOT_EMPTY", "The directory is not empty."),
    0x800700B7: _e("ERROR_ALREADY_EXISTS", "The session is already associated with an image."),
    0x800700CE: _e("ERROR_FILENAME_EXCED_RANGE", "The file name or extension is too long.",
                   "DISM and the helper's Windows calls take paths of at most 259 characters (MAX_PATH): use shorter"
                   " folder names or move the files closer to the root of the drive (for example C:\\drivers)."),
    0x800702E4: _e("ERROR_ELEVATION_REQUIRED", "DISM requires elevation.",
                   "Connect as a member of the local Administrators group (UAC remote restrictions apply to local accounts)."),
    0x80070490: _e("ERROR_NOT_FOUND", "Element not found."),
    0x800704C7: _e("ERROR_CANCELLED", "The operation was cancelled.",
                   "DISM stopped before finishing; the image state is unknown, verify it before going on."),
    0x800704D3: _e("ERROR_REQUEST_ABORTED", "The request was aborted."),
    0x800704DF: _e("ERROR_ALREADY_INITIALIZED", "DISM was already initialized in this process."),
    0x80070645: _e("ERROR_UNKNOWN_PRODUCT", "The product key is not valid."),
    0x80073712: _e("ERROR_SXS_COMPONENT_STORE_CORRUPT", "The component store is corrupt.",
                   "Repair the image (DISM /RestoreHealth) before servicing it."),
}


def to_unsigned(hresult: int) -> int:
    """The 32-bit unsigned form of an HRESULT that arrived as a signed int."""
    return hresult & 0xFFFFFFFF


def format_hresult(hresult: int) -> str:
    return "0x%08X" % to_unsigned(hresult)


def describe(hresult: int) -> HResultInfo:
    """Table entry for an HRESULT; unknown codes still get a Win32 name when they have one."""
    code = to_unsigned(hresult)
    info = HRESULTS.get(code)
    if info is not None:
        return info
    if code & 0xFFFF0000 == 0x80070000:
        return HResultInfo(name="HRESULT_FROM_WIN32(%d)" % (code & 0xFFFF), meaning="Win32 error %d." % (code & 0xFFFF), hint="")
    return HResultInfo(name="UNKNOWN_HRESULT", meaning="An HRESULT this collection does not know.", hint="")


# The executor names itself as the failing "function" for request errors it raised itself.
HELPER_FUNCTION = "Executor"


@dataclasses.dataclass(frozen=True)
class DismFailure:
    """A DISM call that failed, with everything a user needs to act on it."""

    hresult: int
    function: str
    dism_message: str | None
    context: str
    log_path: str

    @property
    def info(self) -> HResultInfo:
        return describe(self.hresult)

    @property
    def msg(self) -> str:
        info = self.info
        if self.function == HELPER_FUNCTION:
            # The helper refused the request before DISM saw it: no DISM text, no DISM log.
            return "%s: internal error in the DISM helper (%s): %s. Please report this." % (
                self.context, format_hresult(self.hresult), self.dism_message or info.meaning)
        if not self.function.startswith("Dism"):
            # One of the helper's own Windows calls (folder checks, driver folder scans): not DISM.
            parts = ["%s: the helper's Windows call %s failed with %s %s" % (
                self.context, self.function, format_hresult(self.hresult), info.name)]
            parts.append(self.dism_message or info.meaning)
            if info.hint:
                parts.append("Hint: %s" % info.hint)
            return ". ".join(p.rstrip(".") for p in parts) + "."
        parts = ["%s: %s failed with %s %s" % (self.context, self.function, format_hresult(self.hresult), info.name)]
        parts.append("DISM says: %s" % (self.dism_message or info.meaning))
        if info.hint:
            parts.append("Hint: %s" % info.hint)
        parts.append("DISM log: %s" % self.log_path)
        return ". ".join(p.rstrip(".") for p in parts) + "."

    def to_result(self) -> dict[str, t.Any]:
        """The keys a failed task returns, besides failed=true."""
        info = self.info
        return {
            "msg": self.msg,
            "hresult": format_hresult(self.hresult),
            "hresult_name": info.name,
            "dism_function": self.function,
            "dism_message": self.dism_message,
            "hint": info.hint or None,
            "log_path": self.log_path,
        }


def failure_from_helper(error: t.Mapping[str, t.Any], context: str, log_path: str | None) -> DismFailure:
    """Build a DismFailure from the helper's error dict (architecture.md section 2)."""
    message = error.get("message")
    if isinstance(message, str):
        message = message.strip() or None
    return DismFailure(
        hresult=int(error.get("hresult", 0x80004005)),
        function=str(error.get("function") or "DISM"),
        dism_message=message,
        context=context,
        log_path=log_path or DEFAULT_LOG_PATH,
    )
