"""Driver servicing: DismAddDriver, DismRemoveDriver, DismGetDrivers, DismGetDriverInfo, the INF parser and
libLabKernel32's FindFirstFileW/FindNextFileW/FindClose (dism-api.md 2.2, 3.2, 3.4, 4.1, 6.6, 6.10;
README "The driver model")."""

from __future__ import annotations

import ctypes
import pathlib
import shutil

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

MOUNT = r"C:\mount\one"
NIC = r"C:\drivers\nic\cnet68x64.inf"
NIC13 = r"C:\drivers\nic-v13\cnet68x64.inf"
STORAGE = r"C:\drivers\storage\cstor.inf"
DISPLAY = r"C:\drivers\display\cdisp.inf"
SERIAL = r"C:\drivers\x86only\cserial.inf"
BROKEN = r"C:\drivers\broken\cbroken.inf"
INBOX = ["machine.inf", "disk.inf", "netvwifibus.inf", "stornvme.inf"]


def mount(lab, dism, image=r"C:\images\win11.wim", index=2, flags=0) -> int:
    (lab.drive() / "mount" / "one").mkdir(parents=True, exist_ok=True)
    assert dism.mount(image, MOUNT, index, flags=flags)[0] == d.S_OK
    hr, sid = dism.open_session(MOUNT)
    assert hr == d.S_OK
    return sid


def unmount(dism, sid: int, flags: int = 0) -> None:
    assert dism.close_session(sid) == d.S_OK
    assert dism.unmount(MOUNT, flags)[0] == d.S_OK


def oem(dism, sid: int) -> dict:
    hr, pkgs = dism.drivers(sid)
    assert hr == d.S_OK
    return {p["published_name"]: p for p in pkgs}


def windows(lab) -> pathlib.Path:
    return lab.drive() / "mount" / "one" / "Windows"


@pytest.fixture
def online(initialized, dism) -> int:
    hr, sid = dism.open_session(d.DISM_ONLINE_IMAGE)
    assert hr == d.S_OK
    return sid


@pytest.fixture
def offline(initialized, dism) -> int:
    """win11.wim index 2 (x64) mounted read-write at C:\\mount\\one, with a session."""
    return mount(initialized, dism)


def write_inf(lab, rel: str, text: str, encoding: str = "utf-8") -> str:
    path = lab.drive() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return "C:\\" + rel.replace("/", "\\")


MINIMAL = """[Version]
Signature = "$Windows NT$"
Class = System
ClassGuid = {4d36e97d-e325-11ce-bfc1-08002be10318}
Provider = Lab
DriverVer = 01/02/2024,1.0.0.0

[Manufacturer]
Lab = Lab, NTamd64

[Lab.NTamd64]
Lab Device = Inst, ROOT\\LABDEV
"""


# ---- reading the store ------------------------------------------------------------------------------

def test_online_store_lists_inbox_drivers_only_with_all_drivers(dism, online):
    assert dism.drivers(online) == (d.S_OK, [])
    hr, pkgs = dism.drivers(online, all_drivers=True)
    assert hr == d.S_OK and [p["published_name"] for p in pkgs] == INBOX
    by = {p["published_name"]: p for p in pkgs}
    nvme = by["stornvme.inf"]
    assert nvme["inbox"] == 1 and nvme["boot_critical"] == 1 and nvme["signature"] == d.SIGNATURE_SIGNED
    assert nvme["class_name"] == "SCSIAdapter" and nvme["class_description"] == "Storage controllers"
    assert nvme["class_guid"] == "{4d36e97b-e325-11ce-bfc1-08002be10318}" and nvme["provider"] == "Microsoft"
    assert nvme["version"] == (10, 0, 20348, 1) and nvme["date"] == (2006, 6, 21, 3)   # a Wednesday
    assert nvme["original_file_name"].startswith(
        "C:\\Windows\\System32\\DriverStore\\FileRepository\\stornvme.inf_amd64_")
    assert nvme["original_file_name"].endswith("\\stornvme.inf") and nvme["catalog_file"] == ""
    wifi = by["netvwifibus.inf"]   # not boot critical: DISM checks no signature
    assert wifi["boot_critical"] == 0 and wifi["signature"] == d.SIGNATURE_UNKNOWN


def test_get_driver_info_of_a_published_inbox_name(dism, online):
    hr, drivers, pkg = dism.driver_info(online, "STORNVME.INF")
    assert hr == d.S_OK and pkg["published_name"] == "stornvme.inf" and pkg["inbox"] == 1
    assert drivers == [{"manufacturer": "Microsoft", "description": "Standard NVM Express Controller",
                        "hardware_id": "PCI\\CC_010802", "arch": d.ARCH_AMD64, "service": "stornvme",
                        "compatible_ids": None, "exclude_ids": None}]


