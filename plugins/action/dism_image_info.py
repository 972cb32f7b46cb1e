# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_image_info (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionBase
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall
from ansible_collections.winimaging.dism.plugins.plugin_utils._image_info import image_from_raw, mount_from_raw, select_images
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_IMAGE_INFO
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, TaskRefused, dism_request


class ActionModule(DismActionBase):
    module_spec = DISM_IMAGE_INFO

    def describe(self, params: dict[str, t.Any]) -> str:
        if params.get("image_path") is None:
            return "Listing the mounted images"
        return "Reading image information from '%s'" % params["image_path"]

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        if params.get("image_path") is None:
            return dism_request(params, [{"op": "get_mounted_images"}])
        return dism_request(params, [{"op": "get_image_info", "image_path": params["image_path"]}])

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        raw = self.value(params, read, 0) or []
        if params.get("image_path") is None:
            return Plan(operations=[], result={"mounted_images": [mount_from_raw(m) for m in raw]})
        images = sorted((image_from_raw(i) for i in raw), key=lambda i: i["index"])
        selected = select_images(images, params.get("index"), params.get("name"))
        if isinstance(selected, str):
            raise TaskRefused(selected, images=images)
        return Plan(operations=[], result={"image_path": params["image_path"], "images": selected})
