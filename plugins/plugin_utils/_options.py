# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option specs of the public modules.

FOR INTERNAL COLLECTION USE ONLY. Each action plugin validates its task
arguments against one spec defined here; a unit test checks every spec against
the module's DOCUMENTATION, so code and docs cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ._dism_enums import LOG_LEVELS


@dataclasses.dataclass(frozen=True)
class ModuleSpec:
    """What ActionBase.validate_argument_spec takes, for one module."""

    argument_spec: dict[str, dict[str, t.Any]]
    mutually_exclusive: list[list[str]] = dataclasses.field(default_factory=list)
    required_if: list[list[t.Any]] = dataclasses.field(default_factory=list)
    required_one_of: list[list[str]] = dataclasses.field(default_factory=list)
    required_together: list[list[str]] = dataclasses.field(default_factory=list)
    required_by: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def validator_kwargs(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


# The doc fragment winimaging.dism.dism_common documents these.
COMMON_OPTIONS: dict[str, dict[str, t.Any]] = {
    "log_path": {"type": "str"},
    "log_level": {"type": "str", "choices": list(LOG_LEVELS), "default": "warnings_info"},
    "scratch_directory": {"type": "str"},
    "timeout": {"type": "int"},
}

# The doc fragment winimaging.dism.dism_reboot documents these (modules whose changes can need a restart).
REBOOT_OPTIONS: dict[str, dict[str, t.Any]] = {
    "reboot": {"type": "bool", "default": False},
    "reboot_timeout": {"type": "int", "default": 600},
}


def with_common(options: dict[str, dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    merged = dict(options)
    merged.update(COMMON_OPTIONS)
    return merged


DISM_IMAGE_INFO = ModuleSpec(
    argument_spec=with_common(
        {
            "image_path": {"type": "str"},
            "index": {"type": "int"},
            "name": {"type": "str"},
        }
    ),
    mutually_exclusive=[["index", "name"]],
    required_by={"index": ["image_path"], "name": ["image_path"]},
)

MOUNT_STATES = ["mounted", "unmounted", "committed"]

DISM_IMAGE_MOUNT = ModuleSpec(
    argument_spec=with_common(
        {
            "path": {"type": "str", "required": True},
            "image_path": {"type": "str"},
            "index": {"type": "int"},
            "name": {"type": "str"},
            "state": {"type": "str", "choices": MOUNT_STATES, "default": "mounted"},
            "read_only": {"type": "bool", "default": False},
            "optimize": {"type": "bool", "default": False},
            "check_integrity": {"type": "bool", "default": False},
            "commit": {"type": "bool"},
            "append": {"type": "bool", "default": False},
            "discard_invalid": {"type": "bool", "default": False},
        }
    ),
    mutually_exclusive=[["index", "name"]],
    required_if=[["state", "mounted", ["image_path"]]],
)

# The image a session opens: no path means the running installation (DISM_ONLINE_IMAGE).
TARGET_OPTIONS: dict[str, dict[str, t.Any]] = {
    "path": {"type": "str"},
    "windows_directory": {"type": "str"},
    "system_drive": {"type": "str"},
}
TARGET_REQUIRED_BY = {"windows_directory": ["path"], "system_drive": ["path"]}

FEATURE_STATES = ["enabled", "disabled", "removed"]

DISM_FEATURE = ModuleSpec(
    argument_spec=with_common(
        {
            "name": {"type": "list", "elements": "str", "required": True},
            "state": {"type": "str", "choices": FEATURE_STATES, "default": "enabled"},
            "include_parent": {"type": "bool", "default": False},
            "source": {"type": "list", "elements": "str"},
            "limit_access": {"type": "bool", "default": False},
            "package_name": {"type": "str"},
            **TARGET_OPTIONS,
            **REBOOT_OPTIONS,
        }
    ),
    required_by=TARGET_REQUIRED_BY,
)

DISM_FEATURE_INFO = ModuleSpec(
    argument_spec=with_common(
        {
            "name": {"type": "list", "elements": "str"},
            "package_name": {"type": "str"},
            "details": {"type": "bool"},
            **TARGET_OPTIONS,
        }
    ),
    required_by=TARGET_REQUIRED_BY,
)

DISM_DRIVER = ModuleSpec(
    argument_spec=with_common(
        {
            "driver": {"type": "list", "elements": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "recurse": {"type": "bool", "default": False},
            "force_unsigned": {"type": "bool", "default": False},
            "on_error": {"type": "str", "choices": ["fail", "skip"], "default": "fail"},
            "remove_boot_critical": {"type": "bool", "default": False},
            **TARGET_OPTIONS,
        }
    ),
    required_by=TARGET_REQUIRED_BY,
)

DISM_DRIVER_INFO = ModuleSpec(
    argument_spec=with_common(
        {
            "all": {"type": "bool", "default": False},
            "driver": {"type": "list", "elements": "str"},
            **TARGET_OPTIONS,
        }
    ),
    required_by=TARGET_REQUIRED_BY,
)

PRESENCE_STATES = ["present", "absent"]

DISM_PACKAGE = ModuleSpec(
    argument_spec=with_common(
        {
            "package_path": {"type": "list", "elements": "str"},
            "package_name": {"type": "list", "elements": "str"},
            "state": {"type": "str", "choices": PRESENCE_STATES, "default": "present"},
            "ignore_check": {"type": "bool", "default": False},
            "prevent_pending": {"type": "bool", "default": False},
            **TARGET_OPTIONS,
            **REBOOT_OPTIONS,
        }
    ),
    required_one_of=[["package_path", "package_name"]],
    required_if=[["state", "present", ["package_path"]]],
    required_by=TARGET_REQUIRED_BY,
)

DISM_PACKAGE_INFO = ModuleSpec(
    argument_spec=with_common(
        {
            "package_name": {"type": "list", "elements": "str"},
            "package_path": {"type": "list", "elements": "str"},
            "details": {"type": "bool"},
            **TARGET_OPTIONS,
        }
    ),
    required_by=TARGET_REQUIRED_BY,
)

DISM_CAPABILITY = ModuleSpec(
    argument_spec=with_common(
        {
            "name": {"type": "list", "elements": "str", "required": True},
            "state": {"type": "str", "choices": PRESENCE_STATES, "default": "present"},
            "source": {"type": "list", "elements": "str"},
            "limit_access": {"type": "bool", "default": False},
            **TARGET_OPTIONS,
            **REBOOT_OPTIONS,
        }
    ),
    required_by=TARGET_REQUIRED_BY,
)

DISM_CAPABILITY_INFO = ModuleSpec(
    argument_spec=with_common(
        {
            "name": {"type": "list", "elements": "str"},
            "details": {"type": "bool"},
            **TARGET_OPTIONS,
        }
    ),
    required_by=TARGET_REQUIRED_BY,
)

MODULE_SPECS: dict[str, ModuleSpec] = {
    "dism_image_info": DISM_IMAGE_INFO,
    "dism_image_mount": DISM_IMAGE_MOUNT,
    "dism_feature": DISM_FEATURE,
    "dism_feature_info": DISM_FEATURE_INFO,
    "dism_driver": DISM_DRIVER,
    "dism_driver_info": DISM_DRIVER_INFO,
    "dism_package": DISM_PACKAGE,
    "dism_package_info": DISM_PACKAGE_INFO,
    "dism_capability": DISM_CAPABILITY,
    "dism_capability_info": DISM_CAPABILITY_INFO,
}
