#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_package.py); this file holds
# its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_package
short_description: Add or remove update packages (.cab, .msu), online or in an image, by package identity
version_added: 0.2.0
description:
  - Adds packages (servicing stack and cumulative updates, language packs and other C(.cab) and C(.msu)
    packages) to the running Windows or to an offline image, or removes them, like C(Add-WindowsPackage)
    and C(Remove-WindowsPackage).
  - Idempotent by package identity (C(name~public key token~architecture~language~version)), which DISM
    reads from each file (C(DismGetPackageInfo)) and compares with the image's packages, so a rerun adds
    nothing. C(installed), C(install_pending) and C(superseded) satisfy O(state=present); C(not_present)
    and C(uninstall_pending) satisfy O(state=absent).
  - Every file is read before anything changes. A file that cannot be read, or a package that does not
    apply to the image (another Windows build, architecture or edition, or a newer version of it is
    installed), fails the task and nothing is added, not even the files listed before it, unless
    O(ignore_check=true).
  - Packages are added in the order given; DISM does not order them itself. Put the servicing stack update
    before the cumulative update that needs it (DISM answers C(0x800F0823),
    C(CBS_E_NEW_SERVICING_STACK_REQUIRED), otherwise).
  - An C(.msu) file is opaque to C(DismGetPackageInfo), so it is added whenever it is named, and the result
    lists what changed in the image's package list. DISM adds C(.msu) files to offline images only.
