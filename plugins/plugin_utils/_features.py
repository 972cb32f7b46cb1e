# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning for dism_feature and filtering for dism_feature_info.

FOR INTERNAL COLLECTION USE ONLY. Pure functions of what the read batch returned
(every feature of the image with its state, and details for the requested ones and
their parents). The state table below is the single source of truth for which DISM
state satisfies which desired state.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import typing as t

from ._plan import Plan, TaskRefused, with_details
from ._dism_enums import FEATURE_STATES, RESTART_TYPES, RestartType, enum_name
from ._dism_enums import PackageFeatureState as S

# desired state -> (states that already satisfy it, states DISM can change into it)
STATE_RULES: dict[str, tuple[frozenset[int], frozenset[int]]] = {
    # EnablePending already satisfies "enabled": the change happens at the next restart.
    "enabled": (frozenset({S.INSTALLED, S.INSTALL_PENDING}), frozenset({S.STAGED, S.REMOVED, S.UNINSTALL_PENDING})),
    # DisablePending and a removed payload already satisfy "disabled".
    "disabled": (frozenset({S.STAGED, S.REMOVED, S.UNINSTALL_PENDING, S.NOT_PRESENT}), frozenset({S.INSTALLED, S.INSTALL_PENDING})),
    # DisablePending satisfies "removed" too until the restart finishes it: DISM does not say whether the
    # pending disable removes the payload, and a rerun after the restart removes it if it is still there.
    "removed": (frozenset({S.REMOVED, S.NOT_PRESENT, S.UNINSTALL_PENDING}), frozenset({S.STAGED, S.INSTALLED, S.INSTALL_PENDING})),
}
ENABLED_STATES = STATE_RULES["enabled"][0]


@dataclasses.dataclass(frozen=True)
class FeatureRequest:
    name: list[str]
    state: str
    online: bool
    include_parent: bool = False
    source: list[str] | None = None
    limit_access: bool = False
    package_name: str | None = None

    @classmethod
    def from_options(cls, params: t.Mapping[str, t.Any]) -> "FeatureRequest":
        """From dism_feature's options (no path: the running Windows)."""
        return cls(name=params["name"], state=params["state"], online=params.get("path") is None,
                   include_parent=params["include_parent"], source=params.get("source"),
                   limit_access=params["limit_access"], package_name=params.get("package_name"))


def state_name(state: int | None) -> str | None:
    return enum_name(FEATURE_STATES, state)


def needs_change(desired: str, state: int) -> bool:
    """True when DISM must act; raises TaskRefused for a state no DISM call turns into `desired`."""
    satisfied, changeable = STATE_RULES[desired]
    if state in satisfied:
        return False
    if state in changeable:
        return True
    if state == S.NOT_PRESENT:
        raise TaskRefused("its package is not installed in this image, so it cannot be enabled; add the package first")
    raise TaskRefused("it is %s, which DISM cannot change to %s" % (state_name(state), desired))


def resolve_names(requested: list[str], features: list[dict[str, t.Any]], kind: str = "feature",
                  lister: str = "winimaging.dism.dism_feature_info") -> list[dict[str, t.Any]]:
    """Requested names -> the image's entries (DISM spelling), or one refusal naming every unknown.

    Shared by features and capabilities (kind and lister word the refusal)."""
    by_folded = {f["name"].casefold(): f for f in features}
    unknown = [n for n in requested if n.casefold() not in by_folded]
    if unknown:
        names = [f["name"] for f in features]
        folded = {n.casefold(): n for n in names}
        parts = []
        for name in unknown:
            close = [folded[c] for c in difflib.get_close_matches(name.casefold(), list(folded), n=3, cutoff=0.75)]
            parts.append("'%s'%s" % (name, " (did you mean %s?)" % " or ".join("'%s'" % c for c in close) if close else ""))
        plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
        raise TaskRefused(
            "unknown %s %s; DISM lists %d %s here, list them with %s"
            % (plural if len(unknown) > 1 else kind, ", ".join(parts), len(features), plural, lister)
        )
    seen: dict[str, dict[str, t.Any]] = {}
    for name in requested:
        entry = by_folded[name.casefold()]
        seen.setdefault(entry["name"], entry)
    return list(seen.values())


