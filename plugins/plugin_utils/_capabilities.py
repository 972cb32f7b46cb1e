# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning for dism_capability and filtering for dism_capability_info.

FOR INTERNAL COLLECTION USE ONLY. Pure functions of what the read batch returned
(every capability of the image with its state). STATE_RULES is the single source of
truth for which DISM state satisfies which desired state.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import typing as t

from ._dism_enums import PACKAGE_STATES, enum_name
from ._dism_enums import PackageFeatureState as S
from ._features import resolve_names
from ._plan import WILDCARDS, Plan, TaskRefused, with_details

# desired state -> (states that already satisfy it, states DismAddCapability / DismRemoveCapability change)
STATE_RULES: dict[str, tuple[frozenset[int], frozenset[int]]] = {
    # InstallPending finishes at the next restart.
    "present": (frozenset({S.INSTALLED, S.INSTALL_PENDING}),
                frozenset({S.NOT_PRESENT, S.STAGED, S.REMOVED, S.UNINSTALL_PENDING, S.PARTIALLY_INSTALLED})),
    # Staged means the payload is on disk but the capability is not installed; UninstallPending finishes at the
    # next restart. DismRemoveCapability refuses a capability that is not installed (0x800F0825).
    "absent": (frozenset({S.NOT_PRESENT, S.STAGED, S.REMOVED, S.UNINSTALL_PENDING}),
               frozenset({S.INSTALLED, S.INSTALL_PENDING, S.PARTIALLY_INSTALLED})),
}
LISTER = "winimaging.dism.dism_capability_info"


@dataclasses.dataclass(frozen=True)
class CapabilityRequest:
    name: list[str]
    state: str
    online: bool
    source: list[str] | None = None
    limit_access: bool = False

    @classmethod
    def from_options(cls, params: t.Mapping[str, t.Any]) -> "CapabilityRequest":
        """From dism_capability's options (no path: the running Windows)."""
        return cls(name=list(params["name"]), state=params["state"], online=params.get("path") is None,
                   source=params.get("source"), limit_access=params["limit_access"])


def state_name(state: int | None) -> str | None:
    return enum_name(PACKAGE_STATES, state)


def needs_change(desired: str, state: int) -> bool:
    """True when DISM must act; raises TaskRefused for a state no DISM call changes into `desired`."""
    satisfied, changeable = STATE_RULES[desired]
    if state in satisfied:
        return False
    if state in changeable:
        return True
    raise TaskRefused("it is %s, which DISM cannot change to %s" % (state_name(state), desired))


def plan_capabilities(request: CapabilityRequest, capabilities: list[dict[str, t.Any]]) -> Plan:
    """Current capabilities + desired state -> the apply batch (one DISM call per capability). Raises TaskRefused.

    DismCapabilityInfo has no restart field, so whether a change needs a restart is known only from DISM's
    answer (3010): check mode predicts Installed / NotPresent and reboot_required false."""
    wild = [n for n in request.name if WILDCARDS & set(n)]
    if wild:
        raise TaskRefused("capability names must be exact (%s has a wildcard); find the names with %s"
                          % (", ".join("'%s'" % n for n in wild), LISTER))
    if request.state != "present" and (request.source or request.limit_access):
        raise TaskRefused("source and limit_access tell DISM where to find a payload to add; they do not apply to"
                          " state=%s" % request.state)
    wanted = resolve_names(request.name, capabilities, kind="capability", lister=LISTER)
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
    predicted = S.INSTALLED if request.state == "present" else S.NOT_PRESENT
    outcomes = [{"name": e["name"], "state_before": state_name(e["state"]),
                 "state_after": state_name(predicted if e in changing else e["state"]), "changed": e in changing}
                for e in wanted]
    diff = {"before": {"capabilities": {o["name"]: o["state_before"] for o in outcomes}},
            "after": {"capabilities": {o["name"]: o["state_after"] for o in outcomes}}}
    result = {"capabilities": outcomes, "reboot_required": False}
    if not changing:
        return Plan(operations=[], result=result, diff=diff)
    ops: list[dict[str, t.Any]] = [{"op": "get_capability_info", "name": e["name"], "expect": {"state": e["state"]}}
                                   for e in changing]
    for entry in changing:
        if request.state == "present":
            op = {"op": "add_capability", "name": entry["name"], "limit_access": request.limit_access,
                  "sources": list(request.source or [])}
        else:
            op = {"op": "remove_capability", "name": entry["name"]}
        ops.append(dict(op, step="%s %s" % (op["op"], entry["name"])))
    return Plan(operations=ops, result=result, diff=diff)


def apply_outcome(plan: Plan, desired: str, after: list[dict[str, t.Any]], reboot_required: bool) -> dict[str, t.Any]:
    """The result after DISM acted: states read back in the same session as the change; a capability DISM left
    in a state that does not satisfy `desired` fails the task (TaskRefused)."""
    now = {c["name"].casefold(): c["state"] for c in after}
    outcomes = []
    unmet = []
    for entry in plan.result["capabilities"]:
        state = now.get(entry["name"].casefold())
        outcomes.append(dict(entry, state_after=state_name(state), changed=state_name(state) != entry["state_before"]))
        if state not in STATE_RULES[desired][0]:
            unmet.append("%s is %s" % (entry["name"], state_name(state)))
    result = dict(plan.result, capabilities=outcomes, reboot_required=reboot_required)
    if unmet:
        raise TaskRefused("DISM reported success but %s, not %s" % (", ".join(unmet), desired), changed=True,
                          reboot_required=reboot_required)
    result["changed"] = any(o["changed"] for o in outcomes) or reboot_required
    return result


def capabilities_read(patterns: list[str] | None, details: bool | None) -> dict[str, t.Any]:
    """dism_capability_info's read: one DismGetCapabilities, plus DismGetCapabilityInfo for the capabilities
    whose details are wanted (with_details)."""
    return with_details({"op": "get_capabilities"}, patterns, details)


def select_capabilities(capabilities: list[dict[str, t.Any]], patterns: list[str] | None) -> list[dict[str, t.Any]]:
    """dism_capability_info: the capabilities whose name matches any pattern (case-insensitive wildcards)."""
    if not patterns:
        return capabilities
    folded = [p.casefold() for p in patterns]
    return [c for c in capabilities if any(fnmatch.fnmatchcase(c["name"].casefold(), f) for f in folded)]


DETAIL_FIELDS = ("display_name", "description", "download_size", "install_size")


def capability_facts(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """dism_capability_info's view of one capability: the details are null when they were not read."""
    facts: dict[str, t.Any] = {"name": entry["name"], "state": state_name(entry["state"])}
    facts.update({f: entry.get(f) for f in DETAIL_FIELDS})
    return facts
