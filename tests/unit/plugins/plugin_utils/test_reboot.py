"""Restarting a host and waiting for it (plugin_utils/_reboot.py), against a scripted host."""

from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils import _reboot as R


class FakeHost:
    """Boot time 100; a restart takes `down` polls (the connection fails meanwhile), then boot time 200."""

    def __init__(self, down=2, shutdown_rc=0, shutdown_code="0", comes_back=True):
        self.boot = 100
        self.down = None
        self.down_polls = down
        self.shutdown = (shutdown_rc, shutdown_code)
        self.comes_back = comes_back
        self.scripts = []
        self.resets = 0

    def run(self, script):
        self.scripts.append(script)
        if script.startswith("shutdown.exe"):
            rc, code = self.shutdown
            if code == "0":
                self.down = self.down_polls
            return rc, code + "\r\n", ""
        assert script == R.BOOT_TIME_SCRIPT
        if self.down is not None:
            if self.down > 0 or not self.comes_back:
                self.down -= 1
                raise ConnectionError("winrm: connection refused")
            self.boot = 200
        return 0, "%d\r\n" % self.boot, ""

    def reset(self):
        self.resets += 1


class Clock:
    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds):
        self.now += seconds

    def __call__(self):
        return self.now


def test_restart_waits_through_the_outage_for_a_new_boot_time():
    host, clock = FakeHost(down=3), Clock()
    outcome = R.reboot(host.run, host.reset, timeout=600, sleep=clock.sleep, clock=clock)
    assert (outcome.boot_time_before, outcome.boot_time_after) == (100, 200)
    assert host.scripts[1] == R.RESTART_SCRIPT % 2
    assert host.resets == 4 and outcome.elapsed == 8.0


def test_a_host_that_never_comes_back_fails_with_the_last_error():
    host, clock = FakeHost(comes_back=False), Clock()
    with pytest.raises(R.RebootFailed, match=r"did not come back within reboot_timeout \(30 seconds\): winrm: connection refused"):
        R.reboot(host.run, host.reset, timeout=30, sleep=clock.sleep, clock=clock)


def test_an_already_scheduled_shutdown_is_named():
    host, clock = FakeHost(shutdown_code="1190"), Clock()
    with pytest.raises(R.RebootFailed, match=r"already scheduled on the host \(shutdown.exe /a cancels it\)"):
        R.reboot(host.run, host.reset, timeout=30, sleep=clock.sleep, clock=clock)


def test_a_failing_shutdown_is_a_failure_not_a_wait():
    host, clock = FakeHost(shutdown_rc=1, shutdown_code="5"), Clock()
    with pytest.raises(R.RebootFailed, match="shutdown.exe /r failed with exit code 5"):
        R.reboot(host.run, host.reset, timeout=30, sleep=clock.sleep, clock=clock)
    assert clock.now == 0


def test_an_unreadable_boot_time_stops_before_the_restart():
    def run(script):
        return 1, "", "Get-CimInstance : Access denied"
    with pytest.raises(R.RebootFailed, match="could not read the host's last boot time .*Access denied"):
        R.reboot(run, lambda: None, timeout=30)
