"""The DISM enums are named once (plugin_utils/_dism_enums.py); results and docs use those names."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

from ansible_collections.winimaging.dism.plugins.plugin_utils import _dism_enums as E

MODULES = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "modules"

NAMED = [
    (E.ImageType, E.IMAGE_TYPES),
    (E.ImageBootable, E.BOOTABLE),
    (E.MountMode, E.MOUNT_MODES),
    (E.MountStatus, E.MOUNT_STATUSES),
    (E.PackageFeatureState, E.FEATURE_STATES),
    (E.RestartType, E.RESTART_TYPES),
    (E.DriverSignature, E.DRIVER_SIGNATURES),
    (E.PackageFeatureState, E.PACKAGE_STATES),
    (E.ReleaseType, E.RELEASE_TYPES),
    (E.FullyOfflineInstallable, E.FULLY_OFFLINE),
]


@pytest.mark.parametrize(("enum", "names"), NAMED, ids=["%s-%d" % (pair[0].__name__, i) for i, pair in enumerate(NAMED)])
def test_every_value_has_one_name(enum, names):
    assert set(names) == set(enum)
    reported = [n for n in names.values() if n is not None and not isinstance(n, bool)]
    assert len(reported) == len(set(reported))


def test_unknown_values_are_reported_not_dropped():
    assert E.enum_name(E.FEATURE_STATES, 42) == "unknown(42)"
    assert E.enum_name(E.FEATURE_STATES, 4) == "enabled"
    assert E.enum_name(E.FEATURE_STATES, None) is None


def _return_doc(module: str) -> str:
    text = (MODULES / f"{module}.py").read_text(encoding="utf-8")
    return yaml.safe_dump(yaml.safe_load(re.search(r'RETURN = r"""(.*?)"""', text, re.S).group(1)))


# Where each reported name must be documented: module -> the tables its RETURN describes.
DOCUMENTED = {
    "dism_feature_info": [E.FEATURE_STATES, E.RESTART_TYPES],
    "dism_feature": [E.RESTART_TYPES],
    "dism_image_info": [E.MOUNT_STATUSES],
    "dism_image_mount": [E.MOUNT_STATUSES],
    "dism_driver_info": [E.DRIVER_SIGNATURES],
    "dism_driver": [E.DRIVER_SIGNATURES],
    "dism_package": [E.PACKAGE_STATES, E.RELEASE_TYPES, E.RESTART_TYPES, E.FULLY_OFFLINE],
    "dism_package_info": [E.PACKAGE_STATES, E.RELEASE_TYPES, E.RESTART_TYPES, E.FULLY_OFFLINE],
    "dism_capability": [E.PACKAGE_STATES],
    "dism_capability_info": [E.PACKAGE_STATES],
}


@pytest.mark.parametrize("module", sorted(DOCUMENTED))
def test_module_docs_list_every_name(module):
    doc = _return_doc(module)
    for table in DOCUMENTED[module]:
        missing = [name for name in table.values() if f"C({name})" not in doc]
        assert not missing, f"{module} RETURN does not document {missing}"


def test_feature_states_in_dism_feature_docs():
    doc = _return_doc("dism_feature")
    missing = [name for name in E.FEATURE_STATES.values() if f"C({name})" not in doc]
    assert not missing, missing
