from __future__ import annotations

from ansible_collections.winimaging.dism.plugins.action.dism_image_mount import ActionModule

WIM = "C:\\images\\a.wim"
IMAGES = [{"index": 1, "name": "A", "image_type": 0}, {"index": 2, "name": "B", "image_type": 0}]
MOUNTED = {"mount_path": "C:\\m", "image_file_path": WIM, "image_index": 2, "mount_mode": 0, "mount_status": 0}


def ok(op, value=None):
    return {"op": op, "ok": True, "value": value, "return_code": 0, "error": None, "progress": None, "precondition_failed": False}


FAILURES = {
    "unmount_image": {"hresult": 0xC1420117 - (1 << 32), "function": "DismUnmountImage",
                      "message": "The directory could not be completely unmounted."},
    "mount_image": {"hresult": 0x80070005 - (1 << 32), "function": "DismMountImage", "message": "Access is denied."},
}


class Host:
    """A scripted host: the mount table and folder state a real one would report."""

    def __init__(self, mounts, folder=None, fail_write=None):
        self.mounts = list(mounts)
        self.folder = folder or {"exists": False, "directory": False, "empty": False}
        self.fail_write = fail_write

    def __call__(self, request):
        results = []
        for op in request["operations"]:
            name = op["op"]
            if name == "get_mounted_images":
                results.append(ok(name, list(self.mounts)))
            elif name == "get_image_info":
                results.append(ok(name, IMAGES))
            elif name == "inspect_directory":
                results.append(ok(name, self.folder))
            elif self.fail_write == name:
                error = FAILURES[name]
                results.append({"op": name, "ok": False, "value": None, "error": error})
                return {"completed": False, "error": None, "results": results}
            else:
                if name == "mount_image":
                    self.mounts.append({"mount_path": op["mount_path"], "image_file_path": op["image_path"],
                                        "image_index": op["index"], "mount_mode": 1 if op["read_only"] else 0, "mount_status": 0})
                if name == "unmount_image":
                    self.mounts = [m for m in self.mounts if m["mount_path"] != op["mount_path"]]
                results.append(ok(name))
        return {"completed": True, "error": None, "results": results}


def test_check_mode_returns_the_would_be_mount_and_diff_without_writing(make_action):
    host = Host([])
    action, recorder = make_action(ActionModule, {"path": "C:\\m", "image_path": WIM, "index": 2}, host, check_mode=True)
    action._task.diff = True
    result = action.run(task_vars={})
    assert result["changed"] is True and result.get("failed") is not True
    assert result["mount"] == {"path": "C:\\m", "image_path": WIM, "index": 2, "name": "B", "read_only": False, "status": "ok"}
    assert result["diff"]["after"]["mounted_images"][0]["path"] == "C:\\m"
    assert len(recorder.requests) == 1 and host.mounts == []


def test_mount_applies_in_one_more_call_and_reports_what_dism_has(make_action):
    host = Host([])
    action, recorder = make_action(ActionModule, {"path": "C:\\m", "image_path": WIM, "name": "b"}, host)
    result = action.run(task_vars={})
    assert result["changed"] is True and result["actions"] == ["created folder", "mounted"]
    assert len(recorder.requests) == 2
    assert [o["op"] for o in recorder.requests[1]["operations"]] == [
        "get_mounted_images", "create_directory", "mount_image", "get_mounted_images"]
    assert recorder.requests[1]["target"] is None
    assert result["mount"]["index"] == 2 and result["mount"]["status"] == "ok"
    assert "diff" not in result


def test_already_mounted_is_one_call_and_unchanged(make_action):
    action, recorder = make_action(ActionModule, {"path": "c:\\M", "image_path": WIM, "index": 2}, Host([MOUNTED]))
    result = action.run(task_vars={})
    assert result["changed"] is False and len(recorder.requests) == 1
    assert result["mount"]["path"] == "C:\\m"


def test_committed_state_opens_a_session_on_the_mount(make_action):
    action, recorder = make_action(ActionModule, {"path": "C:\\m", "state": "committed"}, Host([MOUNTED]))
    result = action.run(task_vars={})
    assert result["changed"] is True
    assert recorder.requests[1]["target"] == {"path": "C:\\m"}
    assert [o["op"] for o in recorder.requests[1]["operations"]] == ["get_mounted_images", "commit_image", "get_mounted_images"]


def test_open_files_during_a_commit_say_what_may_have_happened(make_action):
    args = {"path": "C:\\m", "state": "unmounted", "commit": True, "append": True}
    action = make_action(ActionModule, args, Host([MOUNTED], fail_write="unmount_image"))[0]
    result = action.run(task_vars={})
    assert result["failed"] is True and result["hresult"] == "0xC1420117" and result["changed"] is False
    assert result["msg"].startswith("Unmounting 'C:\\m': DismUnmountImage failed with 0xC1420117 WIM_UNMOUNT_FILES_OPEN.")
    assert result["msg"].endswith(
        "DISM may already have saved the changes into the image file and partly unmounted 'C:\\m'. Close what holds files"
        " open in it, then run the task again with commit=false to finish the unmount (committing again with append=true"
        " would add another index).")


def test_a_failure_after_a_write_reports_the_change(make_action):
    host = Host([], fail_write="mount_image")
    host.folder = {"exists": False, "directory": False, "empty": False}
    action = make_action(ActionModule, {"path": "C:\\new", "image_path": WIM, "index": 1}, host)[0]
    result = action.run(task_vars={})
    assert result["failed"] is True and result["changed"] is True
    assert result["completed_steps"] == ["create_directory"]
    assert result["msg"].endswith("Before the failure these steps completed: create_directory.")


def test_refusal_is_a_failure_with_context_and_no_write(make_action):
    action, recorder = make_action(ActionModule, {"path": "C:\\m", "state": "unmounted"}, Host([MOUNTED]))
    result = action.run(task_vars={})
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("Unmounting 'C:\\m': 'C:\\m' holds 'C:\\images\\a.wim' index 2 (read-write, status ok). Set commit=true")
    assert len(recorder.requests) == 1
