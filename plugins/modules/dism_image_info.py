#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_image_info.py); this file
# holds its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_image_info
short_description: Read the images in a WIM, ESD, VHD or VHDX file, or list the mounted images
version_added: 0.1.0
description:
  - With O(image_path), returns every image (index) of a C(.wim), C(.esd), C(.vhd) or C(.vhdx) file
    on the managed host, with name, description, edition, architecture, version, languages, size and
    whether it is bootable, read from the file through the DISM API.
  - Without O(image_path), returns the images mounted on the machine through DISM, with their mount
    status, including mounts left behind by other processes or by a reboot.
  - Never changes anything.
options:
  image_path:
    description:
      - Path on the managed host of the image file to read.
      - VHD and VHDX files hold one image, index 1.
    type: str
  index:
    description:
      - Return only this index of O(image_path). Fails when the file has no such index.
      - Mutually exclusive with O(name).
    type: int
  name:
    description:
      - Return only the image with this name (matched case-insensitively). Fails when no image has it.
      - Mutually exclusive with O(index).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
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
  - name: DismGetImageInfo
    description: The DISM API function behind O(image_path).
    link: https://learn.microsoft.com/windows-hardware/manufacture/desktop/dism/dismgetimageinfo-function
  - name: Get-WindowsImage
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/get-windowsimage
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: List the editions in an install image
  winimaging.dism.dism_image_info:
    image_path: C:\images\install.wim
  register: install_wim

- name: Show the edition names and their index
  ansible.builtin.debug:
    msg: "{{ install_wim.images | map(attribute='index') | zip(install_wim.images | map(attribute='name')) | list }}"

- name: Find the index of one edition by name
  winimaging.dism.dism_image_info:
    image_path: C:\images\install.wim
    name: Windows Server 2022 Datacenter (Desktop Experience)
  register: datacenter

- name: Read a VHDX (always index 1)
  winimaging.dism.dism_image_info:
    image_path: D:\vms\base.vhdx

- name: List images mounted on the build server, including stale mounts after a reboot
  winimaging.dism.dism_image_info:
  register: mounts

- name: Fail early when a mount needs attention
  ansible.builtin.assert:
    that: mounts.mounted_images | rejectattr('status', 'equalto', 'ok') | list | length == 0
    fail_msg: "Stale DISM mounts: {{ mounts.mounted_images | rejectattr('status', 'equalto', 'ok') | map(attribute='path') | list }}"
"""

RETURN = r"""
image_path:
  description: The image file that was read, as given.
  returned: when O(image_path) is set
  type: str
  sample: C:\images\install.wim
images:
  description: The images (indexes) of O(image_path), in index order; only the selected one with O(index) or O(name).
  returned: when O(image_path) is set
  type: list
  elements: dict
  contains:
    index:
      description: The image's index in the file (1-based).
      type: int
      sample: 1
    name:
      description: The image name.
      type: str
      sample: Windows Server 2022 SERVERSTANDARDCORE
    description:
      description: The image description.
      type: str
    image_type:
      description: C(wim) for WIM and ESD files, C(vhd) for VHD and VHDX files.
      type: str
      sample: wim
    size:
      description: Size of the image's files in bytes.
      type: int
    architecture:
      description: Processor architecture of the image, C(x86), C(x64), C(arm), C(arm64), C(ia64) or C(neutral).
      type: str
      sample: x64
    product_name:
      description: Product name recorded in the image.
      type: str
      sample: Microsoft Windows Operating System
    edition_id:
      description: Edition ID, for example C(ServerStandard) or C(Professional).
      type: str
      sample: ServerStandard
    installation_type:
      description: Installation type, for example C(Server), C(Server Core) or C(Client).
      type: str
    product_type:
      description: Product type, for example C(ServerNT) or C(WinNT).
      type: str
    product_suite:
      description: Product suite.
      type: str
    hal:
      description: HAL recorded in the image, or null.
      type: str
    version:
      description: Version as C(major.minor.build.sp_build).
      type: str
      sample: 10.0.20348.1
    major_version:
      description: Major version.
      type: int
    minor_version:
      description: Minor version.
      type: int
    build:
      description: Build number.
      type: int
      sample: 20348
    sp_build:
      description: Service pack build (the update revision).
      type: int
    sp_level:
      description: Service pack level.
      type: int
    bootable:
      description: Whether this index is marked bootable (null when DISM cannot tell).
      type: bool
    system_root:
      description: The Windows folder name inside the image.
      type: str
      sample: WINDOWS
    languages:
      description: Language tags of the image.
      type: list
      elements: str
      sample: [en-US]
    default_language:
      description: The default language, or null.
      type: str
      sample: en-US
    directory_count:
      description: Number of directories (WIM only, else null).
      type: int
    file_count:
      description: Number of files (WIM only, else null).
      type: int
    created_time:
      description: When the image was created, UTC, C(YYYY-MM-DDTHH:MM:SS.fff) (WIM only, else null).
      type: str
    modified_time:
      description: When the image was last modified, UTC (WIM only, else null).
      type: str
mounted_images:
  description: The images mounted on the machine through DISM.
  returned: when O(image_path) is not set
  type: list
  elements: dict
  contains:
    path:
      description: The mount folder.
      type: str
      sample: C:\mount\server
    image_path:
      description: The mounted image file.
      type: str
      sample: C:\images\install.wim
    index:
      description: The mounted index.
      type: int
      sample: 2
    read_only:
      description: Whether the image is mounted read-only.
      type: bool
    status:
      description:
        - C(ok), C(needs_remount) (the mount was detached, usually by a reboot) or C(invalid) (the mount is broken).
        - A C(needs_remount) mount must be remounted or unmounted with discard before it can be serviced.
      type: str
      sample: ok
hresult:
  description: On failure, the HRESULT DISM returned, as 8 hex digits.
  returned: failure from DISM
  type: str
  sample: "0x80070002"
dism_function:
  description: On failure, the DISM API function that failed.
  returned: failure from DISM
  type: str
  sample: DismGetImageInfo
hresult_name:
  description: On failure, the symbolic name of RV(hresult).
  returned: failure from DISM
  type: str
  sample: ERROR_FILE_NOT_FOUND
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
"""
