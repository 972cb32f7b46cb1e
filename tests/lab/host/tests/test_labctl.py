"""labctl.py end to end, and one real ansible-playbook run against a lab host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from hostlab_support import LAB, STUB_RUNNER

from test_host_helper import TINY_SOURCE, needs_mcs

LABCTL = LAB / "labctl.py"
REPO = LAB.parents[1]


def labctl(base: Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, str(LABCTL), "--base-dir", str(base), *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"labctl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Path]:
    base = tmp_path / "lab"
    env = dict(os.environ, DISM_LAB_RUNNER_CMD=f"{sys.executable} {STUB_RUNNER}")
    labctl(base, "up", "--hosts", "2", "--port", "0", "--no-build", env=env)
    try:
        yield base
    finally:
        labctl(base, "down", check=False)


def inventory_hosts(base: Path) -> dict[str, dict[str, str]]:
    hosts = {}
    for line in (base / "inventory.ini").read_text().splitlines():
        if line.startswith("win"):
            name, *pairs = line.split()
            hosts[name] = dict(p.split("=", 1) for p in pairs)
    return hosts


def test_up_status_fault_wire_reset_down(lab: Path) -> None:
    hosts = inventory_hosts(lab)
    assert [h["ansible_host"] for h in hosts.values()] == ["127.0.0.2", "127.0.0.3"]
    text = (lab / "inventory.ini").read_text()
    assert "ansible_connection=winrm" in text and "ansible_winrm_transport=basic" in text
    status = labctl(lab, "status")
    assert status.stdout.count(" up ") == 2

    labctl(lab, "fault", "win2", "DismGetImageInfo", "2", "0x80070005", "access", "denied")
    faults = (Path(hosts["win2"]["dism_lab_root"]) / "lab/faults").read_text().splitlines()
    assert faults[-1] == "DismGetImageInfo 2 0x80070005 access denied"
    assert labctl(lab, "fault", "win2", "DismGetImageInfo", "0", "die", check=False).returncode == 1
    assert labctl(lab, "fault", "win2", "Bad Name", "1", "die", check=False).returncode == 1
    assert labctl(lab, "fault", "nohost", "DismOpenSession", "*", "die", check=False).returncode == 1

    root = Path(hosts["win1"]["dism_lab_root"])
    (root / "drives/C/images/scratch.txt").write_text("x")
    labctl(lab, "reset", "win1")
    assert not (root / "drives/C/images/scratch.txt").exists()
    assert (root / "drives/C/ProgramData").is_dir() and (root / "lab/fault-counts").is_dir()
    assert labctl(lab, "wire", "win1").stdout == ""

    labctl(lab, "down")
    assert labctl(lab, "status", check=False).returncode == 1


def test_up_refuses_a_port_in_use(tmp_path: Path, lab: Path) -> None:
    # a second lab on the same addresses and ports cannot start
    port = inventory_hosts(lab)["win1"]["ansible_port"]
    other = labctl(tmp_path / "other", "up", "--hosts", "1", "--port", port, "--no-build", check=False)
    assert other.returncode == 1 and "in use" in other.stderr


ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")


@needs_mcs
@pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="ansible-playbook is not installed next to this python")
@pytest.mark.skipif(not (REPO / "plugins/modules/dism_helper.ps1").exists(), reason="dism_helper.ps1 not written yet")
def test_real_ansible_playbook(lab: Path, tmp_path: Path) -> None:
    collections = tmp_path / "collections" / "ansible_collections" / "winimaging"
    collections.mkdir(parents=True)
    (collections / "dism").symlink_to(REPO)
    (tmp_path / "src.cs").write_text(TINY_SOURCE)
    playbook = tmp_path / "pb.yml"
    playbook.write_text(
        """
