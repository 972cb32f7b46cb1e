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
  - Names and states of every feature come from one C(DismGetFeatures) call, whatever the number of names
    and wildcards. The other fields (the details) cost two more DISM calls per feature
    (C(DismGetFeatureInfo) and C(DismGetFeatureParent)), and each DISM call can take about a second on
    Windows, so by default they are read only for the features named without a wildcard; see O(details).
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
  details:
    description:
      - Whether to read the details of each feature returned (RV(features[].display_name), RV(features[].description),
        RV(features[].restart), RV(features[].parents), RV(features[].custom_properties)), two DISM calls per feature.
      - V(true) reads them for every feature returned, those matched by a wildcard or, without O(name), every
        feature of the image.
      - V(false) reads none; each feature has its name and state, and its details are V(null).
      - When not set, the details are read for the features O(name) lists without a wildcard (C(*), C(?), C([)),
        and not for those matched only by a wildcard nor when O(name) is not set (their details are V(null)).
    type: bool
    version_added: 0.2.0
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

- name: Is .NET 3.5 available without a source on this server? (a plain name, so with its details)
  winimaging.dism.dism_feature_info:
    name: NetFx3
  register: netfx3

- name: Every feature with its display name, description and parents (two more DISM calls per feature)
  winimaging.dism.dism_feature_info:
    details: true
  register: all_features
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
      description:
        - The display name.
        - V(null) when the feature's details were not read (see O(details)), like the other details below.
      type: str
    description:
      description: The description; V(null) when the details were not read.
      type: str
    restart:
      description:
        - Whether changing the feature needs a restart, C(no), C(possible) or C(required).
        - V(null) when the details were not read.
      type: str
    parents:
      description: The feature's parent features; V(null) when the details were not read.
      type: list
      elements: str
    custom_properties:
      description: DISM's custom properties of the feature (name, value, path), often empty; V(null) when the details were not read.
      type: list
      elements: dict
"""
