"""dism_feature planning (plugin_utils/_features.py): every state x every desired state, parents,
names, results and the apply batch."""

from __future__ import annotations

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils import _features as F
from ansible_collections.winimaging.dism.plugins.plugin_utils._dism_enums import PackageFeatureState as S
from ansible_collections.winimaging.dism.plugins.plugin_utils._plan import TaskRefused

ALL_STATES = list(S)
# (desired, DISM state) -> "ok" (already satisfied), "change", or the refusal text
EXPECTED = {
    "enabled": {S.NOT_PRESENT: "its package is not installed", S.UNINSTALL_PENDING: "change", S.STAGED: "change",
                S.REMOVED: "change", S.INSTALLED: "ok", S.INSTALL_PENDING: "ok",
                S.SUPERSEDED: "it is superseded, which DISM cannot change to enabled",
                S.PARTIALLY_INSTALLED: "it is partially_installed, which DISM cannot change to enabled"},
    "disabled": {S.NOT_PRESENT: "ok", S.UNINSTALL_PENDING: "ok", S.STAGED: "ok", S.REMOVED: "ok",
                 S.INSTALLED: "change", S.INSTALL_PENDING: "change",
                 S.SUPERSEDED: "it is superseded, which DISM cannot change to disabled",
                 S.PARTIALLY_INSTALLED: "it is partially_installed, which DISM cannot change to disabled"},
    "removed": {S.NOT_PRESENT: "ok", S.UNINSTALL_PENDING: "ok", S.STAGED: "change", S.REMOVED: "ok",
                S.INSTALLED: "change", S.INSTALL_PENDING: "change",
                S.SUPERSEDED: "it is superseded, which DISM cannot change to removed",
                S.PARTIALLY_INSTALLED: "it is partially_installed, which DISM cannot change to removed"},
}


def test_the_table_covers_every_dism_state():
    # DismPackageFeatureState has eight values (dism-api.md 4.1); each desired state decides all.
    assert [int(s) for s in S] == list(range(8))
    assert all(set(row) == set(S) for row in EXPECTED.values())


@pytest.mark.parametrize("desired", sorted(EXPECTED))
@pytest.mark.parametrize("state", ALL_STATES)
def test_state_table(desired, state):
    expected = EXPECTED[desired][state]
    if expected in ("ok", "change"):
        assert F.needs_change(desired, state) is (expected == "change")
    else:
        with pytest.raises(TaskRefused, match=expected):
            F.needs_change(desired, state)


def feature(name, state, parents=(), restart=0, display=None):
    return {"name": name, "state": state, "display_name": display or name, "restart": restart,
            "parents": [{"name": p, "state": None} for p in parents]}


CATALOG = [
    feature("IIS-WebServerRole", S.STAGED),
    feature("IIS-WebServer", S.STAGED, parents=["IIS-WebServerRole"]),
    feature("IIS-CommonHttpFeatures", S.STAGED, parents=["IIS-WebServer"]),
    feature("IIS-StaticContent", S.STAGED, parents=["IIS-CommonHttpFeatures"]),
    feature("NetFx3", S.REMOVED, restart=1, display=".NET Framework 3.5"),
    feature("TelnetClient", S.INSTALLED),
    feature("Microsoft-Hyper-V", S.STAGED, restart=2),
    feature("SMB1Protocol", S.INSTALLED, restart=2),
]


def request(*names, **kw):
    return F.FeatureRequest(name=list(names), state=kw.pop("state", "enabled"), online=kw.pop("online", True), **kw)


def test_names_are_case_insensitive_reported_in_dism_spelling_and_deduplicated():
    plan = F.plan_features(request("netfx3", "NETFX3", "telnetclient"), CATALOG)
    assert [f["name"] for f in plan.result["features"]] == ["NetFx3", "TelnetClient"]
    assert plan.operations[-1]["names"] == ["NetFx3"]


