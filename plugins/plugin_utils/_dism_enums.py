# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DISM enumeration values and the names this collection reports for them.

FOR INTERNAL COLLECTION USE ONLY. The helper returns DISM enums as integers
(dism-api.md section 4); this module is the single place that names them.
"""

from __future__ import annotations

# DismImageType
IMAGE_TYPES: dict[int, str] = {-1: "unsupported", 0: "wim", 1: "vhd"}

# DismImageInfo.Architecture holds a PROCESSOR_ARCHITECTURE_* value.
ARCHITECTURES: dict[int, str] = {
    0: "x86",
    5: "arm",
    6: "ia64",
    9: "x64",
    11: "neutral",
    12: "arm64",
}

# DismImageBootable: None means DISM could not tell.
BOOTABLE: dict[int, bool | None] = {0: True, 1: False, 2: None}

# DismMountMode
MOUNT_MODES: dict[int, str] = {0: "read_write", 1: "read_only"}

# DismMountStatus
MOUNT_STATUSES: dict[int, str] = {0: "ok", 1: "needs_remount", 2: "invalid"}

# DismPackageFeatureState, named like the DISM cmdlets' State (Enabled, EnablePending, Disabled,
# DisablePending, DisabledWithPayloadRemoved) in snake_case.
FEATURE_STATES: dict[int, str] = {
    0: "not_present",
    1: "disable_pending",
    2: "disabled",
    3: "disabled_with_payload_removed",
    4: "enabled",
    5: "enable_pending",
    6: "superseded",
    7: "partially_installed",
}

# DismDriverSignature
DRIVER_SIGNATURES: dict[int, str] = {0: "unknown", 1: "unsigned", 2: "signed"}

# DismRestartType
RESTART_TYPES: dict[int, str] = {0: "no", 1: "possible", 2: "required"}

# Option value -> DismLogLevel. Names follow the DISM cmdlets' -LogLevel
# (Errors, Warnings, WarningsInfo) in snake_case.
LOG_LEVELS: dict[str, int] = {"errors": 0, "warnings": 1, "warnings_info": 2}

DEFAULT_LOG_PATH = r"%WINDIR%\Logs\DISM\dism.log"


def enum_name(table: dict[int, str], value: int | None) -> str | None:
    """Name of an enum value, or 'unknown(<n>)' for a value DISM added later."""
    if value is None:
        return None
    return table.get(value, "unknown(%d)" % value)
