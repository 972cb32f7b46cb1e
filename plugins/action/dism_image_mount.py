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
from ansible_collections.winimaging.dism.plugins.plugin_utils._mount import (
    Folder,
    MountRefused,
    MountRequest,
    mount_at,
    plan_mount,
    same_path,
)
from ansible_collections.winimaging.dism.plugins.plugin_utils._options import DISM_IMAGE_MOUNT


def _mounts(raw: list[dict[str, t.Any]] | None) -> list[dict[str, t.Any]]:
    return [dict(mount_from_raw(r), raw=r) for r in raw or []]


FILES_OPEN = 0xC1420117


def _after_commit_failure(result: dict[str, t.Any], request: MountRequest) -> str:
    """What a failed commit or unmount left behind, in the words a user needs."""
    if result.get("dism_function") not in ("DismUnmountImage", "DismCommitImage"):
        return ""
    if int(result.get("hresult", "0"), 16) == FILES_OPEN:
        return (" DISM may already have saved the changes into the image file and partly unmounted '%s'. Close what"
                " holds files open in it, then run the task again with commit=false to finish the unmount%s."
                % (request.path, " (committing again with append=true would add another index)" if request.append else ""))
    if request.commit or request.state == "committed":
        return " The mount at '%s' and its changes were kept; nothing was discarded." % request.path
    return ""


class ActionModule(DismActionBase):
    module_spec = DISM_IMAGE_MOUNT

    def execute(self, params: dict[str, t.Any], client: HelperClient) -> dict[str, t.Any]:
        request = MountRequest(**{k: params[k] for k in MountRequest.__dataclass_fields__})
        log_path = log_path_of(params)
        context = self._context(request)

        read = base_request(params)
        read["operations"] = [{"op": "get_mounted_images"}]
        if request.state == "mounted":
            # An image DISM has mounted may not be readable (an attached VHD, a WIM moved away): the
            # read may fail when the mount table already answers the question.
            read["operations"] += [{"op": "inspect_directory", "path": request.path},
                                   {"op": "get_image_info", "image_path": request.image_path, "continue_on_error": True}]

        def planner(call: HelperCall) -> Plan:
            mounts = _mounts(op_value(call.response, 0, context, log_path))
            images = folder = None
            if request.state == "mounted":
                folder = Folder(**op_value(call.response, 1, context, log_path))
                images = self._images(call, mounts, request, context, log_path)
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
            e.result["msg"] += _after_commit_failure(e.result, request)
            raise
        result: dict[str, t.Any] = {"changed": plan.changed, **plan.result}
        if not result.get("warnings"):
            result.pop("warnings", None)
        if applied is not None and result.get("mount"):
            now = mount_at(_mounts(applied.response["results"][-1]["value"]), request.path)
            if now is not None:
                result["mount"] = dict(result["mount"], path=now["path"], status=now["status"], read_only=now["read_only"])
        if self._task.diff and plan.diff:
            result["diff"] = plan.diff
        return result

    @staticmethod
    def _images(call: HelperCall, mounts: list[dict[str, t.Any]], request: MountRequest, context: str,
                log_path: str) -> list[dict[str, t.Any]]:
        entry = call.response["results"][2]
        if entry.get("ok"):
            return [image_from_raw(i) for i in entry.get("value") or []]
        existing = mount_at(mounts, request.path)
        if existing is not None and request.name is None and same_path(existing["image_path"], request.image_path) and (
                request.index in (None, existing["index"])):
            # The mount table shows the requested image here: plan from it, as if the file had index `index`.
            return [{"index": existing["index"], "name": None}]
        return op_value(call.response, 2, context, log_path)

    @staticmethod
    def _context(request: MountRequest) -> str:
        if request.state == "mounted":
            which = "index %d" % request.index if request.index is not None else (
                "image '%s'" % request.name if request.name is not None else "an image")
            return "Mounting %s of '%s' at '%s'" % (which, request.image_path, request.path)
        if request.state == "unmounted":
            return "Unmounting '%s'" % request.path
        return "Committing the changes of '%s'" % request.path
