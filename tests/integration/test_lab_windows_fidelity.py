"""Windows behaviours the host path must survive, reproduced by the lab, through real ansible-playbook.

win1 runs modules in Windows PowerShell 5.1, win2 in PowerShell 7 (labctl up --powershell 5.1,7):
both hand the helper ansible-core 2.19's argument shapes (PSObject-wrapped list items, Int32 or
Int64, DateTime for ISO strings on 7), both keep a loaded DLL locked, and 5.1's Add-Type may keep
the assembly it built loaded.
"""

from __future__ import annotations

import pytest

from lablib import at_once, module_task as task

pytestmark = pytest.mark.lab

WIM = "C:\\images\\win11.wim"


def helper_runs(lab, host):
    return [w for w in lab.wire(host) if w.get("module") == "winimaging.dism.dism_helper"]


@pytest.mark.parametrize("host", ["win1", "win2"])
def test_list_options_reach_dism_on_either_powershell(lab, tmp_path, host):
    # Every item of 'name' arrives wrapped in PSObject; before the executor unwrapped them this
    # failed with "'names' must be a list of strings" (community.windows#665, ansible#84868).
    lab.labctl("reset", host)
    run = lab.playbook("\n".join([
        task("dism_feature", "enable", name=["TelnetClient", "NetFx4Extended-ASPNET45"]),
        task("dism_feature_info", "info", name=["TelnetClient", "NetFx4Extended-ASPNET45"]),
        task("dism_image_info", "indexes", image_path=WIM, index=2),
    ]), tmp_path, hosts=host)
    enable = run.task("enable").result
    assert enable.get("failed") is not True, enable
    assert enable["changed"] is True
    assert sorted(f["name"] for f in enable["features"]) == ["NetFx4Extended-ASPNET45", "TelnetClient"]
    info = run.task("info").result
    assert {f["name"]: f["state"] for f in info["features"]} == {"TelnetClient": "enabled", "NetFx4Extended-ASPNET45": "enabled"}
    indexes = run.task("indexes").result
    assert indexes.get("failed") is not True, indexes
    assert [i["index"] for i in indexes["images"]] == [2]


@pytest.mark.parametrize("host", ["win1", "win2"])
def test_concurrent_first_tasks_on_a_fresh_host_all_succeed(lab, tmp_path, host):
    # Three playbooks start at once on a host that has never seen this helper version: one
    # compiles, the others wait on the install mutex and load what it installed. On Windows a
    # loaded DLL cannot be deleted or moved, and the lab refuses the same.
    lab.labctl("reset", host)
    runs = at_once(lab, tmp_path, task("dism_image_info", "indexes", image_path=WIM), 3, hosts=host)
    for run in runs:
        result = run.task("indexes").result
        assert result.get("failed") is not True, result
        assert len(result["images"]) == 3
    compiles = [w["helper_compiles"] for w in helper_runs(lab, host)]
    assert sum(compiles) == 1, compiles
    assert (lab.root(host) / "lab" / "helper-compiles").read_text().strip() == "1"


@pytest.mark.parametrize(("setting", "condition", "expected"), [
    ("elevated=false", "not_elevated",
     "The connection's account has no elevated administrator token on the host, and DISM refuses to run without one"
     " (host: WIN2\\labadmin has no elevated Administrators token): 0x800702E4 ERROR_ELEVATION_REQUIRED."
     " Hint: Connect as a member of the local Administrators group"),
    ("process_bits=32", "wow64",
     "The module ran in a 32-bit PowerShell on 64-bit Windows; DISM must run in a process of the operating system's"
     " architecture (host: 32-bit PowerShell on 64-bit Windows). Hint: Use the 64-bit PowerShell"),
    ("language_mode=ConstrainedLanguage", "language_mode",
     "PowerShell on the host runs this module in ConstrainedLanguage mode"),
])
def test_host_conditions_fail_before_anything_is_written(lab, tmp_path, setting, condition, expected):
    lab.labctl("reset", "win2")
    lab.labctl("condition", "win2", setting)
    try:
        run = lab.playbook(task("dism_image_info", "indexes", image_path=WIM), tmp_path, hosts="win2")
    finally:
        lab.labctl("condition", "win2", "--clear")
    result = run.task("indexes").result
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith(expected), result["msg"]
    assert result["host_condition"] == condition
    # Refused before the cache was touched, and the source was never sent.
    assert not (lab.windows_path("win2", "C:\\ProgramData\\winimaging.dism")).exists()
    assert [w["helper_compiles"] for w in helper_runs(lab, "win2")] == [0]
