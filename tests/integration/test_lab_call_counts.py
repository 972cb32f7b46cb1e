"""What one no-op task of each module costs on the host, read from the simulator's own accounting
(every exported DISM call is counted, dismsim/src/calls.c; the lab host puts each helper
process's counts in its wire record as dism_calls): one helper call, at most one DISM session,
one DismGetFeatures for a feature lookup whatever the number of names, and feature details only
where they are asked for."""

from __future__ import annotations

import json

import pytest

from noop_tasks import NOOP_TASKS, SETUP, task_yaml

pytestmark = pytest.mark.lab

HELPER = "winimaging.dism.dism_helper"

# module -> DismOpenSession, DismGetFeatures, DismGetFeatureInfo, DismGetFeatureParent of one no-op task
EXPECTED = {
    "dism_image_info": (0, 0, 0, 0),
    "dism_image_mount": (0, 0, 0, 0),
    # The two names and NetFx4's parent (its chain decides whether a parent must be enabled first).
    "dism_feature": (1, 1, 3, 3),
    # A wildcard: names and states from one DismGetFeatures, no details.
    "dism_feature_info": (1, 1, 0, 0),
    "dism_driver": (1, 0, 0, 0),
    "dism_driver_info": (1, 0, 0, 0),
    "dism_package": (1, 0, 0, 0),
    "dism_package_info": (1, 0, 0, 0),
    "dism_capability": (1, 0, 0, 0),
    "dism_capability_info": (1, 0, 0, 0),
}
# module -> DismGetPackages, DismGetPackageInfo, DismGetCapabilities, DismGetCapabilityInfo of one no-op task:
# one list call decides, and a package that is not installed, or a wildcard, costs no details.
LIST_CALLS = {
    "dism_package": (1, 0, 0, 0),
    "dism_package_info": (1, 0, 0, 0),
    "dism_capability": (0, 0, 1, 0),
    "dism_capability_info": (0, 0, 1, 0),
}
FEATURE_INFO_VARIANTS = {
    "no name": ("winimaging.dism.dism_feature_info:", (1, 1, 0, 0)),
    "two plain names": ("winimaging.dism.dism_feature_info:\n  name: [NetFx3, TFTP]", (1, 1, 2, 2)),
    "two plain names, details false": ("winimaging.dism.dism_feature_info:\n  name: [NetFx3, TFTP]\n  details: false",
                                       (1, 1, 0, 0)),
    "wildcard, details true": ("winimaging.dism.dism_feature_info:\n  name: 'IIS-*'\n  details: true", (1, 1, 7, 7)),
    "every feature, details true": ("winimaging.dism.dism_feature_info:\n  details: true", (1, 1, 20, 20)),
}


@pytest.fixture(scope="module")
def counted(lab, tmp_path_factory):
    """Runs SETUP, then each no-op task once, on a fresh win1; returns task label -> helper commands."""
    tmp = tmp_path_factory.mktemp("calls")
    lab.labctl("reset", "win1")
    setup = lab.playbook(SETUP, tmp)
    assert setup.rc == 0, setup.stdout[-3000:]
    labels = {**dict(NOOP_TASKS),
              **{"dism_feature_info " + k: variant[0] for k, variant in FEATURE_INFO_VARIANTS.items()}}
    commands = {}
    for label, body in labels.items():
        before = len(lab.wire("win1"))
        run = lab.playbook(task_yaml(label, body), tmp)
        result = run.task(label).result
        assert run.rc == 0 and result.get("changed") is False, (label, result)
        commands[label] = [r for r in lab.wire("win1")[before:] if r.get("kind") == "command"]
    return commands


def counts_of(commands):
    helper = [r for r in commands if r["module"] == HELPER]
    assert len(helper) == len(commands) == 1, "a no-op task is one helper call: %s" % commands
    assert helper[0]["outcome"] == "ok" and helper[0]["helper_compiles"] == 0
    calls = helper[0]["dism_calls"]
    assert calls["DismInitialize"] == calls["DismShutdown"] == 1
    assert calls.get("DismOpenSession", 0) == calls.get("DismCloseSession", 0)
    return calls, tuple(calls.get(f, 0) for f in ("DismOpenSession", "DismGetFeatures", "DismGetFeatureInfo",
                                                  "DismGetFeatureParent"))


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_noop_task_call_counts(counted, module):
    calls, counts = counts_of(counted[module])
    assert counts == EXPECTED[module], calls


@pytest.mark.parametrize("module", sorted(LIST_CALLS))
def test_noop_package_and_capability_tasks_make_one_list_call(counted, module):
    calls = counts_of(counted[module])[0]
    assert tuple(calls.get(f, 0) for f in ("DismGetPackages", "DismGetPackageInfo", "DismGetCapabilities",
                                           "DismGetCapabilityInfo")) == LIST_CALLS[module], calls


@pytest.mark.parametrize("variant", sorted(FEATURE_INFO_VARIANTS))
def test_feature_info_reads_details_only_where_asked(counted, variant):
    calls, counts = counts_of(counted["dism_feature_info " + variant])
    assert counts == FEATURE_INFO_VARIANTS[variant][1], calls


def test_labctl_calls_sums_the_host(lab, counted):
    total = json.loads(lab.labctl("calls", "win1", "--json"))
    wire = sum(n for r in lab.wire("win1") if r.get("dism_calls") for n in r["dism_calls"].values())
    assert total["total"] == wire and total["calls"]["DismInitialize"] >= len(counted)
