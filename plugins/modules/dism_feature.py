#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_feature.py); this file holds
# its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_feature
short_description: Enable, disable or remove Windows optional features, online or in an image
version_added: 0.1.0
description:
  - Enables, disables, or disables and removes the payload of Windows optional features (the
    features of C(Enable-WindowsOptionalFeature) and C(dism /Enable-Feature), such as C(NetFx3),
    C(IIS-WebServerRole) or C(Microsoft-Hyper-V)) in the running Windows or in an offline image.
  - All named features are read, changed and read back in one DISM session. DISM reports states,
    not text, so the module works on Windows in any language.
  - C(EnablePending) satisfies O(state=enabled) and C(DisablePending) satisfies O(state=disabled) and O(state=removed);
    the change is done and takes effect at the next restart. A feature whose payload was removed
    satisfies O(state=disabled) and O(state=removed).
  - Enabling a feature whose payload was removed needs the payload from O(source) or, for the
    running Windows, from Windows Update (see O(limit_access)).
options:
  name:
    description:
      - The features, by the names DISM lists (see M(winimaging.dism.dism_feature_info)), matched
        case-insensitively and reported in DISM's spelling.
      - Unknown names fail the task, naming every unknown name with close matches; nothing is changed.
    type: list
    elements: str
    required: true
  state:
    description:
      - C(enabled) enables the features.
      - C(disabled) disables them and keeps their payload, so they can be enabled again without a source.
      - C(removed) disables them and removes their payload (DISM's C(/Remove)). Client editions of
        Windows 10 and later keep the payload anyway; the feature then stays C(disabled), the task
        reports no change and warns (and check mode, which cannot know the edition, predicts a change).
    type: str
    choices: [enabled, disabled, removed]
    default: enabled
  include_parent:
    description:
      - Also enable the parent features the named features need (DISM's C(/All), C(EnableAll)).
      - When false and a parent is disabled, the task fails naming the parents and changes nothing.
      - Check mode lists the parents that would be enabled in RV(parents_enabled).
    type: bool
    default: false
  source:
    description:
      - Folders with the payload of features whose payload was removed, searched in order, such as
        the C(sources\sxs) folder of installation media of the same Windows build or the Windows
        folder of a mounted image.
      - A UNC path needs credentials the connection can pass on; see the connection guide (C(become)).
      - Only with O(state=enabled).
    type: list
    elements: str
  limit_access:
    description:
      - Never contact Windows Update or WSUS for payload, even for the running Windows.
      - Offline images never use Windows Update.
      - Only with O(state=enabled).
    type: bool
    default: false
  package_name:
    description:
      - The package the features belong to, for features of packages other than the Windows foundation package.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - winimaging.dism.dism_target
  - winimaging.dism.dism_common
  - winimaging.dism.dism_reboot
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
    details:
      - Reads the features and reports which would change, which parents O(include_parent) would
        enable and whether a restart would be needed (from each feature's restart type).
      - Whether a client edition keeps a removed payload is only known after the change.
  diff_mode:
    support: full
    details: Shows each named feature's state before and after.
  platform:
    platforms: windows
notes:
  - Windows Update cannot be reached under a WinRM, PSRP or SSH network logon; enabling a feature
    whose payload was removed then fails with C(0x800F0906) unless O(source) has the payload or the
    task uses C(become).
  - The module restarts the machine only with O(reboot=true); otherwise restart it when
    RV(reboot_required) is true (for example with M(ansible.windows.win_reboot)).
  - With O(reboot=true), RV(features[].state_after) is the state DISM reported before the restart
    (for example C(enable_pending)); the restart completes the change.
seealso:
  - module: winimaging.dism.dism_feature_info
  - module: winimaging.dism.dism_image_mount
  - name: Enable-WindowsOptionalFeature
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/enable-windowsoptionalfeature
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: Enable .NET Framework 3.5 from the installation media
  winimaging.dism.dism_feature:
    name: NetFx3
    source: D:\sources\sxs
    limit_access: true
  register: netfx3

- name: Restart when DISM asks for it
  ansible.windows.win_reboot:
  when: netfx3.reboot_required

- name: Enable Hyper-V and restart the host if that needs it, waiting up to 20 minutes
  winimaging.dism.dism_feature:
    name: Microsoft-Hyper-V
    include_parent: true
    reboot: true
    reboot_timeout: 1200

- name: Enable IIS static content in a mounted image, with the parent features it needs
  winimaging.dism.dism_feature:
    path: C:\mount\server
    name:
      - IIS-StaticContent
      - IIS-DefaultDocument
    include_parent: true

- name: Disable SMB 1.0 and remove its payload
  winimaging.dism.dism_feature:
    name: SMB1Protocol
    state: removed

- name: Disable Telnet in an applied image whose Windows folder is not the default
  winimaging.dism.dism_feature:
    path: E:\
    windows_directory: Win
    name: TelnetClient
    state: disabled
"""

RETURN = r"""
features:
  description: The named features, in DISM's spelling, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The feature name as DISM spells it.
      type: str
      sample: NetFx3
    display_name:
      description: The feature's display name.
      type: str
      sample: .NET Framework 3.5 (includes .NET 2.0 and 3.0)
    state_before:
      description:
        - The state before the task, C(enabled), C(enable_pending), C(disabled), C(disable_pending),
          C(disabled_with_payload_removed), C(not_present), C(superseded) or C(partially_installed).
      type: str
      sample: disabled_with_payload_removed
    state_after:
      description: The state after the task, read back in the same DISM session; in check mode, the predicted state.
      type: str
      sample: enabled
    restart:
      description: Whether changing the feature needs a restart, C(no), C(possible) or C(required) (DISM's restart type).
      type: str
      sample: possible
    changed:
      description: Whether this feature's state changed.
      type: bool
parents_enabled:
  description: Parent features that O(include_parent) enabled (or would enable, in check mode).
  returned: success
  type: list
  elements: str
  sample: [IIS-WebServerRole, IIS-WebServer]
reboot_required:
  description:
    - Whether DISM asked for a restart to finish the change (return code 3010).
    - In check mode, whether a feature that would change requires a restart of the running Windows.
  returned: success
  type: bool
  sample: false
rebooted:
  description: Whether the task restarted the host (O(reboot=true) and the change needed a restart).
  returned: success
  type: bool
  sample: false
reboot_elapsed:
  description: Seconds from asking for the restart until the host answered again.
  returned: when RV(rebooted) is true
  type: float
  sample: 74.2
dism_function:
  description: On failure, the DISM API function that failed.
  returned: failure from DISM
  type: str
  sample: DismEnableFeature
hresult:
  description: On failure, the HRESULT DISM returned, as 8 hex digits.
  returned: failure from DISM
  type: str
  sample: "0x800F081F"
hresult_name:
  description: On failure, the symbolic name of RV(hresult).
  returned: failure from DISM
  type: str
  sample: CBS_E_SOURCE_MISSING
dism_message:
  description: On failure, DISM's own error text.
  returned: failure from DISM
  type: str
hint:
  description: On failure, what to try next, when the collection knows.
  returned: failure from DISM
  type: str
log_path:
  description: On failure, the DISM log to read.
  returned: failure from DISM
  type: str
completed_steps:
  description: When a change failed part-way, the DISM operations of the change that had completed.
  returned: failure after a change began
  type: list
  elements: str
  sample: [enable_feature]
not_started_steps:
  description: When a change failed part-way, the DISM operations of the change that were never started.
  returned: failure after a change began
  type: list
  elements: str
  sample: []
"""
