"""Path options are checked on the controller: a relative, malformed or over-long path, or an empty
list, is refused naming the option, before anything reaches the host."""

from __future__ import annotations

import pytest

from lablib import module_task as task

pytestmark = pytest.mark.lab

WIM = "C:\\images\\win11.wim"


def helper_runs(lab, host):
    return [w for w in lab.wire(host) if w.get("module") == "winimaging.dism.dism_helper"]


@pytest.mark.parametrize(("module", "args", "message"), [
    ("dism_image_mount", {"image_path": WIM, "index": 1, "path": "mount\\b7"},
     "Invalid options: path 'mount\\b7' cannot be used (an absolute path expected): it is relative, and would be resolved"
     " on the host against the helper's working folder; give a drive path (C:\\...) or a UNC path (\\\\server\\share\\...)."),
    ("dism_image_mount", {"image_path": WIM, "index": 1, "path": ""},
     "Invalid options: path '' cannot be used (an absolute path expected): it is empty."),
    ("dism_image_mount", {"image_path": WIM, "index": 1, "path": "C:\\mount\\bad|name"},
     "Invalid options: path 'C:\\mount\\bad|name' cannot be used (an absolute path expected): the name 'bad|name'"
     " contains '|', which Windows does not allow in file names."),
    ("dism_image_info", {"image_path": "C:\\images\\NUL.wim"},
     "Invalid options: image_path 'C:\\images\\NUL.wim' cannot be used (an absolute path expected): the name 'NUL.wim'"
     " is the reserved device name NUL."),
    ("dism_driver", {"path": "C:\\mount\\x", "driver": []},
     "Invalid options: driver is an empty list: name at least one, or leave the option out."),
    ("dism_feature", {"name": ["TelnetClient"], "source": ["sxs"], "log_path": "C:\\logs\\dism.log."},
     "Invalid options: source 'sxs' cannot be used (an absolute path expected): it is relative"),
])
def test_bad_paths_are_refused_before_the_host_is_called(lab, host, tmp_path, module, args, message):
    result = lab.playbook(task(module, "t", **args), tmp_path).task("t").result
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith(message), result["msg"]
    assert helper_runs(lab, host) == [], "nothing may reach the host"


def test_an_over_long_mount_folder_is_refused_with_the_limit(lab, host, tmp_path):
    deep = "C:\\mount\\" + "\\".join(["folder%02d" % i for i in range(30)])
    result = lab.playbook(task("dism_image_mount", "t", image_path=WIM, index=1, path=deep), tmp_path).task("t").result
    assert result["failed"] is True
    assert "is %d characters long; DISM and the Windows calls the helper makes take at most 259 (MAX_PATH)" % len(deep) in result["msg"]
    assert not lab.windows_path(host, "C:\\mount\\folder00").exists()


def test_the_result_carries_the_path_dism_used(lab, host, tmp_path):
    result = lab.playbook(task("dism_image_mount", "t", image_path=WIM, index=1, path="c:/mount/slashes"), tmp_path).task("t").result
    assert result["changed"] is True
    assert result["mount"]["path"] == "C:\\mount\\slashes"
    discard = task("dism_image_mount", "d", path="C:\\mount\\slashes", state="unmounted", commit=False)
    assert lab.playbook(discard, tmp_path).task("d").result["changed"] is True
