"""Stand-in for `mono LabRunner.exe <dll>` in tests: echoes the request and the lab environment.

A request with "stub_exit": N makes it print to stderr and exit N; "stub_signal": N kills itself;
"stub_sleep": S makes it take S seconds (a task that keeps the helper DLL loaded meanwhile).
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    dll = sys.argv[1]
    request = json.load(sys.stdin)
    if "stub_sleep" in request:
        time.sleep(float(request["stub_sleep"]))
    if "stub_signal" in request:
        os.kill(os.getpid(), int(request["stub_signal"]))
    if "stub_exit" in request:
        print("stub runner: simulated crash in DismGetImageInfo", file=sys.stderr)
        return int(request["stub_exit"])
    json.dump(
        {
            "results": [],
            "error": None,
            "reboot_required": False,
            "session_reloads": 0,
            "completed": True,
            "echo": request,
            "dll": dll,
            "check_mode": sys.argv[2:] == ["--check-mode"],
            "dll_exists": os.path.exists(dll),
            "lab_root": os.environ.get("DISM_LAB_ROOT"),
            "logon": os.environ.get("DISM_LAB_LOGON"),
            "powershell": os.environ.get("DISM_LAB_POWERSHELL"),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
