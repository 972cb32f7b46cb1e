"""No-op tasks of every module against a lab host, shared by the call-count test
(test_lab_call_counts.py) and the fleet benchmark (tests/bench/fleet.py).

SETUP puts a host in the state the no-op tasks ask for: index 1 of win11.wim mounted read-write
at C:\\mount\\bench with the lab's NIC driver added. The online features NetFx4 and
Windows-Defender and the capability OpenSSH.Client are installed in every lab host's running Windows
from the start; the hotfix package HOTFIX is not.
"""

from __future__ import annotations

MOUNT = "C:\\mount\\bench"
WIM = "C:\\images\\win11.wim"
INF = "C:\\drivers\\nic\\cnet68x64.inf"
HOTFIX = "Package_for_KB5030999~31bf3856ad364e35~amd64~~10.0.1.0"   # not installed in the running Windows

SETUP = f"""
- name: setup mount
  winimaging.dism.dism_image_mount:
    image_path: '{WIM}'
    index: 1
    path: '{MOUNT}'
- name: setup driver
  winimaging.dism.dism_driver:
    path: '{MOUNT}'
    driver: '{INF}'
"""

# name -> task body (the module and its options), each a no-op once SETUP ran.
NOOP_TASKS: dict[str, str] = {
    "dism_image_info": f"winimaging.dism.dism_image_info:\n  image_path: '{WIM}'",
    "dism_image_mount": f"winimaging.dism.dism_image_mount:\n  image_path: '{WIM}'\n  index: 1\n  path: '{MOUNT}'",
    "dism_feature": "winimaging.dism.dism_feature:\n  name: [NetFx4, Windows-Defender]\n  state: enabled",
    "dism_feature_info": "winimaging.dism.dism_feature_info:\n  name: 'IIS-*'",
    "dism_driver": f"winimaging.dism.dism_driver:\n  path: '{MOUNT}'\n  driver: '{INF}'",
    "dism_driver_info": f"winimaging.dism.dism_driver_info:\n  path: '{MOUNT}'",
    "dism_package": f"winimaging.dism.dism_package:\n  package_name: '{HOTFIX}'\n  state: absent",
    "dism_package_info": "winimaging.dism.dism_package_info:\n  package_name: 'Package_for_*'",
    "dism_capability": "winimaging.dism.dism_capability:\n  name: 'OpenSSH.Client~~~~0.0.1.0'",
    "dism_capability_info": "winimaging.dism.dism_capability_info:\n  name: 'OpenSSH.*'",
}


def task_yaml(label: str, body: str, number: int | None = None) -> str:
    name = label if number is None else "%s #%d" % (label, number)
    lines = body.splitlines()
    return "- name: '%s'\n  %s\n" % (name, "\n  ".join(lines))
