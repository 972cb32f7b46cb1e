# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_capability_info (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionBase
from ansible_collections.winimaging.dism.plugins.plugin_utils._capabilities import capabilities_read, capability_facts, select_capabilities
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_CAPABILITY_INFO
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, describe_target, dism_request, target_of


class ActionModule(DismActionBase):
    module_spec = DISM_CAPABILITY_INFO

    def describe(self, params: dict[str, t.Any]) -> str:
        return "Listing the capabilities of %s" % describe_target(params)

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        return dism_request(params, [capabilities_read(params.get("name"), params.get("details"))], target_of(params))

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        capabilities = select_capabilities(self.value(params, read, 0) or [], params.get("name"))
        return Plan(operations=[], result={"capabilities": [capability_facts(c) for c in capabilities]})
