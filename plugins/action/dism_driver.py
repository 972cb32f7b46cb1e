# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_driver (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionBase, DismTaskFailed
from ansible_collections.winimaging.dism.plugins.plugin_utils._drivers import (
    DriverRequest,
    force_unsigned_warning,
    is_path,
    not_followed_warning,
    plan_absent,
    plan_present,
    present_outcome,
    skipped_warnings,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_DRIVER
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, describe_target, dism_request, log_path_of, target_of

ONLINE_REFUSAL = (
    "dism_driver services offline images only: DISM adds and removes driver packages only in a mounted or applied"
    " image. Set path to the image's folder (for example the mount folder of dism_image_mount). For the running"
    " Windows use pnputil.exe (/add-driver, /delete-driver) or ansible.windows.win_command with it."
)


class ActionModule(DismActionBase):
    module_spec = DISM_DRIVER

    def describe(self, params: dict[str, t.Any]) -> str:
        verb = "Adding" if params["state"] == "present" else "Removing"
        return "%s driver %s in %s" % (verb, ", ".join(params["driver"]), describe_target(params))

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        if params.get("path") is None:
            raise DismTaskFailed({"msg": ONLINE_REFUSAL})
        drivers = params["driver"]
        paths = [d for d in drivers if is_path(d)] if params["state"] == "absent" else list(drivers)
        operations = [{"op": "get_drivers", "all": True},
                      {"op": "get_driver_infos", "paths": paths, "recurse": params["recurse"]}]
        if params["state"] == "present" and params["force_unsigned"]:
            # The image's architecture, known when path is a DISM mount: its image file and index. Last and
            # allowed to fail, as it only feeds a warning.
            operations.append({"op": "get_image_architecture", "mount_path": params["path"], "continue_on_error": True})
        return dism_request(params, operations, target_of(params))

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        request = DriverRequest.from_options(params)
        installed = self.value(params, read, 0) or []
        infos = self.value(params, read, 1) or []
        planner = plan_present if request.state == "present" else plan_absent
        plan = planner(request, installed, infos, log_path_of(params))
        results = read.response.get("results") or []
        image = results[2].get("value") if len(results) > 2 and results[2].get("ok") else None
        warning = force_unsigned_warning(request, image)
        if warning:
            plan.result.setdefault("warnings", []).append(warning)
        return plan

    def apply(self, params: dict[str, t.Any], plan: Plan) -> dict[str, t.Any]:
        return dism_request(params, plan.operations + [{"op": "get_drivers", "all": False}], target_of(params))

    def allow_failures(self, params: dict[str, t.Any]) -> bool:
        return params["state"] == "present" and params["on_error"] == "skip"

    def outcome(self, params: dict[str, t.Any], plan: Plan, applied: HelperCall | None) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"drivers": plan.result["drivers"], "changed": plan.changed, "reboot_required": False}
        if applied is not None:
            results = applied.response["results"]
            if len(results) != len(plan.operations) + 1 or not results[-1].get("ok"):
                raise DismTaskFailed({"msg": "%s: DISM did not list the drivers after the change; check the image with"
                                      " winimaging.dism.dism_driver_info." % self.describe(params), "changed": True})
            if params["state"] == "present":
                result["drivers"] = present_outcome(plan, results, results[-1]["value"] or [], log_path_of(params))
                result["changed"] = any(d["outcome"] == "added" for d in result["drivers"])
        warnings = list(plan.result.get("warnings") or [])
        if params["state"] == "present":
            if applied is None or params["on_error"] == "skip":
                warnings.extend(skipped_warnings(result["drivers"], applied=applied is not None))
            link_warning = not_followed_warning(result["drivers"])
            if link_warning:
                warnings.append(link_warning)
        if warnings:
            result["warnings"] = warnings
        if self._task.diff:
            result["diff"] = plan.diff
        return result
