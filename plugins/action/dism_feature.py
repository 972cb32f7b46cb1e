# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_feature (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionWithReboot
from ansible_collections.winimaging.dism.plugins.plugin_utils._features import FeatureRequest, apply_outcome, plan_features, state_name
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_FEATURE
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, TaskRefused, describe_target, dism_request, target_of

_VERBS = {"enabled": "Enabling", "disabled": "Disabling", "removed": "Removing"}


class ActionModule(DismActionWithReboot):
    module_spec = DISM_FEATURE

    def describe(self, params: dict[str, t.Any]) -> str:
        return "%s %s in %s" % (_VERBS[params["state"]], ", ".join(params["name"]), describe_target(params))

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        # Details (display name, restart type, parents) for the named features and their parents.
        return dism_request(params, [{"op": "get_features", "package_name": params.get("package_name"),
                                      "details": params["name"], "ancestors": True}], target_of(params))

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        return plan_features(FeatureRequest.from_options(params), self.value(params, read, 0) or [])

    def apply(self, params: dict[str, t.Any], plan: Plan) -> dict[str, t.Any]:
        # The after-state is read back in the same DISM session as the change, from the same DISM
        # call (DismGetFeatureInfo) that gave the before-state.
        read_back = {"op": "get_features", "package_name": params.get("package_name"),
                     "details": [f["name"] for f in plan.result["features"]]}
        return dism_request(params, plan.operations + [read_back], target_of(params))

    def outcome(self, params: dict[str, t.Any], plan: Plan, applied: HelperCall | None) -> dict[str, t.Any]:
        if applied is None:
            return super().outcome(params, plan, applied)
        reboot_required = bool(applied.response.get("reboot_required"))
        try:
            result = apply_outcome(plan, params["state"], applied.response["results"][-1]["value"] or [])
        except TaskRefused as e:
            raise TaskRefused(str(e), changed=True, reboot_required=reboot_required) from None
        result["reboot_required"] = reboot_required
        result["changed"] = any(f["changed"] for f in result["features"]) or reboot_required
        if self._task.diff and plan.diff:
            now = {f["name"]: state_name(f["state"]) for f in applied.response["results"][-1]["value"] or []}
            result["diff"] = {"before": plan.diff["before"],
                              "after": {"features": {name: now.get(name) for name in plan.diff["before"]["features"]}}}
        return result