options:
  package_path:
    description:
      - With O(state=present), the packages to add, in this order, on the managed host. Each is a C(.cab) or C(.msu)
        file, an expanded package folder (one holding C(update.mum)), or a folder of C(.cab) and C(.msu) files,
        which contributes the files directly in it sorted by name (not its subfolders). A folder with no package
        file fails the task.
      - C(.msu) files only with O(path) (an offline image); for the running Windows the task fails and names
        M(ansible.windows.win_hotfix), or add the C(.cab) inside the C(.msu).
      - With O(state=absent), C(.cab) files (or folders of them) whose packages to remove; the identity is read
        from each file. C(.msu) files are refused; give the identities of the packages inside in O(package_name).
      - Required with O(state=present).
    type: list
    elements: str
  package_name:
    description:
      - With O(state=absent), the full identities of the installed packages to remove
        (C(name~public key token~architecture~language~version), as M(winimaging.dism.dism_package_info)
        lists them), matched case-insensitively. A package that is not installed is not an error.
      - Wildcards, display names and KB numbers are refused.
      - Not with O(state=present), which adds package files (O(package_path)).
      - One of O(package_path) and O(package_name) is required.
    type: list
    elements: str
  state:
    description:
      - C(present) adds every package whose identity is not installed yet (or is pending removal).
      - C(absent) removes the named packages that are installed. The image's foundation package is refused, and
        DISM refuses permanent packages, such as servicing stack updates, with C(0x800F0825)
        (C(CBS_E_CANNOT_UNINSTALL)).
    type: str
    choices: [present, absent]
    default: present
  ignore_check:
    description:
      - Add packages even when DISM says they do not apply to the image (DISM's C(/IgnoreCheck), C(IgnoreCheck)).
      - Without it a package that does not apply fails the task and nothing is added.
    type: bool
    default: false
  prevent_pending:
    description:
      - Make DISM refuse a package when the image has pending online actions, or when the package would leave
        some (DISM's C(/PreventPending), C(PreventPending)).
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
      - Reads every file and the image's packages and reports which packages would be added or removed, their
        predicted state and whether a restart would be needed (from each package's restart type).
      - An C(.msu) file cannot be read before it is added, so check mode reports it as a change, with a warning;
        its RV(packages[].changed) is V(null).
  diff_mode:
    support: full
    details: Shows the state of each named package before and after.
  platform:
    platforms: windows
notes:
  - Packages added to an offline image that need the online phase (RV(packages[].fully_offline=not_installable))
    stay C(install_pending) until the image first boots; that satisfies O(state=present).
  - Online, a cumulative update is C(install_pending) until the host restarts and the task returns
    RV(reboot_required=true); a rerun meanwhile changes nothing. The module restarts the machine only with
    O(reboot=true); otherwise restart it when RV(reboot_required) is true (for example with
    M(ansible.windows.win_reboot)).
  - Package files on a network share need credentials the connection can pass on; see the connection guide
    (C(become)), or copy the files to the host first.
seealso:
  - module: winimaging.dism.dism_package_info
  - module: winimaging.dism.dism_image_mount
  - module: ansible.windows.win_hotfix
  - name: Add-WindowsPackage
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/add-windowspackage
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: Add the servicing stack update, then the cumulative update, to a mounted image
  winimaging.dism.dism_package:
    path: C:\mount\server
    package_path:
      - C:\updates\ssu-20348.2031-x64.cab
      - C:\updates\windows10.0-kb5031364-x64.cab
  register: updates

- name: Add every .cab and .msu file of a folder, in name order
  winimaging.dism.dism_package:
    path: C:\mount\server
    package_path: C:\updates\2024-06

- name: Install a cumulative update on the running server and restart if it asks for it
  winimaging.dism.dism_package:
    package_path: C:\updates\windows10.0-kb5031364-x64.cab
    reboot: true

- name: Remove a package from a mounted image by its identity
  winimaging.dism.dism_package:
    path: C:\mount\server
    package_name: Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2031.1.7
    state: absent
"""

RETURN = r"""
packages:
  description:
    - One entry per package file (O(package_path); a folder of package files contributes one entry per file) or
      per named package (O(package_name)), in the order given. A package named twice is reported once.
    - An entry for an C(.msu) file has no RV(packages[].name) and its package fields are V(null); after a real run
      it has RV(packages[].packages).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The package identity, as DISM reports it; V(null) for an C(.msu) file.
      type: str
      sample: Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2031.1.7
    identity:
      description:
        - The parts of RV(packages[].name), with keys C(name), C(public_key_token), C(architecture), C(language)
          (empty for a language-neutral package) and C(version); V(null) for an C(.msu) file.
      type: dict
      sample: {name: Package_for_RollupFix, public_key_token: 31bf3856ad364e35, architecture: amd64, language: "",
               version: 20348.2031.1.7}
    path:
      description: The package file; V(null) for an entry of O(package_name).
      type: str
      sample: C:\updates\windows10.0-kb5031364-x64.cab
    state:
      description:
        - The package's state after the task (in check mode, the predicted state), C(installed), C(install_pending),
          C(superseded), C(staged), C(uninstall_pending), C(not_present), C(removed) or C(partially_installed);
          V(null) when it is not installed.
      type: str
      sample: installed
    state_before:
      description: The state before the task, named as in RV(packages[].state); V(null) when it was not installed.
      type: str
      sample: not_present
    state_after:
      description: The state after the task, read back in the same DISM session; in check mode, the predicted state.
      type: str
      sample: install_pending
    changed:
      description:
        - Whether this package's state changed.
        - For an C(.msu) file, whether the image's package list changed; V(null) in check mode.
      type: bool
    packages:
      description:
        - For an C(.msu) file after a real run, what changed in the image's package list, each with C(name),
          C(state_before) (V(null) for a package that was not installed) and C(state_after).
      type: list
      elements: dict
    release_type:
      description:
        - The kind of package (DISM's release type), C(critical_update), C(driver), C(feature_pack), C(hotfix),
          C(security_update), C(software_update), C(update), C(update_rollup), C(language_pack), C(foundation),
          C(service_pack), C(product), C(local_pack), C(other) or C(on_demand_pack).
      type: str
      sample: update
    applicable:
      description: Whether DISM says the package applies to the image.
      type: bool
      sample: true
    display_name:
      description: The package's display name.
      type: str
    description:
      description: The package's description.
      type: str
    restart:
      description: Whether installing the package needs a restart, C(no), C(possible) or C(required) (DISM's restart type).
      type: str
      sample: required
    fully_offline:
      description:
        - Whether the package installs completely in an offline image, C(installable), C(not_installable) (it stays
          C(install_pending) until the image first boots) or C(undetermined).
      type: str
      sample: not_installable
    install_time:
      description: When the package was installed (C(YYYY-MM-DDThh:mm:ss.fff), as DISM reports it); V(null) when it is not.
      type: str
    product_version:
      description: The product version the package declares.
      type: str
    support_information:
      description: The package's support link.
      type: str
      sample: https://support.microsoft.com/help/5031364
reboot_required:
  description:
    - Whether DISM asked for a restart to finish the change (return code 3010).
    - In check mode, whether a package that would change requires a restart of the running Windows.
    - Always false for an offline image (O(path)).
  returned: success
  type: bool
  sample: true
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
  sample: DismAddPackage
hresult:
  description: On failure, the HRESULT DISM returned, as 8 hex digits.
  returned: failure from DISM
  type: str
  sample: "0x800F0823"
hresult_name:
  description: On failure, the symbolic name of RV(hresult).
  returned: failure from DISM
  type: str
  sample: CBS_E_NEW_SERVICING_STACK_REQUIRED
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
  description:
    - When a change failed part-way, the DISM operations of the change that had completed, each with the file it
      added (C(add_package <path> (<identity>))) or the package it removed (C(remove_package <identity>)).
  returned: failure after a change began
  type: list
  elements: str
  sample: ['add_package C:\updates\ssu-20348.2031-x64.cab (Package_for_ServicingStack_2031~31bf3856ad364e35~amd64~~20348.2031.1.2)']
not_started_steps:
  description: When a change failed part-way, the DISM operations of the change that were never started, named as in
    RV(completed_steps).
  returned: failure after a change began
  type: list
  elements: str
  sample: []
"""
