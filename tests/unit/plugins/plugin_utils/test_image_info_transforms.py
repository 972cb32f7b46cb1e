from __future__ import annotations

from ansible_collections.winimaging.dism.plugins.plugin_utils._image_info import image_from_raw, mount_from_raw, select_images

RAW = {
    "index": 2,
    "name": "Windows Server 2022 Datacenter",
    "description": "Datacenter",
    "image_type": 0,
    "size": 12345,
    "architecture": 9,
    "product_name": "Microsoft Windows Operating System",
    "edition_id": "ServerDatacenter",
    "installation_type": "Server",
    "hal": "",
    "product_type": "ServerNT",
    "product_suite": "Terminal Server",
    "major_version": 10,
    "minor_version": 0,
    "build": 20348,
    "sp_build": 587,
    "sp_level": 0,
    "bootable": 1,
    "system_root": "WINDOWS",
    "languages": ["en-US", "de-DE"],
    "default_language_index": 1,
    "customized_info": {"size": 44, "directory_count": 10, "file_count": 20, "created_time": "2026-01-02T03:04:05.000", "modified_time": None},
}


def test_image_names_enums_and_version():
    image = image_from_raw(RAW)
    assert image["architecture"] == "x64"
    assert image["image_type"] == "wim"
    assert image["bootable"] is False
    assert image["version"] == "10.0.20348.587"
    assert image["default_language"] == "de-DE"
    assert image["hal"] is None
    assert image["file_count"] == 20


def test_vhd_image_without_customized_info_and_unknown_enums():
    raw = dict(RAW, image_type=1, customized_info=None, architecture=42, bootable=2, default_language_index=7)
    image = image_from_raw(raw)
    assert image["image_type"] == "vhd"
    assert image["architecture"] == "unknown(42)"
    assert image["bootable"] is None
    assert image["default_language"] is None
    assert image["directory_count"] is None and image["created_time"] is None


def test_mount_entry():
    mount = mount_from_raw({"mount_path": "C:\\mount", "image_file_path": "C:\\a.wim", "image_index": 3, "mount_mode": 1, "mount_status": 1})
    assert mount == {"path": "C:\\mount", "image_path": "C:\\a.wim", "index": 3, "read_only": True, "status": "needs_remount"}


def test_unknown_mount_mode_is_not_reported_as_read_write():
    mount = mount_from_raw({"mount_path": "C:\\m", "image_file_path": "C:\\a.wim", "image_index": 1, "mount_mode": 9, "mount_status": 7})
    assert mount["read_only"] is None and mount["status"] == "unknown(7)"


def _images():
    return [image_from_raw(dict(RAW, index=i, name="Edition %d" % i)) for i in (1, 2, 3)]


def test_select_by_index_and_name_case_insensitive():
    assert [i["index"] for i in select_images(_images(), 2, None)] == [2]
    assert [i["index"] for i in select_images(_images(), None, "edition 3")] == [3]
    assert len(select_images(_images(), None, None)) == 3


def test_select_missing_index_and_name_explain_what_exists():
    assert select_images(_images(), 7, None) == "index 7 does not exist; the image file has indexes 1, 2, 3"
    assert select_images(_images()[:1], 7, None) == "index 7 does not exist; the image file has index 1"
    assert select_images(_images()[:2], None, "Nope") == "no image is named 'Nope'; the image file has 1 'Edition 1', 2 'Edition 2'"
