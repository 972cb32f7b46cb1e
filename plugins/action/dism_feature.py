# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_feature (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import (
    DismActionBase,
    DismTaskFailed,
    Plan,
    base_request,
    describe_target,
    log_path_of,
    op_value,
    target_of,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._features import (
    FeatureRefused,
    FeatureRequest,
    apply_outcome,
    plan_features,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall, HelperClient
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_FEATURE

_VERBS = {"enabled": "Enabling", "disabled": "Disabling", "removed": "Removing"}


class ActionModule(DismActionBase):
    module_spec = DISM_FEATURE

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        request = FeatureRequest(
            name=params["name"], state=params["state"], online=params.get("path") is None,
            include_parent=params["include_parent"], source=params.get("source"),
            limit_access=params["limit_access"], package_name=params.get("package_name"),
        )
        log_path = log_path_of(params)
        context = "%s %s in %s" % (_VERBS[request.state], ", ".join(request.name), describe_target(params))

        read = base_request(params)
        read["target"] = target_of(params)
        # Details (display name, restart type, parents) for the named features and their parents.
        read["operations"] = [{"op": "get_features", "package_name": request.package_name,
                               "details": request.name, "ancestors": True}]

        def planner(call: HelperCall) -> Plan:
            try:
                return plan_features(request, op_value(call.response, 0, context, log_path) or [])
            except FeatureRefused as e:
                raise DismTaskFailed({"msg": "%s: %s." % (context, e)}) from None

        def apply_request(plan: Plan) -> dict[str, t.Any]:
            batch = base_request(params)
            batch["target"] = target_of(params)
            # The after-state is read back in the same DISM session as the change, from the same
            # DISM call (DismGetFeatureInfo) that gave the before-state.
            batch["operations"] = plan.operations + [{"op": "get_features", "package_name": request.package_name,
                                                      "details": [f["name"] for f in plan.result["features"]]}]
            return batch

        plan, applied = self.read_plan_apply(client, read, planner, apply_request, context, log_path)
        result = dict(plan.result)
        if applied is not None:
            try:
                result = apply_outcome(plan, request.state, applied.response["results"][-1]["value"] or [])
            except FeatureRefused as e:
                raise DismTaskFailed({"msg": "%s: %s." % (context, e), "changed": True,
                                      "reboot_required": bool(applied.response.get("reboot_required"))}) from None
            result["reboot_required"] = bool(applied.response.get("reboot_required"))
            changed = any(f["changed"] for f in result["features"]) or result["reboot_required"]
            kept = [f["name"] for f in result["features"] if request.state == "removed" and f["state_after"] == "disabled"]
            if kept:
                result["warnings"] = ["This Windows edition keeps the payload of disabled features (client editions since"
                                      " Windows 10), so %s stayed disabled with its payload." % ", ".join(kept)]
        else:
            changed = plan.changed
        result["changed"] = changed
        if self._task.diff:
            result["diff"] = plan.diff if applied is None else {
                "before": plan.diff["before"],
                "after": {"features": {f["name"]: f["state_after"] for f in result["features"]}},
            }
        return result
