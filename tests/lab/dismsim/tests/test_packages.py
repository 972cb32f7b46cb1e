"""Packages: DismGetPackages, DismGetPackageInfo(Ex), DismAddPackage and DismRemovePackage, online and in
mounted images (dism-api.md 2.2, 3.2, 5.3; README "The package model")."""

from __future__ import annotations

import ctypes
import pathlib
import threading

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

MOUNT = r"C:\mount\one"
T = "31bf3856ad364e35"
FOUNDATION = f"Microsoft-Windows-Foundation-Package~{T}~amd64~~10.0.20348.1"
BASE_SSU = f"Package_for_ServicingStack_1906~{T}~amd64~~20348.1906.1.0"
BASE_LCU = f"Package_for_RollupFix~{T}~amd64~~20348.1906.1.6"
SSU = f"Package_for_ServicingStack_2031~{T}~amd64~~20348.2031.1.0"
LCU = f"Package_for_RollupFix~{T}~amd64~~20348.2031.1.2"
LCU_NEXT = f"Package_for_RollupFix~{T}~amd64~~20348.2113.1.5"
HOTFIX = f"Package_for_KB5030999~{T}~amd64~~10.0.1.0"
EXPANDED = f"Package_for_KB5030998~{T}~amd64~~10.0.1.0"
SSU_CAB = r"C:\packages\ssu\SSU-20348.2031-x64.cab"
LCU_CAB = r"C:\packages\lcu\windows10.0-kb5031364-x64.cab"
LCU_NEXT_CAB = r"C:\packages\lcu-next\windows10.0-kb5032198-x64.cab"
MSU = r"C:\packages\msu\windows10.0-kb5032198-x64.msu"
HOTFIX_CAB = r"C:\packages\hotfix\windows10.0-kb5030999-x64.cab"
CLIENT_CAB = r"C:\packages\client\windows11.0-kb5032190-x64.cab"
BROKEN_CAB = r"C:\packages\broken\not-a-package.cab"
BASELINE_TIME = (2023, 9, 13, 2, 0, 0, 0)


def states(dism, sid: int) -> dict[str, int]:
    hr, packages = dism.packages(sid)
    assert hr == d.S_OK, hex(hr)
    return {name: value[0] for name, value in packages.items()}


def store_text(root: pathlib.Path) -> str:
    return (root / "Windows" / "servicing" / "LabPackages.txt").read_text()


@pytest.fixture
def online(initialized, dism):
    """The running Windows Server 2022 Datacenter of the host."""
    hr, sid = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    return sid


def mount(lab, dism, image: str = "server2022.wim", index: int = 3, flags: int = 0) -> int:
    (lab.drive() / "mount" / "one").mkdir(parents=True, exist_ok=True)
    assert dism.mount(rf"C:\images\{image}", MOUNT, index, flags=flags)[0] == d.S_OK
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    return sid


@pytest.fixture
def offline(initialized, dism):
    """server2022.wim index 3 (Datacenter, Server Core) mounted read-write at C:\\mount\\one."""
    return mount(initialized, dism)


# ---- reading --------------------------------------------------------------------------------------

def test_get_packages_lists_the_store(dism, online):
    hr, packages = dism.packages(online)
    assert hr == d.S_OK
    assert packages == {
        FOUNDATION: (d.STATE_INSTALLED, d.RELEASE_FOUNDATION, (0, 0, 0, 0, 0, 0, 0)),
        BASE_SSU: (d.STATE_INSTALLED, d.RELEASE_UPDATE, BASELINE_TIME),
        BASE_LCU: (d.STATE_INSTALLED, d.RELEASE_SECURITY_UPDATE, BASELINE_TIME),
    }