def test_get_driver_info_of_a_source_inf_lists_every_architecture(dism, online):
    hr, drivers, pkg = dism.driver_info(online, STORAGE)
    assert hr == d.S_OK
    assert [(x["arch"], x["hardware_id"], x["service"], x["compatible_ids"]) for x in drivers] == [
        (d.ARCH_AMD64, "PCI\\VEN_1D6A&DEV_5001", "cstor", "PCI\\CC_010802"),
        (d.ARCH_X86, "PCI\\VEN_1D6A&DEV_5001", "cstor", "PCI\\CC_010802")]
    assert pkg["published_name"] == "cstor.inf" and pkg["original_file_name"] == STORAGE and pkg["inbox"] == 0
    assert pkg["class_name"] == "SCSIAdapter" and pkg["boot_critical"] == 1
    assert pkg["catalog_file"] == "cstor64.cat" and pkg["signature"] == d.SIGNATURE_SIGNED
    assert pkg["provider"] == "Contoso Storage" and pkg["version"] == (2, 0, 1, 15)
    assert pkg["date"][:3] == (2022, 11, 20)


def test_strings_substitution_is_case_insensitive(dism, online):
    hr, drivers, pkg = dism.driver_info(online, NIC)
    assert hr == d.S_OK and pkg["provider"] == "Contoso Networks"   # %ProviderName% -> providername
    assert [x["description"] for x in drivers] == ["Contoso Networks Gigabit Ethernet Adapter",
                                                   "Contoso Networks Dual-Port Gigabit Ethernet Adapter"]
    assert {x["manufacturer"] for x in drivers} == {"Contoso Networks, Inc."}
    assert drivers[1]["compatible_ids"] == "PCI\\VEN_1D6A&DEV_0069" and drivers[0]["service"] == "cnet68"
    assert pkg["class_description"] == "Network adapters" and pkg["signature"] == d.SIGNATURE_UNKNOWN


def test_utf16_inf_with_bom(dism, online, initialized):
    assert (initialized.drive() / "drivers/display/cdisp.inf").read_bytes()[:2] == b"\xff\xfe"
    hr, drivers, pkg = dism.driver_info(online, DISPLAY)
    assert hr == d.S_OK and pkg["provider"] == "Contoso Graphics" and pkg["class_name"] == "Display"
    assert pkg["version"] == (31, 0, 15, 3000) and pkg["catalog_file"] == ""
    assert [x["description"] for x in drivers] == ["Contoso Radiance\u2122 R7 Graphics",
                                                   "Contoso Radiance\u2122 R7 Pro Graphics (\u00dc)"]
    assert drivers[0]["service"] == "cdisp"   # undecorated install section


def test_driver_package_is_optional_and_missing_files_fail(dism, online):
    hr, drivers, pkg = dism.driver_info(online, NIC, want_package=False)
    assert hr == d.S_OK and len(drivers) == 2 and pkg is None
    assert dism.driver_info(online, r"C:\drivers\nic\missing.inf")[0] == d.E_FILE_NOT_FOUND
    assert dism.driver_info(online, r"C:\nowhere\x.inf")[0] == d.E_PATH_NOT_FOUND
    assert dism.driver_info(online, "oem7.inf") == (d.E_FILE_NOT_FOUND, [], None)
    assert "oem7.inf is neither a published driver name" in dism.last_error()[1]


@pytest.mark.parametrize("text, hr, where", [
    ("; nothing\n[Strings]\nA = b\n", d.SPAPI_E_WRONG_INF_STYLE, "no [Version] section"),
    (MINIMAL.replace('Signature = "$Windows NT$"', "Signature = Windows"), d.SPAPI_E_WRONG_INF_STYLE,
     "line 2"),
    (MINIMAL.replace("01/02/2024,1.0.0.0", "13/02/2024,1.0.0.0"), d.SPAPI_E_GENERAL_SYNTAX, "line 6: DriverVer"),
    (MINIMAL.replace("01/02/2024,1.0.0.0", "02/30/2024"), d.SPAPI_E_GENERAL_SYNTAX, "line 6"),
    (MINIMAL.replace("1.0.0.0", "1.0.x"), d.SPAPI_E_GENERAL_SYNTAX, "line 6"),
    (MINIMAL.replace("[Manufacturer]", "[Manufacturer"), d.SPAPI_E_GENERAL_SYNTAX, "line 8: a section name"),
])
def test_malformed_infs(dism, online, initialized, text, hr, where):
    path = write_inf(initialized, "drivers/bad/bad.inf", text)
    assert dism.driver_info(online, path)[0] == hr
    message = dism.last_error()[1]
    assert path in message and where in message


