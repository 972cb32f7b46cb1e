# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for winimaging.dism.dism_image_mount (documented in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible_collections.winimaging.dism.plugins.plugin_utils._action import (
    DismActionBase,
    DismTaskFailed,
    Plan,
    base_request,
    log_path_of,
    op_value,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HelperCall, HelperClient
from ansible_collections.winimaging.dism.plugins.plugin_utils._image_info import image_from_raw, mount_from_raw
from ansible_collections.winimaging.dism.plugins.plugin_utils._mount import Folder, MountRefused, MountRequest, mount_at, plan_mount
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_IMAGE_MOUNT


def _mounts(raw: list[dict[str, t.Any]] | None) -> list[dict[str, t.Any]]:
    return [dict(mount_from_raw(r), raw=r) for r in raw or []]


class ActionModule(DismActionBase):
    module_spec = DISM_IMAGE_MOUNT

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        request = MountRequest(**{k: params[k] for k in MountRequest.__dataclass_fields__})
        log_path = log_path_of(params)
        context = self._context(request)

        read = base_request(params)
        read["operations"] = [{"op": "get_mounted_images"}]
        if request.state == "mounted":
            read["operations"] += [{"op": "get_image_info", "image_path": request.image_path},
                                   {"op": "inspect_directory", "path": request.path}]

        def planner(call: HelperCall) -> Plan:
            mounts = _mounts(op_value(call.response, 0, context, log_path))
            images = folder = None
            if request.state == "mounted":
                images = [image_from_raw(i) for i in op_value(call.response, 1, context, log_path) or []]
                folder = Folder(**op_value(call.response, 2, context, log_path))
            try:
                return plan_mount(request, mounts, images, folder)
            except MountRefused as e:
                raise DismTaskFailed({"msg": "%s: %s." % (context, e)}) from None

        def apply_request(plan: Plan) -> dict[str, t.Any]:
            batch = base_request(params)
            if any(op["op"] == "commit_image" for op in plan.operations):
                batch["target"] = {"path": request.path}
            # Read the table back in the same batch, so the result reports what DISM now has.
            batch["operations"] = plan.operations + [{"op": "get_mounted_images"}]
            return batch

        try:
            plan, applied = self.read_plan_apply(client, read, planner, apply_request, context, log_path)
        except DismTaskFailed as e:
            if "hresult" in e.result and (request.commit or request.state == "committed"):
                e.result["msg"] += " The mount at '%s' and its changes were kept; nothing was discarded." % request.path
            raise
        result: dict[str, t.Any] = {"changed": plan.changed, **plan.result}
        if applied is not None and result.get("mount"):
            now = mount_at(_mounts(applied.response["results"][-1]["value"]), request.path)
            if now is not None:
                result["mount"] = dict(result["mount"], path=now["path"], status=now["status"], read_only=now["read_only"])
        if self._task.diff and plan.diff:
            result["diff"] = plan.diff
        return result

    @staticmethod
    def _context(request: MountRequest) -> str:
        if request.state == "mounted":
            which = "index %d" % request.index if request.index is not None else (
                "image '%s'" % request.name if request.name is not None else "an image")
            return "Mounting %s of '%s' at '%s'" % (which, request.image_path, request.path)
        if request.state == "unmounted":
            return "Unmounting '%s'" % request.path
        return "Committing the changes of '%s'" % request.path
