# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Modules whose changes to the running Windows can need a restart.
    DOCUMENTATION = r"""
options:
  reboot:
    description:
      - Restart the host when the change needs it (RV(reboot_required)), and wait for it to come
        back before the task ends. The task then returns RV(rebooted=true) and RV(reboot_required=false).
      - Only the running Windows is ever restarted; changes to an offline image (O(path)) never need one.
      - In check mode nothing is restarted; RV(reboot_required) says whether a restart would be needed.
      - The restart runs C(shutdown.exe /r) through the task's connection and waits until the host
        reports a new boot time.
    type: bool
    default: false
  reboot_timeout:
    description:
      - Seconds to wait for the host to come back after the restart; the task fails when it does not.
    type: int
    default: 600
"""