def test_struct_layouts_and_returned_memory(dism, online):
    offsets = {f: getattr(d.DismPackageInfoEx, f).offset for f, _t in d.DismPackageInfoEx._fields_}
    assert [offsets[f] for f in ("PackageState", "InstallTime", "Applicable", "CreationTime", "LastUpdateTime",
                                 "RestartRequired", "SupportInformation", "CustomProperty", "FeatureCount",
                                 "CapabilityId")] == [8, 16, 32, 52, 100, 132, 140, 148, 168, 172]
    hr, packages, ptr, count = dism.packages(online, keep=True)
    assert hr == d.S_OK and count == 3
    # element i at ptr + 32 * i: the ReleaseType of the third entry is at 2 * 32 + 12
    assert ctypes.c_int.from_address(ptr + 2 * 32 + 12).value == d.RELEASE_SECURITY_UPDATE
    assert ctypes.c_uint16.from_address(ptr + 2 * 32 + 16).value == 2023          # InstallTime.wYear
    assert dism.delete(ptr + 32) == d.E_INVALIDARG
    assert dism.delete(ptr) == d.S_OK
    assert dism.delete(ptr) == d.E_INVALIDARG
    hr, info, ptr = dism.package_info(online, LCU_CAB, d.DISM_PACKAGE_PATH, ex=True, keep=True)
    assert hr == d.S_OK
    assert ctypes.c_int.from_address(ptr + 132).value == info["RestartRequired"] == d.RESTART_REQUIRED
    assert info["CustomProperty"] is None and info["CustomPropertyCount"] == 0 and info["FeatureCount"] == 0
    assert dism.delete(ptr) == d.S_OK


def test_info_by_path_reads_the_file(dism, online):
    hr, info = dism.package_info(online, LCU_CAB, d.DISM_PACKAGE_PATH)
    assert hr == d.S_OK
    assert info["PackageName"] == LCU and info["PackageState"] == d.STATE_NOT_PRESENT
    assert info["ReleaseType"] == d.RELEASE_SECURITY_UPDATE and info["Applicable"] == 1
    assert info["Description"] == "Security update KB5031364"
    assert info["SupportInformation"] == "https://support.microsoft.com/help/5031364"
    assert info["FullyOffline"] == d.OFFLINE_NOT_INSTALLABLE
    assert info["InstallPackageName"] == "windows10.0-kb5031364-x64.cab"
    assert info["CreationTime"][:3] == (2023, 10, 10) and info["InstallTime"] == (0, 0, 0, 0, 0, 0, 0)
    assert dism.package_info(online, CLIENT_CAB, d.DISM_PACKAGE_PATH)[1]["Applicable"] == 0
    hr, folder = dism.package_info(online, r"C:\packages\hotfix-expanded", d.DISM_PACKAGE_PATH)
    assert hr == d.S_OK and folder["PackageName"] == EXPANDED and folder["InstallPackageName"] == "update.mum"


def test_info_by_name_is_case_insensitive_and_reads_the_installed_copy(dism, online):
    hr, info = dism.package_info(online, BASE_LCU.upper(), ex=True)
    assert hr == d.S_OK
    assert info["PackageName"] == BASE_LCU and info["PackageState"] == d.STATE_INSTALLED
    assert info["InstallTime"] == info["LastUpdateTime"] == BASELINE_TIME
    assert info["Applicable"] == 1 and info["InstallClient"] == "DISM Package Manager Provider"
    assert info["CapabilityId"] is None                # not a Feature on Demand package
    assert dism.package_info(online, FOUNDATION)[1]["ReleaseType"] == d.RELEASE_FOUNDATION


def test_unknown_packages_and_bad_files(initialized, dism, online):
    assert dism.package_info(online, f"Nope~{T}~amd64~~1.0") == (d.DISMAPI_E_UNKNOWN_FEATURE, None)
    assert dism.last_error()[1] == f"Package Nope~{T}~amd64~~1.0 is unknown."
    assert dism.package_info(online, BROKEN_CAB, d.DISM_PACKAGE_PATH)[0] == d.CBS_E_INVALID_PACKAGE
    assert "is not a valid package" in dism.last_error()[1]
    assert dism.add_package(online, BROKEN_CAB)[0] == d.CBS_E_INVALID_PACKAGE
    assert dism.add_package(online, r"C:\packages\nothing.cab")[0] == d.E_FILE_NOT_FOUND
    assert dism.add_package(online, r"C:\nowhere\x.cab")[0] == d.E_PATH_NOT_FOUND
    assert dism.add_package(online, r"C:\packages")[0] == d.E_FILE_NOT_FOUND   # a folder without update.mum
    assert dism.add_package(online, "C:\\" + "x" * 300 + ".cab")[0] == 0x800700CE
    assert dism.package_info(online, MSU, d.DISM_PACKAGE_PATH)[0] == d.E_INVALIDARG
    assert dism.remove_package(online, MSU, d.DISM_PACKAGE_PATH)[0] == d.E_INVALIDARG
    assert dism.remove_package(online, f"Nope~{T}~amd64~~1.0")[0] == d.DISMAPI_E_UNKNOWN_FEATURE


