"""Checks what one smoke run (smoke.yml) put on the lab hosts' wire, for one ansible-core version.

    python check_wire.py VERSION WIRE.jsonl:FIRST_LINE [WIRE.jsonl:FIRST_LINE ...]

Only the lines from FIRST_LINE (0-based) on are this run's. It checks that every command was
understood (nothing refused or unparsable), that the modules arrived in the exec-wrapper format
of VERSION (2.16-2.18 or 2.19) and said they came from VERSION (``_ansible_version``), and that
the two become tasks were seen as runas with an interactive and a network logon.
Exit 0 when all holds, else 1 with one line per problem.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HELPER = "winimaging.dism.dism_helper"


def expected_format(version: str) -> str:
    major, minor = (int(x) for x in version.split(".")[:2])
    return "2.19" if (major, minor) >= (2, 19) else "2.16-2.18"


def check(version: str, path: Path, first: int) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()[first:] if path.exists() else []
    records = [json.loads(line) for line in lines if line.strip()]
    commands = [r for r in records if r.get("kind") == "command"]
    host = path.parent.parent.name
    problems: list[str] = []
    if not commands:
        return [f"{host}: no command reached the host"]
    for r in commands:
        what = f"{host}: {r.get('module')!r}"
        if r.get("outcome") in ("refused", "error", None):
            problems.append(f"{what} was {r.get('outcome') or 'not finished'}")
        if r.get("module") == HELPER:
            if r.get("exec_format") != expected_format(version):
                problems.append(f"{what} arrived as exec format {r.get('exec_format')!r}, not {expected_format(version)!r}")
            if not str(r.get("ansible_version", "")).startswith(version + "."):
                problems.append(f"{what} came from ansible-core {r.get('ansible_version')!r}, not {version}")
        elif not str(r.get("module", "")).startswith("raw: "):
            problems.append(f"{what}: unexpected module")
    helper_runs = [r for r in commands if r.get("module") == HELPER]
    logons = Counter(r.get("logon") for r in helper_runs if r.get("become"))
    if logons != Counter({"interactive": 1, "network": 1}):
        problems.append(f"{host}: become runs with logons {dict(logons)}, expected one interactive and one network")
    if sum(1 for r in helper_runs if r.get("outcome") == "ok") < 10:
        problems.append(f"{host}: only {sum(1 for r in helper_runs if r.get('outcome') == 'ok')} successful helper runs")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    version = argv[0]
    problems: list[str] = []
    for spec in argv[1:]:
        path, first = spec.rsplit(":", 1)
        problems += check(version, Path(path), int(first))
    for p in problems:
        print(f"ansible-core {version}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