def test_every_unknown_name_is_listed_with_close_matches():
    with pytest.raises(TaskRefused) as e:
        F.plan_features(request("IIS-WebServr", "NetFx3", "Quake"), CATALOG)
    assert str(e.value) == ("unknown features 'IIS-WebServr' (did you mean 'IIS-WebServer' or 'IIS-WebServerRole'?), 'Quake';"
                            " DISM lists 8 features here, list them with winimaging.dism.dism_feature_info")


def test_already_in_state_needs_no_operations():
    plan = F.plan_features(request("TelnetClient"), CATALOG)
    assert not plan.changed and plan.operations == []
    assert plan.result["features"][0] == {"name": "TelnetClient", "display_name": "TelnetClient", "state_before": "enabled",
                                          "state_after": "enabled", "restart": "no", "changed": False}
    assert plan.result["reboot_required"] is False


def test_enable_batch_checks_preconditions_first_then_enables():
    plan = F.plan_features(request("NetFx3", source=["D:\\sxs"], limit_access=True), CATALOG)
    assert plan.operations == [
        {"op": "get_feature_info", "name": "NetFx3", "package_name": None, "expect": {"state": S.REMOVED}},
        {"op": "enable_feature", "names": ["NetFx3"], "package_name": None, "enable_all": False, "limit_access": True,
         "sources": ["D:\\sxs"]},
    ]
    assert plan.result["features"][0]["state_after"] == "enabled"
    assert plan.diff == {"before": {"features": {"NetFx3": "disabled_with_payload_removed"}},
                         "after": {"features": {"NetFx3": "enabled"}}}


def test_disabled_parents_without_include_parent_are_named():
    with pytest.raises(TaskRefused) as e:
        F.plan_features(request("IIS-StaticContent"), CATALOG)
    assert str(e.value) == (
        "IIS-StaticContent needs its parent features enabled first: IIS-CommonHttpFeatures (disabled), IIS-WebServer"
        " (disabled), IIS-WebServerRole (disabled). Set include_parent=true to enable them with it")


def test_include_parent_predicts_the_parents_and_sets_enable_all():
    plan = F.plan_features(request("IIS-StaticContent", include_parent=True), CATALOG)
    assert plan.result["parents_enabled"] == ["IIS-CommonHttpFeatures", "IIS-WebServer", "IIS-WebServerRole"]
    assert plan.operations[-1]["enable_all"] is True
    # The diff shows every feature the task changes, the parents it enables too.
    assert plan.diff == {
        "before": {"features": {"IIS-StaticContent": "disabled", "IIS-CommonHttpFeatures": "disabled",
                                "IIS-WebServer": "disabled", "IIS-WebServerRole": "disabled"}},
        "after": {"features": {"IIS-StaticContent": "enabled", "IIS-CommonHttpFeatures": "enabled",
                               "IIS-WebServer": "enabled", "IIS-WebServerRole": "enabled"}},
    }


def test_parents_named_in_the_same_task_are_not_missing():
    plan = F.plan_features(request("IIS-WebServerRole", "IIS-WebServer"), CATALOG)
    assert plan.result["parents_enabled"] == [] and plan.operations[-1]["names"] == ["IIS-WebServerRole", "IIS-WebServer"]


def test_enabled_parent_is_enough():
    catalog = [feature("P", S.INSTALLED), feature("C", S.STAGED, parents=["P"])]
    assert F.plan_features(request("C"), catalog).result["parents_enabled"] == []


def test_disable_and_remove_batches():
    plan = F.plan_features(request("TelnetClient", "SMB1Protocol", state="disabled"), CATALOG)
    assert plan.operations[-1] == {"op": "disable_feature", "names": ["TelnetClient", "SMB1Protocol"], "package_name": None,
                                   "remove_payload": False}
    plan = F.plan_features(request("SMB1Protocol", state="removed"), CATALOG)
    assert plan.operations[-1]["remove_payload"] is True
    # online, restart required: DISM leaves it pending until the restart
    assert plan.result["features"][0]["state_after"] == "disable_pending"
    plan = F.plan_features(request("SMB1Protocol", state="removed", online=False), CATALOG)
    assert plan.result["features"][0]["state_after"] == "disabled_with_payload_removed"


