"""Every action plugin's option spec equals its module DOCUMENTATION (one source of truth, checked)."""

from __future__ import annotations

import pathlib

import pytest
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.winimaging.dism.plugins.plugin_utils._options import MODULE_SPECS

REPO = pathlib.Path(__file__).resolve().parents[3]
_KEYS = ("type", "required", "default", "choices", "elements", "aliases")


def _normalise(opt: dict) -> dict:
    out = {k: opt[k] for k in _KEYS if opt.get(k) not in (None, False, [])}
    out.setdefault("type", "str")
    return out


@pytest.mark.parametrize("module", sorted(MODULE_SPECS))
def test_spec_equals_documentation(module):
    doc = get_docstring(str(REPO / "plugins" / "modules" / ("%s.py" % module)), fragment_loader, is_module=True, collection_name="winimaging.dism")[0]
    documented = {name: _normalise(opt) for name, opt in doc["options"].items()}
    spec = {name: _normalise(opt) for name, opt in MODULE_SPECS[module].argument_spec.items()}
    assert spec == documented


def test_every_public_module_has_an_action_plugin_and_a_spec():
    modules = {p.stem for p in (REPO / "plugins" / "modules").glob("dism_*.py")} - {"dism_helper"}
    actions = {p.stem for p in (REPO / "plugins" / "action").glob("dism_*.py")}
    assert modules == actions == set(MODULE_SPECS)
