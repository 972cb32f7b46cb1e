from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils import _helper

SOURCE = _helper.HelperSource(text="class X {}", sha256=hashlib.sha256(b"class X {}").hexdigest())


class FakeHost:
    """Answers like dism_helper.ps1: a cache keyed by hash, compiled once."""

    def __init__(self, results=None):
        self.cache: set[str] = set()
        self.calls: list[dict] = []
        self.results = results

    def __call__(self, module_name, module_args, task_vars):
        assert module_name == "winimaging.dism.dism_helper"
        self.calls.append(dict(module_args))
        if self.results:
            return self.results.pop(0)
        h = module_args["helper_hash"]
        compiled = False
        if h not in self.cache:
            if "helper_source" not in module_args:
                return {"changed": False, "helper_missing": True}
            assert hashlib.sha256(module_args["helper_source"].encode()).hexdigest() == h
            self.cache.add(h)
            compiled = True
        return {"changed": False, "helper_compiled": compiled, "response": {"completed": True, "results": []}}


def test_first_call_sends_source_once_then_only_the_hash():
    host = FakeHost()
    client = _helper.HelperClient(host, {}, SOURCE)
    first = client.run({"operations": []})
    assert (first.module_calls, first.compiled) == (2, True)
    assert "helper_source" not in host.calls[0] and host.calls[1]["helper_source"] == SOURCE.text
    second = client.run({"operations": []})
    assert (second.module_calls, second.compiled) == (1, False)
    assert "helper_source" not in host.calls[2]


def test_real_source_hash_is_sha256_of_the_cs_file():
    src = _helper.helper_source()
    assert src.sha256 == hashlib.sha256(src.text.encode("utf-8")).hexdigest()
    # Every file, in HELPER_SOURCE_FILES order, each once.
    starts = []
    for name in _helper.HELPER_SOURCE_FILES:
        with open(os.path.join(_helper._MODULE_UTILS, name), encoding="utf-8") as f:
            text = f.read().rstrip("\n")
        assert src.text.count(text) == 1, name
        starts.append(src.text.index(text))
    assert starts == sorted(starts)
    assert "namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper" in src.text


def test_module_failure_is_reported_with_its_message():
    refusal = "Refusing to load the DISM helper: 'C:\\ProgramData\\winimaging.dism' is owned by S-1-5-21-1, not by Administrators or SYSTEM."
    host = FakeHost(results=[{"failed": True, "msg": refusal}])
    with pytest.raises(_helper.HelperError) as e:
        _helper.HelperClient(host, {}, SOURCE).run({})
    assert e.value.msg == "The DISM helper on the host failed: " + refusal + " Hint: " + _helper.CACHE_HINT + "."
    assert e.value.details["hint"] == _helper.CACHE_HINT
    assert "a task on this host still has the helper loaded" in _helper.CACHE_HINT


def test_host_process_death_is_reported_as_interrupted():
    dead = {"failed": True, "_ansible_parsed": False, "rc": 70, "module_stdout": "", "module_stderr": "boom\nlab: process exited\n", "msg": "MODULE FAILURE"}
    with pytest.raises(_helper.HelperError) as e:
        _helper.HelperClient(FakeHost(results=[dead]), {}, SOURCE).run({})
    assert e.value.msg == (
        "The DISM helper process on the host ended without returning a result (exit code 70). "
        "What it was doing was interrupted; check the image's state before retrying. Host output: lab: process exited"
    )
    assert e.value.details["rc"] == 70


def test_answer_without_response_is_a_failure():
    with pytest.raises(_helper.HelperError) as e:
        _helper.HelperClient(FakeHost(results=[{"changed": False}]), {}, SOURCE).run({})
    assert e.value.msg == "The DISM helper on the host failed: no message"


def test_host_warnings_are_kept_for_the_result():
    answer = {"changed": False, "response": {"results": []}, "warnings": ["low disk space on C:"]}
    client = _helper.HelperClient(FakeHost(results=[answer]), {}, SOURCE)
    client.run({})
    assert client.warnings == ["low disk space on C:"]


@pytest.mark.parametrize("condition", sorted(_helper.HOST_CONDITIONS))
def test_host_conditions_are_worded_by_the_controller(condition):
    answer = {"failed": True, "changed": False, "host_condition": condition, "msg": "as the host saw it"}
    host = FakeHost(results=[answer])
    with pytest.raises(_helper.HelperError) as e:
        _helper.HelperClient(host, {}, SOURCE).run({})
    wording = _helper.HOST_CONDITIONS[condition]
    assert e.value.msg.startswith(wording.summary + " (host: as the host saw it)")
    assert e.value.msg.endswith(". Hint: %s." % wording.hint)
    assert e.value.details["host_condition"] == condition
    assert len(host.calls) == 1, "a refusal must not be retried with the source"


def test_not_elevated_names_the_hresult_dism_would_return():
    host = FakeHost(results=[{"failed": True, "host_condition": "not_elevated", "msg": "HOST\\u has no elevated Administrators token"}])
    with pytest.raises(_helper.HelperError) as e:
        _helper.HelperClient(host, {}, SOURCE).run({})
    assert ": 0x800702E4 ERROR_ELEVATION_REQUIRED. Hint: Connect as a member of the local Administrators group" in e.value.msg
    assert "LocalAccountTokenFilterPolicy" in e.value.msg
    assert (e.value.details["hresult"], e.value.details["hresult_name"]) == ("0x800702E4", "ERROR_ELEVATION_REQUIRED")


def test_an_unknown_host_condition_is_still_a_clear_failure():
    host = FakeHost(results=[{"failed": True, "host_condition": "new_thing", "msg": "details"}])
    with pytest.raises(_helper.HelperError) as e:
        _helper.HelperClient(host, {}, SOURCE).run({})
    assert e.value.msg == "The DISM helper refused to run on the host: details (new_thing)"


def test_every_call_names_its_caller():
    host = FakeHost()
    _helper.HelperClient(host, {}, SOURCE, caller="winimaging.dism.dism_feature").run({"operations": []})
    assert [c["caller"] for c in host.calls] == ["winimaging.dism.dism_feature"] * 2
