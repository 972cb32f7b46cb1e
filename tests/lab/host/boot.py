"""The lab host's boot: state/boot-id names the current boot, its modification time is the boot time.

A new boot id is a restart: mounts made under the old one report NeedsRemount and pending feature
changes of the running Windows complete (tests/lab/dismsim, model_mounts.c and model_features.c).
labctl reboot and the simulated shutdown.exe /r both go through new_boot.
"""

from __future__ import annotations

import secrets
from pathlib import Path

# FILETIME counts 100 ns intervals since 1601-01-01; Unix time starts 11644473600 s later.
_FILETIME_UNIX_EPOCH = 116444736000000000


def boot_id_file(root: Path) -> Path:
    return root / "state" / "boot-id"


def new_boot(root: Path) -> str:
    """Start a new boot (the restart itself); returns the new boot id."""
    state = root / "state"
    state.mkdir(parents=True, exist_ok=True)
    boot_id = secrets.token_hex(8)
    tmp = state / "boot-id.tmp"
    tmp.write_text(boot_id + "\n")
    tmp.replace(boot_id_file(root))
    return boot_id


def boot_time_filetime(root: Path) -> int:
    """LastBootUpTime.ToFileTimeUtc() of the lab host: when the current boot id was written."""
    path = boot_id_file(root)
    if not path.exists():
        new_boot(root)
    return path.stat().st_mtime_ns // 100 + _FILETIME_UNIX_EPOCH
