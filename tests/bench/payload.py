"""Benchmark: what one task sends to a Windows host and what it compiles there, measured on the wire.

Starts a private DISM lab host, runs real ansible-playbook over WinRM, and reads the host's wire
log (bytes of every WS-Man envelope, decoded stdin, C# shipped, helper compiles). Compares
winimaging.dism.dism_image_info with ansible.windows.win_optional_feature, which is taken from the
PyPI `ansible` wheel (the lab host refuses to run it, but every byte it sends is measured).

    .venv/bin/python tests/bench/payload.py [--tasks N] [--json FILE]

Bytes and counts only: the lab is not Windows, so no timings are reported.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from lablib import start_lab, stop_lab  # noqa: E402

ANSIBLE_WHEEL = "ansible==12.3.0"  # ships ansible.windows 3.3.0, the version windows-payload.md measured
CACHE = REPO / ".cache" / "bench"


def ansible_windows_collection() -> pathlib.Path:
    """A collections path holding ansible.windows, extracted from the PyPI ansible wheel."""
    root = CACHE / "collections"
    target = root / "ansible_collections" / "ansible" / "windows"
    if (target / "MANIFEST.json").exists():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), ANSIBLE_WHEEL], check=True)
    wheel = next(CACHE.glob("ansible-*.whl"))
    prefix = "ansible_collections/ansible/windows/"
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                zf.extract(name, root)
    return root


def run_tasks(lab, tmp: pathlib.Path, tasks: str, host: str, collections: pathlib.Path) -> None:
    run = lab.playbook(tasks, tmp, hosts=host, collections=[collections])
    if not run.results:
        raise SystemExit("benchmark playbook produced no results:\n" + run.stdout[-2000:])


def per_task(records: list[dict], shells: list[dict], tasks: int) -> dict:
    executions = [r for r in records if "module" in r]
    return {
        "module_executions": len(executions) / tasks,
        "stdin_bytes": sum(r["stdin_bytes"] for r in executions) / tasks,
        "soap_bytes_sent": (sum(r["soap_bytes_in"] for r in executions) + sum(s["soap_bytes_in"] for s in shells)) / tasks,
        "soap_bytes_received": (sum(r["soap_bytes_out"] for r in executions) + sum(s["soap_bytes_out"] for s in shells)) / tasks,
        "helper_compiles": sum(r.get("helper_compiles", 0) for r in executions) / tasks,
        "ansible_csharp_compiles": sum(1 for r in executions if r.get("csharp_utils")) / tasks,
        "csharp_utils": sorted({u for r in executions for u in r.get("csharp_utils", [])}),
    }


def measure(lab, host: str, tmp: pathlib.Path, task_yaml: str, tasks: int, collections: pathlib.Path) -> dict:
    before = len(lab.wire(host))
    run_tasks(lab, tmp, "\n".join([task_yaml] * tasks), host, collections)
    new = lab.wire(host)[before:]
    records = [r for r in new if "module" in r]
    shells = [r for r in new if "module" not in r]
    return per_task(records, shells, tasks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=5, help="tasks per steady-state sample (default 5)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the numbers as JSON here")
    args = parser.parse_args(argv)

    collections = ansible_windows_collection()
    info_task = "- name: info\n  winimaging.dism.dism_image_info:\n    image_path: C:\\images\\server2022.wim\n"
    feature_task = "- name: feature\n  ansible.windows.win_optional_feature:\n    name: NetFx3\n    state: present\n  ignore_errors: true\n"

    with tempfile.TemporaryDirectory(prefix="dism-bench-") as tmpdir:
        tmp = pathlib.Path(tmpdir)
        lab = start_lab(tmp / "lab", hosts=1)
        try:
            results = {
                "dism_image_info (first task on a host)": measure(lab, "win1", tmp, info_task, 1, collections),
                "dism_image_info (steady state)": measure(lab, "win1", tmp, info_task, args.tasks, collections),
                "ansible.windows.win_optional_feature": measure(lab, "win1", tmp, feature_task, args.tasks, collections),
            }
        finally:
            stop_lab(tmp / "lab")

    print("| task | module executions | stdin bytes | SOAP bytes sent | SOAP bytes received | C# compiles on the host |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        compiles = r["helper_compiles"] + r["ansible_csharp_compiles"]
        what = ", ".join(r["csharp_utils"]) if r["csharp_utils"] else ("winimaging helper" if r["helper_compiles"] else "none")
        print("| %s | %.0f | %s | %s | %s | %.0f (%s) |" % (
            name, r["module_executions"], format(round(r["stdin_bytes"]), ","), format(round(r["soap_bytes_sent"]), ","),
            format(round(r["soap_bytes_received"]), ","), compiles, what))
    steady = results["dism_image_info (steady state)"]["stdin_bytes"]
    theirs = results["ansible.windows.win_optional_feature"]["stdin_bytes"]
    print("\nsteady-state dism_image_info sends %.1f%% of win_optional_feature's stdin bytes" % (100.0 * steady / theirs))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
