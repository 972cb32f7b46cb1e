"""Benchmark: what a fleet pays per task, at 1 to 100 lab hosts, and the DISM calls each task makes.

For each host count N it starts N private DISM lab hosts on loopback (labctl up --hosts N --port 0
in a temporary base dir, always stopped at the end), puts each host in the state the no-op tasks
ask for (tests/integration/noop_tasks.py: an image mounted with a driver added), then runs real
ansible-playbook against all N hosts: K tasks of each module, every one a no-op, and K tasks of
the baseline, in one playbook, three times per fork count. It prints, per task:

  * seconds per host-task (task wall time / N; min and median of the repeats) and its ratio to
    the baseline's median;
  * controller CPU seconds per host-task (ansible-playbook and its workers, from os.times() in
    a callback at each task start) and the peak RSS of ansible-playbook (wait4's ru_maxrss);
  * SOAP bytes sent per task, C# compiles on the host per task, helper calls per task (from
    the lab hosts' wire logs);
  * DISM sessions (DismOpenSession) and DISM API calls per task, from the simulator's own
    accounting (every exported call, dismsim/src/calls.c), cross-checked against the calls the
    simulator logged on every host during the run.

Baseline: ansible.builtin.setup with gather_subset=min (what gather_facts runs), the cheapest
task the lab host answers (ansible.builtin.raw and the other ansible.windows modules are refused).
Its module comes from ansible.windows 3.3.0 in the PyPI `ansible` 12.3.0 wheel (downloaded once
into .cache/bench, as payload.py does); the lab host answers with canned facts, so on Windows its
host-side cost (Ansible.Basic.cs compile, fact gathering) would be higher than measured here.

    .venv/bin/python tests/bench/fleet.py [--hosts 1,10,50] [--forks 10,50] [--tasks 1] [--repeats 3] [--json FILE]

Timings are of the lab on this machine (the hosts' mono helper processes share the controller's
CPUs), not of Windows; the counts are exact.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(HERE))

from lablib import VENV_BIN, Lab, start_lab, stop_lab  # noqa: E402
from noop_tasks import NOOP_TASKS, SETUP, task_yaml  # noqa: E402
from payload import ansible_windows_collection  # noqa: E402

BASELINE = "baseline: ansible.builtin.setup"
BASELINE_TASK = "ansible.builtin.setup:\n  gather_subset: min"
HELPER = "winimaging.dism.dism_helper"
MAX_HOSTS = 100


def playbook_text(tasks_per_module: int) -> str:
    tasks = [(BASELINE, BASELINE_TASK), *NOOP_TASKS.items()]
    body = "".join(task_yaml(label, text, i + 1) for label, text in tasks for i in range(tasks_per_module))
    indented = "".join("    " + line + "\n" if line else "\n" for line in body.splitlines())
    return "- hosts: all\n  gather_facts: false\n  tasks:\n" + indented


def run_playbook(lab: Lab, book: pathlib.Path, forks: int, tmp: pathlib.Path, collections: pathlib.Path,
                 timing: pathlib.Path | None = None) -> tuple[int, t.Any, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(REPO / ".cache" / "ac"), str(collections)]),
        ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="fleet_timing",
        FLEET_TIMING_FILE=str(timing or tmp / "untimed.jsonl"),
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
    )
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(lab.inventory), "-f", str(forks), str(book)]
    log = tmp / "playbook.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # wait4: the rusage of ansible-playbook and the workers it reaped (peak RSS, CPU).
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage, log.read_text(errors="replace")


def calls_logged(lab: Lab) -> int:
    """Lines the simulators appended to lab/dism-calls.log, over every host (one per DISM call)."""
    total = 0
    for host in lab.hosts:
        path = lab.root(host) / "lab" / "dism-calls.log"
        if path.exists():
            with open(path, "rb") as fh:
                total += sum(1 for _line in fh)
    return total


def label_of(task_name: str) -> str:
    return task_name.rsplit(" #", 1)[0]


def measure(lab: Lab, forks: int, tasks_per_module: int, tmp: pathlib.Path, collections: pathlib.Path) -> dict:
    """One timed run of the playbook; per task label, per host-task figures."""
    hosts = len(lab.hosts)
    book = tmp / "fleet.yml"
    book.write_text(playbook_text(tasks_per_module))
    timing = tmp / ("timing-%d.jsonl" % time.monotonic_ns())
    wire_before = {h: len(lab.wire(h)) for h in lab.hosts}
    calls_before = calls_logged(lab)
    rc, usage, output = run_playbook(lab, book, forks, tmp, collections, timing)
    records = [json.loads(line) for line in timing.read_text().splitlines()]
    starts = [r for r in records if r["event"] == "start"]
    end = next(r for r in records if r["event"] == "end")
    bad = [r for r in records if r["event"] == "result" and r["status"] != "ok"]
    if rc != 0 or bad or len(starts) != tasks_per_module * (len(NOOP_TASKS) + 1):
        raise SystemExit("the benchmark playbook failed (rc %d, %d bad results):\n%s" % (rc, len(bad), output[-4000:]))
    bounds = [s["time"] for s in starts] + [end["time"]]
    cpus = [s["cpu"] for s in starts] + [end["cpu"]]
    per: dict[str, dict[str, float]] = {}
    for i, start in enumerate(starts):
        row = per.setdefault(label_of(start["task"]), dict.fromkeys(
            ("wall", "cpu", "host_tasks", "soap_bytes_sent", "compiles", "helper_calls", "sessions", "dism_calls",
             "DismGetFeatures", "DismGetFeatureInfo", "DismGetFeatureParent"), 0.0))
        row["wall"] += bounds[i + 1] - bounds[i]
        row["cpu"] += cpus[i + 1] - cpus[i]
        row["host_tasks"] += hosts
    # Wire records are written as each command (shell) ends; they belong to the task running then.
    attributed_calls = 0
    for host in lab.hosts:
        for r in lab.wire(host)[wire_before[host]:]:
            i = max(0, min(len(starts) - 1, sum(1 for b in bounds[1:-1] if r["ts"] >= b)))
            row = per[label_of(starts[i]["task"])]
            row["soap_bytes_sent"] += r["soap_bytes_in"]
            if r.get("kind") != "command":
                continue
            row["compiles"] += r.get("helper_compiles", 0) + (1 if r.get("csharp_utils") else 0)
            calls = r.get("dism_calls") or {}
            row["helper_calls"] += r["module"] == HELPER
            row["sessions"] += calls.get("DismOpenSession", 0)
            row["dism_calls"] += sum(calls.values())
            for name in ("DismGetFeatures", "DismGetFeatureInfo", "DismGetFeatureParent"):
                row[name] += calls.get(name, 0)
            attributed_calls += sum(calls.values())
    logged = calls_logged(lab) - calls_before
    if logged != attributed_calls:
        raise SystemExit("the simulators logged %d DISM calls but the wire records account for %d" % (logged, attributed_calls))
    result = {}
    for label, row in per.items():
        n = row.pop("host_tasks")
        result[label] = {key: value / n for key, value in row.items()}
    return {"tasks": result, "peak_rss_mb": usage.ru_maxrss / 1024.0,
            "playbook_cpu_s": usage.ru_utime + usage.ru_stime, "dism_calls_logged": logged}


def summarise(runs: list[dict]) -> dict[str, dict[str, float]]:
    labels = list(runs[0]["tasks"])
    out = {}
    for label in labels:
        rows = [r["tasks"][label] for r in runs]
        walls = [r["wall"] for r in rows]
        out[label] = {"wall_min": min(walls), "wall_median": statistics.median(walls),
                      "cpu_median": statistics.median(r["cpu"] for r in rows)}
        for key in ("soap_bytes_sent", "compiles", "helper_calls", "sessions", "dism_calls",
                    "DismGetFeatures", "DismGetFeatureInfo", "DismGetFeatureParent"):
            out[label][key] = statistics.median(r[key] for r in rows)
    base = out[BASELINE]["wall_median"]
    for row in out.values():
        row["ratio"] = row["wall_median"] / base if base else float("nan")
    return out


def bench_hosts(hosts: int, forks_list: list[int], args: argparse.Namespace, collections: pathlib.Path) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="dism-fleet-") as tmpdir:
        tmp = pathlib.Path(tmpdir)
        started = time.monotonic()
        try:
            lab = start_lab(tmp / "lab", hosts=hosts)
            print("fleet: %d host(s) up in %.0fs" % (hosts, time.monotonic() - started), file=sys.stderr, flush=True)
            setup = tmp / "setup.yml"
            setup.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n" + "".join(
                "    " + line + "\n" for line in SETUP.strip().splitlines()))
            rc, _usage, output = run_playbook(lab, setup, max(forks_list), tmp, collections)
            if rc != 0:
                raise SystemExit("the setup playbook failed:\n" + output[-4000:])
            for forks in forks_list:
                runs = []
                for repeat in range(args.repeats):
                    runs.append(measure(lab, forks, args.tasks, tmp, collections))
                    print("fleet: hosts=%d forks=%d run %d/%d done (%.0fs so far)" % (
                        hosts, forks, repeat + 1, args.repeats, time.monotonic() - started), file=sys.stderr, flush=True)
                results.append({"hosts": hosts, "forks": forks, "tasks_per_module": args.tasks, "repeats": args.repeats,
                                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                                "summary": summarise(runs), "runs": runs})
        finally:
            stop_lab(tmp / "lab")
    return results


def print_table(results: list[dict]) -> None:
    print("| hosts | forks | task | s/host-task min | median | x baseline | controller CPU s/host-task "
          "| peak RSS MB | SOAP KB sent/task | C# compiles/task | helper calls/task | DISM sessions/task | DISM calls/task |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for res in results:
        for label, row in res["summary"].items():
            print("| %d | %d | %s | %.3f | %.3f | %.2f | %.3f | %.0f | %.1f | %g | %g | %g | %g |" % (
                res["hosts"], res["forks"], label, row["wall_min"], row["wall_median"], row["ratio"], row["cpu_median"],
                res["peak_rss_mb"], row["soap_bytes_sent"] / 1000.0, row["compiles"], row["helper_calls"],
                row["sessions"], row["dism_calls"]))


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int_list, default=[1, 10, 50], help="host counts, comma-separated (default 1,10,50)")
    parser.add_argument("--forks", type=int_list, default=[10, 50],
                        help="fork counts (default 10,50); one above the host count is run once, as forks=hosts")
    parser.add_argument("--tasks", type=int, default=1, help="tasks per module and of the baseline (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per host and fork count (default 3)")
    parser.add_argument("--json", type=pathlib.Path, help="also write every number as JSON here")
    args = parser.parse_args(argv)
    if not args.hosts or any(not 1 <= h <= MAX_HOSTS for h in args.hosts):
        parser.error("--hosts takes counts between 1 and %d" % MAX_HOSTS)
    if not args.forks or any(f < 1 for f in args.forks) or not 1 <= args.tasks <= 20 or not 1 <= args.repeats <= 10:
        parser.error("--forks must be positive, --tasks 1..20, --repeats 1..10")

    collections = ansible_windows_collection()
    results = []
    for hosts in args.hosts:
        # More forks than hosts run the same way as forks == hosts: measured once.
        forks_list = sorted({min(f, hosts) for f in args.forks})
        results.extend(bench_hosts(hosts, forks_list, args, collections))
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