def test_argument_and_session_rules(lab, dism):
    hr, _packages, ptr, count = dism.packages(77, keep=True)
    assert (hr, ptr, count) == (d.DISMAPI_E_NOT_INITIALIZED, None, 0)
    assert dism.initialize() == d.S_OK
    assert dism.packages(77)[0] == d.E_INVALIDARG
    sid = dism.open_session(d.DISM_ONLINE_IMAGE)[1]
    assert dism.package_info(sid, None)[0] == d.E_INVALIDARG
    assert dism.package_info(sid, BASE_LCU, d.DISM_PACKAGE_NONE)[0] == d.E_INVALIDARG
    assert dism.package_info(sid, BASE_LCU, 7, ex=True)[0] == d.E_INVALIDARG
    assert dism.add_package(sid, None)[0] == d.E_INVALIDARG
    assert dism.remove_package(sid, None)[0] == d.E_INVALIDARG
    assert dism.remove_package(sid, BASE_LCU, d.DISM_PACKAGE_NONE)[0] == d.E_INVALIDARG
    assert dism._package_fn("DismGetPackages")(sid, None, None) == d.E_INVALIDARG


def test_client_and_x86_images_have_their_foundation_only(initialized, dism):
    (initialized.drive() / "mount" / "x").mkdir(parents=True)
    assert dism.mount(r"C:\images\win10_x86.wim", r"C:\mount\x", 1, flags=d.DISM_MOUNT_READONLY)[0] == d.S_OK
    sid = dism.open_session(r"C:\mount\x")[1]
    assert states(dism, sid) == {f"Microsoft-Windows-Foundation-Package~{T}~x86~~10.0.19045.1": d.STATE_INSTALLED}


def test_an_image_without_a_store_has_its_foundation_package(initialized, dism):
    tree = initialized.windows_tree(initialized.drive() / "bare")
    (tree / "Windows" / "servicing").mkdir(parents=True)
    (tree / "Windows" / "servicing" / "LabFeatures.txt").write_text("sku=server\nbuild=20348\narch=amd64\n")
    sid = dism.open_session(r"C:\bare")[1]
    assert states(dism, sid) == {FOUNDATION: d.STATE_INSTALLED}
    assert dism.remove_package(sid, FOUNDATION)[0] == d.CBS_E_CANNOT_UNINSTALL


# ---- adding -----------------------------------------------------------------------------------------

def test_add_offline_and_rerun(initialized, dism, offline):
    hr, calls = dism.add_package(offline, HOTFIX_CAB)
    assert hr == d.S_OK
    assert calls == [(100, 1000), (400, 1000), (800, 1000), (1000, 1000)]
    assert states(dism, offline)[HOTFIX] == d.STATE_INSTALLED
    mum = initialized.drive() / "mount" / "one" / "Windows" / "servicing" / "Packages" / f"{HOTFIX}.mum"
    assert "source_file=windows10.0-kb5030999-x64.cab" in mum.read_text()
    before = store_text(initialized.drive() / "mount" / "one")
    hr, calls = dism.add_package(offline, HOTFIX_CAB)
    assert hr == d.S_OK and calls[-1] == (1000, 1000)
    assert store_text(initialized.drive() / "mount" / "one") == before       # nothing written
    hr, info = dism.package_info(offline, HOTFIX_CAB, d.DISM_PACKAGE_PATH)
    assert info["PackageState"] == d.STATE_INSTALLED and info["InstallTime"][0] >= 2024


