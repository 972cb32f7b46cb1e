# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_image_mount (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import DismActionBase, DismTaskFailed
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall, HelperClient
from ansible_collections.winimaging.dism.plugins.plugin_utils._image_info import image_from_raw, mount_from_raw
from ansible_collections.winimaging.dism.plugins.plugin_utils._mount import (
    Folder,
    MountRequest,
    after_failure_advice,
    describe_request,
    mount_at,
    plan_mount,
    planning_images,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_IMAGE_MOUNT
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import Plan, dism_request


def _mounts(raw: list[dict[str, t.Any]] | None) -> list[dict[str, t.Any]]:
    return [dict(mount_from_raw(r), raw=r) for r in raw or []]


class ActionModule(DismActionBase):
    module_spec = DISM_IMAGE_MOUNT

    def describe(self, params: dict[str, t.Any]) -> str:
        return describe_request(MountRequest.from_options(params))

    def read(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        operations: list[dict[str, t.Any]] = [{"op": "get_mounted_images"}]
        if params["state"] == "mounted":
            # An image DISM has mounted may not be readable (an attached VHD, a WIM moved away): the
            # read may fail when the mount table already answers the question.
            operations += [{"op": "inspect_directory", "path": params["path"]},
                           {"op": "get_image_info", "image_path": params["image_path"], "continue_on_error": True}]
        return dism_request(params, operations)

    def plan(self, params: dict[str, t.Any], read: HelperCall) -> Plan:
        request = MountRequest.from_options(params)
        mounts = _mounts(self.value(params, read, 0))
        images = folder = None
        if request.state == "mounted":
            folder = Folder(**self.value(params, read, 1))
            entry = read.response["results"][2]
            raw = [image_from_raw(i) for i in entry.get("value") or []] if entry.get("ok") else None
            images = planning_images(raw, mounts, request)
            if images is None:
                self.value(params, read, 2)  # fails the task with the read's own DISM error
        return plan_mount(request, mounts, images, folder)

    def apply(self, params: dict[str, t.Any], plan: Plan) -> dict[str, t.Any]:
        target = {"path": params["path"]} if any(op["op"] == "commit_image" for op in plan.operations) else None
        # Read the table back in the same batch, so the result reports what DISM now has.
        return dism_request(params, plan.operations + [{"op": "get_mounted_images"}], target)

    def outcome(self, params: dict[str, t.Any], plan: Plan, applied: HelperCall | None) -> dict[str, t.Any]:
        result = super().outcome(params, plan, applied)
        if not result.get("warnings"):
            result.pop("warnings", None)
        if applied is not None and result.get("mount"):
            now = mount_at(_mounts(applied.response["results"][-1]["value"]), params["path"])
            if now is not None:
                result["mount"] = dict(result["mount"], path=now["path"], status=now["status"], read_only=now["read_only"])
        return result

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        try:
            return super().execute(params, client)
        except DismTaskFailed as e:
            e.result["msg"] += after_failure_advice(e.result, MountRequest.from_options(params))
            raise
