# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning for dism_package and filtering for dism_package_info.

FOR INTERNAL COLLECTION USE ONLY. Pure functions of what the read batch returned:
the image's packages (DismGetPackages) and, for each package file or name the task
gives, DismGetPackageInfo. A package is identified by its CBS identity,
name~public key token~architecture~language~version, which DISM reads from the file
itself, so a rerun adds nothing. STATE_RULES is the single source of truth for which
package state satisfies which desired state.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import typing as t

from ._dism_enums import FULLY_OFFLINE, PACKAGE_STATES, RELEASE_TYPES, RESTART_TYPES, enum_name
from ._dism_enums import FullyOfflineInstallable, ReleaseType, RestartType
from ._dism_enums import PackageFeatureState as S
from ._errors import failure_from_helper
from ._plan import Plan, TaskRefused, with_details

# desired state -> (states that already satisfy it, states DismAddPackage / DismRemovePackage changes)
STATE_RULES: dict[str, tuple[frozenset[int], frozenset[int]]] = {
    # InstallPending finishes at the next restart (online) or first boot (offline); a superseded package is
    # installed and replaced by a newer one of its family, which is what a rerun of an update list finds.
    "present": (frozenset({S.INSTALLED, S.INSTALL_PENDING, S.SUPERSEDED}),
                frozenset({S.NOT_PRESENT, S.STAGED, S.UNINSTALL_PENDING, S.PARTIALLY_INSTALLED, S.REMOVED})),
    # UninstallPending finishes at the next restart.
    "absent": (frozenset({S.NOT_PRESENT, S.UNINSTALL_PENDING}),
               frozenset({S.INSTALLED, S.INSTALL_PENDING, S.SUPERSEDED, S.STAGED, S.PARTIALLY_INSTALLED, S.REMOVED})),
}

IDENTITY_PARTS = ("name", "public_key_token", "architecture", "language", "version")


@dataclasses.dataclass(frozen=True)
class PackageRequest:
    package_path: list[str]
    package_name: list[str]
    state: str
    online: bool
    ignore_check: bool = False
    prevent_pending: bool = False

    @classmethod
    def from_options(cls, params: t.Mapping[str, t.Any]) -> "PackageRequest":
        """From dism_package's options (no path: the running Windows)."""
        return cls(package_path=list(params.get("package_path") or []), package_name=list(params.get("package_name") or []),
                   state=params["state"], online=params.get("path") is None,
                   ignore_check=params["ignore_check"], prevent_pending=params["prevent_pending"])


def state_name(state: int | None) -> str | None:
    return enum_name(PACKAGE_STATES, state)


def parse_identity(identity: str) -> dict[str, str]:
    """A CBS package identity, name~token~arch~language~version, as its parts (an empty language is neutral).

    Raises ValueError for anything else: the parts are what DISM reports, so a name of another shape is not
    a package identity (a display name, a KB number, a file name).
    """
    parts = identity.split("~")
    if len(parts) != 5 or not parts[0] or not parts[4]:
        raise ValueError("'%s' is not a package identity (name~public key token~architecture~language~version)" % identity)
    try:
        version_key(parts[4])
    except ValueError:
        raise ValueError("'%s' is not a package identity: its version '%s' is not numeric" % (identity, parts[4])) from None
    return dict(zip(IDENTITY_PARTS, parts))


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def needs_change(desired: str, state: int) -> bool:
    """True when DISM must act; raises TaskRefused for a state no DISM call changes into `desired`."""
    satisfied, changeable = STATE_RULES[desired]
    if state in satisfied:
        return False
    if state in changeable:
        return True
    raise TaskRefused("its state is %s, which DISM cannot change to %s" % (state_name(state), desired))


def predicted_state(request: PackageRequest, info: dict[str, t.Any] | None) -> int | None:
    """What DISM will report after the change (None: the package is gone)."""
    restart = (info or {}).get("restart")
    if request.state == "present":
        if request.online:
            return S.INSTALL_PENDING if restart == RestartType.REQUIRED else S.INSTALLED
        # Offline, a package that needs the online phase stays pending until the image first boots.
        return S.INSTALL_PENDING if (info or {}).get("fully_offline") == FullyOfflineInstallable.NOT_INSTALLABLE else S.INSTALLED
    return S.UNINSTALL_PENDING if request.online and restart == RestartType.REQUIRED else None


