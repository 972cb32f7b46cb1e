# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restarting a Windows host after a change that needs it, and waiting for it to come back.

FOR INTERNAL COLLECTION USE ONLY. The steps run as PowerShell through the task's own
connection (the action base passes in how to run a script and how to reset the connection),
so this module has no Ansible imports and its waiting logic is tested with a fake host.

The host has restarted when its last boot time differs from the one read before the restart
was asked for; polling tolerates the connection failing while the host is down.
"""

from __future__ import annotations

import dataclasses
import time
import typing as t

# Each script prints one line. The lab host (tests/lab/host/modules.py) answers these exact scripts.
BOOT_TIME_SCRIPT = "(Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime).LastBootUpTime.ToFileTimeUtc()"
RESTART_SCRIPT = "shutdown.exe /r /t %d /c 'winimaging.dism: restart to finish servicing'; $LASTEXITCODE"
# shutdown.exe's exit code when a shutdown is already scheduled (ERROR_SHUTDOWN_IS_SCHEDULED).
SHUTDOWN_IS_SCHEDULED = 1190

RunScript = t.Callable[[str], t.Tuple[int, str, str]]


class RebootFailed(Exception):
    """The restart was not asked for, or the host did not come back in time."""


@dataclasses.dataclass(frozen=True)
class RebootOutcome:
    elapsed: float
    boot_time_before: int
    boot_time_after: int


def boot_time(run: RunScript) -> int:
    rc, stdout, stderr = run(BOOT_TIME_SCRIPT)
    text = stdout.strip()
    if rc != 0 or not text.isdigit():
        raise RebootFailed("could not read the host's last boot time (rc %d): %s" % (rc, (stderr or stdout).strip()[:300]))
    return int(text)


def reboot(run: RunScript, reset: t.Callable[[], None], timeout: float, delay: int = 2, interval: float = 2.0,
           sleep: t.Callable[[float], None] = time.sleep, clock: t.Callable[[], float] = time.monotonic) -> RebootOutcome:
    """Restart the host and return once it answers with a new boot time; RebootFailed otherwise."""
    started = clock()
    before = boot_time(run)
    rc, stdout, stderr = run(RESTART_SCRIPT % delay)
    code = stdout.strip().splitlines()[-1] if stdout.strip() else str(rc)
    if code == str(SHUTDOWN_IS_SCHEDULED):
        raise RebootFailed("a shutdown or restart is already scheduled on the host (shutdown.exe /a cancels it)")
    if rc != 0 or code != "0":
        raise RebootFailed("shutdown.exe /r failed with exit code %s: %s" % (code, stderr.strip()[:300]))
    last_error = "the host did not answer"
    while True:
        sleep(interval)
        try:
            reset()
            after = boot_time(run)
            if after != before:
                return RebootOutcome(elapsed=clock() - started, boot_time_before=before, boot_time_after=after)
            last_error = "the host still reports the boot time from before the restart"
        except Exception as e:  # pylint: disable=broad-exception-caught
            # While the host restarts the connection fails in many ways (refused, reset, timeouts).
            last_error = str(e) or type(e).__name__
        if clock() - started > timeout:
            raise RebootFailed("the host did not come back within reboot_timeout (%d seconds): %s" % (timeout, last_error))