def test_offline_cumulative_update_waits_for_the_first_boot_and_supersedes(dism, offline):
    assert dism.add_package(offline, LCU_CAB) == (d.S_OK, [(100, 1000), (400, 1000), (800, 1000), (1000, 1000)])
    now = states(dism, offline)
    assert now[LCU] == d.STATE_INSTALL_PENDING          # offline=NotInstallable: finishes online
    assert now[BASE_LCU] == d.STATE_SUPERSEDED
    assert dism.package_info(offline, BASE_LCU)[1]["PackageState"] == d.STATE_SUPERSEDED
    assert dism.add_package(offline, LCU_CAB)[0] == d.S_OK
    assert states(dism, offline) == now
    # the older update is not applicable any more (a newer one of the same name is installed)
    assert dism.package_info(offline, r"C:\packages\lcu\..\lcu\windows10.0-kb5031364-x64.cab",
                             d.DISM_PACKAGE_PATH)[1]["Applicable"] == 1       # it is the installed one


def test_not_applicable_packages_fail_and_change_nothing(initialized, dism, offline):
    root = initialized.drive() / "mount" / "one"
    before = store_text(root)
    assert dism.add_package(offline, CLIENT_CAB) == (d.CBS_E_NOT_APPLICABLE, [])
    assert "is not applicable to this image: it is for build 22631" in dism.last_error()[1]
    assert store_text(root) == before
    assert dism.add_package(offline, CLIENT_CAB, ignore_check=True)[0] == d.S_OK   # IgnoreCheck skips the rule
    assert f"Package_for_RollupFix~{T}~amd64~~22621.2715.1.7" in states(dism, offline)


def test_edition_and_newer_version_make_a_package_not_applicable(initialized, dism):
    (initialized.drive() / "mount" / "c").mkdir(parents=True)
    assert dism.mount(r"C:\images\win11.wim", r"C:\mount\c", 1)[0] == d.S_OK
    client = dism.open_session(r"C:\mount\c")[1]
    assert dism.add_package(client, HOTFIX_CAB)[0] == d.CBS_E_NOT_APPLICABLE        # build 20348 only
    sid = mount(initialized, dism)
    assert dism.add_package(sid, SSU_CAB)[0] == d.S_OK
    assert dism.add_package(sid, LCU_NEXT_CAB)[0] == d.S_OK
    assert dism.add_package(sid, LCU_CAB)[0] == d.CBS_E_NOT_APPLICABLE              # 2113 is there
    assert "a newer version" in dism.last_error()[1]
    assert dism.package_info(sid, LCU_CAB, d.DISM_PACKAGE_PATH)[1]["Applicable"] == 0


def test_edition_rule(initialized, dism, builder):
    # server2022.wim index 1 is ServerStandard (listed); a ServerTurbine edition is not
    sid = mount(initialized, dism, index=1)
    edition = initialized.drive() / "mount" / "one" / "Windows" / "System32" / "lab-edition.txt"
    edition.write_text("ServerTurbine\n")
    assert dism.add_package(sid, LCU_CAB)[0] == d.CBS_E_NOT_APPLICABLE
    assert "editions ServerStandard,ServerDatacenter" in dism.last_error()[1]
    edition.write_text("ServerStandard\n")
    assert dism.add_package(sid, LCU_CAB)[0] == d.S_OK


def test_requires_a_servicing_stack(dism, offline):
    assert dism.add_package(offline, LCU_NEXT_CAB)[0] == d.CBS_E_NEW_SERVICING_STACK_REQUIRED
    assert "Package_for_ServicingStack_2031 20348.2031.1.0 or later" in dism.last_error()[1]
    assert LCU_NEXT not in states(dism, offline)


def test_msu_adds_its_cabs_in_order_offline_only(initialized, dism, offline):
    online = dism.open_session(d.DISM_ONLINE_IMAGE)[1]
    assert dism.add_package(online, MSU)[0] == d.E_NOT_SUPPORTED
    assert "offline image only" in dism.last_error()[1]
    assert dism.add_package(offline, MSU)[0] == d.S_OK          # the SSU inside satisfies the LCU
    now = states(dism, offline)
    assert now[SSU] == d.STATE_INSTALLED and now[LCU_NEXT] == d.STATE_INSTALL_PENDING
    assert now[BASE_LCU] == d.STATE_SUPERSEDED
    assert not any("WSUSSCAN" in name for name in now)


