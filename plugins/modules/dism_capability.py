#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_capability.py); this file holds
# its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_capability
short_description: Add or remove Windows capabilities (Features on Demand), online or in an image
version_added: 0.2.0
description:
  - Adds or removes capabilities (Features on Demand, such as C(OpenSSH.Server~~~~0.0.1.0),
    C(Rsat.ActiveDirectory.DS-LDS.Tools~~~~0.0.1.0), C(NetFX3~~~~) or C(Language.Basic~~~de-DE~0.0.1.0)) in the
    running Windows or in an offline image, like C(Add-WindowsCapability) and C(Remove-WindowsCapability).
  - All named capabilities are read, changed and read back in one DISM session. DISM reports states, not text, so
    the module works on Windows in any language.
  - C(installed) and C(install_pending) satisfy O(state=present); C(not_present), C(staged), C(removed) and
    C(uninstall_pending) satisfy O(state=absent). A pending state is done and takes effect at the next restart.
  - A capability whose payload is not on disk needs it from O(source) (a Features on Demand repository, such
    as the FOD ISO's folder) or, for the running Windows, from Windows Update (see O(limit_access)).
options:
  name:
    description:
      - The capabilities, by their full names as DISM lists them (see M(winimaging.dism.dism_capability_info)),
        C(Name~~~~0.0.1.0) or, for a language component, C(Name~~~de-DE~0.0.1.0); matched case-insensitively and
        reported in DISM's spelling.
      - Wildcards are refused (use M(winimaging.dism.dism_capability_info) to find names). Unknown names fail the
        task, naming every unknown name with close matches; nothing is changed.
    type: list
    elements: str
    required: true
  state:
    description:
      - C(present) adds the capabilities that are not installed.
      - C(absent) removes those that are installed. DISM removes the capability's payload as well, so adding it
        again needs a source or Windows Update.
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - Folders with capability payloads, searched in order, such as a Features on Demand repository or the
        C(LanguagesAndOptionalFeatures) folder of the FOD media of the same Windows build.
      - A UNC path needs credentials the connection can pass on; see the connection guide (C(become)).
      - Only with O(state=present).
    type: list
    elements: str
  limit_access:
    description:
      - Never contact Windows Update or WSUS for payload, even for the running Windows (DISM's C(/LimitAccess)).
      - Offline images never use Windows Update.
      - Only with O(state=present).
    type: bool
    default: false
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
      - Reads the capabilities and reports which would change and their predicted state (C(installed) or
        C(not_present)).
      - DISM does not tell in advance whether a capability needs a restart, so check mode reports
        RV(reboot_required=false); a real run reports what DISM answered.
  diff_mode:
    support: full
    details: Shows each named capability's state before and after.
  platform:
    platforms: windows
notes:
  - Windows Update cannot be reached under a WinRM, PSRP or SSH network logon; adding a capability whose payload
    is not on disk then fails with C(0x800F0906) unless O(source) has the payload or the task uses C(become).
    Under WSUS without the Features on Demand policy DISM answers C(0x800F0954); give O(source).
  - The module restarts the machine only with O(reboot=true); otherwise restart it when RV(reboot_required) is
    true (for example with M(ansible.windows.win_reboot)).
seealso:
  - module: winimaging.dism.dism_capability_info
  - module: winimaging.dism.dism_feature
  - module: winimaging.dism.dism_image_mount
  - name: Add-WindowsCapability
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/add-windowscapability
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: Add the OpenSSH server from a Features on Demand repository, without Windows Update
  winimaging.dism.dism_capability:
    name: OpenSSH.Server~~~~0.0.1.0
    source: \\fileserver\fod\20348
    limit_access: true
  register: openssh

- name: Restart when DISM asks for it
  ansible.windows.win_reboot:
  when: openssh.reboot_required

- name: Add German typing and RSAT tools to a mounted client image
  winimaging.dism.dism_capability:
    path: C:\mount\win11
    name:
      - Language.Basic~~~de-DE~0.0.1.0
      - Rsat.ActiveDirectory.DS-LDS.Tools~~~~0.0.1.0
    source: D:\LanguagesAndOptionalFeatures

- name: Remove Internet Explorer and restart the host if that needs it
  winimaging.dism.dism_capability:
    name: Browser.InternetExplorer~~~~0.0.11.0
    state: absent
    reboot: true
"""

RETURN = r"""
capabilities:
  description: The named capabilities, in DISM's spelling, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The capability name as DISM spells it.
      type: str
      sample: OpenSSH.Server~~~~0.0.1.0
    state_before:
      description:
        - The state before the task, C(installed), C(install_pending), C(not_present) (available, not installed),
          C(staged) (payload on disk, not installed), C(uninstall_pending), C(removed), C(superseded) or
          C(partially_installed).
      type: str
      sample: not_present
    state_after:
      description: The state after the task, read back in the same DISM session; in check mode, the predicted state.
      type: str
      sample: installed
    changed:
      description: Whether this capability's state changed.
      type: bool
reboot_required:
  description:
    - Whether DISM asked for a restart to finish the change (return code 3010).
    - Always false in check mode (see the check mode attribute) and for an offline image (O(path)).
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
  sample: DismAddCapability
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
  description: When a change failed part-way, the DISM operations of the change that had completed, each with the
    capability it changed (C(add_capability <name>), C(remove_capability <name>)).
  returned: failure after a change began
  type: list
  elements: str
  sample: [add_capability OpenSSH.Server~~~~0.0.1.0]
not_started_steps:
  description: When a change failed part-way, the DISM operations of the change that were never started.
  returned: failure after a change began
  type: list
  elements: str
  sample: []
"""
