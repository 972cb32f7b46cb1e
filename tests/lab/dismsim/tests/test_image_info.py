"""DismGetImageInfo on the fixture images, path translation, and every error case."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

SERVER_NAMES = [
    "Windows Server 2022 Standard",
    "Windows Server 2022 Standard (Desktop Experience)",
    "Windows Server 2022 Datacenter",
    "Windows Server 2022 Datacenter (Desktop Experience)",
]


def test_server_2022_editions(initialized, dism):
    hr, images = dism.image_info(r"C:\images\server2022.wim")
    assert hr == d.S_OK
    assert [i["name"] for i in images] == SERVER_NAMES
    assert [i["index"] for i in images] == [1, 2, 3, 4]
    assert [i["edition_id"] for i in images] == ["ServerStandard"] * 2 + ["ServerDatacenter"] * 2
    assert [i["installation_type"] for i in images] == ["Server Core", "Server"] * 2
    for image in images:
        assert image["type"] == 0 and image["arch"] == 9
        assert image["version"] == (10, 0, 20348, 587)
        assert image["product_type"] == "ServerNT" and image["system_root"] == "WINDOWS"
        assert image["product_name"] == "Microsoft\u00ae Windows\u00ae Operating System"
        assert image["languages"] == ["en-US"] and image["default_language_index"] == 0
        assert image["bootable"] == 1            # DismImageBootableNo: install.wim has no boot index
        assert image["size"] > 0


def test_customized_info_comes_from_the_wim_xml(initialized, dism):
    hr, images = dism.image_info(r"C:\images\server2022.wim")
    core, desktop = images[0]["customized"], images[1]["customized"]
    assert hr == d.S_OK and core["size"] == 44
    assert desktop["files"] > core["files"] > 0 and desktop["dirs"] >= core["dirs"] > 0
    year, month, day = core["created"][:3]
    assert year >= 2024 and 1 <= month <= 12 and 1 <= day <= 31
    assert core["modified"] >= core["created"]


def test_languages_and_default_index(initialized, dism, builder, tmp_path):
    hr, images = dism.image_info(r"C:\images\win11.wim")
    assert hr == d.S_OK
    assert [i["edition_id"] for i in images] == ["Professional", "Enterprise", "Education"]
    assert all(i["languages"] == ["en-US", "de-DE"] and i["default_language_index"] == 0 for i in images)
    wim = initialized.drive() / "images" / "win11.wim"
    subprocess.run(["wimlib-imagex", "info", str(wim), "2", "--image-property",
                    "WINDOWS/LANGUAGES/DEFAULT=de-DE"], check=True, capture_output=True)
    hr, images = dism.image_info(r"C:\images\win11.wim")
    assert [i["default_language_index"] for i in images] == [0, 1, 0]


def test_x86_bootable_image(initialized, dism):
    hr, images = dism.image_info(r"C:\images\win10_x86.wim")
    assert hr == d.S_OK and len(images) == 1
    assert images[0]["arch"] == 0 and images[0]["bootable"] == 0
    assert images[0]["version"] == (10, 0, 19045, 2006)


@pytest.mark.parametrize("name", ["disk.vhdx", "disk.vhd"])
def test_lab_disks(initialized, dism, name):
    hr, images = dism.image_info("C:\\images\\" + name)
    assert hr == d.S_OK and len(images) == 1
    image = images[0]
    assert image["type"] == 1 and image["index"] == 1 and image["customized"] is None
    assert image["edition_id"] == "ServerDatacenter" and image["installation_type"] == "Server"


def test_esd_is_read_too(initialized, dism):
    images = initialized.drive() / "images"
    subprocess.run(["wimlib-imagex", "export", str(images / "win11.wim"), "all", str(images / "install.esd"),
                    "--solid"], check=True, capture_output=True)
    hr, result = dism.image_info(r"C:\images\install.esd")
    assert hr == d.S_OK and len(result) == 3 and result[2]["name"] == "Windows 11 Education"


@pytest.mark.parametrize("win_path", [
    "C:\\Images\\My Files \u00e9\\Server 2022.WIM",
    "c:/images/my files \u00c9/server 2022.wim",
    "\\\\?\\C:\\images\\.\\x\\..\\My Files \u00e9\\Server 2022.wim",
    "\\images\\My Files \u00e9\\Server 2022.wim",
])
def test_paths_with_spaces_non_ascii_and_any_case(initialized, dism, win_path):
    folder = initialized.drive() / "images" / "My Files \u00e9"
    folder.mkdir()
    shutil.copy(initialized.drive() / "images" / "server2022.wim", folder / "Server 2022.wim")
    hr, images = dism.image_info(win_path)
    assert hr == d.S_OK and len(images) == 4


def test_relative_paths_use_the_simulated_current_directory(initialized, dism, monkeypatch):
    monkeypatch.setenv("DISM_LAB_CWD", r"C:\images")
    assert dism.image_info("win11.wim")[0] == d.S_OK
    assert dism.image_info(r"..\images\win11.wim")[0] == d.S_OK


def test_other_drive_letters(initialized, dism):
    shutil.copytree(initialized.drive() / "images", initialized.drive("E") / "sources")
    assert dism.image_info(r"e:\SOURCES\win11.wim")[0] == d.S_OK
    assert dism.image_info(r"F:\sources\win11.wim")[0] == d.E_PATH_NOT_FOUND


def write(lab, name: str, data: bytes) -> str:
    (lab.drive() / "images" / name).write_bytes(data)
    return "C:\\images\\" + name


def test_errors(initialized, dism):
    lab = initialized
    cases = [
        (r"C:\images\missing.wim", d.E_FILE_NOT_FOUND, "cannot find the file"),
        (r"C:\nowhere\missing.wim", d.E_PATH_NOT_FOUND, "cannot find the path"),
        (r"C:\images", d.E_ACCESS_DENIED, "Access is denied"),
        (write(lab, "notes.iso", b"x" * 100), d.E_INVALIDARG, "parameter is incorrect"),
        (write(lab, "bad.wim", b"NOTAWIM!" * 100), d.E_BAD_FORMAT, "incorrect format"),
        (write(lab, "truncated.wim", (lab.drive() / "images" / "win11.wim").read_bytes()[:300]), d.E_BAD_FORMAT,
         "incorrect format"),
        (write(lab, "empty.esd", b""), d.E_BAD_FORMAT, "incorrect format"),
        (write(lab, "bad.vhdx", b"vhdxfile" + bytes(9000)), d.E_BAD_FORMAT, "incorrect format"),
        (write(lab, "bad.vhd", b"\0" * 4096), d.E_BAD_FORMAT, "incorrect format"),
        (r"\\fileserver\images\win11.wim", d.E_BAD_NETPATH, "network path"),
        (r"C:\images\bad|name.wim", d.E_INVALID_NAME, "syntax is incorrect"),
        (r"C:images\win11.wim", d.E_INVALID_NAME, "Drive-relative"),
        ("", d.E_INVALIDARG, "empty path"),
    ]
    for path, expected, words in cases:
        hr, images = dism.image_info(path)
        assert (path, hr, images) == (path, expected, [])
        assert words in dism.last_error()[1], path


def test_truncated_lab_disk(initialized, dism):
    disk = (initialized.drive() / "images" / "disk.vhdx").read_bytes()
    path = write(initialized, "cut.vhdx", disk[: len(disk) - 2000])
    assert dism.image_info(path)[0] == d.E_BAD_FORMAT
    assert "truncated" in dism.last_error()[1]
