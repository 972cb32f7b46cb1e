# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_feature_info (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import (
    DismActionBase,
    base_request,
    describe_target,
    log_path_of,
    op_value,
    target_of,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._features import feature_facts, select_features
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperClient
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_FEATURE_INFO

_WILDCARDS = set("*?[")


class ActionModule(DismActionBase):
    module_spec = DISM_FEATURE_INFO

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        patterns = params.get("name")
        request = base_request(params)
        request["target"] = target_of(params)
        operation: dict[str, t.Any] = {"op": "get_features", "package_name": params.get("package_name")}
        if patterns and not any(_WILDCARDS & set(p) for p in patterns):
            operation["details"] = patterns  # plain names: details only for those
        else:
            operation["all_details"] = True
        request["operations"] = [operation]
        context = "Listing the features of %s" % describe_target(params)
        features = op_value(client.run(request).response, 0, context, log_path_of(params)) or []
        return {"changed": False, "features": [feature_facts(f) for f in select_features(features, patterns)]}