def test_broken_fixture_names_file_and_line(dism, online):
    assert dism.driver_info(online, BROKEN)[0] == d.SPAPI_E_GENERAL_SYNTAX
    assert "cbroken.inf is malformed at line 10: a quoted string is not closed" in dism.last_error()[1]


def test_quotes_comments_and_continuations(dism, online, initialized):
    text = MINIMAL.replace("Provider = Lab", 'Provider = "Lab; ""quoted"", co" ; a comment') \
                  .replace("Lab Device = Inst, ROOT\\LABDEV", "Lab Device = Inst, \\\n   ROOT\\LABDEV, %%50%%")
    hr, drivers, pkg = dism.driver_info(online, write_inf(initialized, "drivers/q/q.inf", text))
    assert hr == d.S_OK and pkg["provider"] == 'Lab; "quoted", co'
    assert drivers[0]["hardware_id"] == "ROOT\\LABDEV" and drivers[0]["compatible_ids"] == "%50%"


# ---- add, remove, commit -----------------------------------------------------------------------------

def test_add_driver_offline_stages_oem0(dism, offline, initialized):
    assert oem(dism, offline) == {}
    assert dism.add_driver(offline, NIC) == d.S_OK
    pkg = oem(dism, offline)["oem0.inf"]
    assert pkg["inbox"] == 0 and pkg["catalog_file"] == "cnet68x64.cat" and pkg["class_name"] == "Net"
    assert pkg["class_guid"] == "{4d36e972-e325-11ce-bfc1-08002be10318}" and pkg["provider"] == "Contoso Networks"
    assert pkg["version"] == (1, 2, 3, 4) and pkg["date"] == (2023, 3, 14, 2) and pkg["boot_critical"] == 0
    folder = pathlib.PureWindowsPath(pkg["original_file_name"]).parent
    staged_prefix = MOUNT + "\\Windows\\System32\\DriverStore\\FileRepository\\cnet68x64.inf_amd64_"
    assert pkg["original_file_name"].startswith(staged_prefix)
    staged = windows(initialized) / "System32/DriverStore/FileRepository" / folder.name
    assert sorted(p.name for p in staged.iterdir()) == ["cnet68x64.cat", "cnet68x64.inf", "cnet68x64.sys"]
    assert (windows(initialized) / "INF/oem0.inf").read_bytes() == (initialized.drive() / "drivers/nic/cnet68x64.inf").read_bytes()
    hr, drivers, info = dism.driver_info(offline, "oem0.inf")
    assert hr == d.S_OK and info == pkg and len(drivers) == 2
    hr, pkgs = dism.drivers(offline, all_drivers=True)
    assert [p["published_name"] for p in pkgs] == INBOX + ["oem0.inf"]


def test_commit_keeps_and_discard_drops_drivers(dism, initialized):
    sid = mount(initialized, dism)
    assert dism.add_driver(sid, NIC) == d.S_OK
    unmount(dism, sid)                                  # commit
    sid = mount(initialized, dism)
    assert list(oem(dism, sid)) == ["oem0.inf"]
    assert dism.add_driver(sid, STORAGE) == d.S_OK
    assert list(oem(dism, sid)) == ["oem0.inf", "oem1.inf"]
    unmount(dism, sid, d.DISM_DISCARD_IMAGE)
    sid = mount(initialized, dism)
    assert list(oem(dism, sid)) == ["oem0.inf"]
    unmount(dism, sid, d.DISM_DISCARD_IMAGE)
    sid = mount(initialized, dism, index=1)             # another index has its own store
    assert oem(dism, sid) == {}


def test_same_package_twice_is_a_no_op_and_a_new_version_is_staged_beside(dism, offline):
    assert dism.add_driver(offline, NIC) == d.S_OK
    assert dism.add_driver(offline, NIC) == d.S_OK
    assert list(oem(dism, offline)) == ["oem0.inf"]
    assert dism.add_driver(offline, NIC13) == d.S_OK
    pkgs = oem(dism, offline)
    assert {k: v["version"] for k, v in pkgs.items()} == {"oem0.inf": (1, 2, 3, 4), "oem1.inf": (1, 3, 0, 0)}
    assert pkgs["oem1.inf"]["date"][:3] == (2024, 9, 1)
    assert len(dism.driver_info(offline, "oem1.inf")[1]) == 3


