# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning for dism_driver: driver identity, what to add or remove, per-INF outcomes.

FOR INTERNAL COLLECTION USE ONLY. A driver package is identified by its original INF
file name, provider and class GUID; its version and date tell releases apart. Published
names (oemN.inf) differ from image to image and are only ever read from DISM.
"""

from __future__ import annotations

import dataclasses
import ntpath
import typing as t

from ._plan import Plan, TaskRefused
from ._dism_enums import ARCHITECTURES, DRIVER_SIGNATURES, enum_name
from ._errors import failure_from_helper


@dataclasses.dataclass(frozen=True)
class DriverRequest:
    driver: list[str]
    state: str
    recurse: bool = False
    force_unsigned: bool = False
    on_error: str = "fail"
    remove_boot_critical: bool = False

    @classmethod
    def from_options(cls, params: t.Mapping[str, t.Any]) -> "DriverRequest":
        return cls(**{k: params[k] for k in cls.__dataclass_fields__})


def is_path(value: str) -> bool:
    """A path to an INF file or folder, as opposed to a bare INF name (oem3.inf, e1d68x64.inf)."""
    return "\\" in value or "/" in value or ":" in value


def identity(package: dict[str, t.Any]) -> tuple[str, str, str]:
    return (ntpath.basename(package.get("original_file_name") or "").casefold(),
            (package.get("provider_name") or "").casefold(), (package.get("class_guid") or "").casefold())


def release(package: dict[str, t.Any]) -> tuple[tuple[str, str, str], str, str | None]:
    """Identity, version and date; DriverVer dates are days, so times (and time zones) are ignored."""
    return identity(package), package.get("version") or "", (package.get("date") or "")[:10] or None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in (version or "").split("."))


def driver_facts(package: dict[str, t.Any] | None, **extra: t.Any) -> dict[str, t.Any]:
    package = package or {}
    facts = {
        "published_name": package.get("published_name"),
        "original_file_name": ntpath.basename(package["original_file_name"]) if package.get("original_file_name") else None,
        "provider_name": package.get("provider_name"),
        "class_name": package.get("class_name"),
        "class_guid": package.get("class_guid"),
        "version": package.get("version"),
        "date": package.get("date"),
        "inbox": package.get("inbox"),
        "boot_critical": package.get("boot_critical"),
        "signature": enum_name(DRIVER_SIGNATURES, package.get("signature")),
        "catalog_file": package.get("catalog_file"),
    }
    facts.update(extra)
    return facts


def inf_facts(info: dict[str, t.Any]) -> dict[str, t.Any]:
    """dism_driver_info's view of one INF file that DISM read (a get_driver_infos entry)."""
    hardware = [dict(d, architecture=enum_name(ARCHITECTURES, d.get("architecture"))) for d in info.get("drivers") or []]
    return driver_facts(info["package"], inf=info["path"], hardware=hardware)


def _table(drivers: list[dict[str, t.Any]]) -> list[str]:
    return sorted("%s  %s  %s  %s" % (d.get("published_name"), ntpath.basename(d.get("original_file_name") or ""),
                                      d.get("version"), d.get("provider_name")) for d in drivers if not d.get("inbox"))


