# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_package_info (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionBase
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_PACKAGE_INFO
from ansible_collections.winimaging.dism.plugins.plugin_utils._packages import file_facts, listed_facts, packages_read, select_packages
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, describe_target, dism_request, log_path_of, target_of


class ActionModule(DismActionBase):
    module_spec = DISM_PACKAGE_INFO

    def describe(self, params: dict[str, t.Any]) -> str:
        return "Listing the packages of %s" % describe_target(params)

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        operations = [packages_read(params.get("package_name"), params.get("details"))]
        if params.get("package_path"):
            operations.append({"op": "get_package_infos", "paths": list(params["package_path"])})
        return dism_request(params, operations, target_of(params))

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        packages = select_packages(self.value(params, read, 0) or [], params.get("package_name"))
        result: dict[str, t.Any] = {"packages": [listed_facts(p, p.get("info")) for p in packages]}
        if params.get("package_path"):
            result["package_files"] = [file_facts(e, log_path_of(params)) for e in self.value(params, read, 1) or []]
        return Plan(operations=[], result=result)
