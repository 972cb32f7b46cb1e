from __future__ import annotations

from ansible_collections.winimaging.dism.plugins.action.dism_feature import ActionModule

STAGED, INSTALLED = 2, 4


def ok(op, value=None):
    return {"op": op, "ok": True, "value": value, "return_code": 0, "error": None, "progress": None, "precondition_failed": False}


class Host:
    """A client edition: RemovePayload leaves the feature Staged."""

    def __init__(self, state, reboot=False):
        self.state = state
        self.reboot = reboot

    def __call__(self, request):
        results = []
        for op in request["operations"]:
            if op["op"] == "get_features":
                feature = {"name": "TelnetClient", "state": self.state, "display_name": "Telnet Client", "restart": 0, "parents": []}
                results.append(ok("get_features", [feature]))
            elif op["op"] == "get_feature_info":
                results.append(ok("get_feature_info", {"name": "TelnetClient", "state": self.state}))
            elif op["op"] == "disable_feature":
                self.state = STAGED
                results.append(ok("disable_feature"))
            elif op["op"] == "enable_feature":
                self.state = INSTALLED
                results.append(ok("enable_feature"))
        return {"completed": True, "error": None, "results": results, "reboot_required": self.reboot}


def test_client_edition_removal_warns_and_reports_no_change(make_action):
    action, recorder = make_action(ActionModule, {"name": ["telnetclient"], "state": "removed", "path": "C:\\m"}, Host(STAGED))
    action._task.diff = True
    result = action.run(task_vars={})
    assert result["changed"] is False and result.get("failed") is not True
    assert result["warnings"] == ["This Windows edition keeps the payload of disabled features (client editions since Windows 10),"
                                  " so TelnetClient stayed disabled with its payload."]
    assert result["diff"]["after"] == {"features": {"TelnetClient": "disabled"}}
    assert recorder.requests[0]["target"] == {"path": "C:\\m", "windows_directory": None, "system_drive": None}
    assert recorder.requests[1]["operations"][-1] == {"op": "get_features", "package_name": None, "details": ["TelnetClient"]}


def test_enable_reports_reboot_from_dism_and_the_read_back_state(make_action):
    action, recorder = make_action(ActionModule, {"name": ["TelnetClient"]}, Host(STAGED, reboot=True))
    result = action.run(task_vars={})
    assert result["changed"] is True and result["reboot_required"] is True
    assert result["features"][0]["state_after"] == "enabled"
    assert recorder.requests[0]["target"] == {"online": True}
    assert len(recorder.requests) == 2
