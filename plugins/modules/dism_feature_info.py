#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_feature_info.py); this file
# holds its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_feature_info
short_description: List Windows optional features with their state, online or in an image
version_added: 0.1.0
description:
  - Lists the optional features of the running Windows or of an offline image, with state, display
    name, description, restart type and parent features, read through the DISM API in one session.
  - Never changes anything.
options:
  name:
    description:
      - Only the features whose name matches one of these, case-insensitively; C(*) and C(?) are wildcards.
      - When not set, every feature.
    type: list
    elements: str
  package_name:
    description:
      - Only the features of this package.
    type: str
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
  - module: winimaging.dism.dism_feature
  - name: Get-WindowsOptionalFeature
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/get-windowsoptionalfeature
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: List the IIS features of a mounted image
  winimaging.dism.dism_feature_info:
    path: C:\mount\server
    name: IIS-*
  register: iis

- name: Show the enabled ones
  ansible.builtin.debug:
    msg: "{{ iis.features | selectattr('state', 'equalto', 'enabled') | map(attribute='name') | list }}"

- name: Is .NET 3.5 available without a source on this server?
  winimaging.dism.dism_feature_info:
    name: NetFx3
  register: netfx3
"""

RETURN = r"""
features:
  description: The matching features, in the order DISM lists them.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The feature name as DISM spells it.
      type: str
      sample: IIS-WebServer
    state:
      description:
        - C(enabled), C(enable_pending), C(disabled), C(disable_pending), C(disabled_with_payload_removed),
          C(not_present), C(superseded) or C(partially_installed).
      type: str
      sample: disabled
    display_name:
      description: The display name.
      type: str
    description:
      description: The description.
      type: str
    restart:
      description: Whether changing the feature needs a restart, C(no), C(possible) or C(required).
      type: str
    parents:
      description: The feature's parent features.
      type: list
      elements: str
    custom_properties:
      description: DISM's custom properties of the feature (name, value, path), often empty.
      type: list
      elements: dict
"""
