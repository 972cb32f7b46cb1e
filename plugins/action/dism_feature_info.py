# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_feature_info (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionBase
from ansible_collections.winimaging.dism.plugins.plugin_utils._features import feature_facts, features_read, select_features
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_FEATURE_INFO
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, describe_target, dism_request, target_of


class ActionModule(DismActionBase):
    module_spec = DISM_FEATURE_INFO

    def describe(self, params: dict[str, t.Any]) -> str:
        return "Listing the features of %s" % describe_target(params)

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        read = features_read(params.get("name"), params.get("package_name"), params.get("details"))
        return dism_request(params, [read], target_of(params))

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        features = select_features(self.value(params, read, 0) or [], params.get("name"))
        return Plan(operations=[], result={"features": [feature_facts(f) for f in features]})
