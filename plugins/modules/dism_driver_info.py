#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_driver_info.py); this file
# holds its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_driver_info
short_description: List the drivers of a Windows image and read the identity of INF files
version_added: 0.1.0
description:
  - Lists the driver packages of an offline image or of the running Windows, third-party ones by
    default, with published name, original INF name, provider, class, version, date, inbox, boot
    critical and signature, through the DISM API.
  - With O(driver), also reads the identity of INF files on the host (or of published drivers of the
    image) the way M(winimaging.dism.dism_driver) compares them, with the hardware each one supports.
  - Never changes anything.
options:
  all:
    description:
      - Also list the drivers that ship with Windows (inbox).
    type: bool
    default: false
  driver:
    description:
      - C(.inf) files on the managed host, or published names (C(oem3.inf)) in the image, whose
        identity and hardware to read into RV(driver_info).
    type: list
    elements: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - winimaging.dism.dism_target
  - winimaging.dism.dism_common
attributes:
  action:
    support: full
  async:
    support: none
    details: Ansible refuses the C(async) task keyword ("does not support async"); O(timeout) bounds a long DISM operation instead.
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: windows
seealso:
  - module: winimaging.dism.dism_driver
  - name: Get-WindowsDriver
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/get-windowsdriver
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: List the third-party drivers of a mounted image
  winimaging.dism.dism_driver_info:
    path: C:\mount\server
  register: drivers

- name: Read an INF's identity before adding it
  winimaging.dism.dism_driver_info:
    path: C:\mount\server
    driver: C:\drivers\nic\e1d68x64.inf
  register: nic
"""

RETURN = r"""
drivers:
  description: The image's drivers (third-party only unless O(all)).
  returned: success
  type: list
  elements: dict
  contains:
    published_name:
      description: The driver's name in this image, C(oemN.inf) for third-party drivers.
      type: str
      sample: oem0.inf
    original_file_name:
      description: The INF file name the package was built with.
      type: str
    provider_name:
      description: The provider.
      type: str
    class_name:
      description: The device class.
      type: str
    class_guid:
      description: The device class GUID.
      type: str
    version:
      description: The driver version.
      type: str
    date:
      description: The driver date.
      type: str
    inbox:
      description: Whether the driver ships with Windows.
      type: bool
    boot_critical:
      description: Whether the driver is boot critical.
      type: bool
    signature:
      description: C(signed), C(unsigned) or C(unknown).
      type: str
    catalog_file:
      description: The catalog file.
      type: str
driver_info:
  description: One entry per O(driver), with the same keys as RV(drivers) plus C(inf) and C(hardware).
  returned: when O(driver) is set
  type: list
  elements: dict
  contains:
    inf:
      description: The INF file or published name read.
      type: str
    hardware:
      description: The hardware the package supports (manufacturer, description, hardware_id, architecture, service_name).
      type: list
      elements: dict
"""
