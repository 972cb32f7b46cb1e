from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.winimaging.dism.plugins.action.dism_image_info import ActionModule

FILE_NOT_FOUND = 0x80070002 - (1 << 32)


def _image(index, name):
    return {"index": index, "name": name, "image_type": 0, "architecture": 9, "major_version": 10, "minor_version": 0,
            "build": 20348, "sp_build": 1, "bootable": 1, "languages": ["en-US"], "default_language_index": 0, "customized_info": None}


def _ok(value):
    return {"completed": True, "error": None, "reboot_required": False, "session_reloads": 0,
            "results": [{"op": "x", "ok": True, "value": value, "return_code": 0, "error": None, "progress": None}]}


def test_image_path_reads_every_index_in_one_call(make_action):
    action, host = make_action(ActionModule, {"image_path": "C:\\images\\a b.wim"}, lambda r: _ok([_image(1, "A"), _image(2, "B")]))
    result = action.run(task_vars={})
    assert result.get("failed") is not True
    assert result["changed"] is False
    assert [i["name"] for i in result["images"]] == ["A", "B"]
    assert len(host.requests) == 1
    request = host.requests[0]
    assert request["operations"] == [{"op": "get_image_info", "image_path": "C:\\images\\a b.wim"}]
    assert request["target"] is None and request["log_level"] == 2 and request["log_path"] is None


def test_log_options_reach_dism_initialize(make_action):
    args = {"image_path": "C:\\a.wim", "log_path": "C:\\logs\\x.log", "log_level": "errors", "scratch_directory": "D:\\scratch",
            "timeout": 90}
    action, host = make_action(ActionModule, args, lambda r: _ok([]))
    action.run(task_vars={})
    request = host.requests[0]
    assert (request["log_path"], request["log_level"], request["scratch_directory"]) == ("C:\\logs\\x.log", 0, "D:\\scratch")
    assert request["timeout_seconds"] == 90


def test_without_image_path_lists_mounts(make_action):
    raw = [{"mount_path": "C:\\m", "image_file_path": "C:\\a.wim", "image_index": 1, "mount_mode": 0, "mount_status": 0}]
    action, host = make_action(ActionModule, {}, lambda r: _ok(raw))
    result = action.run(task_vars={})
    assert result["mounted_images"] == [{"path": "C:\\m", "image_path": "C:\\a.wim", "index": 1, "read_only": False, "status": "ok"}]
    assert host.requests[0]["operations"] == [{"op": "get_mounted_images"}]
    assert "images" not in result


def test_reads_the_same_in_check_mode(make_action):
    # A read-only module must still read in check mode (ActionBase skips modules that do not
    # declare check-mode support), and send the same request.
    action, host = make_action(ActionModule, {"image_path": "C:\\a.wim"}, lambda r: _ok([_image(2, "B"), _image(1, "A")]), check_mode=True)
    result = action.run(task_vars={})
    assert result.get("skipped") is not True
    assert result["changed"] is False and [i["index"] for i in result["images"]] == [1, 2]
    assert host.requests == [{"log_path": None, "log_level": 2, "scratch_directory": None, "timeout_seconds": None,
                              "target": None, "operations": [{"op": "get_image_info", "image_path": "C:\\a.wim"}]}]


def test_dism_failure_message(make_action):
    def respond(request):
        return {"completed": False, "error": None, "results": [
            {"op": "get_image_info", "ok": False, "value": None, "return_code": FILE_NOT_FOUND,
             "error": {"hresult": FILE_NOT_FOUND, "function": "DismGetImageInfo", "message": "The system cannot find the file specified."}}]}

    action = make_action(ActionModule, {"image_path": "C:\\nope.wim"}, respond)[0]
    result = action.run(task_vars={})
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("Reading image information from 'C:\\nope.wim': DismGetImageInfo failed with 0x80070002 ERROR_FILE_NOT_FOUND.")
    assert result["hresult"] == "0x80070002"


def test_initialize_failure_is_reported(make_action):
    elevation = 0x800702E4 - (1 << 32)
    response = {"completed": False, "results": [], "error": {"hresult": elevation, "function": "DismInitialize", "message": None}}
    action = make_action(ActionModule, {}, lambda r: response)[0]
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert "DismInitialize failed with 0x800702E4 ERROR_ELEVATION_REQUIRED" in result["msg"]
    assert "Hint: Connect as a member of the local Administrators group" in result["msg"]


def test_unknown_index(make_action):
    action = make_action(ActionModule, {"image_path": "C:\\a.wim", "index": 9}, lambda r: _ok([_image(1, "A"), _image(2, "B")]))[0]
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert result["msg"] == "Reading image information from 'C:\\a.wim': index 9 does not exist; the image file has indexes 1, 2."
    # A planner's refusal carries its extra result keys, and is never reported as a change.
    assert [i["index"] for i in result["images"]] == [1, 2] and result["changed"] is False


def test_index_without_image_path_is_refused_before_any_host_call(make_action):
    action, host = make_action(ActionModule, {"index": 1}, lambda r: _ok([]))
    with pytest.raises(AnsibleActionFail, match=r"missing parameter\(s\) required by 'index': image_path"):
        action.run(task_vars={})
    assert host.requests == []


def test_index_and_name_are_mutually_exclusive(make_action):
    action, host = make_action(ActionModule, {"image_path": "C:\\a.wim", "index": 1, "name": "A"}, lambda r: _ok([]))
    with pytest.raises(AnsibleActionFail, match=r"parameters are mutually exclusive: index\|name"):
        action.run(task_vars={})
    assert host.requests == []


def test_unknown_option_is_refused(make_action):
    action = make_action(ActionModule, {"image_pth": "C:\\a.wim"}, lambda r: _ok([]))[0]
    with pytest.raises(AnsibleActionFail, match="image_pth"):
        action.run(task_vars={})
