"""No-op tasks of every module against a lab host, shared by the call-count test
(test_lab_call_counts.py) and the fleet benchmark (tests/bench/fleet.py).

SETUP puts a host in the state the no-op tasks ask for: index 1 of win11.wim mounted read-write
at C:\\mount\\bench with the lab's NIC driver added. The online features NetFx4 and
Windows-Defender are enabled in every lab host's running Windows from the start.
"""

from __future__ import annotations

MOUNT = "C:\\mount\\bench"
WIM = "C:\\images\\win11.wim"
INF = "C:\\drivers\\nic\\cnet68x64.inf"

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
}


def task_yaml(label: str, body: str, number: int | None = None) -> str:
    name = label if number is None else "%s #%d" % (label, number)
    lines = body.splitlines()
    return "- name: '%s'\n  %s\n" % (name, "\n  ".join(lines))