def package_facts(info: dict[str, t.Any] | None, **extra: t.Any) -> dict[str, t.Any]:
    """dism_package's and dism_package_info's view of one DismPackageInfo."""
    info = info or {}
    facts: dict[str, t.Any] = {
        "name": info.get("name"),
        "identity": identity_parts(info.get("name")),
        "state": state_name(info.get("state")),
        "release_type": enum_name(RELEASE_TYPES, info.get("release_type")),
        "applicable": info.get("applicable"),
        "display_name": info.get("display_name"),
        "description": info.get("description"),
        "restart": enum_name(RESTART_TYPES, info.get("restart")),
        "fully_offline": enum_name(FULLY_OFFLINE, info.get("fully_offline")),
        "install_time": info.get("install_time"),
        "product_version": info.get("product_version"),
        "support_information": info.get("support_information"),
    }
    facts.update(extra)
    return facts


def _unchanged_precondition(installed: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """The apply batch's precondition: the image's packages and their states are what the plan saw (the
    read's own call, compared as a set, so the order DISM lists them in does not matter)."""
    return {"op": "get_packages", "expect_same_set": True, "expect": {"key": ["name", "state"], "value": installed}}


def _step(op: dict[str, t.Any], what: str) -> dict[str, t.Any]:
    return dict(op, step="%s %s" % (op["op"], what))


def _diff(before: dict[str, str | None], after: dict[str, str | None]) -> dict[str, t.Any]:
    return {"before": {"packages": before}, "after": {"packages": after}}


def _read_failure(entry: dict[str, t.Any], log_path: str) -> str:
    what = entry.get("path") or entry.get("name")
    if entry.get("kind") == "folder":
        if entry.get("empty"):
            return "the folder '%s' holds no .cab or .msu file" % what
        return failure_from_helper(entry.get("error") or {}, "Listing the folder '%s'" % what, log_path).msg
    return failure_from_helper(entry.get("error") or {}, "Reading the package '%s'" % what, log_path).msg


def plan_present(request: PackageRequest, installed: list[dict[str, t.Any]], entries: list[dict[str, t.Any]],
                 log_path: str) -> Plan:
    """Add every package file whose identity is not installed (or is pending removal), in the order given.

    Every file is read before anything changes: an unreadable or non-applicable package refuses the whole
    task. An .msu is opaque to DismGetPackageInfo, so it is added whenever it is named and the outcome is
    read from the package list afterwards (offline only: DISM adds .msu files to offline images only)."""
    problems: list[str] = []
    outcomes: list[dict[str, t.Any]] = []
    ops: list[dict[str, t.Any]] = []
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
    planned: set[str] = set()
    for entry in entries:
        path = entry.get("path")
        if not entry.get("ok") or entry.get("empty"):
            problems.append(_read_failure(entry, log_path))
            continue
        if entry["kind"] == "msu":
            if request.online:
                problems.append("'%s' is an .msu file, which DISM adds to offline images only; for the running Windows"
                                " install it with ansible.windows.win_hotfix, or add the .cab inside it" % path)
                continue
            outcomes.append(package_facts(None, path=path, state_before=None, state_after=None, changed=None))
            ops.append(_step({"op": "add_package", "path": path, "ignore_check": request.ignore_check,
                              "prevent_pending": request.prevent_pending}, path))
            continue
        info = entry["info"]
        identity = info["name"]
        folded = identity.casefold()
        if folded in planned:
            continue  # the same package named twice (a file and its copy): added once
        planned.add(folded)
        state = info["state"]
        try:
            change = needs_change("present", state)
        except TaskRefused as e:
            problems.append("%s (%s): %s" % (identity, path, e))
            continue
        if change and not info.get("applicable") and not request.ignore_check:
            problems.append("%s (%s) is not applicable to this image (another Windows build, architecture or edition,"
                            " or a newer version of it is installed); set ignore_check=true to add it anyway"
                            % (identity, path))
            continue
        new_state = predicted_state(request, info) if change else state
        before[identity] = state_name(state)
        after[identity] = state_name(new_state)
        outcomes.append(package_facts(info, path=path, state_before=state_name(state), state_after=state_name(new_state),
                                      changed=change, state=state_name(new_state)))
        if change:
            ops.append(_step({"op": "add_package", "path": path, "ignore_check": request.ignore_check,
                              "prevent_pending": request.prevent_pending}, "%s (%s)" % (path, identity)))
    if problems:
        raise TaskRefused("nothing was added: %s" % "; ".join(problems))
    result: dict[str, t.Any] = {
        "packages": outcomes,
        "reboot_required": request.online and any(o.get("state_after") == state_name(S.INSTALL_PENDING) and o["changed"]
                                                  for o in outcomes),
    }
    if any(o["changed"] is None for o in outcomes):
        result["warnings"] = ["DISM cannot read the packages inside an .msu file before adding it, so check mode"
                              " reports it as a change; a real run reads the package list afterwards and reports"
                              " the truth."]
    if not ops:
        result.pop("warnings", None)
        return Plan(operations=[], result=result, diff=_diff(before, after))
    return Plan(operations=[_unchanged_precondition(installed)] + ops, result=result, diff=_diff(before, after))


def name_entries(names: list[str], installed: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """The package_name entries plan_absent takes, from the read's package list: DismGetPackageInfo was read
    (get_packages 'details') only for the named packages that are installed, so a name that is not installed
    costs no DISM call."""
    by_folded = {p["name"].casefold(): p for p in installed}
    entries = []
    for name in names:
        listed = by_folded.get(name.casefold())
        entries.append({"name": name, "kind": "name", "ok": True, "error": None,
                        "info": (listed.get("info") or listed) if listed else None})
    return entries


def plan_absent(request: PackageRequest, installed: list[dict[str, t.Any]], entries: list[dict[str, t.Any]],
                log_path: str) -> Plan:
    """Remove the named packages (identities, or the identity a .cab file carries) that are installed."""
    problems: list[str] = []
    by_folded = {p["name"].casefold(): p for p in installed}
    outcomes: list[dict[str, t.Any]] = []
    ops: list[dict[str, t.Any]] = []
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
    seen: set[str] = set()
    for entry in entries:
        if entry.get("kind") == "name":
            try:
                parse_identity(entry["name"])
            except ValueError as e:
                problems.append("%s; list the installed packages with winimaging.dism.dism_package_info" % e)
                continue
            if by_folded.get(entry["name"].casefold()) is None:
                outcomes.append(package_facts(None, name=entry["name"], path=None, state_before=None, state_after=None,
                                              changed=False))
                continue
            info = entry["info"]
        elif entry.get("kind") == "msu":
            problems.append("'%s' is an .msu file, which DismRemovePackage does not take; give the identities of the"
                            " packages inside it in package_name (winimaging.dism.dism_package_info lists them)"
                            % entry["path"])
            continue
        elif not entry.get("ok") or entry.get("empty"):
            problems.append(_read_failure(entry, log_path))
            continue
        else:
            info = entry["info"]
        identity = info["name"]
        if identity.casefold() in seen:
            continue
        seen.add(identity.casefold())
        state = info["state"]
        try:
            change = needs_change("absent", state)
        except TaskRefused as e:
            problems.append("%s: %s" % (identity, e))
            continue
        if change and info.get("release_type") == ReleaseType.FOUNDATION:
            problems.append("%s is the image's foundation package, which cannot be removed" % identity)
            continue
        new_state = predicted_state(request, info) if change else state
        before[identity] = state_name(state)
        after[identity] = state_name(new_state)
        outcomes.append(package_facts(info, path=entry.get("path"), state_before=state_name(state),
                                      state_after=state_name(new_state), changed=change, state=state_name(new_state)))
        if change:
            ops.append(_step({"op": "remove_package", "name": identity}, identity))
    if problems:
        raise TaskRefused("nothing was removed: %s" % "; ".join(problems))
    result = {
        "packages": outcomes,
        "reboot_required": request.online and any(o.get("state_after") == state_name(S.UNINSTALL_PENDING) and o["changed"]
                                                  for o in outcomes),
    }
    if not ops:
        return Plan(operations=[], result=result, diff=_diff(before, after))
    return Plan(operations=[_unchanged_precondition(installed)] + ops, result=result, diff=_diff(before, after))


def apply_outcome(plan: Plan, desired: str, before: list[dict[str, t.Any]], after: list[dict[str, t.Any]],
                  reboot_required: bool) -> dict[str, t.Any]:
    """The result after DISM acted, from the package list read back in the same session.

    Every package the plan named must now be in a state that satisfies `desired`, else the task fails
    (TaskRefused); an .msu's outcome is the packages that appeared or changed state in the list.
    """
    now = {p["name"].casefold(): p for p in after}
    was = {p["name"].casefold(): p for p in before}
    outcomes = []
    unmet = []
    for entry in plan.result["packages"]:
        if entry.get("name") is None:  # an .msu: what it changed in the package list
            continue
        listed = now.get(entry["name"].casefold())
        state = listed["state"] if listed else None
        satisfied = state in STATE_RULES[desired][0] if listed else desired == "absent"
        if not satisfied:
            unmet.append("%s is %s" % (entry["name"], state_name(state) or "not installed"))
        outcomes.append(dict(entry, state=state_name(state), state_after=state_name(state),
                             changed=state_name(state) != entry["state_before"]))
    added = []
    for folded, package in now.items():
        old = was.get(folded)
        if old is None or old["state"] != package["state"]:
            added.append({"name": package["name"], "state_before": state_name(old["state"]) if old else None,
                          "state_after": state_name(package["state"])})
    msu_outcomes = []
    for entry in plan.result["packages"]:
        if entry.get("name") is None:
            msu_outcomes.append(dict(entry, changed=bool(added), packages=added))
    result = dict(plan.result, packages=outcomes + msu_outcomes, reboot_required=reboot_required)
    result.pop("warnings", None)
    if unmet:
        raise TaskRefused("DISM reported success but %s, not %s" % (", ".join(unmet), desired), changed=True,
                          reboot_required=reboot_required)
    gone = [p["name"] for f, p in was.items() if f not in now]
    result["changed"] = bool(added or gone or reboot_required)
    return result


def select_packages(packages: list[dict[str, t.Any]], patterns: list[str] | None) -> list[dict[str, t.Any]]:
    """dism_package_info: the packages whose identity matches any pattern (case-insensitive wildcards)."""
    if not patterns:
        return packages
    folded = [p.casefold() for p in patterns]
    return [p for p in packages if any(fnmatch.fnmatchcase(p["name"].casefold(), f) for f in folded)]


def packages_read(patterns: list[str] | None, details: bool | None) -> dict[str, t.Any]:
    """dism_package_info's read: one DismGetPackages, plus DismGetPackageInfo for the packages whose details
    are wanted (with_details)."""
    return with_details({"op": "get_packages"}, patterns, details)


def file_facts(entry: dict[str, t.Any], log_path: str) -> dict[str, t.Any]:
    """dism_package_info's view of one package file (package_path): what DismGetPackageInfo read from it, or why
    it could not be read."""
    if entry.get("kind") == "msu" and entry.get("ok"):
        return package_facts(None, path=entry["path"], kind="msu", error=None)
    if not entry.get("ok") or entry.get("empty"):
        return package_facts(None, path=entry.get("path"), kind=entry.get("kind"), error=_read_failure(entry, log_path))
    return package_facts(entry["info"], path=entry["path"], kind=entry["kind"], error=None)


def listed_facts(package: dict[str, t.Any], info: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """One installed package for dism_package_info: DismGetPackages' fields, details null when not read."""
    if info is not None:
        return package_facts(info)
    return package_facts(None, name=package["name"], state=state_name(package["state"]),
                         release_type=enum_name(RELEASE_TYPES, package.get("release_type")),
                         install_time=package.get("install_time"), identity=identity_parts(package["name"]))


def identity_parts(identity: str | None) -> dict[str, str] | None:
    """The parts of a package identity for results, or None for a name of another shape."""
    try:
        return parse_identity(identity) if identity else None
    except ValueError:
        return None
