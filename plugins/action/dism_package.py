# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_package (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionWithReboot, DismTaskFailed
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_PACKAGE
from ansible_collections.winimaging.dism.plugins.plugin_utils._packages import PackageRequest, apply_outcome, name_entries, plan_absent, plan_present
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, TaskRefused, describe_target, dism_request, log_path_of, target_of


class ActionModule(DismActionWithReboot):
    module_spec = DISM_PACKAGE

    def describe(self, params: dict[str, t.Any]) -> str:
        verb = "Adding" if params["state"] == "present" else "Removing"
        named = list(params.get("package_path") or []) + list(params.get("package_name") or [])
        return "%s package %s in %s" % (verb, ", ".join(named), describe_target(params))

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        if params["state"] == "present" and params.get("package_name"):
            raise DismTaskFailed({"msg": "%s: state=present adds package files: give them in package_path (package_name"
                                         " identifies installed packages, for state=absent)." % self.describe(params)})
        # Details (restart type, release type) only for the named packages that are installed; a file's
        # identity and state come from DismGetPackageInfo on the file.
        operations: list[dict[str, t.Any]] = [{"op": "get_packages", "details": list(params.get("package_name") or [])}]
        if params.get("package_path"):
            operations.append({"op": "get_package_infos", "paths": list(params["package_path"])})
        return dism_request(params, operations, target_of(params))

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        request = PackageRequest.from_options(params)
        listed = self.value(params, read, 0) or []
        files = self.value(params, read, 1) or [] if request.package_path else []
        # The precondition compares names and states only: the details are left out of it.
        installed = [{k: v for k, v in p.items() if k != "info"} for p in listed]
        planner = plan_present if request.state == "present" else plan_absent
        return planner(request, installed, name_entries(request.package_name, listed) + files, log_path_of(params))

    def apply(self, params: dict[str, t.Any], plan: Plan) -> dict[str, t.Any]:
        # The package list is read back in the same DISM session as the change.
        return dism_request(params, plan.operations + [{"op": "get_packages"}], target_of(params))

    def outcome(self, params: dict[str, t.Any], plan: Plan, applied: HelperCall | None) -> dict[str, t.Any]:
        if applied is None:
            return super().outcome(params, plan, applied)
        results = applied.response["results"]
        reboot_required = bool(applied.response.get("reboot_required"))
        before = plan.operations[0]["expect"]["value"]
        try:
            result = apply_outcome(plan, params["state"], before, results[-1]["value"] or [], reboot_required)
        except TaskRefused as e:
            raise TaskRefused(str(e), **e.result) from None
        if self._task.diff and plan.diff:
            now = {p["name"]: p["state"] for p in result["packages"] if p.get("name")}
            result["diff"] = {"before": plan.diff["before"],
                              "after": {"packages": {name: now.get(name) for name in plan.diff["before"]["packages"]}}}
        return result
