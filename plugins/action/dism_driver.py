# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_driver (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import (
    DismActionBase,
    DismTaskFailed,
    Plan,
    base_request,
    log_path_of,
    op_value,
    target_of,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._drivers import (
    DriverRefused,
    DriverRequest,
    is_path,
    plan_absent,
    plan_present,
    present_outcome,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall, HelperClient
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_DRIVER

ONLINE_REFUSAL = (
    "dism_driver services offline images only: DISM adds and removes driver packages only in a mounted or applied"
    " image. Set path to the image's folder (for example the mount folder of dism_image_mount). For the running"
    " Windows use pnputil.exe (/add-driver, /delete-driver) or ansible.windows.win_command with it."
)


class ActionModule(DismActionBase):
    module_spec = DISM_DRIVER

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        if params.get("path") is None:
            raise DismTaskFailed({"msg": ONLINE_REFUSAL})
        request = DriverRequest(driver=params["driver"], state=params["state"], recurse=params["recurse"],
                                force_unsigned=params["force_unsigned"], on_error=params["on_error"],
                                remove_boot_critical=params["remove_boot_critical"])
        log_path = log_path_of(params)
        verb = "Adding" if request.state == "present" else "Removing"
        context = "%s driver %s in the image at '%s'" % (verb, ", ".join(request.driver), params["path"])

        paths = [d for d in request.driver if is_path(d)] if request.state == "absent" else list(request.driver)
        read = base_request(params)
        read["target"] = target_of(params)
        read["operations"] = [{"op": "get_drivers", "all": True},
                              {"op": "get_driver_infos", "paths": paths, "recurse": request.recurse}]

        def planner(call: HelperCall) -> Plan:
            installed = op_value(call.response, 0, context, log_path) or []
            infos = op_value(call.response, 1, context, log_path) or []
            try:
                if request.state == "present":
                    return plan_present(request, installed, infos, log_path)
                return plan_absent(request, installed, infos, log_path)
            except DriverRefused as e:
                raise DismTaskFailed({"msg": "%s: %s." % (context, e)}) from None

        def apply_request(plan: Plan) -> dict[str, t.Any]:
            batch = base_request(params)
            batch["target"] = target_of(params)
            batch["operations"] = plan.operations + [{"op": "get_drivers", "all": False}]
            return batch

        plan, applied = self.read_plan_apply(client, read, planner, apply_request, context, log_path,
                                             allow_failures=request.state == "present" and request.on_error == "skip")
        result: dict[str, t.Any] = {"drivers": plan.result["drivers"], "changed": plan.changed, "reboot_required": False}
        if applied is not None:
            results = applied.response["results"]
            if len(results) != len(plan.operations) + 1 or not results[-1].get("ok"):
                raise DismTaskFailed({"msg": "%s: DISM did not list the drivers after the change; check the image with"
                                      " winimaging.dism.dism_driver_info." % context, "changed": True})
            after = results[-1]["value"] or []
            if request.state == "present":
                result["drivers"] = present_outcome(plan, results, after, log_path)
                result["changed"] = any(d["outcome"] == "added" for d in result["drivers"])
            failed = [d for d in result["drivers"] if d["outcome"] == "failed"]
            if failed and request.on_error == "skip":
                result["warnings"] = ["Skipped %d driver%s that DISM could not add: %s" % (
                    len(failed), "s" if len(failed) > 1 else "", " | ".join(d["error"] for d in failed))]
        elif request.state == "present":
            failed = [d for d in result["drivers"] if d["outcome"] == "failed"]
            if failed:
                result["warnings"] = ["Skipped %d INF file%s that DISM could not read: %s" % (
                    len(failed), "s" if len(failed) > 1 else "", " | ".join(d["error"] for d in failed))]
        if self._task.diff:
            result["diff"] = plan.diff
        return result