def test_remove_driver_by_published_name_and_number_reuse(dism, offline, initialized):
    for path in (NIC, STORAGE, DISPLAY):
        assert dism.add_driver(offline, path, force_unsigned=True) == d.S_OK
    repo = windows(initialized) / "System32/DriverStore/FileRepository"
    assert len(list(repo.glob("cstor.inf_amd64_*"))) == 1
    assert dism.remove_driver(offline, "OEM1.INF") == d.S_OK
    assert list(oem(dism, offline)) == ["oem0.inf", "oem2.inf"]
    assert not list(repo.glob("cstor.inf_amd64_*")) and not (windows(initialized) / "INF/oem1.inf").exists()
    assert dism.remove_driver(offline, "oem1.inf") == d.E_FILE_NOT_FOUND
    assert "not in the image's driver store" in dism.last_error()[1]
    assert dism.remove_driver(offline, r"C:\drivers\nic\cnet68x64.inf") == d.E_FILE_NOT_FOUND
    assert dism.add_driver(offline, STORAGE) == d.S_OK      # the lowest free number again
    assert list(oem(dism, offline)) == ["oem0.inf", "oem2.inf", "oem1.inf"]


def test_inbox_drivers_cannot_be_removed(dism, offline):
    assert dism.remove_driver(offline, "stornvme.inf") == d.E_ACCESS_DENIED
    assert "inbox driver" in dism.last_error()[1]
    assert [p["published_name"] for p in dism.drivers(offline, True)[1]] == INBOX


def test_online_add_and_remove_are_refused(dism, online, initialized):
    assert dism.add_driver(online, NIC) == d.E_NOT_SUPPORTED
    assert "offline images only" in dism.last_error()[1]
    assert dism.remove_driver(online, "machine.inf") == d.E_NOT_SUPPORTED
    text = (initialized.drive() / "Windows/System32/DriverStore/LabDriverStore.txt").read_text()
    assert "oem" not in text and "machine.inf" in text


def test_read_only_mount_refuses_changes_but_lists(dism, initialized):
    sid = mount(initialized, dism, flags=d.DISM_MOUNT_READONLY)
    assert dism.add_driver(sid, NIC) == d.E_ACCESS_DENIED
    assert dism.remove_driver(sid, "machine.inf") == d.E_ACCESS_DENIED
    assert len(dism.drivers(sid, True)[1]) == 4


def test_unsigned_drivers_on_x64(dism, offline, initialized):
    assert dism.add_driver(offline, DISPLAY) == d.SPAPI_E_NO_CATALOG_FOR_OEM_INF
    assert "ForceUnsigned" in dism.last_error()[1]
    # A catalog without the lab's signature line, and a catalog that is missing.
    unsigned = initialized.drive() / "drivers" / "nic-unsigned"
    shutil.copytree(initialized.drive() / "drivers" / "nic", unsigned)
    (unsigned / "cnet68x64.cat").write_text("; no signature\ncnet68x64.inf\n")
    assert dism.add_driver(offline, r"C:\drivers\nic-unsigned\cnet68x64.inf") == d.TRUST_E_NOSIGNATURE
    assert "is not signed" in dism.last_error()[1]
    (unsigned / "cnet68x64.cat").unlink()
    assert dism.add_driver(offline, r"C:\drivers\nic-unsigned\cnet68x64.inf") == d.TRUST_E_NOSIGNATURE
    assert "is missing" in dism.last_error()[1]
    assert oem(dism, offline) == {}
    assert dism.add_driver(offline, DISPLAY, force_unsigned=True) == d.S_OK
    pkg = oem(dism, offline)["oem0.inf"]
    assert pkg["class_name"] == "Display" and pkg["signature"] == d.SIGNATURE_UNKNOWN
    # A boot-critical package whose catalog lost its signature reports Unsigned.
    storage = initialized.drive() / "drivers" / "storage-unsigned"
    shutil.copytree(initialized.drive() / "drivers" / "storage", storage)
    (storage / "cstor64.cat").write_text("cstor.inf\n")
    assert dism.add_driver(offline, r"C:\drivers\storage-unsigned\cstor.inf", force_unsigned=True) == d.S_OK
    assert oem(dism, offline)["oem1.inf"]["signature"] == d.SIGNATURE_UNSIGNED


