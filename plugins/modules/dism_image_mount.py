#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/dism_image_mount.py); this file
# holds its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_image_mount
short_description: Mount, commit and unmount WIM, VHD and VHDX images with DISM
version_added: 0.1.0
description:
  - Mounts one image (index) of a C(.wim), C(.vhd) or C(.vhdx) file into a folder on the managed
    host, saves the changes made in a mount, and unmounts it, committing or discarding its changes.
  - Idempotent by the machine's DISM mount table, read with every task. The same image and index
    already mounted at O(path) is left alone; a stale mount of it (status C(needs_remount), usually
    after a reboot) is remounted and reported as changed.
  - Never discards changes unless asked. Unmounting a read-write mount requires O(commit); a failed
    commit keeps the mount and its changes.
  - Never unmounts or changes a mount the task did not name.
  - Like C(Mount-WindowsImage), C(Save-WindowsImage) and C(Dismount-WindowsImage), through the DISM API.
options:
  path:
    description:
      - The mount folder on the managed host.
      - For O(state=mounted) it is created when missing; an existing folder must be empty.
    type: str
    required: true
  image_path:
    description:
      - The image file to mount. Required with O(state=mounted).
      - With O(state=unmounted) or O(state=committed), when set, the image mounted at O(path) must be
        this file, else the task fails and leaves the mount alone.
    type: str
  index:
    description:
      - The index of the image to mount (see M(winimaging.dism.dism_image_info)).
      - A WIM needs O(index) or O(name). VHD and VHDX files hold one image, index 1, which is the default for them.
      - With O(state=unmounted) or O(state=committed), when set, the mounted index must be this one.
    type: int
  name:
    description:
      - The name of the image to mount, matched case-insensitively. WIM files only.
      - Only with O(state=mounted); to check what is mounted at O(path), use O(image_path) and O(index).
      - Mutually exclusive with O(index).
    type: str
  state:
    description:
      - C(mounted) mounts the image at O(path) (or remounts a stale mount of it).
      - C(unmounted) unmounts whatever image is mounted at O(path), saving or discarding its changes as
        O(commit) says. Nothing mounted there is not an error.
      - C(committed) saves the changes of the read-write mount at O(path) into the image file and keeps
        it mounted. DISM cannot tell whether a mount has unsaved changes, so this always reports a change
        (and with O(append), adds an index on every run).
    type: str
    choices: [mounted, unmounted, committed]
    default: mounted
  read_only:
    description:
      - Mount read-only. A read-only mount cannot be committed.
      - DISM allows one read-write mount of an image at a time; read-only mounts of it may coexist.
    type: bool
    default: false
  optimize:
    description:
      - Mount faster by expanding only the top folder level at first (C(DISM_MOUNT_OPTIMIZE)); the
        first access to deeper folders is slower. WIM only.
    type: bool
    default: false
  check_integrity:
    description:
      - With O(state=mounted), verify the WIM's integrity information before mounting and stop if it is corrupt.
      - When committing, record integrity information in the WIM. WIM only.
    type: bool
    default: false
  commit:
    description:
      - With O(state=unmounted), what happens to the changes of a read-write mount. V(true) saves them
        into the image file before unmounting; V(false) discards them.
      - Required when the mount at O(path) is read-write; there is no default, so changes are never lost by accident.
      - A read-only mount has nothing to commit; leave this unset or set V(false).
    type: bool
  append:
    description:
      - When committing, save the mount as a new index at the end of the WIM instead of replacing the
        mounted index. WIM only.
    type: bool
    default: false
  discard_invalid:
    description:
      - With O(state=mounted), when the mount at O(path) is of the requested image but DISM reports it
        C(invalid) (broken), discard it, clean up DISM's mount points and mount again.
      - The invalid mount's uncommitted changes are lost, which is why this is off by default; the task
        then fails and says how to recover.
      - DISM's cleanup of invalid mount points is machine-wide; the task warns naming any other invalid mount it cleans up.
    type: bool
    default: false
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
    details: Reads the mount table and the image, and returns the mount the task would create.
  diff_mode:
    support: full
    details: Shows the machine's mount table before and after.
  platform:
    platforms: windows
notes:
  - Mounts are machine-wide and survive the connection; after a reboot they need a remount, which
    O(state=mounted) does.
  - Unmounting fails with C(0xC1420117) while files in the mount folder are open (an Explorer window,
    a shell whose current folder is inside it, antivirus, a loaded registry hive). DISM may already
    have saved the changes and partly unmounted the folder; close the files and run the task again
    with O(commit=false) to finish.
  - O(optimize), O(check_integrity) and O(append) apply to WIM files only; the task refuses them for VHD and VHDX images.
seealso:
  - module: winimaging.dism.dism_image_info
  - name: Mount-WindowsImage
    description: The DISM cmdlet with the same job.
    link: https://learn.microsoft.com/powershell/module/dism/mount-windowsimage
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
- name: Mount the Datacenter edition for servicing
  winimaging.dism.dism_image_mount:
    image_path: C:\images\install.wim
    name: Windows Server 2022 Datacenter (Desktop Experience)
    path: C:\mount\datacenter
  register: mount

- name: Save the changes so far and keep servicing
  winimaging.dism.dism_image_mount:
    path: "{{ mount.mount.path }}"
    state: committed

- name: Commit and unmount
  winimaging.dism.dism_image_mount:
    path: C:\mount\datacenter
    state: unmounted
    commit: true

- name: Throw the changes away
  winimaging.dism.dism_image_mount:
    path: C:\mount\datacenter
    state: unmounted
    commit: false

- name: Save the serviced image as a new index, leaving the original untouched
  winimaging.dism.dism_image_mount:
    path: C:\mount\datacenter
    state: unmounted
    commit: true
    append: true

- name: Mount a VHDX read-only to inspect it
  winimaging.dism.dism_image_mount:
    image_path: D:\vms\base.vhdx
    path: C:\mount\base
    read_only: true

- name: Service an image and never leave it mounted
  block:
    - name: Mount
      winimaging.dism.dism_image_mount:
        image_path: C:\images\install.wim
        index: 1
        path: C:\mount\core
    # ... servicing tasks ...
    - name: Commit and unmount
      winimaging.dism.dism_image_mount:
        path: C:\mount\core
        state: unmounted
        commit: true
  rescue:
    - name: Discard on failure
      winimaging.dism.dism_image_mount:
        path: C:\mount\core
        state: unmounted
        commit: false
"""

RETURN = r"""
mount:
  description:
    - The mount at O(path) after the task, or null when nothing is mounted there.
    - In check mode, the mount the task would create.
  returned: always
  type: dict
  contains:
    path:
      description: The mount folder.
      type: str
      sample: C:\mount\datacenter
    image_path:
      description: The mounted image file.
      type: str
      sample: C:\images\install.wim
    index:
      description: The mounted index.
      type: int
      sample: 4
    name:
      description: The mounted image's name; null when the task did not read the image file.
      type: str
      sample: Windows Server 2022 Datacenter (Desktop Experience)
    read_only:
      description: Whether the image is mounted read-only.
      type: bool
    status:
      description: DISM's status for the mount, C(ok), C(needs_remount) or C(invalid).
      type: str
      sample: ok
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [created folder, mounted]
dism_function:
  description: On failure, the DISM API function that failed.
  returned: failure from DISM
  type: str
  sample: DismUnmountImage
hresult:
  description: On failure, the HRESULT DISM returned, as 8 hex digits.
  returned: failure from DISM
  type: str
  sample: "0xC1420117"
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