- hosts: win1
  gather_facts: false
  tasks:
    - name: the internal module called from a playbook
      winimaging.dism.dism_helper:
        caller: ""
        helper_hash: "{{ lookup('file', 'src.cs') | hash('sha256') }}"
        request: {operations: []}
      register: direct
      ignore_errors: true
    - name: helper, cache miss
      winimaging.dism.dism_helper:
        caller: winimaging.dism.dism_image_info
        helper_hash: "{{ lookup('file', 'src.cs') | hash('sha256') }}"
        request: {operations: []}
      register: first
    - name: helper with source
      winimaging.dism.dism_helper:
        caller: winimaging.dism.dism_image_info
        helper_hash: "{{ lookup('file', 'src.cs') | hash('sha256') }}"
        helper_source: "{{ lookup('file', 'src.cs') }}"
        request: {operations: [], probe: 1}
      register: second
    - name: raw commands are not simulated
      ansible.builtin.raw: Get-Service
      register: raw
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - direct is failed
          - direct.msg is search('^winimaging.dism.dism_helper is internal')
          - first.helper_missing
          - second.helper_compiled
          - second.response.echo.probe == 1
          - raw is failed
          - "'is not simulated' in raw.stderr"
"""
    )
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"), ANSIBLE_HOST_KEY_CHECKING="0",
               ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(lab / "inventory.ini"), str(playbook)],
                          capture_output=True, text=True, timeout=300, env=env, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wire = [json.loads(line) for line in labctl(lab, "wire", "win1").stdout.splitlines()]
    commands = [r for r in wire if r["kind"] == "command"]
    assert [r["module"] for r in commands[:3]] == ["winimaging.dism.dism_helper"] * 3
    assert [r["helper_compiles"] for r in commands[:3]] == [0, 0, 1]
    assert commands[0]["outcome"] == "failed"
    assert commands[3]["outcome"] == "refused" and commands[3]["module"] == "raw: Get-Service"
    assert all(r["stdin_bytes"] > 0 for r in commands[:3])


# -- mount-state knobs: reboot, invalidate, open-file, close-files --------------------------------------
@pytest.fixture(scope="module")
def one_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("lab1") / "lab"
    env = dict(os.environ, DISM_LAB_RUNNER_CMD=f"{sys.executable} {STUB_RUNNER}")
    labctl(base, "up", "--hosts", "1", "--port", "0", "--no-build", env=env)
    try:
        yield base
    finally:
        labctl(base, "down", check=False)


def host_root(base: Path) -> Path:
    return Path(inventory_hosts(base)["win1"]["dism_lab_root"])


def register_mount(root: Path, mount_id: str, mount_path: str, boot_id: str = "0") -> Path:
    entry = root / "state" / "mounts" / f"{mount_id}.mount"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(f"mount_path={mount_path}\nimage_path=C:\\images\\win11.wim\nimage_index=2\n"
                     f"mount_mode=readwrite\nstatus=ok\nboot_id={boot_id}\noptimize=0\n")
    return entry


def test_reboot_gives_a_new_boot_id(one_host: Path) -> None:
    root = host_root(one_host)
    boot = root / "state" / "boot-id"
    labctl(one_host, "reboot", "win1")
    first = boot.read_text().strip()
    entry = register_mount(root, "a", r"C:\mount\one", boot_id=first)
    labctl(one_host, "reboot", "win1")
    second = boot.read_text().strip()
    # the simulator reports NeedsRemount for an ok entry whose boot_id is not the current one
    assert first and second and first != second
    assert f"boot_id={first}\n" in entry.read_text() and "status=ok\n" in entry.read_text()
    assert labctl(one_host, "reboot", "nohost", check=False).returncode == 1
    entry.unlink()


def test_invalidate_marks_one_mount_invalid(one_host: Path) -> None:
    root = host_root(one_host)
    one = register_mount(root, "a", r"C:\mount\one")
    two = register_mount(root, "b", str(root / "drives" / "C" / "mount" / "two"))
    labctl(one_host, "invalidate", "win1", "c:\\MOUNT\\One\\")
    assert "status=invalid\n" in one.read_text() and "status=ok" not in one.read_text()
    assert "image_index=2\n" in one.read_text() and "boot_id=0\n" in one.read_text()
    assert "status=ok\n" in two.read_text()
    labctl(one_host, "invalidate", "win1", r"C:\mount\two")      # a lab path in the registry matches too
    assert "status=invalid\n" in two.read_text()
    missing = labctl(one_host, "invalidate", "win1", r"C:\mount\none", check=False)
    assert missing.returncode == 1 and "no mount at" in missing.stderr
    assert not list((root / "state" / "mounts").glob("*.tmp"))
    one.unlink()
    two.unlink()


def test_open_file_and_close_files(one_host: Path) -> None:
    knob = host_root(one_host) / "lab" / "open-files"
    labctl(one_host, "open-file", "win1", r"C:\mount\one\Windows\System32\config\SOFTWARE")
    labctl(one_host, "open-file", "win1", r"C:\mount\one\x.txt")
    assert knob.read_text().splitlines() == [r"C:\mount\one\Windows\System32\config\SOFTWARE", r"C:\mount\one\x.txt"]
    bad = labctl(one_host, "open-file", "win1", r"mount\x.txt", check=False)
    assert bad.returncode == 1 and "absolute Windows path" in bad.stderr
    labctl(one_host, "close-files", "win1")
    assert not knob.exists()
    labctl(one_host, "close-files", "win1")      # nothing open: still fine
    assert labctl(one_host, "close-files", "nohost", check=False).returncode == 1


def test_fault_points_inside_a_function(one_host: Path) -> None:
    labctl(one_host, "fault", "win1", "DismUnmountImage:write", "1", "0x80070070")
    faults = (host_root(one_host) / "lab" / "faults").read_text().splitlines()
    assert faults[-1] == "DismUnmountImage:write 1 0x80070070"
    assert labctl(one_host, "fault", "win1", "DismUnmountImage:Write:x", "1", "die", check=False).returncode == 1


# -- feature knobs: windows-update, make-source, pending-block -------------------------------------------
def test_windows_update_knob(one_host: Path) -> None:
    knob = host_root(one_host) / "lab" / "windows-update"
    for state in ("unreachable", "policy-blocked", "wsus", "reachable"):
        labctl(one_host, "windows-update", "win1", state)
        assert knob.read_text() == state + "\n"
    assert labctl(one_host, "windows-update", "win1", "offline", check=False).returncode == 2
    assert labctl(one_host, "windows-update", "nohost", "wsus", check=False).returncode == 1


def test_make_source_writes_a_payload_manifest(one_host: Path) -> None:
    root = host_root(one_host)
    # the running OS of a lab host is Windows Server 2022 (build 20348): the default build
    assert "build=20348\n" in (root / "drives/C/Windows/servicing/LabFeatures.txt").read_text()
    labctl(one_host, "make-source", "win1", r"C:\sources\sxs", "NetFx3, NetFx3ServerFeatures")
    manifest = (root / "drives/C/sources/sxs/LabPayload.txt").read_text().splitlines()
    assert manifest[1:] == ["build=20348", "NetFx3", "NetFx3ServerFeatures"]
    labctl(one_host, "make-source", "win1", r"d:\w11", "NetFx3", "--build", "22631", "--arch", "amd64")
    manifest = (root / "drives/D/w11/LabPayload.txt").read_text().splitlines()
    assert manifest[1:] == ["build=22631", "arch=amd64", "NetFx3"]
    for bad in ((r"sources\sxs", "NetFx3"), (r"C:\..\x", "NetFx3"), (r"C:\s", "Net Fx3"), (r"C:\s", ",")):
        assert labctl(one_host, "make-source", "win1", *bad, check=False).returncode == 1


def test_pending_block_knob(one_host: Path) -> None:
    knob = host_root(one_host) / "lab" / "pending-block"
    labctl(one_host, "pending-block", "win1", "on")
    assert knob.read_text() == "0x800F082F\n"
    labctl(one_host, "pending-block", "win1", "0x800F0806")
    assert knob.read_text() == "0x800F0806\n"
    assert labctl(one_host, "pending-block", "win1", "0x00000BC2", check=False).returncode == 1
    labctl(one_host, "pending-block", "win1", "off")
    assert not knob.exists()