def test_msu_is_all_or_nothing(initialized, dism):
    (initialized.drive() / "mount" / "c").mkdir(parents=True)
    assert dism.mount(r"C:\images\win11.wim", r"C:\mount\c", 1)[0] == d.S_OK
    client = dism.open_session(r"C:\mount\c")[1]
    before = states(dism, client)
    assert dism.add_package(client, MSU)[0] == d.CBS_E_NOT_APPLICABLE
    assert states(dism, client) == before


def test_expanded_folder(dism, offline):
    assert dism.add_package(offline, r"C:\packages\hotfix-expanded")[0] == d.S_OK
    assert states(dism, offline)[EXPANDED] == d.STATE_INSTALLED
    assert dism.package_info(offline, EXPANDED)[1]["InstallPackageName"] == "update.mum"


def test_online_restart_required_is_pending_until_reboot(initialized, dism, online):
    hr, _calls = dism.add_package(online, LCU_CAB)
    assert hr == d.S_REBOOT
    assert states(dism, online)[LCU] == d.STATE_INSTALL_PENDING
    assert "pending_boot=" in store_text(initialized.drive())
    assert dism.add_package(online, LCU_CAB)[0] == d.S_OK            # already there (pending)
    assert dism.add_package(online, HOTFIX_CAB)[0] == d.S_OK         # restart No: Installed at once
    d.reboot(initialized)
    now = states(dism, online)
    assert now[LCU] == d.STATE_INSTALLED and now[HOTFIX] == d.STATE_INSTALLED
    assert "pending_boot=" not in store_text(initialized.drive())


def test_prevent_pending(initialized, dism, online):
    assert dism.add_package(online, LCU_CAB, prevent_pending=True)[0] == d.CBS_E_EXCLUSIVE_WOULD_MERGE
    assert LCU not in states(dism, online)
    assert dism.add_package(online, HOTFIX_CAB, prevent_pending=True)[0] == d.S_OK
    assert dism.add_package(online, LCU_CAB)[0] == d.S_REBOOT
    assert dism.add_package(online, r"C:\packages\hotfix-expanded", prevent_pending=True)[0] == \
        d.CBS_E_EXCLUSIVE_WOULD_MERGE                                # another package is pending


def test_pending_block_knob(initialized, dism, online):
    assert dism.add_package(online, LCU_CAB)[0] == d.S_REBOOT
    d.knob(initialized, "pending-block", "on")
    assert dism.add_package(online, HOTFIX_CAB)[0] == d.CBS_E_EXCLUSIVE_WOULD_MERGE
    assert "A reboot is pending" in dism.last_error()[1]
    d.reboot(initialized)
    assert dism.add_package(online, HOTFIX_CAB)[0] == d.S_OK


def test_read_only_mount(initialized, dism):
    sid = mount(initialized, dism, flags=d.DISM_MOUNT_READONLY)
    assert dism.add_package(sid, HOTFIX_CAB)[0] == d.E_ACCESS_DENIED
    assert dism.remove_package(sid, BASE_LCU)[0] == d.E_ACCESS_DENIED


@pytest.mark.parametrize("at", [None, 100, 400])
def test_cancel_changes_nothing(initialized, dism, offline, at):
    """A set event (before the call, or set in report `at`) is seen at the next cancellable report."""
    root = initialized.drive() / "mount" / "one"
    before = store_text(root)
    event = dism.k32.CreateEventW(None, 1, 1 if at is None else 0, None)
    progress = None if at is None else (lambda cur, total: cur >= at and dism.k32.SetEvent(event))
    hr, calls = dism.add_package(offline, HOTFIX_CAB, cancel=event, progress=progress)
    assert hr == d.E_CANCELLED and calls == ([] if at is None else [(c, 1000) for c in (100, 400) if c <= at])
    assert (dism.k32.SetEvent if at is None else dism.k32.ResetEvent)(event) == 1
    hr, calls = dism.remove_package(offline, BASE_LCU, cancel=event, progress=progress)
    assert hr == d.E_CANCELLED
    assert store_text(root) == before and HOTFIX not in states(dism, offline)
    dism.k32.CloseHandle(event)


