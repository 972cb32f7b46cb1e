#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_capability_info.py); this file
# holds its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_capability_info
short_description: List Windows capabilities (Features on Demand) with their state, online or in an image
version_added: 0.2.0
description:
  - Lists the capabilities of the running Windows or of an offline image with their state and, when read,
    display name, description and sizes, like C(Get-WindowsCapability), through the DISM API in one session.
  - Names and states of every capability come from one C(DismGetCapabilities) call. The other fields (the
    details) cost one more DISM call per capability, so by default they are read only for the capabilities named
    without a wildcard; see O(details).
  - Never changes anything.
options:
  name:
    description:
      - Only the capabilities whose name matches one of these, case-insensitively; C(*) and C(?) are wildcards, so
        C(Rsat.*) finds the RSAT tools and C(Language.*~~~de-DE~*) the German language components.
      - When not set, every capability.
    type: list
    elements: str
  details:
    description:
      - Whether to read the details of each capability returned (RV(capabilities[].display_name),
        RV(capabilities[].description), RV(capabilities[].download_size), RV(capabilities[].install_size)), one
        DISM call per capability.
      - V(true) reads them for every capability returned; V(false) for none (their details are V(null)).
      - When not set, the details are read for the capabilities O(name) lists without a wildcard, and not for those
        matched only by a wildcard nor when O(name) is not set.
    type: bool
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
  - module: winimaging.dism.dism_capability
  - name: Get-WindowsCapability
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/get-windowscapability
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: Which RSAT tools can this workstation add?
  winimaging.dism.dism_capability_info:
    name: Rsat.*
  register: rsat

- name: Show the ones not installed
  ansible.builtin.debug:
    msg: "{{ rsat.capabilities | selectattr('state', 'equalto', 'not_present') | map(attribute='name') | list }}"

- name: Is the OpenSSH server installed in the mounted image? (an exact name, so with its details)
  winimaging.dism.dism_capability_info:
    path: C:\mount\server
    name: OpenSSH.Server~~~~0.0.1.0
  register: openssh
"""

RETURN = r"""
capabilities:
  description: The matching capabilities, in the order DISM lists them.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The capability name as DISM spells it.
      type: str
      sample: OpenSSH.Server~~~~0.0.1.0
    state:
      description:
        - C(installed), C(install_pending), C(not_present) (available, not installed), C(staged) (payload on disk,
          not installed), C(uninstall_pending), C(removed), C(superseded) or C(partially_installed).
      type: str
      sample: not_present
    display_name:
      description:
        - The display name.
        - V(null) when the capability's details were not read (see O(details)), like the other details below.
      type: str
      sample: OpenSSH Server
    description:
      description: The description; V(null) when the details were not read.
      type: str
    download_size:
      description: The size of the payload to download, in bytes; V(null) when the details were not read.
      type: int
      sample: 1290075
    install_size:
      description: The size on disk once installed, in bytes; V(null) when the details were not read.
      type: int
      sample: 5490768
"""