def disabled_ancestors(feature: dict[str, t.Any], by_name: dict[str, dict[str, t.Any]], chosen: set[str]) -> list[str]:
    """Parents (transitively) that are not enabled and are not being enabled by this task, nearest first."""
    missing: list[str] = []
    queue = list(feature.get("parents") or [])
    while queue:
        listed = queue.pop(0)
        name = listed["name"]
        # A parent outside the listed features (another package) keeps the state DismGetFeatureParent gave.
        parent = by_name.get(name, listed)
        if parent.get("state") in ENABLED_STATES or name in missing:
            continue
        if name not in chosen:
            missing.append(name)
        queue.extend(parent.get("parents") or [])
    return missing


def _public(entry: dict[str, t.Any], state_after: int) -> dict[str, t.Any]:
    return {
        "name": entry["name"],
        "display_name": entry.get("display_name"),
        "state_before": state_name(entry["state"]),
        "state_after": state_name(state_after),
        "restart": enum_name(RESTART_TYPES, entry.get("restart")),
        "changed": state_after != entry["state"],
    }


def plan_features(request: FeatureRequest, features: list[dict[str, t.Any]]) -> Plan:
    """Current features + desired state -> the apply batch. Raises TaskRefused."""
    if request.state != "enabled" and (request.source or request.limit_access):
        raise TaskRefused("source and limit_access tell DISM where to find a payload to enable; they do not apply to state=%s" % request.state)
    wanted = resolve_names(request.name, features)
    by_name = {f["name"]: f for f in features}
    problems = []
    changing = []
    for entry in wanted:
        try:
            if needs_change(request.state, entry["state"]):
                changing.append(entry)
        except TaskRefused as e:
            problems.append("%s: %s" % (entry["name"], e))
    if problems:
        raise TaskRefused("; ".join(problems))

    parents_enabled: list[str] = []
    # States of every feature seen, parents from other packages included (DismGetFeatureParent's own state).
    known_states = {p["name"]: p.get("state") for f in features for p in f.get("parents") or []}
    known_states.update({f["name"]: f["state"] for f in features})
    if request.state == "enabled":
        chosen = {e["name"] for e in changing}
        for entry in changing:
            missing = disabled_ancestors(entry, by_name, chosen)
            if missing and not request.include_parent:
                problems.append("%s needs its parent feature%s enabled first: %s" % (
                    entry["name"], "s" if len(missing) > 1 else "",
                    ", ".join("%s (%s)" % (m, state_name(known_states.get(m))) for m in missing)))
            parents_enabled.extend(m for m in missing if m not in parents_enabled)
        if problems:
            raise TaskRefused("; ".join(problems) + ". Set include_parent=true to enable them with it")

    predicted = {e["name"]: (_predicted_state(request, e) if e in changing else e["state"]) for e in wanted}
    result = {
        "features": [_public(e, predicted[e["name"]]) for e in wanted],
        "parents_enabled": parents_enabled,
        # A restart can only be needed online; offline changes finish when the image boots.
        "reboot_required": request.online and any(e.get("restart") == RestartType.REQUIRED for e in changing),
    }
    # The diff shows every feature the task changes: the parents include_parent enables too.
    parents = [by_name.get(name, {"name": name, "state": known_states.get(name)}) for name in parents_enabled]
    predicted.update({p["name"]: _predicted_state(request, p) for p in parents})
    diff = {
        "before": {"features": {e["name"]: state_name(e["state"]) for e in wanted + parents}},
        "after": {"features": {n: state_name(s) for n, s in predicted.items()}},
    }
    if not changing:
        return Plan(operations=[], result=result, diff=diff)

    names = [e["name"] for e in changing]
    ops: list[dict[str, t.Any]] = [
        {"op": "get_feature_info", "name": e["name"], "package_name": request.package_name, "expect": {"state": e["state"]}}
        for e in changing
    ]
    if request.state == "enabled":
        ops.append({"op": "enable_feature", "names": names, "package_name": request.package_name,
                    "enable_all": request.include_parent, "limit_access": request.limit_access,
                    "sources": list(request.source or [])})
    else:
        ops.append({"op": "disable_feature", "names": names, "package_name": request.package_name,
                    "remove_payload": request.state == "removed"})
    return Plan(operations=ops, result=result, diff=diff)


