# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_driver_info (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionBase, DismTaskFailed
from ansible_collections.winimaging.dism.plugins.plugin_utils._drivers import driver_facts, inf_facts
from ansible_collections.winimaging.dism.plugins.plugin_utils._errors import failure_from_helper
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_DRIVER_INFO
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, describe_target, dism_request, log_path_of, target_of


class ActionModule(DismActionBase):
    module_spec = DISM_DRIVER_INFO

    def describe(self, params: dict[str, t.Any]) -> str:
        return "Listing the drivers of %s" % describe_target(params)

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        operations = [{"op": "get_drivers", "all": params["all"]}]
        if params.get("driver"):
            operations.append({"op": "get_driver_infos", "paths": params["driver"], "recurse": False})
        return dism_request(params, operations, target_of(params))

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        result: dict[str, t.Any] = {"drivers": [driver_facts(d) for d in self.value(params, read, 0) or []]}
        if params.get("driver"):
            infos = []
            for info in self.value(params, read, 1) or []:
                if not info.get("ok"):
                    failure = failure_from_helper(info.get("error") or {}, "Reading '%s'" % info["path"], log_path_of(params))
                    raise DismTaskFailed(failure.to_result())
                infos.append(inf_facts(info))
            result["driver_info"] = infos
        return Plan(operations=[], result=result)
