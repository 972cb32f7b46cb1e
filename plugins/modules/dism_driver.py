#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_driver.py); this file holds
# its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_driver
short_description: Add or remove driver packages in offline Windows images, by driver identity
version_added: 0.1.0
description:
  - Adds INF driver packages to an offline Windows image (a mount folder or an applied volume), or
    removes them, like C(Add-WindowsDriver) and C(Remove-WindowsDriver).
  - Idempotent by driver identity. For each INF the module reads the package's identity through DISM
    (original INF file name, provider, class GUID, version, date) and compares it with the image's
    third-party drivers. A release already in the image is left alone; a different version is added
    and the versions already there are reported.
  - Removal takes the driver's original INF name (C(e1d68x64.inf)), its published name in this image
    (C(oem3.inf)) or the path of its INF, and removes every published copy of it. Published names
    differ from image to image; the module looks them up each time.
  - Drivers that ship with Windows (inbox) are never removed; boot-critical ones only when
    O(remove_boot_critical=true).
options:
  path:
    description:
      - Root folder of the offline image (for example the mount folder of M(winimaging.dism.dism_image_mount))
        or a volume an image was applied to.
      - Required. DISM adds and removes drivers only in offline images; for the running Windows the
        task fails and names the tool to use instead (C(pnputil.exe)).
    type: str
  driver:
    description:
      - With O(state=present), C(.inf) files and folders of driver packages on the managed host. A folder
        contributes the C(.inf) files directly in it, or in its whole tree with O(recurse).
      - With O(state=absent), original INF names, published names or INF paths of the drivers to remove.
    type: list
    elements: str
    required: true
  state:
    description:
      - C(present) adds every package whose release is not in the image yet.
      - C(absent) removes every published copy of the named drivers. A driver that is not in the image is not an error.
    type: str
    choices: [present, absent]
    default: present
  recurse:
    description:
      - Search the folders in O(driver) and all their subfolders for C(.inf) files.
      - Junctions and symbolic links found in a folder tree are never followed (a link can point back up the tree);
        each is reported in RV(drivers) with RV(drivers[].outcome=skipped) and a warning. A folder named in
        O(driver) is searched even when it is a link.
      - A subfolder that cannot be listed (access denied, or a path longer than Windows' 259 characters, MAX_PATH)
        is handled as O(on_error) says.
    type: bool
    default: false
  force_unsigned:
    description:
      - Add unsigned driver packages to an x64 image (DISM's C(/ForceUnsigned); meant for testing).
      - x86 images accept unsigned drivers without it. When O(path) is a DISM mount, the module reads the mounted
        image's architecture and warns when C(force_unsigned=true) is set for an x86 image. For an applied image
        (not a mount) DISM does not report the architecture and nothing is said.
    type: bool
    default: false
  on_error:
    description:
      - C(fail) fails the task when any INF cannot be read or added, or any folder of a driver tree cannot be listed
        (the message names the folder and the Windows error); when an INF or folder cannot be read nothing is added.
      - C(skip) adds the others, reports each failing INF, and each folder that could not be listed, with its error
        in RV(drivers) and warns.
    type: str
    choices: [fail, skip]
    default: fail
  remove_boot_critical:
    description:
      - Allow removing boot-critical drivers (storage controllers and the like); removing one can leave
        the image unable to boot.
    type: bool
    default: false
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
    details: Reads every INF and the image's drivers and reports which INFs would be added, skipped or removed.
  diff_mode:
    support: full
    details: Shows the image's third-party drivers before and after.
  platform:
    platforms: windows
notes:
  - Driver folders on a network share need credentials the connection can pass on; see the
    connection guide (C(become)), or copy the drivers to the host first.
seealso:
  - module: winimaging.dism.dism_driver_info
  - module: winimaging.dism.dism_image_mount
  - name: Add-WindowsDriver
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/add-windowsdriver
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: Inject every driver under C:\drivers into the mounted image
  winimaging.dism.dism_driver:
    path: C:\mount\server
    driver: C:\drivers
    recurse: true
  register: injected

- name: Show what happened to each INF
  ansible.builtin.debug:
    msg: "{{ injected.drivers | map(attribute='inf') | zip(injected.drivers | map(attribute='outcome')) | list }}"

- name: Add the drivers that can be added, report the others
  winimaging.dism.dism_driver:
    path: C:\mount\server
    driver: D:\vendor-drops
    recurse: true
    on_error: skip

- name: Remove a NIC driver by its original INF name, whatever oemN.inf it was published as
  winimaging.dism.dism_driver:
    path: C:\mount\server
    driver: e1d68x64.inf
    state: absent
"""

RETURN = r"""
drivers:
  description: One entry per INF (O(state=present)) or per named driver (O(state=absent)), with its outcome.
  returned: success
  type: list
  elements: dict
  contains:
    inf:
      description: The INF file (O(state=present)); null for an entry about a folder (see RV(drivers[].folder)).
      type: str
      sample: C:\drivers\nic\e1d68x64.inf
    folder:
      description:
        - For an entry about a folder of a driver tree rather than an INF (O(state=present)), the folder. With
          RV(drivers[].outcome=failed) it could not be listed (RV(drivers[].error) says why); with
          RV(drivers[].outcome=skipped) it is a junction or symbolic link, which the module does not follow.
      type: str
      sample: C:\drivers\vendor\loop
    driver:
      description: The name or path given (O(state=absent)).
      type: str
    outcome:
      description:
        - C(added), C(already_present), C(duplicate) (the same release came from another INF of this task),
          C(removed), C(absent) (nothing to remove), C(failed), or C(skipped) (a junction or symbolic link in a
          folder tree, not followed). In check mode, what would happen.
      type: str
      sample: added
    error:
      description: For C(failed), the message with the HRESULT, its name, DISM's text and a hint.
      type: str
    published_name:
      description: The driver's name in this image (C(oemN.inf)); null for an add in check mode.
      type: str
      sample: oem3.inf
    original_file_name:
      description: The INF file name the package was built with.
      type: str
      sample: e1d68x64.inf
    provider_name:
      description: The driver's provider.
      type: str
    class_name:
      description: The device class, for example C(Net), C(SCSIAdapter) or C(Display).
      type: str
    class_guid:
      description: The device class GUID.
      type: str
    version:
      description: The driver version from the INF's C(DriverVer).
      type: str
      sample: 12.19.1.37
    date:
      description: The driver date from the INF's C(DriverVer).
      type: str
    other_versions:
      description: For C(added), versions of the same driver already in the image.
      type: list
      elements: str
    inbox:
      description: Whether the driver ships with Windows.
      type: bool
    boot_critical:
      description: Whether the driver is boot critical.
      type: bool
    signature:
      description: C(signed), C(unsigned) or C(unknown) (DISM only checks boot-critical drivers).
      type: str
    catalog_file:
      description: The driver's catalog file.
      type: str
reboot_required:
  description: Always false; changes to an offline image take effect when it boots.
  returned: success
  type: bool
dism_function:
  description: On failure, the DISM API function that failed.
  returned: failure from DISM
  type: str
hresult:
  description: On failure, the HRESULT DISM returned, as 8 hex digits.
  returned: failure from DISM
  type: str
hresult_name:
  description: On failure, the symbolic name of RV(hresult).
  returned: failure from DISM
  type: str
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
    - When a change failed part-way, the DISM operations of the change that had completed, each with the INF file it
      added (C(add_driver <INF path>)) or the driver it removed (C(remove_driver <published name> (<INF name>
      <version>))).
  returned: failure after a change began
  type: list
  elements: str
  sample: ['add_driver C:\drivers\nic\e1d68x64.inf']
not_started_steps:
  description: When a change failed part-way, the DISM operations of the change that were never started, named as in
    RV(completed_steps).
  returned: failure after a change began
  type: list
  elements: str
  sample: ['add_driver C:\drivers\storage\cstor.inf']
"""
