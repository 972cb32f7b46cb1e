# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DISM enumeration values and the names this collection reports for them.

FOR INTERNAL COLLECTION USE ONLY. The helper returns DISM enums as integers
(dism-api.md section 4); this module is the single place that names them: an IntEnum per DISM
enum (its values, for the planners), and per enum the names the modules report (for results,
docs and tests).
"""

from __future__ import annotations

import enum


class ImageType(enum.IntEnum):
    """DismImageType."""

    UNSUPPORTED = -1
    WIM = 0
    VHD = 1


class ImageBootable(enum.IntEnum):
    """DismImageBootable."""

    YES = 0
    NO = 1
    UNKNOWN = 2


class MountMode(enum.IntEnum):
    """DismMountMode."""

    READ_WRITE = 0
    READ_ONLY = 1


class MountStatus(enum.IntEnum):
    """DismMountStatus."""

    OK = 0
    NEEDS_REMOUNT = 1
    INVALID = 2


class PackageFeatureState(enum.IntEnum):
    """DismPackageFeatureState: the state of a feature, and of a package."""

    NOT_PRESENT = 0
    UNINSTALL_PENDING = 1
    STAGED = 2
    REMOVED = 3  # DismStateResolved has the same value
    INSTALLED = 4
    INSTALL_PENDING = 5
    SUPERSEDED = 6
    PARTIALLY_INSTALLED = 7


class RestartType(enum.IntEnum):
    """DismRestartType."""

    NO = 0
    POSSIBLE = 1
    REQUIRED = 2


class ReleaseType(enum.IntEnum):
    """DismReleaseType."""

    CRITICAL_UPDATE = 0
    DRIVER = 1
    FEATURE_PACK = 2
    HOTFIX = 3
    SECURITY_UPDATE = 4
    SOFTWARE_UPDATE = 5
    UPDATE = 6
    UPDATE_ROLLUP = 7
    LANGUAGE_PACK = 8
    FOUNDATION = 9
    SERVICE_PACK = 10
    PRODUCT = 11
    LOCAL_PACK = 12
    OTHER = 13
    ON_DEMAND_PACK = 14


class FullyOfflineInstallable(enum.IntEnum):
    """DismFullyOfflineInstallableType."""

    INSTALLABLE = 0
    NOT_INSTALLABLE = 1
    UNDETERMINED = 2


class DriverSignature(enum.IntEnum):
    """DismDriverSignature."""

    UNKNOWN = 0
    UNSIGNED = 1
    SIGNED = 2


IMAGE_TYPES: dict[int, str] = {ImageType.UNSUPPORTED: "unsupported", ImageType.WIM: "wim", ImageType.VHD: "vhd"}

# DismImageInfo.Architecture holds a PROCESSOR_ARCHITECTURE_* value.
ARCHITECTURES: dict[int, str] = {
    0: "x86",
    5: "arm",
    6: "ia64",
    9: "x64",
    11: "neutral",
    12: "arm64",
}

# None means DISM could not tell.
BOOTABLE: dict[int, bool | None] = {ImageBootable.YES: True, ImageBootable.NO: False, ImageBootable.UNKNOWN: None}

MOUNT_MODES: dict[int, str] = {MountMode.READ_WRITE: "read_write", MountMode.READ_ONLY: "read_only"}

MOUNT_STATUSES: dict[int, str] = {MountStatus.OK: "ok", MountStatus.NEEDS_REMOUNT: "needs_remount", MountStatus.INVALID: "invalid"}

# A feature's state, named like the DISM cmdlets' State (Enabled, EnablePending, Disabled,
# DisablePending, DisabledWithPayloadRemoved) in snake_case.
FEATURE_STATES: dict[int, str] = {
    PackageFeatureState.NOT_PRESENT: "not_present",
    PackageFeatureState.UNINSTALL_PENDING: "disable_pending",
    PackageFeatureState.STAGED: "disabled",
    PackageFeatureState.REMOVED: "disabled_with_payload_removed",
    PackageFeatureState.INSTALLED: "enabled",
    PackageFeatureState.INSTALL_PENDING: "enable_pending",
    PackageFeatureState.SUPERSEDED: "superseded",
    PackageFeatureState.PARTIALLY_INSTALLED: "partially_installed",
}

# A package's or capability's state, named like the DISM cmdlets' PackageState / State (Installed,
# InstallPending, Staged, NotPresent, ...) in snake_case.
PACKAGE_STATES: dict[int, str] = {
    PackageFeatureState.NOT_PRESENT: "not_present",
    PackageFeatureState.UNINSTALL_PENDING: "uninstall_pending",
    PackageFeatureState.STAGED: "staged",
    PackageFeatureState.REMOVED: "removed",
    PackageFeatureState.INSTALLED: "installed",
    PackageFeatureState.INSTALL_PENDING: "install_pending",
    PackageFeatureState.SUPERSEDED: "superseded",
    PackageFeatureState.PARTIALLY_INSTALLED: "partially_installed",
}

# DismReleaseType, named like Get-WindowsPackage's ReleaseType in snake_case.
RELEASE_TYPES: dict[int, str] = {value: value.name.lower() for value in ReleaseType}

# DismFullyOfflineInstallableType: whether a package installs completely in an offline image.
FULLY_OFFLINE: dict[int, str] = {
    FullyOfflineInstallable.INSTALLABLE: "installable",
    FullyOfflineInstallable.NOT_INSTALLABLE: "not_installable",
    FullyOfflineInstallable.UNDETERMINED: "undetermined",
}

DRIVER_SIGNATURES: dict[int, str] = {DriverSignature.UNKNOWN: "unknown", DriverSignature.UNSIGNED: "unsigned", DriverSignature.SIGNED: "signed"}

RESTART_TYPES: dict[int, str] = {RestartType.NO: "no", RestartType.POSSIBLE: "possible", RestartType.REQUIRED: "required"}

# Option value -> DismLogLevel. Names follow the DISM cmdlets' -LogLevel
# (Errors, Warnings, WarningsInfo) in snake_case.
LOG_LEVELS: dict[str, int] = {"errors": 0, "warnings": 1, "warnings_info": 2}

DEFAULT_LOG_PATH = r"%WINDIR%\Logs\DISM\dism.log"


def enum_name(table: dict[int, str], value: int | None) -> str | None:
    """Name of an enum value, or 'unknown(<n>)' for a value DISM added later."""
    if value is None:
        return None
    return table.get(value, "unknown(%d)" % value)