def test_x86_image_accepts_unsigned_and_needs_x86_models(dism, initialized):
    sid = mount(initialized, dism, image=r"C:\images\win10_x86.wim", index=1)
    hr, pkgs = dism.drivers(sid, True)
    assert [p["published_name"] for p in pkgs] == INBOX
    assert pkgs[0]["original_file_name"].split("\\")[-2].startswith("machine.inf_x86_")
    assert dism.add_driver(sid, NIC) == d.SPAPI_E_NO_COMPAT_DRIVERS
    assert "NTx86" in dism.last_error()[1]
    assert dism.add_driver(sid, SERIAL) == d.S_OK            # unsigned, no ForceUnsigned
    assert dism.add_driver(sid, STORAGE) == d.S_OK
    pkgs = oem(dism, sid)
    assert pkgs["oem0.inf"]["class_name"] == "Ports" and pkgs["oem1.inf"]["catalog_file"] == "cstor32.cat"
    hr, drivers, _package = dism.driver_info(sid, "oem1.inf")
    assert hr == d.S_OK and [x["arch"] for x in drivers] == [d.ARCH_X86]   # only the image's architecture
    staged = windows(initialized) / "System32/DriverStore/FileRepository"
    assert sorted(p.name for p in next(staged.glob("cstor.inf_x86_*")).iterdir()) == \
        ["cstor.inf", "cstor32.cat", "cstor32.sys"]


def test_add_driver_input_errors(dism, offline, initialized):
    assert dism.add_driver(offline, SERIAL) == d.SPAPI_E_NO_COMPAT_DRIVERS     # x86 models only
    assert dism.add_driver(offline, BROKEN) == d.SPAPI_E_GENERAL_SYNTAX
    assert dism.add_driver(offline, r"C:\drivers\nic\none.inf") == d.E_FILE_NOT_FOUND
    assert dism.add_driver(offline, r"C:\drivers\nic") == d.E_INVALIDARG
    (initialized.drive() / "drivers/nic/cnet68x64.sys").unlink()
    assert dism.add_driver(offline, NIC) == d.E_FILE_NOT_FOUND
    assert "cnet68x64.sys" in dism.last_error()[1]
    assert oem(dism, offline) == {}
    assert not list((windows(initialized) / "System32/DriverStore/FileRepository").glob("cnet*"))


# ---- kernel32: FindFirstFileW / FindNextFileW / FindClose ---------------------------------------------

def test_find_files_lists_a_folder_like_windows(dism, lab):
    error, entries = dism.find_files(r"C:\drivers\*")
    assert error == 18   # ERROR_NO_MORE_FILES
    assert [e[0] for e in entries] == [".", "..", "broken", "display", "nic", "nic-v13", "README.txt", "storage",
                                       "x86only"]
    assert all(entry[1] == 0x10 for entry in entries if entry[0] != "README.txt")
    readme = dict((n, (a, s)) for n, a, s in entries)["README.txt"]
    assert readme == (0x80, (lab.drive() / "drivers/README.txt").stat().st_size)


def test_find_files_patterns_and_errors(dism, lab):
    assert dism.find_files(r"c:\DRIVERS\NIC\*.INF") == (18, [("cnet68x64.inf", 0x80,
                                                              (lab.drive() / "drivers/nic/cnet68x64.inf").stat().st_size)])
    assert [e[0] for e in dism.find_files(r"C:\drivers\storage\cstor??.*")[1]] == [
        "cstor32.cat", "cstor32.sys", "cstor64.cat", "cstor64.sys"]
    assert [e[0] for e in dism.find_files(r"C:\drivers\nic\cnet68x64.inf")[1]] == ["cnet68x64.inf"]
    assert dism.find_files(r"C:\drivers\nic\*.zip") == (2, [])      # ERROR_FILE_NOT_FOUND
    assert dism.find_files(r"C:\no\such\*") == (3, [])             # ERROR_PATH_NOT_FOUND
    names = [e[0] for e in dism.find_files("C:\\*")[1]]
    assert "drivers" in names and "." not in names and ".." not in names   # a drive root has no dot entries


def test_find_handles_are_validated(dism, lab):
    k32 = dism.k32
    data = d.WIN32_FIND_DATAW()
    assert k32.FindNextFileW(0x1234, ctypes.byref(data)) == 0 and k32.GetLastError() == 6
    assert k32.FindClose(None) == 0 and k32.GetLastError() == 6
    event = k32.CreateEventW(None, 1, 0, None)
    assert k32.FindClose(event) == 0 and k32.GetLastError() == 6        # an event is not a search
    handle = k32.FindFirstFileW(d.wstr(r"C:\drivers\*"), ctypes.byref(data))
    assert d.find_name(data) == "." and k32.CloseHandle(handle) == 0     # a search is not an event
    assert k32.FindClose(handle) == 1
    assert k32.FindClose(handle) == 0 and k32.GetLastError() == 6        # stale after close
    assert k32.CloseHandle(event) == 1
