# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Options every winimaging.dism module passes to DismInitialize.
    DOCUMENTATION = r"""
options:
  log_path:
    description:
      - Path on the managed host of the DISM log file for this task's DISM session.
      - When not set, DISM writes to its default log, C(%WINDIR%\Logs\DISM\dism.log), which every
        DISM client on the machine shares.
      - Failure messages name this path.
    type: str
  log_level:
    description:
      - How much DISM writes to the log, like the C(-LogLevel) parameter of the DISM cmdlets.
    type: str
    choices: [errors, warnings, warnings_info]
    default: warnings_info
  scratch_directory:
    description:
      - Folder on the managed host that DISM uses for temporary files during this task.
      - It must exist and be on a local volume. When not set, DISM uses C(%WINDIR%\Temp).
      - Give each concurrent DISM job on one host its own folder.
    type: str
  timeout:
    description:
      - Seconds each DISM session of the task may take. When they have passed, the helper cancels
        the running DISM operation through its cancel event (as C(DismCancel) would) and the task
        fails, naming the cancelled DISM call, the steps that had completed and the ones that were
        not started.
      - Only DISM operations that take a cancel event (mounting, unmounting, committing, enabling
        and disabling features, health checks) can be stopped part-way; other calls finish first.
      - A cancelled operation can leave the image in between; the failure says how to check it.
      - When not set, DISM runs as long as it needs (the task keyword C(timeout) still applies).
    type: int
notes:
  - Every path option takes an absolute Windows path on the managed host (a drive path such as
    C(C:\mount\w11) or a UNC path) of at most 259 characters (MAX_PATH) in any form, C(\\?\) too, since
    DISM does not document long paths, with no character or name Windows reserves (C(<), C(>), C(:),
    C("), C(|), C(?), C(*), C(CON), C(NUL), C(COM1) and so on, a trailing dot or space). Anything else, and an empty list,
    fails the task naming the option before anything reaches the host.
  - The connecting user must be a member of the local Administrators group; DISM refuses to run
    without elevation.
  - The module runs a small helper on the host that calls C(DismApi.dll) directly. Its C# is compiled
    once per host and helper version and cached under C(%ProgramData%\winimaging.dism\helper),
    a folder only administrators can write; later tasks send no C# and compile nothing (with
    C(become), Ansible itself still compiles its become utilities on every task).
"""
