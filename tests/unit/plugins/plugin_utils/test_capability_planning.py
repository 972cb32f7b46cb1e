"""dism_capability planning (plugin_utils/_capabilities.py): every state x every desired state, names,
sources, the apply batch and the outcome read back after the change."""

from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils import _capabilities as C
from ansible_collections.winimaging.dism.plugins.plugin_utils._dism_enums import PackageFeatureState as S
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import TaskRefused

EXPECTED = {
    "present": {S.NOT_PRESENT: "change", S.UNINSTALL_PENDING: "change", S.STAGED: "change", S.REMOVED: "change",
                S.INSTALLED: "ok", S.INSTALL_PENDING: "ok", S.PARTIALLY_INSTALLED: "change",
                S.SUPERSEDED: "it is superseded, which DISM cannot change to present"},
    "absent": {S.NOT_PRESENT: "ok", S.UNINSTALL_PENDING: "ok", S.STAGED: "ok", S.REMOVED: "ok",
               S.INSTALLED: "change", S.INSTALL_PENDING: "change", S.PARTIALLY_INSTALLED: "change",
               S.SUPERSEDED: "it is superseded, which DISM cannot change to absent"},
}


def test_the_table_covers_every_dism_state():
    assert all(set(row) == set(S) for row in EXPECTED.values())


@pytest.mark.parametrize("desired", sorted(EXPECTED))
@pytest.mark.parametrize("state", list(S))
def test_state_table(desired, state):
    expected = EXPECTED[desired][state]
    if expected in ("ok", "change"):
        assert C.needs_change(desired, state) is (expected == "change")
    else:
        with pytest.raises(TaskRefused, match=expected):
            C.needs_change(desired, state)


SSH = "OpenSSH.Server~~~~0.0.1.0"
CLIENT = "OpenSSH.Client~~~~0.0.1.0"
XPS = "XPS.Viewer~~~~0.0.1.0"
CATALOG = [{"name": CLIENT, "state": S.INSTALLED}, {"name": SSH, "state": S.NOT_PRESENT}, {"name": XPS, "state": S.STAGED},
           {"name": "Language.Basic~~~de-DE~0.0.1.0", "state": S.NOT_PRESENT}]


def request(name, state="present", online=True, **kwargs):
    return C.CapabilityRequest(name=list(name), state=state, online=online, **kwargs)


def test_adding_a_capability_with_sources():
    plan = C.plan_capabilities(request(["openssh.server~~~~0.0.1.0", CLIENT], source=[r"D:\fod"], limit_access=True), CATALOG)
    assert plan.operations == [
        {"op": "get_capability_info", "name": SSH, "expect": {"state": S.NOT_PRESENT}},
        {"op": "add_capability", "name": SSH, "limit_access": True, "sources": [r"D:\fod"], "step": "add_capability " + SSH},
    ]
    assert [(c["name"], c["state_before"], c["state_after"], c["changed"]) for c in plan.result["capabilities"]] == [
        (SSH, "not_present", "installed", True), (CLIENT, "installed", "installed", False)]
    assert plan.diff["after"]["capabilities"] == {SSH: "installed", CLIENT: "installed"}
    assert plan.result["reboot_required"] is False


def test_a_rerun_changes_nothing():
    assert not C.plan_capabilities(request([CLIENT]), CATALOG).changed
    assert not C.plan_capabilities(request([SSH, XPS], state="absent"), CATALOG).changed


def test_removal():
    plan = C.plan_capabilities(request([CLIENT], state="absent"), CATALOG)
    assert [op["op"] for op in plan.operations] == ["get_capability_info", "remove_capability"]
    assert plan.result["capabilities"][0]["state_after"] == "not_present"


def test_unknown_names_are_refused_with_close_matches():
    with pytest.raises(TaskRefused, match=r"unknown capability 'OpenSSH.Server~~~~0.0.2.0' \(did you mean "
                                          r"'OpenSSH.Server~~~~0.0.1.0'.*\); DISM lists 4 capabilities here, "
                                          r"list them with winimaging.dism.dism_capability_info"):
        C.plan_capabilities(request(["OpenSSH.Server~~~~0.0.2.0"]), CATALOG)


def test_wildcards_belong_to_the_info_module():
    with pytest.raises(TaskRefused, match=r"must be exact \('OpenSSH\.\*' has a wildcard\).*dism_capability_info"):
        C.plan_capabilities(request(["OpenSSH.*"]), CATALOG)


def test_sources_only_apply_to_present():
    with pytest.raises(TaskRefused, match="do not apply to state=absent"):
        C.plan_capabilities(request([CLIENT], state="absent", source=[r"D:\fod"]), CATALOG)


def test_outcome_and_restart():
    plan = C.plan_capabilities(request([SSH]), CATALOG)
    after = [dict(c, state=S.INSTALL_PENDING) if c["name"] == SSH else c for c in CATALOG]
    result = C.apply_outcome(plan, "present", after, reboot_required=True)
    assert result["capabilities"][0]["state_after"] == "install_pending"
    assert result["reboot_required"] is True and result["changed"] is True
    with pytest.raises(TaskRefused, match="DISM reported success but %s is not_present, not present" % SSH.replace(".", r"\.")):
        C.apply_outcome(plan, "present", CATALOG, reboot_required=False)


def test_info_selection():
    assert C.select_capabilities(CATALOG, ["openssh.*"]) == CATALOG[:2]
    assert C.capabilities_read([SSH, "Language.*"], None) == {"op": "get_capabilities", "details": [SSH]}
    assert C.capabilities_read(None, True) == {"op": "get_capabilities", "all_details": True}
    facts = C.capability_facts({"name": SSH, "state": S.NOT_PRESENT})
    assert facts == {"name": SSH, "state": "not_present", "display_name": None, "description": None,
                     "download_size": None, "install_size": None}
