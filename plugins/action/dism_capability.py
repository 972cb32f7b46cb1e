# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_capability (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionWithReboot
from ansible_collections.winimaging.dism.plugins.plugin_utils._capabilities import CapabilityRequest, apply_outcome, plan_capabilities
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_CAPABILITY
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, TaskRefused, describe_target, dism_request, target_of


class ActionModule(DismActionWithReboot):
    module_spec = DISM_CAPABILITY

    def describe(self, params: dict[str, t.Any]) -> str:
        verb = "Adding" if params["state"] == "present" else "Removing"
        return "%s capability %s in %s" % (verb, ", ".join(params["name"]), describe_target(params))

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        # Names and states only (one DISM call): enough to decide, so a task with nothing to do costs one call.
        return dism_request(params, [{"op": "get_capabilities"}], target_of(params))

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        return plan_capabilities(CapabilityRequest.from_options(params), self.value(params, read, 0) or [])

    def apply(self, params: dict[str, t.Any], plan: Plan) -> dict[str, t.Any]:
        # The after-state is read back in the same DISM session as the change.
        return dism_request(params, plan.operations + [{"op": "get_capabilities"}], target_of(params))

    def outcome(self, params: dict[str, t.Any], plan: Plan, applied: HelperCall | None) -> dict[str, t.Any]:
        if applied is None:
            return super().outcome(params, plan, applied)
        reboot_required = bool(applied.response.get("reboot_required"))
        try:
            result = apply_outcome(plan, params["state"], applied.response["results"][-1]["value"] or [], reboot_required)
        except TaskRefused as e:
            raise TaskRefused(str(e), **e.result) from None
        if self._task.diff and plan.diff:
            result["diff"] = {"before": plan.diff["before"],
                              "after": {"capabilities": {c["name"]: c["state_after"] for c in result["capabilities"]}}}
        return result