# ---- removing ---------------------------------------------------------------------------------------

def test_remove_by_name_and_by_path(initialized, dism, offline):
    assert dism.add_package(offline, HOTFIX_CAB)[0] == d.S_OK
    assert dism.add_package(offline, r"C:\packages\hotfix-expanded")[0] == d.S_OK
    hr, calls = dism.remove_package(offline, HOTFIX.lower())
    assert hr == d.S_OK and calls[-1] == (1000, 1000)
    assert HOTFIX not in states(dism, offline)
    assert not (initialized.drive() / "mount" / "one" / "Windows" / "servicing" / "Packages" / f"{HOTFIX}.mum").exists()
    assert dism.remove_package(offline, HOTFIX)[0] == d.DISMAPI_E_UNKNOWN_FEATURE
    assert dism.remove_package(offline, r"C:\packages\hotfix-expanded", d.DISM_PACKAGE_PATH)[0] == d.S_OK
    assert EXPANDED not in states(dism, offline)


def test_permanent_and_foundation_packages_cannot_be_removed(dism, offline):
    for name in (FOUNDATION, BASE_SSU):
        assert dism.remove_package(offline, name)[0] == d.CBS_E_CANNOT_UNINSTALL
        assert dism.last_error()[1] == f"Package {name} is a permanent package and cannot be uninstalled."
    assert dism.add_package(offline, SSU_CAB)[0] == d.S_OK
    assert dism.remove_package(offline, SSU_CAB, d.DISM_PACKAGE_PATH)[0] == d.CBS_E_CANNOT_UNINSTALL


def test_removing_a_cumulative_update_restores_the_one_it_superseded(dism, offline):
    assert dism.add_package(offline, LCU_CAB)[0] == d.S_OK
    assert states(dism, offline)[BASE_LCU] == d.STATE_SUPERSEDED
    assert dism.remove_package(offline, LCU)[0] == d.S_OK
    assert states(dism, offline)[BASE_LCU] == d.STATE_INSTALLED


def test_online_removal_of_a_restart_required_package(initialized, dism, online):
    hr, _calls = dism.remove_package(online, BASE_LCU)
    assert hr == d.S_REBOOT
    assert states(dism, online)[BASE_LCU] == d.STATE_UNINSTALL_PENDING
    assert dism.remove_package(online, BASE_LCU)[0] == d.S_OK        # already pending
    d.reboot(initialized)
    assert BASE_LCU not in states(dism, online)
    assert dism.add_package(online, HOTFIX_CAB)[0] == d.S_OK


def test_add_cancels_a_pending_removal(initialized, dism, online):
    assert dism.add_package(online, LCU_CAB)[0] == d.S_REBOOT
    d.reboot(initialized)
    assert dism.remove_package(online, LCU)[0] == d.S_REBOOT
    assert dism.add_package(online, LCU_CAB)[0] == d.S_OK
    assert states(dism, online)[LCU] == d.STATE_INSTALLED


# ---- commit and discard -------------------------------------------------------------------------------

@pytest.mark.parametrize("flags,kept", [(0, True), (d.DISM_DISCARD_IMAGE, False)])
def test_commit_keeps_and_discard_drops(initialized, dism, flags, kept):
    sid = mount(initialized, dism)
    assert dism.add_package(sid, HOTFIX_CAB)[0] == d.S_OK
    assert dism.close_session(sid) == d.S_OK
    assert dism.unmount(MOUNT, flags=flags)[0] == d.S_OK
    sid = mount(initialized, dism)
    assert (HOTFIX in states(dism, sid)) is kept
    assert dism.package_info(sid, HOTFIX)[0] == (d.S_OK if kept else d.DISMAPI_E_UNKNOWN_FEATURE)


def test_concurrent_adds_keep_every_package(initialized, dism, offline):
    errors: list[int] = []

    def add(path: str) -> None:
        errors.append(dism.add_package(offline, path)[0])

    threads = [threading.Thread(target=add, args=(p,)) for p in (HOTFIX_CAB, r"C:\packages\hotfix-expanded", SSU_CAB)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [d.S_OK] * 3
    now = states(dism, offline)
    assert {HOTFIX, EXPANDED, SSU} <= set(now)
