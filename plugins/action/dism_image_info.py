# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_image_info (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import (
    DismActionBase,
    DismTaskFailed,
    base_request,
    log_path_of,
    op_value,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperClient
from ansible_collections.winimaging.dism.plugins.plugin_utils._image_info import image_from_raw, mount_from_raw, select_images
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_IMAGE_INFO


class ActionModule(DismActionBase):
    module_spec = DISM_IMAGE_INFO

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        request = base_request(params)
        log_path = log_path_of(params)
        image_path = params.get("image_path")
        if image_path is None:
            request["operations"] = [{"op": "get_mounted_images"}]
            call = client.run(request)
            raw = op_value(call.response, 0, "Listing the mounted images", log_path)
            return {"changed": False, "mounted_images": [mount_from_raw(m) for m in raw or []]}

        request["operations"] = [{"op": "get_image_info", "image_path": image_path}]
        call = client.run(request)
        context = "Reading image information from '%s'" % image_path
        images = sorted((image_from_raw(i) for i in op_value(call.response, 0, context, log_path) or []), key=lambda i: i["index"])
        selected = select_images(images, params.get("index"), params.get("name"))
        if isinstance(selected, str):
            raise DismTaskFailed({"msg": "%s: %s." % (context, selected), "images": images})
        return {"changed": False, "image_path": image_path, "images": selected}
