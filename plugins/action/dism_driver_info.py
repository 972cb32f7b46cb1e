# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_driver_info (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import (
    DismActionBase,
    DismTaskFailed,
    base_request,
    describe_target,
    log_path_of,
    op_value,
    target_of,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._dism_enums import ARCHITECTURES, enum_name
from ansible_collections.winimaging.dism.plugins.plugin_utils._drivers import driver_facts
from ansible_collections.winimaging.dism.plugins.plugin_utils._errors import failure_from_helper
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperClient
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_DRIVER_INFO


def _hardware(driver: dict[str, t.Any]) -> dict[str, t.Any]:
    return dict(driver, architecture=enum_name(ARCHITECTURES, driver.get("architecture")))


class ActionModule(DismActionBase):
    module_spec = DISM_DRIVER_INFO

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        request = base_request(params)
        request["target"] = target_of(params)
        request["operations"] = [{"op": "get_drivers", "all": params["all"]}]
        if params.get("driver"):
            request["operations"].append({"op": "get_driver_infos", "paths": params["driver"], "recurse": False})
        context = "Listing the drivers of %s" % describe_target(params)
        log_path = log_path_of(params)
        response = client.run(request).response
        result: dict[str, t.Any] = {"changed": False,
                                    "drivers": [driver_facts(d) for d in op_value(response, 0, context, log_path) or []]}
        if params.get("driver"):
            infos = []
            for info in op_value(response, 1, context, log_path) or []:
                if not info.get("ok"):
                    failure = failure_from_helper(info.get("error") or {}, "Reading '%s'" % info["path"], log_path)
                    raise DismTaskFailed(failure.to_result())
                infos.append(driver_facts(info["package"], inf=info["path"],
                                          hardware=[_hardware(d) for d in info.get("drivers") or []]))
            result["driver_info"] = infos
        return result
