# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The image a module services: the running Windows, or an offline image.
    DOCUMENTATION = r"""
options:
  path:
    description:
      - Root folder of an offline Windows image on the managed host, such as the mount folder of
        M(winimaging.dism.dism_image_mount) or a volume an image was applied to (C(D:\)).
      - When not set, the module services the running Windows installation (DISM C(/Online)).
      - Every state is read from, and every change made to, this image in one DISM session, never
        the running Windows by mistake.
    type: str
  windows_directory:
    description:
      - The Windows folder of the offline image, relative to O(path). DISM's default is C(Windows).
      - Only with O(path).
    type: str
  system_drive:
    description:
      - The drive that holds the boot manager of the offline image, when it is not the drive of O(path).
      - Only with O(path).
    type: str
"""
