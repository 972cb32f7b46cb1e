"""Control the winimaging.dism DISM lab: simulated Windows hosts on loopback.

  labctl.py up --hosts N [--https] [--port P] [--no-build] [--powershell 5.1,7]
                                                             build what is missing, start N hosts; host i runs
                                                             modules in the i-th PowerShell of the list (cycled)
  labctl.py down | status                                    stop / show every host
  labctl.py reset HOST                                       give HOST a fresh lab root
  labctl.py fault HOST FUNCTION NTH ACTION [MESSAGE...]      add a simulator fault rule (FUNCTION may be
                                                             a fault point such as DismUnmountImage:write)
  labctl.py reboot HOST                                      new boot id: HOST's mounts become NeedsRemount
  labctl.py invalidate HOST MOUNT_PATH                       mark the mount at MOUNT_PATH Invalid
  labctl.py open-file HOST WINDOWS_PATH                      hold a file open (unmounting its mount fails)
  labctl.py close-files HOST                                 release every file held open
  labctl.py windows-update HOST reachable|unreachable|policy-blocked|wsus
                                                             what Windows Update does for HOST's feature payloads
  labctl.py make-source HOST WINDOWS_PATH FEATURE[,FEATURE...] [--build N] [--arch amd64|x86]
                                                             a payload source folder (LabPayload.txt) for those
                                                             features or capabilities (names may contain ~);
                                                             --build defaults to the running OS's build
  labctl.py pending-block HOST on|off|0xHRESULT              while a feature change waits for a reboot, refuse
                                                             changes to other features (on = 0x800F082F)
  labctl.py condition HOST [KEY=VALUE ...] | --clear         how HOST's module process starts: elevated=true|false,
                                                             process_bits=64|32, language_mode=FullLanguage|
                                                             ConstrainedLanguage (dism_helper.ps1 refuses the last
                                                             three kinds of host before writing anything)
  labctl.py slow HOST MS|off                                 DISM pauses MS before each progress report (timeouts)
  labctl.py wire HOST [--summary]                            print HOST's wire accounting
  labctl.py calls HOST [--json] [--reset]                    DISM API calls HOST's simulator counted (every export,
                                                             lab/dism-calls.log), by function; --reset zeroes them
  labctl.py inventory                                        print the inventory path

Every command takes --base-dir (default $DISM_LAB_BASE or <repo>/.lab).  Layout of the base dir:
  lab.json             hosts, scheme, credentials (written by up)
  inventory.ini        an ordinary Ansible inventory (ansible_connection=winrm)
  fixtures/            fixture images built once by tests/lab/fixtures/build_images.py
  hosts/<name>/        each host's lab root (DISM_LAB_ROOT): drives/C/..., lab/wire.jsonl, lab/dism-calls.log, lab/faults,
                       lab/open-files, lab/windows-update, lab/pending-block, state/boot-id,
                       state/mounts/*.mount (see tests/lab/dismsim/README.md)
`reboot` also completes the running OS's pending feature, capability and package changes (InstallPending -> Installed,
...): the simulator applies them at the next feature, capability or package call after the boot id changed.
  run/<name>.json|.pid|.log|.port, tls/<name>.crt|.key
Hosts are win1..winN on 127.0.0.2..127.0.0.(N+1); only 127.0.0.0/8 is ever bound.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

LAB = Path(__file__).resolve().parent
REPO = LAB.parents[1]
sys.path.insert(0, str(LAB))

from host.config import POWERSHELL_FLAVOURS, HostConfig  # noqa: E402
from host.boot import new_boot  # noqa: E402
from host.helper import HOST_CONDITION_DEFAULTS  # noqa: E402

DISMSIM = LAB / "dismsim"
RUNNER_DIR = LAB / "runner"
FIXTURE_SCRIPT = LAB / "fixtures" / "build_images.py"
LIBS = ("libDismApi.so", "libLabKernel32.so")
IMAGE_SUFFIXES = {".wim", ".esd", ".swm", ".vhd", ".vhdx", ".iso", ".cab", ".msu"}
USER = "labadmin"


class LabError(Exception):
    pass


def say(msg: str) -> None:
    print(f"labctl: {msg}", flush=True)


@dataclasses.dataclass
class Lab:
    base: Path

    @property
    def state_file(self) -> Path:
        return self.base / "lab.json"

    @property
    def inventory(self) -> Path:
        return self.base / "inventory.ini"

    @property
    def fixtures(self) -> Path:
        return self.base / "fixtures"

    def host_root(self, name: str) -> Path:
        return self.base / "hosts" / name

    def run_file(self, name: str, suffix: str) -> Path:
        return self.base / "run" / f"{name}{suffix}"

    def load(self) -> dict[str, Any]:
        if not self.state_file.exists():
            raise LabError(f"no lab in {self.base} (run: labctl.py up --hosts N)")
        return json.loads(self.state_file.read_text(encoding="utf-8"))

    def host(self, name: str) -> dict[str, Any]:
        for host in self.load()["hosts"]:
            if host["name"] == name:
                return host
        raise LabError(f"unknown host {name!r}; hosts: {', '.join(h['name'] for h in self.load()['hosts'])}")

    def pid(self, name: str) -> int | None:
        """The server pid if that process is alive and really is this host's server."""
        try:
            pid = int(self.run_file(name, ".pid").read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        return pid if str(self.run_file(name, ".json")).encode() in cmdline else None


# -- building ----------------------------------------------------------------------------------
def run(cmd: list[str], **kwargs: Any) -> None:
    say("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, cwd=REPO, check=False, **kwargs)
    if proc.returncode != 0:
        raise LabError(f"command failed with exit code {proc.returncode}: {' '.join(cmd)}")


def build(lab: Lab) -> None:
    lib_dir = Path(os.environ.get("DISM_LAB_LIBDIR") or DISMSIM / "build")
    if (DISMSIM / "Makefile").exists():
        run(["make", "-s", "-C", str(DISMSIM)])  # incremental: cheap when nothing changed
    elif not all((lib_dir / lib).exists() for lib in LIBS):
        say(f"warning: {DISMSIM}/Makefile does not exist yet; the helper module will fail without {LIBS}")
    runner = Path(os.environ.get("DISM_LAB_RUNNER") or RUNNER_DIR / "build" / "LabRunner.exe")
    source = RUNNER_DIR / "LabRunner.cs"
    if (RUNNER_DIR / "build.sh").exists() and (
        not runner.exists() or (source.exists() and source.stat().st_mtime > runner.stat().st_mtime)
    ):
        run(["bash", str(RUNNER_DIR / "build.sh")])
    if FIXTURE_SCRIPT.exists():
        lab.fixtures.mkdir(parents=True, exist_ok=True)
        run([sys.executable, str(FIXTURE_SCRIPT), "--out", str(lab.fixtures)])  # incremental (its own stamp)
    else:
        say(f"warning: {FIXTURE_SCRIPT} does not exist; hosts get no fixture images")


def make_root(lab: Lab, name: str) -> Path:
    """A fresh lab root: the online OS tree, user profile, fixture image copies, lab/ control files."""
    root = lab.host_root(name)
    if root.exists():
        shutil.rmtree(root)
    c = root / "drives" / "C"
    for sub in ("Windows/System32", "ProgramData", f"Users/{USER}/AppData/Local/Temp", "images", "mount", "scratch"):
        (c / sub).mkdir(parents=True, exist_ok=True)
    control = root / "lab"
    (control / "fault-counts").mkdir(parents=True)
    (control / "faults").write_text("# <FunctionName> <nth|*> <action> [message]\n")
    if FIXTURE_SCRIPT.exists():
        # The running Windows of the host: <root>/drives/C/Windows/..., Users, ProgramData, ...
        run([sys.executable, str(FIXTURE_SCRIPT), "--online-root", str(root)], stdout=subprocess.DEVNULL)
    if lab.fixtures.is_dir():
        for item in sorted(lab.fixtures.iterdir()):
            # Copies, never links: tests modify the WIMs of one host.
            if item.is_file() and item.suffix.lower() in IMAGE_SUFFIXES:
                shutil.copy2(item, c / "images" / item.name)
    root.chmod(0o755)
    return root


# -- servers -----------------------------------------------------------------------------------
def start_server(lab: Lab, config: HostConfig) -> int:
    cfg_path = lab.run_file(config.name, ".json")
    config.save(cfg_path)
    port_file = lab.run_file(config.name, ".port")
    port_file.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(LAB), os.environ.get("PYTHONPATH", "")) if p))
    with open(lab.run_file(config.name, ".log"), "ab") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "host", "--config", str(cfg_path)],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True,
        )
    lab.run_file(config.name, ".pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = lab.run_file(config.name, ".log").read_text(errors="replace")[-2000:]
            raise LabError(f"{config.name} exited with code {proc.returncode}:\n{tail}")
        if port_file.exists() and port_file.read_text().strip():
            port = int(port_file.read_text())
            if answers(config.scheme, config.address, port):
                return port
        time.sleep(0.1)
    raise LabError(f"{config.name} did not answer within 30s; see {lab.run_file(config.name, '.log')}")


def answers(scheme: str, address: str, port: int, timeout: float = 2.0) -> bool:
    """True when /wsman answers an unauthenticated POST with 401 (what Windows does too)."""
    ctx = ssl._create_unverified_context() if scheme == "https" else None  # noqa: S323 - our own self-signed cert
    req = urllib.request.Request(f"{scheme}://{address}:{port}/wsman", data=b"<x/>", method="POST")
    try:
        urllib.request.urlopen(req, timeout=timeout, context=ctx)  # noqa: S310
    except urllib.error.HTTPError as exc:
        return exc.code == 401
    except (urllib.error.URLError, OSError):
        return False
    return False


def stop_server(lab: Lab, name: str) -> bool:
    pid = lab.pid(name)
    lab.run_file(name, ".pid").unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _attempt in range(50):
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def port_free(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def write_inventory(lab: Lab, state: dict[str, Any]) -> None:
    lines = ["# Written by tests/lab/labctl.py up; simulated Windows hosts of the DISM lab.", "[dism_lab]"]
    for h in state["hosts"]:
        lines.append(f"{h['name']} ansible_host={h['address']} ansible_port={h['port']} dism_lab_root={h['lab_root']}")
    lines += [
        "",
        "[dism_lab:vars]",
        "ansible_connection=winrm",
        f"ansible_user={state['username']}",
        f"ansible_password={state['password']}",
        "ansible_winrm_transport=basic",
        f"ansible_winrm_scheme={state['scheme']}",
    ]
    if state["scheme"] == "https":
        lines.append("ansible_winrm_server_cert_validation=ignore")
    lines += ["", "[windows:children]", "dism_lab", ""]
    lab.inventory.write_text("\n".join(lines))
    lab.inventory.chmod(0o600)


# -- commands ----------------------------------------------------------------------------------
def cmd_up(lab: Lab, args: argparse.Namespace) -> int:
    if not 1 <= args.hosts <= 200:
        raise LabError("--hosts must be between 1 and 200")
    if lab.state_file.exists():
        state = lab.load()
        running = [h["name"] for h in state["hosts"] if lab.pid(h["name"])]
        if running:
            if len(state["hosts"]) == args.hosts and len(running) == args.hosts \
                    and state["scheme"] == ("https" if args.https else "http"):
                say(f"already up: {', '.join(running)}; inventory {lab.inventory}")
                return 0
            raise LabError(f"a different lab is running ({', '.join(running)}); run: labctl.py down")
    flavours = [f.strip() for f in args.powershell.split(",") if f.strip()]
    unknown = sorted(set(flavours) - set(POWERSHELL_FLAVOURS))
    if not flavours or unknown:
        raise LabError(f"--powershell takes a comma-separated list of {', '.join(sorted(POWERSHELL_FLAVOURS))}")
    lab.base.mkdir(parents=True, exist_ok=True)
    for sub in ("run", "hosts", "tls"):
        (lab.base / sub).mkdir(exist_ok=True)
    if not args.no_build:
        build(lab)
    scheme = "https" if args.https else "http"
    port = args.port if args.port is not None else (5986 if args.https else 5985)
    state: dict[str, Any] = {"scheme": scheme, "username": USER, "password": "Lab-" + secrets.token_urlsafe(12), "hosts": []}
    try:
        for i in range(1, args.hosts + 1):
            name, address = f"win{i}", f"127.0.0.{i + 1}"
            if port and not port_free(address, port):
                raise LabError(f"{address}:{port} is in use; pick another --port (0 = any free port)")
            root = make_root(lab, name)
            config = HostConfig(
                name=name, lab_root=str(root), address=address, port=port, scheme=scheme,
                username=USER, password=state["password"], port_file=str(lab.run_file(name, ".port")),
                cert_file=str(lab.base / "tls" / f"{name}.crt") if args.https else None,
                key_file=str(lab.base / "tls" / f"{name}.key") if args.https else None,
                powershell=flavours[(i - 1) % len(flavours)],
            )
            actual = start_server(lab, config)
            state["hosts"].append({"name": name, "address": address, "port": actual, "lab_root": str(root),
                                   "powershell": config.powershell})
            say(f"{name} up at {scheme}://{address}:{actual}/wsman (PowerShell {config.powershell}, lab root {root})")
    finally:
        lab.state_file.write_text(json.dumps(state, indent=2) + "\n")
        lab.state_file.chmod(0o600)
        write_inventory(lab, state)
    say(f"inventory: {lab.inventory}")
    return 0


def cmd_down(lab: Lab, args: argparse.Namespace) -> int:
    if not lab.state_file.exists():
        say("nothing to stop")
        return 0
    for h in lab.load()["hosts"]:
        say(f"{h['name']}: {'stopped' if stop_server(lab, h['name']) else 'was not running'}")
    return 0


def cmd_status(lab: Lab, args: argparse.Namespace) -> int:
    state = lab.load()
    bad = 0
    for h in state["hosts"]:
        pid = lab.pid(h["name"])
        ok = pid is not None and answers(state["scheme"], h["address"], h["port"])
        bad += not ok
        wire = Path(h["lab_root"]) / "lab" / "wire.jsonl"
        commands = sum(1 for line in wire.open() if '"kind": "command"' in line) if wire.exists() else 0
        compiles_file = Path(h["lab_root"]) / "lab" / "helper-compiles"
        compiles = compiles_file.read_text().strip() if compiles_file.exists() else "0"
        print(f"{h['name']:6} {'up  ' if ok else 'DOWN'} pid={pid or '-':<7} {state['scheme']}://{h['address']}:{h['port']}"
              f"  commands={commands} helper_compiles={compiles}  root={h['lab_root']}")
    print(f"inventory: {lab.inventory}")
    return 1 if bad else 0


def cmd_reset(lab: Lab, args: argparse.Namespace) -> int:
    lab.host(args.host)
    make_root(lab, args.host)
    say(f"{args.host}: fresh lab root {lab.host_root(args.host)}")
    return 0


_FUNCTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?$")
_ACTION = re.compile(r"^(0[xX][0-9A-Fa-f]{1,8}|die)$")


def cmd_fault(lab: Lab, args: argparse.Namespace) -> int:
    lab.host(args.host)
    if not _FUNCTION.match(args.function):
        raise LabError(f"FUNCTION must be a DISM API function name or fault point, not {args.function!r}")
    if args.nth != "*" and not (args.nth.isdigit() and int(args.nth) >= 1):
        raise LabError("NTH must be a positive integer (1 = first call) or *")
    if not _ACTION.match(args.action):
        raise LabError("ACTION must be an HRESULT in hex (e.g. 0x80070005) or 'die'")
    message = " ".join(args.message).replace("\n", " ").strip()
    control = lab.host_root(args.host) / "lab"
    (control / "fault-counts").mkdir(parents=True, exist_ok=True)
    line = " ".join(p for p in (args.function, args.nth, args.action, message) if p)
    with open(control / "faults", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    say(f"{args.host}: fault rule added: {line}")
    return 0


def cmd_reboot(lab: Lab, args: argparse.Namespace) -> int:
    """A new state/boot-id: every mount recorded under the old one reports NeedsRemount."""
    lab.host(args.host)
    boot_id = new_boot(lab.host_root(args.host))
    say(f"{args.host}: rebooted (boot id {boot_id}); its mounts now need a remount")
    return 0


def _win_key(path: str, root: Path) -> str:
    """How Windows compares two paths: separators, trailing backslash and case do not matter.
    A lab path (<root>/drives/C/x, which the registry accepts too) counts as C:\\x."""
    if path.startswith("/"):
        parts = Path(path).relative_to(root / "drives").parts if path.startswith(str(root / "drives")) else ()
        path = f"{parts[0]}:\\" + "\\".join(parts[1:]) if parts else path
    return path.replace("/", "\\").rstrip("\\").casefold()


def cmd_invalidate(lab: Lab, args: argparse.Namespace) -> int:
    """Marks the registry entry of the mount at MOUNT_PATH status=invalid (atomically)."""
    lab.host(args.host)
    root = lab.host_root(args.host)
    mounts = root / "state" / "mounts"
    for entry in sorted(mounts.glob("*.mount")) if mounts.is_dir() else []:
        lines = entry.read_text(encoding="utf-8").splitlines()
        values = dict(line.split("=", 1) for line in lines if "=" in line)
        if _win_key(values.get("mount_path", ""), root) != _win_key(args.mount_path, root):
            continue
        lines = [line for line in lines if not line.startswith("status=")] + ["status=invalid"]
        tmp = entry.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(entry)
        say(f"{args.host}: the mount at {values['mount_path']} is now Invalid")
        return 0
    raise LabError(f"{args.host} has no mount at {args.mount_path}")


def cmd_open_file(lab: Lab, args: argparse.Namespace) -> int:
    lab.host(args.host)
    if not re.match(r"^[A-Za-z]:\\", args.path) or "\n" in args.path:
        raise LabError(f"WINDOWS_PATH must be an absolute Windows path such as C:\\mount\\x.txt, not {args.path!r}")
    control = lab.host_root(args.host) / "lab"
    control.mkdir(parents=True, exist_ok=True)
    with open(control / "open-files", "a", encoding="utf-8") as fh:
        fh.write(args.path + "\n")
    say(f"{args.host}: {args.path} is held open")
    return 0


def cmd_close_files(lab: Lab, args: argparse.Namespace) -> int:
    lab.host(args.host)
    (lab.host_root(args.host) / "lab" / "open-files").unlink(missing_ok=True)
    say(f"{args.host}: no file is held open")
    return 0


WU_STATES = ("reachable", "unreachable", "policy-blocked", "wsus")


def cmd_windows_update(lab: Lab, args: argparse.Namespace) -> int:
    """lab/windows-update: what an online DismEnableFeature gets from Windows Update for a Removed payload."""
    lab.host(args.host)
    control = lab.host_root(args.host) / "lab"
    control.mkdir(parents=True, exist_ok=True)
    (control / "windows-update").write_text(args.state + "\n")
    say(f"{args.host}: Windows Update is {args.state}")
    return 0


# Feature names (NetFx3) and capability names (Language.Basic~~~en-US~0.0.1.0, NetFX3~~~~).
_FEATURE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")


def _windows_to_lab(root: Path, path: str) -> Path:
    m = re.match(r"^([A-Za-z]):\\(.*)$", path)
    if not m or "\n" in path or ".." in path.replace("/", "\\").split("\\"):
        raise LabError(f"WINDOWS_PATH must be an absolute Windows path such as C:\\sources\\sxs, not {path!r}")
    parts = [p for p in m.group(2).replace("/", "\\").split("\\") if p]
    return root.joinpath("drives", m.group(1).upper(), *parts)


def _online_build(root: Path) -> int:
    catalog = root / "drives" / "C" / "Windows" / "servicing" / "LabFeatures.txt"
    if catalog.exists():
        for line in catalog.read_text(encoding="utf-8").splitlines():
            if line.startswith("build="):
                return int(line[6:])
    raise LabError(f"{catalog} does not exist; give --build N")


def cmd_make_source(lab: Lab, args: argparse.Namespace) -> int:
    """A payload source folder: LabPayload.txt with build=, arch= and one feature or capability name a line."""
    lab.host(args.host)
    root = lab.host_root(args.host)
    folder = _windows_to_lab(root, args.path)
    features = [f.strip() for f in args.features.split(",") if f.strip()]
    if not features or not all(_FEATURE.match(f) for f in features):
        raise LabError("FEATURE must be comma-separated DISM feature or capability names such as NetFx3 or "
                       f"OpenSSH.Server~~~~0.0.1.0, not {args.features!r}")
    build = args.build if args.build is not None else _online_build(root)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# DISM lab payload source (tests/lab/dismsim/README.md)", f"build={build}"]
    lines += [f"arch={args.arch}"] if args.arch else []
    (folder / "LabPayload.txt").write_text("\n".join(lines + features) + "\n", encoding="utf-8")
    say(f"{args.host}: {args.path} holds the build {build} payload of {', '.join(features)}")
    return 0


def cmd_pending_block(lab: Lab, args: argparse.Namespace) -> int:
    """lab/pending-block: while a feature of the running OS is pending, changing another one fails."""
    lab.host(args.host)
    knob = lab.host_root(args.host) / "lab" / "pending-block"
    value = args.value.lower()
    if value == "off":
        knob.unlink(missing_ok=True)
        say(f"{args.host}: pending reboots block nothing")
        return 0
    code = "0x800F082F" if value == "on" else args.value
    if not re.match(r"^0[xX][89A-Fa-f][0-9A-Fa-f]{7}$", code):
        raise LabError("pending-block takes on, off or a failure HRESULT such as 0x800F0806")
    knob.parent.mkdir(parents=True, exist_ok=True)
    knob.write_text(code + "\n")
    say(f"{args.host}: while a reboot is pending, other feature changes fail with {code}")
    return 0


def cmd_condition(lab: Lab, args: argparse.Namespace) -> int:
    """lab/conditions.json: how the host starts module processes (read by host/helper.py)."""
    lab.host(args.host)
    knob = lab.host_root(args.host) / "lab" / "conditions.json"
    if args.clear:
        knob.unlink(missing_ok=True)
        say(f"{args.host}: modules start elevated, 64-bit, in FullLanguage mode")
        return 0
    values: dict[str, Any] = json.loads(knob.read_text()) if knob.exists() else {}
    for pair in args.settings:
        key, sep, text = pair.partition("=")
        if not sep or key not in HOST_CONDITION_DEFAULTS:
            raise LabError(f"condition takes KEY=VALUE with KEY one of {', '.join(HOST_CONDITION_DEFAULTS)}")
        allowed = {"elevated": {"true": True, "false": False}, "process_bits": {"64": 64, "32": 32},
                   "language_mode": {m.lower(): m for m in ("FullLanguage", "ConstrainedLanguage", "RestrictedLanguage", "NoLanguage")}}[key]
        if text.lower() not in allowed:
            raise LabError(f"{key} takes one of {', '.join(str(v) for v in allowed)}")
        values[key] = allowed[text.lower()]
    knob.parent.mkdir(parents=True, exist_ok=True)
    knob.write_text(json.dumps(values) + "\n")
    say(f"{args.host}: " + ", ".join(f"{k}={v}" for k, v in {**HOST_CONDITION_DEFAULTS, **values}.items()))
    return 0


def cmd_slow(lab: Lab, args: argparse.Namespace) -> int:
    """lab/progress-delay-ms: DISM pauses before each progress report (DISM_LAB_PROGRESS_DELAY_MS)."""
    lab.host(args.host)
    knob = lab.host_root(args.host) / "lab" / "progress-delay-ms"
    if args.ms in ("off", "0"):
        knob.unlink(missing_ok=True)
        say(f"{args.host}: DISM operations run at full speed")
        return 0
    if not args.ms.isdigit():
        raise LabError("slow takes a number of milliseconds or off")
    knob.parent.mkdir(parents=True, exist_ok=True)
    knob.write_text(args.ms + "\n")
    say(f"{args.host}: DISM pauses {args.ms} ms before each progress report")
    return 0


def cmd_wire(lab: Lab, args: argparse.Namespace) -> int:
    lab.host(args.host)
    wire = lab.host_root(args.host) / "lab" / "wire.jsonl"
    if not wire.exists():
        return 0
    if not args.summary:
        sys.stdout.write(wire.read_text())
        return 0
    for line in wire.read_text().splitlines():
        r = json.loads(line)
        if r.get("kind") == "command":
            print(f"{r['module']:45.45} {r['outcome']:14} rc={r['exit_code']!s:4} stdin={r['stdin_bytes']:>8} "
                  f"soap_in={r['soap_bytes_in']:>8} soap_out={r['soap_bytes_out']:>7} "
                  f"cs={','.join(r['csharp_utils']) or '-'} compiles={r['helper_compiles']}")
        else:
            print(f"{'(shell create+delete)':45} {'':14} {'':7} {'':15} soap_in={r['soap_bytes_in']:>8} "
                  f"soap_out={r['soap_bytes_out']:>7}")
    return 0


def cmd_calls(lab: Lab, args: argparse.Namespace) -> int:
    """The simulator's own accounting (dismsim/src/calls.c): one "<pid> <Function>" line per call."""
    lab.host(args.host)
    log = lab.host_root(args.host) / "lab" / "dism-calls.log"
    counts: dict[str, int] = {}
    processes: set[str] = set()
    if log.exists():
        with open(log, "r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # the lock every simulator process appends under
            for line in fh.read().splitlines():
                pid, _sep, func = line.decode("ascii", "replace").partition(" ")
                if func:
                    counts[func] = counts.get(func, 0) + 1
                    processes.add(pid)
            if args.reset:
                fh.truncate(0)
    if args.json:
        print(json.dumps({"calls": dict(sorted(counts.items())), "total": sum(counts.values()),
                          "processes": len(processes)}, indent=2))
    else:
        for func, n in sorted(counts.items()):
            print(f"{func:32} {n:>8}")
        print(f"{'total':32} {sum(counts.values()):>8}  ({len(processes)} processes)")
    if args.reset:
        say(f"{args.host}: DISM call counts reset")
    return 0


def cmd_inventory(lab: Lab, args: argparse.Namespace) -> int:
    lab.load()
    print(lab.inventory)
    return 0


def parser() -> argparse.ArgumentParser:
    default_base = os.environ.get("DISM_LAB_BASE") or str(REPO / ".lab")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-dir", default=default_base, help=f"lab state directory (default {default_base})")
    # Also accepted after the subcommand; SUPPRESS keeps it from overriding the value given before.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--base-dir", default=argparse.SUPPRESS, help="lab state directory")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", parents=[common], help="build what is missing and start the hosts")
    up.add_argument("--hosts", type=int, default=1)
    up.add_argument("--https", action="store_true")
    up.add_argument("--port", type=int, help="port on every host address (default 5985/5986; 0 = any free)")
    up.add_argument("--no-build", action="store_true", help="do not build the simulator, runner or fixtures")
    up.add_argument("--powershell", default="5.1,7",
                    help="PowerShell of each host, cycled: win1 the first, win2 the second, ... (default 5.1,7)")
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", parents=[common]).set_defaults(func=cmd_down)
    sub.add_parser("status", parents=[common]).set_defaults(func=cmd_status)
    sub.add_parser("inventory", parents=[common]).set_defaults(func=cmd_inventory)
    reset = sub.add_parser("reset", parents=[common], help="fresh lab root for HOST")
    reset.add_argument("host")
    reset.set_defaults(func=cmd_reset)
    fault = sub.add_parser("fault", parents=[common], help="append a simulator fault rule for HOST")
    fault.add_argument("host")
    fault.add_argument("function")
    fault.add_argument("nth")
    fault.add_argument("action")
    fault.add_argument("message", nargs="*")
    fault.set_defaults(func=cmd_fault)
    reboot = sub.add_parser("reboot", parents=[common], help="new boot id for HOST: its mounts need a remount")
    reboot.add_argument("host")
    reboot.set_defaults(func=cmd_reboot)
    invalidate = sub.add_parser("invalidate", parents=[common], help="mark a mount of HOST Invalid")
    invalidate.add_argument("host")
    invalidate.add_argument("mount_path", metavar="MOUNT_PATH")
    invalidate.set_defaults(func=cmd_invalidate)
    open_file = sub.add_parser("open-file", parents=[common], help="hold a file of HOST open (blocks unmount)")
    open_file.add_argument("host")
    open_file.add_argument("path", metavar="WINDOWS_PATH")
    open_file.set_defaults(func=cmd_open_file)
    close_files = sub.add_parser("close-files", parents=[common], help="release every file held open on HOST")
    close_files.add_argument("host")
    close_files.set_defaults(func=cmd_close_files)
    wu = sub.add_parser("windows-update", parents=[common], help="set what Windows Update does on HOST")
    wu.add_argument("host")
    wu.add_argument("state", choices=WU_STATES)
    wu.set_defaults(func=cmd_windows_update)
    source = sub.add_parser("make-source", parents=[common], help="create a feature payload source folder on HOST")
    source.add_argument("host")
    source.add_argument("path", metavar="WINDOWS_PATH")
    source.add_argument("features", metavar="FEATURE[,FEATURE...]")
    source.add_argument("--build", type=int, help="Windows build the payload matches (default: HOST's running OS)")
    source.add_argument("--arch", choices=("amd64", "x86"), help="architecture (default: any)")
    source.set_defaults(func=cmd_make_source)
    block = sub.add_parser("pending-block", parents=[common], help="make pending reboots block feature changes")
    block.add_argument("host")
    block.add_argument("value", metavar="on|off|0xHRESULT")
    block.set_defaults(func=cmd_pending_block)
    condition = sub.add_parser("condition", parents=[common], help="how HOST starts module processes")
    condition.add_argument("host")
    condition.add_argument("settings", nargs="*", metavar="KEY=VALUE")
    condition.add_argument("--clear", action="store_true", help="back to elevated, 64-bit, FullLanguage")
    condition.set_defaults(func=cmd_condition)
    slow = sub.add_parser("slow", parents=[common], help="make HOST's DISM operations slow (progress delay)")
    slow.add_argument("host")
    slow.add_argument("ms", metavar="MS|off")
    slow.set_defaults(func=cmd_slow)
    wire = sub.add_parser("wire", parents=[common], help="print HOST's wire.jsonl")
    wire.add_argument("host")
    wire.add_argument("--summary", action="store_true", help="one readable line per record")
    wire.set_defaults(func=cmd_wire)
    calls = sub.add_parser("calls", parents=[common], help="print the DISM API calls HOST's simulator counted")
    calls.add_argument("host")
    calls.add_argument("--json", action="store_true", help="as JSON: {calls: {function: n}, total, processes}")
    calls.add_argument("--reset", action="store_true", help="then zero the counts")
    calls.set_defaults(func=cmd_calls)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    lab = Lab(Path(args.base_dir).resolve())
    try:
        return int(args.func(lab, args))
    except LabError as exc:
        print(f"labctl: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
