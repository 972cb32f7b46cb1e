#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_package_info.py); this file
# holds its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_package_info
short_description: List the packages (updates) of Windows or an image, and read package files
version_added: 0.2.0
description:
  - Lists the packages of the running Windows or of an offline image (the foundation package, servicing stack
    and cumulative updates, language packs, hotfixes) with their state and release type, like
    C(Get-WindowsPackage), read through the DISM API in one session.
  - With O(package_path), also reads package files before they are added (C(DismGetPackageInfo) on the path),
    their identity, whether they apply to the image and whether they are already installed.
  - Names and states of every package come from one C(DismGetPackages) call. The other fields (the details)
    cost one more DISM call per package, so by default they are read only for the packages named without a
    wildcard; see O(details).
  - Never changes anything.
options:
  package_name:
    description:
      - Only the packages whose identity (C(name~public key token~architecture~language~version)) matches one of
        these, case-insensitively; C(*) and C(?) are wildcards, so C(Package_for_RollupFix*) finds the cumulative
        updates.
      - When not set, every package.
    type: list
    elements: str
  package_path:
    description:
      - Package files to read, on the managed host, each a C(.cab) or C(.msu) file, an expanded package folder
        (one holding C(update.mum)) or a folder of C(.cab) and C(.msu) files (the files directly in it, sorted by
        name). They are reported in RV(package_files).
      - DISM cannot read an C(.msu) file without adding it; its entry has RV(package_files[].kind=msu) and no
        package fields.
    type: list
    elements: str
  details:
    description:
      - Whether to read the details of each package listed in RV(packages) (RV(packages[].display_name),
        RV(packages[].applicable), RV(packages[].restart) and the other fields marked as details), one DISM call
        per package.
      - V(true) reads them for every package returned; V(false) for none (their details are V(null)).
      - When not set, the details are read for the packages O(package_name) lists without a wildcard, and not
        for those matched only by a wildcard nor when O(package_name) is not set.
      - Package files (O(package_path)) are always read in full.
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
  - module: winimaging.dism.dism_package
  - name: Get-WindowsPackage
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/get-windowspackage
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: Which cumulative updates does this server have?
  winimaging.dism.dism_package_info:
    package_name: Package_for_RollupFix*
  register: rollups

- name: Show the installed one
  ansible.builtin.debug:
    msg: "{{ rollups.packages | selectattr('state', 'equalto', 'installed') | map(attribute='identity.version') | list }}"

- name: Does this update apply to the mounted image, and is it there already?
  winimaging.dism.dism_package_info:
    path: C:\mount\server
    package_path: C:\updates\windows10.0-kb5031364-x64.cab
  register: lcu

- name: Fail early when it does not apply
  ansible.builtin.assert:
    that: lcu.package_files[0].applicable
    fail_msg: "{{ lcu.package_files[0].name }} does not apply to this image"

- name: Every package of an image with its details (one more DISM call per package)
  winimaging.dism.dism_package_info:
    path: C:\mount\server
    details: true
"""

RETURN = r"""
packages:
  description: The image's matching packages, in the order DISM lists them.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The package identity, as DISM reports it.
      type: str
      sample: Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2031.1.2
    identity:
      description:
        - The parts of RV(packages[].name), with keys C(name), C(public_key_token), C(architecture), C(language)
          (empty for a language-neutral package) and C(version).
      type: dict
      sample: {name: Package_for_RollupFix, public_key_token: 31bf3856ad364e35, architecture: amd64, language: "",
               version: 20348.2031.1.2}
    state:
      description:
        - C(installed), C(install_pending), C(superseded) (a newer update replaced it), C(staged),
          C(uninstall_pending), C(not_present), C(removed) or C(partially_installed).
      type: str
      sample: installed
    release_type:
      description:
        - The kind of package (DISM's release type), C(critical_update), C(driver), C(feature_pack), C(hotfix),
          C(security_update), C(software_update), C(update), C(update_rollup), C(language_pack), C(foundation),
          C(service_pack), C(product), C(local_pack), C(other) or C(on_demand_pack).
      type: str
      sample: security_update
    install_time:
      description: When the package was installed (C(YYYY-MM-DDThh:mm:ss.fff)); V(null) when DISM reports none.
      type: str
      sample: "2023-10-11T02:14:09.000"
    applicable:
      description: Whether DISM says the package applies to the image; V(null) when the details were not read.
      type: bool
    display_name:
      description: The display name; V(null) when the details were not read (see O(details)), like the fields below.
      type: str
    description:
      description: The description.
      type: str
    restart:
      description: Whether installing or removing the package needs a restart, C(no), C(possible) or C(required).
      type: str
    fully_offline:
      description:
        - Whether the package installs completely in an offline image, C(installable), C(not_installable) (it stays
          C(install_pending) until the image first boots) or C(undetermined).
      type: str
    product_version:
      description: The product version the package declares.
      type: str
    support_information:
      description: The package's support link.
      type: str
package_files:
  description: One entry per package file read (O(package_path)), in the order given; a folder of package files
    contributes one entry per file.
  returned: when O(package_path) is set
  type: list
  elements: dict
  contains:
    path:
      description: The file (or expanded package folder).
      type: str
      sample: C:\updates\windows10.0-kb5031364-x64.cab
    kind:
      description: C(cab), C(folder) (an expanded package, or a folder without package files) or C(msu).
      type: str
      sample: cab
    error:
      description: Why the file could not be read (the HRESULT, its name and DISM's message); V(null) when it was read.
      type: str
    name:
      description: The identity of the package in the file; V(null) for an C(.msu) file or a file that could not be read.
      type: str
    identity:
      description: The parts of RV(package_files[].name), as in RV(packages[].identity).
      type: dict
    state:
      description: The state of that package in the image, as in RV(packages[].state); C(not_present) when it is not installed.
      type: str
      sample: not_present
    applicable:
      description: Whether the package applies to the image (Windows build, architecture, edition, no newer version installed).
      type: bool
      sample: true
    release_type:
      description: As RV(packages[].release_type).
      type: str
    display_name:
      description: The display name.
      type: str
    description:
      description: The description.
      type: str
    restart:
      description: As RV(packages[].restart).
      type: str
      sample: required
    fully_offline:
      description: As RV(packages[].fully_offline).
      type: str
    install_time:
      description: When it was installed; V(null) when it is not.
      type: str
    product_version:
      description: The product version the package declares.
      type: str
    support_information:
      description: The package's support link.
      type: str
"""