def _diff(before: list[dict[str, t.Any]], after: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    return {"before": {"third_party_drivers": _table(before)}, "after": {"third_party_drivers": _table(after)}}


def _unchanged_precondition(installed: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """The apply batch's precondition: the image's drivers are what the plan saw.

    The same call as the read (all drivers), compared as a set of published names and versions,
    so the order DISM lists them in does not matter.
    """
    return {"op": "get_drivers", "all": True, "expect_same_set": True,
            "expect": {"key": ["published_name", "version"], "value": installed}}


# MAX_PATH is 260 characters including the terminating NUL; the helper's Windows calls are not long-path aware.
MAX_PATH_CHARS = 259
# x86 images accept unsigned drivers anyway: DismAddDriver's ForceUnsigned only matters for x64 images.
X86 = 0


def _kind(info: dict[str, t.Any]) -> str:
    """What a get_driver_infos entry is about: an INF ("inf"), a folder that could not be listed ("folder"), or a
    junction or symbolic link found while scanning, which the helper never follows ("reparse_point")."""
    return info.get("kind") or "inf"


def _folder_failure(info: dict[str, t.Any], log_path: str) -> str:
    """The message for a folder of a driver tree that could not be listed (access denied, a path over MAX_PATH)."""
    msg = failure_from_helper(info.get("error") or {}, "Scanning folder '%s'" % info["path"], log_path).msg
    pattern = len(info["path"]) + 2   # the helper lists <folder>\*
    if pattern > MAX_PATH_CHARS:
        msg += (" Listing this folder takes a path of %d characters, and Windows limits paths to %d (MAX_PATH) for"
                " programs without long-path support: move the drivers to a folder with a shorter path."
                % (pattern, MAX_PATH_CHARS))
    return msg


def step(op: dict[str, t.Any], target: str) -> dict[str, t.Any]:
    """A write operation with its `step`, what it does in words ("add_driver C:\\drivers\\nic\\e1d.inf"), which
    completed_steps and not_started_steps report after a partial failure. The executor ignores the key."""
    return dict(op, step="%s %s" % (op["op"], target))


def not_followed_warning(drivers: list[dict[str, t.Any]]) -> str | None:
    """The warning for the junctions and symbolic links found in driver folders, which are never followed."""
    links = [d["folder"] for d in drivers if d["outcome"] == "skipped"]
    if not links:
        return None
    return ("Did not follow %d junction%s or symbolic link%s found in the driver folders (a link can point back up the"
            " tree): %s. To add the drivers a link points to, name its target folder in driver."
            % (len(links), "s" if len(links) > 1 else "", "s" if len(links) > 1 else "", ", ".join(links)))


def force_unsigned_warning(request: DriverRequest, image: dict[str, t.Any] | None) -> str | None:
    """force_unsigned on an image whose architecture is known (a DISM mount; get_image_architecture) and x86."""
    if not request.force_unsigned or request.state != "present" or not image or image.get("architecture") != X86:
        return None
    return ("force_unsigned=true has no effect on this image: it is an %s image (index %s of '%s'), and DISM accepts"
            " unsigned drivers into x86 images anyway; force_unsigned only matters for x64 images."
            % (enum_name(ARCHITECTURES, X86), image.get("image_index"), image.get("image_file_path")))


def plan_present(request: DriverRequest, installed: list[dict[str, t.Any]], infos: list[dict[str, t.Any]],
                 log_path: str) -> Plan:
    """Add every INF whose release is not in the image yet.

    Folders that could not be listed fail like unreadable INFs (on_error decides); junctions and symbolic links
    found in a folder tree are reported as skipped and never followed."""
    if not any(_kind(i) in ("inf", "folder") for i in infos):
        links = [i["path"] for i in infos if _kind(i) == "reparse_point"]
        raise TaskRefused("no .inf file found in %s%s%s" % (
            ", ".join("'%s'" % d for d in request.driver), "" if request.recurse else " (set recurse=true to search subfolders)",
            "; junctions and symbolic links are not followed: %s" % ", ".join(links) if links else ""))
    present = {release(d): d for d in installed if not d.get("inbox")}
    outcomes: list[dict[str, t.Any]] = []
    to_add: list[dict[str, t.Any]] = []
    failures = []
    folder_failures = []
    planned: set[tuple[t.Any, ...]] = set()
    for info in infos:
        if _kind(info) == "reparse_point":
            outcomes.append(driver_facts(None, inf=None, folder=info["path"], outcome="skipped", error=None))
            continue
        if _kind(info) == "folder":
            msg = _folder_failure(info, log_path)
            folder_failures.append(msg)
            outcomes.append(driver_facts(None, inf=None, folder=info["path"], outcome="failed", error=msg))
            continue
        if not info.get("ok"):
            failure = failure_from_helper(info.get("error") or {}, "Reading '%s'" % info["path"], log_path)
            failures.append(failure.msg)
            outcomes.append(driver_facts(None, inf=info["path"], outcome="failed", error=failure.msg))
            continue
        package = info["package"] or {}
        key = release(package)
        if key in present:
            outcomes.append(driver_facts(present[key], inf=info["path"], outcome="already_present", error=None))
            continue
        if key in planned:
            outcomes.append(driver_facts(package, inf=info["path"], published_name=None, outcome="duplicate", error=None))
            continue
        planned.add(key)
        others = sorted((d["version"] for d in installed if not d.get("inbox") and identity(d) == key[0]), key=_version_key)
        outcomes.append(driver_facts(package, inf=info["path"], published_name=None, inbox=False, outcome="added",
                                     error=None, other_versions=others))
        to_add.append(info)
    if (failures or folder_failures) and request.on_error == "fail":
        what = []
        if failures:
            what.append("%d INF file%s could not be read" % (len(failures), "s" if len(failures) > 1 else ""))
        if folder_failures:
            what.append("%d folder%s could not be scanned" % (len(folder_failures), "s" if len(folder_failures) > 1 else ""))
        raise TaskRefused("%s, so nothing was added (set on_error=skip to add the others): %s" % (
            " and ".join(what), " | ".join(folder_failures + failures)))
    after = installed + [dict(i["package"], published_name="(new)", inbox=False) for i in to_add]
    result = {"drivers": outcomes}
    if not to_add:
        return Plan(operations=[], result=result, diff=_diff(installed, installed))
    ops = [_unchanged_precondition(installed)] + [
        step({"op": "add_driver", "path": i["path"], "force_unsigned": request.force_unsigned,
              "continue_on_error": request.on_error == "skip"}, i["path"]) for i in to_add]
    return Plan(operations=ops, result=result, diff=_diff(installed, after))


def _find(installed: list[dict[str, t.Any]], name: str) -> list[dict[str, t.Any]]:
    """Third-party drivers by published or original name; inbox ones only when no third-party one matches."""
    folded = name.casefold()
    for candidates in ([d for d in installed if not d.get("inbox")], [d for d in installed if d.get("inbox")]):
        published = [d for d in candidates if (d.get("published_name") or "").casefold() == folded]
        if published:
            return published
        original = [d for d in candidates if ntpath.basename(d.get("original_file_name") or "").casefold() == folded]
        if original:
            return original
    return []


def plan_absent(request: DriverRequest, installed: list[dict[str, t.Any]], infos: list[dict[str, t.Any]],
                log_path: str) -> Plan:
    """Remove every published driver that matches a name (published or original) or an INF's identity."""
    outcomes: list[dict[str, t.Any]] = []
    targets: list[dict[str, t.Any]] = []
    refusals = []
    info_by_path = {i["path"]: i for i in infos}
    for name in request.driver:
        if is_path(name):
            info = info_by_path.get(name)
            if info is None and name.lower().endswith(".inf"):
                refusals.append("'%s' could not be read" % name)
                continue
            if info is None or _kind(info) != "inf":
                refusals.append("state=absent takes INF files, original INF names or published names, not the folder '%s'" % name)
                continue
            if not info.get("ok"):
                failure = failure_from_helper((info or {}).get("error") or {}, "Reading '%s'" % name, log_path)
                refusals.append(failure.msg)
                continue
            matches = [d for d in installed if not d.get("inbox") and identity(d) == identity(info["package"] or {})]
        else:
            matches = _find(installed, name)
        if not matches:
            outcomes.append(driver_facts(None, driver=name, outcome="absent", error=None))
            continue
        for match in matches:
            if match.get("inbox"):
                refusals.append("%s is a driver that ships with Windows (inbox); DISM never removes inbox drivers" % name)
            elif match.get("boot_critical") and not request.remove_boot_critical:
                refusals.append("%s (%s) is boot critical: removing it can leave the image unable to boot. Set"
                                " remove_boot_critical=true to remove it anyway" % (name, match["published_name"]))
            elif match not in targets:
                targets.append(match)
                outcomes.append(driver_facts(match, driver=name, outcome="removed", error=None))
    if refusals:
        raise TaskRefused("; ".join(refusals) + "; nothing was removed")
    after = [d for d in installed if d not in targets]
    if not targets:
        return Plan(operations=[], result={"drivers": outcomes}, diff=_diff(installed, installed))
    ops = [_unchanged_precondition(installed)] + [
        step({"op": "remove_driver", "published_name": d["published_name"]}, "%s (%s %s)" % (
            d["published_name"], ntpath.basename(d.get("original_file_name") or ""), d.get("version"))) for d in targets]
    return Plan(operations=ops, result={"drivers": outcomes}, diff=_diff(installed, after))


def present_outcome(plan: Plan, results: list[dict[str, t.Any]], after: list[dict[str, t.Any]], log_path: str) -> list[dict[str, t.Any]]:
    """Per-INF outcomes after the adds: published names from the read-back, failures from DISM.

    `results` are the apply batch's results, in the order of plan.operations.
    """
    adds = {op["path"]: r for op, r in zip(plan.operations, results) if op["op"] == "add_driver"}
    by_release = {release(d): d for d in after if not d.get("inbox")}
    outcomes = []
    for entry in plan.result["drivers"]:
        if entry["outcome"] != "added":
            outcomes.append(entry)
            continue
        result = adds.get(entry["inf"])
        if result is not None and not result.get("ok"):
            failure = failure_from_helper(result.get("error") or {}, "Adding '%s'" % entry["inf"], log_path)
            outcomes.append(dict(entry, outcome="failed", error=failure.msg))
            continue
        key = ((entry["original_file_name"] or "").casefold(), (entry["provider_name"] or "").casefold(),
               (entry["class_guid"] or "").casefold()), entry["version"] or "", (entry["date"] or "")[:10] or None
        staged = by_release.get(key)
        outcomes.append(dict(entry, published_name=staged["published_name"] if staged else None,
                             signature=enum_name(DRIVER_SIGNATURES, staged.get("signature")) if staged else entry["signature"]))
    return outcomes


def skipped_warnings(drivers: list[dict[str, t.Any]], applied: bool) -> list[str]:
    """The warnings for what on_error=skip left out: folders that could not be scanned, unreadable INF files, or,
    after the change, the INF files DISM could not add."""
    warnings = []
    folders = [d for d in drivers if d["outcome"] == "failed" and d.get("folder")]
    if folders:
        warnings.append("Skipped %d folder%s that could not be scanned: %s" % (
            len(folders), "s" if len(folders) > 1 else "", " | ".join(d["error"] for d in folders)))
    failed = [d for d in drivers if d["outcome"] == "failed" and not d.get("folder")]
    if failed:
        what = "driver%s that DISM could not add" if applied else "INF file%s that DISM could not read"
        warnings.append("Skipped %d %s: %s" % (len(failed), what % ("s" if len(failed) > 1 else ""),
                                               " | ".join(d["error"] for d in failed)))
    return warnings