def _predicted_state(request: FeatureRequest, entry: dict[str, t.Any]) -> int:
    """What DISM will report after the change: online changes that need a restart stay pending."""
    pending = request.online and entry.get("restart") == RestartType.REQUIRED
    if request.state == "enabled":
        return S.INSTALL_PENDING if pending else S.INSTALLED
    if pending:
        return S.UNINSTALL_PENDING
    return S.STAGED if request.state == "disabled" else S.REMOVED


def apply_outcome(plan: Plan, desired: str, after: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """The result after DISM acted: states read back in the same session as the change.

    A feature DISM left in a state that does not satisfy `desired` is a failure (TaskRefused),
    except a removal that a client edition turned into a plain disable: the outcome then warns
    that the payload was kept.
    """
    now = {f["name"]: f["state"] for f in after}
    features = []
    unmet = []
    for entry in plan.result["features"]:
        state = now.get(entry["name"])
        features.append(dict(entry, state_after=state_name(state), changed=state_name(state) != entry["state_before"]))
        kept_payload = desired == "removed" and state == S.STAGED
        if state not in STATE_RULES[desired][0] and not kept_payload:
            unmet.append("%s is %s" % (entry["name"], state_name(state)))
    outcome = dict(plan.result, features=features)
    if unmet:
        raise TaskRefused("DISM reported success but %s, not %s" % (", ".join(unmet), desired))
    kept = [f["name"] for f in features if desired == "removed" and f["state_after"] == state_name(S.STAGED)]
    if kept:
        outcome["warnings"] = ["This Windows edition keeps the payload of disabled features (client editions since"
                               " Windows 10), so %s stayed disabled with its payload." % ", ".join(kept)]
    return outcome


def features_read(patterns: list[str] | None, package_name: str | None, details: bool | None = None) -> dict[str, t.Any]:
    """dism_feature_info's read: one DismGetFeatures (names and states), plus DismGetFeatureInfo and
    DismGetFeatureParent for the features whose details are wanted (with_details)."""
    return with_details({"op": "get_features", "package_name": package_name}, patterns, details)


def select_features(features: list[dict[str, t.Any]], patterns: list[str] | None) -> list[dict[str, t.Any]]:
    """dism_feature_info: the features whose name matches any pattern (case-insensitive wildcards)."""
    if not patterns:
        return features
    folded = [p.casefold() for p in patterns]
    return [f for f in features if any(fnmatch.fnmatchcase(f["name"].casefold(), p) for p in folded)]


DETAIL_FIELDS = ("display_name", "description", "restart", "parents", "custom_properties")


def feature_facts(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """dism_feature_info's view of one feature: the details are null when they were not read."""
    facts: dict[str, t.Any] = {"name": entry["name"], "state": state_name(entry["state"])}
    if "restart" not in entry:  # get_features read no DismGetFeatureInfo for it
        facts.update(dict.fromkeys(DETAIL_FIELDS))
        return facts
    facts.update(
        display_name=entry.get("display_name"),
        description=entry.get("description"),
        restart=enum_name(RESTART_TYPES, entry.get("restart")),
        parents=[p["name"] for p in entry.get("parents") or []],
        custom_properties=entry.get("custom_properties") or [],
    )
    return facts