def test_reboot_prediction_is_online_only_and_from_the_restart_type():
    assert F.plan_features(request("Microsoft-Hyper-V"), CATALOG).result["reboot_required"] is True
    assert F.plan_features(request("Microsoft-Hyper-V", online=False), CATALOG).result["reboot_required"] is False
    assert F.plan_features(request("NetFx3"), CATALOG).result["reboot_required"] is False  # "possible" is not "required"


def test_all_refusals_are_reported_together():
    catalog = CATALOG + [feature("Old", S.SUPERSEDED), feature("Gone", S.NOT_PRESENT)]
    with pytest.raises(TaskRefused) as e:
        F.plan_features(request("Old", "Gone"), catalog)
    assert str(e.value) == ("Old: it is superseded, which DISM cannot change to enabled; Gone: its package is not installed in"
                            " this image, so it cannot be enabled; add the package first")


def test_outcome_uses_the_states_read_back():
    plan = F.plan_features(request("Microsoft-Hyper-V", "TelnetClient"), CATALOG)
    outcome = F.apply_outcome(plan, "enabled", [{"name": "Microsoft-Hyper-V", "state": S.INSTALL_PENDING},
                                                {"name": "TelnetClient", "state": S.INSTALLED}])
    assert [(f["name"], f["state_after"], f["changed"]) for f in outcome["features"]] == [
        ("Microsoft-Hyper-V", "enable_pending", True), ("TelnetClient", "enabled", False)]
    assert plan.result["features"][0]["state_after"] == "enable_pending"  # predicted: online + restart required


def test_dism_success_that_changed_nothing_is_a_failure():
    plan = F.plan_features(request("TelnetClient", state="disabled"), CATALOG)
    with pytest.raises(TaskRefused, match="DISM reported success but TelnetClient is enabled, not disabled"):
        F.apply_outcome(plan, "disabled", [{"name": "TelnetClient", "state": S.INSTALLED}])
    plan = F.plan_features(request("TelnetClient", state="removed", online=False), CATALOG)
    kept = F.apply_outcome(plan, "removed", [{"name": "TelnetClient", "state": S.STAGED}])  # client edition keeps payload
    assert kept["features"][0]["state_after"] == "disabled"


def test_parent_outside_the_listed_features_keeps_its_own_state():
    catalog = [{"name": "Child", "state": S.STAGED, "parents": [{"name": "Foundation-Parent", "state": S.INSTALLED}]}]
    assert F.plan_features(request("Child"), catalog).result["parents_enabled"] == []
    catalog = [{"name": "Child", "state": S.STAGED, "parents": [{"name": "Foundation-Parent", "state": S.STAGED}]}]
    with pytest.raises(TaskRefused, match=r"Child needs its parent feature enabled first: Foundation-Parent \(disabled\)"):
        F.plan_features(request("Child"), catalog)


def test_source_and_limit_access_only_for_enabled():
    with pytest.raises(TaskRefused, match="source and limit_access tell DISM where to find a payload"):
        F.plan_features(request("TelnetClient", state="disabled", source=["D:\\sxs"]), CATALOG)


def test_info_selection_with_wildcards():
    facts = [F.feature_facts(f) for f in CATALOG]
    assert [f["name"] for f in F.select_features(facts, ["iis-*"])] == [
        "IIS-WebServerRole", "IIS-WebServer", "IIS-CommonHttpFeatures", "IIS-StaticContent"]
    assert [f["name"] for f in F.select_features(facts, ["netfx?", "telnetclient"])] == ["NetFx3", "TelnetClient"]
    assert len(F.select_features(facts, None)) == 8
    assert facts[1]["parents"] == ["IIS-WebServerRole"] and facts[4]["restart"] == "possible"
