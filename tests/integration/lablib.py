"""Drives the DISM lab and real ansible-playbook for the integration tests."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import threading
import typing as t

REPO = pathlib.Path(__file__).resolve().parents[2]
LABCTL = REPO / "tests" / "lab" / "labctl.py"
VENV_BIN = pathlib.Path(sys.executable).parent
CALLBACKS = REPO / "tests" / "integration" / "callback_plugins"


@dataclasses.dataclass
class TaskResult:
    host: str
    task: str
    status: str
    result: dict[str, t.Any]

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclasses.dataclass
class PlaybookRun:
    rc: int
    stdout: str
    results: list[TaskResult]

    def task(self, name: str, host: str | None = None) -> TaskResult:
        found = [r for r in self.results if r.task == name and (host is None or r.host == host)]
        assert len(found) == 1, "expected one result for task %r on %r, got %d:\n%s" % (name, host, len(found), self.stdout[-3000:])
        return found[0]


@dataclasses.dataclass
class Lab:
    base: pathlib.Path
    state: dict[str, t.Any]

    @property
    def inventory(self) -> pathlib.Path:
        return self.base / "inventory.ini"

    @property
    def hosts(self) -> list[str]:
        return [h["name"] for h in self.state["hosts"]]

    def root(self, host: str) -> pathlib.Path:
        return pathlib.Path(next(h["lab_root"] for h in self.state["hosts"] if h["name"] == host))

    def windows_path(self, host: str, path: str) -> pathlib.Path:
        """Where a C:\\ path of a lab host lives on this machine."""
        drive, rest = path.split(":", 1)
        return self.root(host) / "drives" / drive.upper() / rest.lstrip("\\").replace("\\", "/")

    def labctl(self, *args: str) -> str:
        out = subprocess.run([sys.executable, str(LABCTL), *args, "--base-dir", str(self.base)],
                             check=True, capture_output=True, text=True)
        return out.stdout

    def wire(self, host: str) -> list[dict[str, t.Any]]:
        path = self.root(host) / "lab" / "wire.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def fault(self, host: str, function: str, nth: int, action: str, *message: str) -> None:
        self.labctl("fault", host, function, str(nth), action, *message)

    def clear_faults(self, host: str) -> None:
        for name in ("faults",):
            p = self.root(host) / "lab" / name
            if p.exists():
                p.unlink()
        counts = self.root(host) / "lab" / "fault-counts"
        if counts.exists():
            for f in counts.iterdir():
                f.unlink()

    def playbook(self, tasks: str, tmp_path: pathlib.Path, hosts: str = "win1", check: bool = False,
                 diff: bool = False, extra_args: t.Sequence[str] = (),
                 collections: t.Sequence[pathlib.Path] = ()) -> PlaybookRun:
        """Run a one-play playbook with `tasks` (YAML) against lab hosts; returns every task result."""
        play = "- hosts: %s\n  gather_facts: false\n  tasks:\n%s" % (hosts, textwrap.indent(textwrap.dedent(tasks).strip() + "\n", "    "))
        book = tmp_path / ("play-%d.yml" % len(list(tmp_path.glob("play-*.yml"))))
        book.write_text(play)
        record = book.with_suffix(".jsonl")
        env = dict(os.environ)
        env.update(
            ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(str(p) for p in [REPO / ".cache" / "ac", *collections]),
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
            ANSIBLE_CALLBACKS_ENABLED="record_results",
            RECORD_RESULTS_FILE=str(record),
            ANSIBLE_HOST_KEY_CHECKING="False",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="False",
            ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        )
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory), str(book), *extra_args]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
        results = []
        if record.exists():
            for line in record.read_text().splitlines():
                r = json.loads(line)
                results.append(TaskResult(host=r["host"], task=r["task"], status=r["status"], result=r["result"]))
        return PlaybookRun(rc=proc.returncode, stdout=proc.stdout + proc.stderr, results=results)


def at_once(lab: Lab, tmp_path: pathlib.Path, tasks: str, count: int, hosts: str = "win1") -> list[PlaybookRun]:
    """`count` identical playbooks started at the same moment (each in its own folder)."""
    runs: list[PlaybookRun | None] = [None] * count
    barrier = threading.Barrier(count)

    def one(i: int) -> None:
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        barrier.wait()
        runs[i] = lab.playbook(tasks, folder, hosts=hosts)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert all(run is not None for run in runs), "a concurrent playbook did not finish"
    return [run for run in runs if run is not None]


def module_task(module: str, title: str, **args: t.Any) -> str:
    """One ignore_errors task of a winimaging.dism module, as YAML, with the arguments quoted."""
    lines = ["- name: %s" % title, "  winimaging.dism.%s:" % module]
    for key, value in args.items():
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, list):
            value = "[%s]" % ", ".join("'%s'" % v for v in value)
        elif isinstance(value, str):
            value = "'%s'" % value
        lines.append("    %s: %s" % (key, value))
    lines.append("  ignore_errors: true")
    return "\n".join(lines)


def start_lab(base: pathlib.Path, hosts: int = 2) -> Lab:
    subprocess.run([sys.executable, str(LABCTL), "up", "--hosts", str(hosts), "--port", "0", "--base-dir", str(base)],
                   check=True, capture_output=True, text=True, timeout=900)
    state = json.loads((base / "lab.json").read_text())
    return Lab(base=base, state=state)


def stop_lab(base: pathlib.Path) -> None:
    subprocess.run([sys.executable, str(LABCTL), "down", "--base-dir", str(base)], capture_output=True, text=True, timeout=120, check=False)
