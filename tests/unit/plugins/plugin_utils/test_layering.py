"""The planners are pure: only the action base (_action.py) may import Ansible's plugin classes."""

from __future__ import annotations

import ast
import pathlib

import pytest

PLUGIN_UTILS = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "plugin_utils"
PURE = sorted(p for p in PLUGIN_UTILS.glob("_*.py") if p.name != "_action.py")


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
    return names


@pytest.mark.parametrize("path", PURE, ids=lambda p: p.name)
def test_no_planner_imports_ansible_or_the_action_base(path):
    imported = _imports(path)
    assert not [n for n in imported if n.startswith("ansible")], imported
    assert "._action" not in imported


def test_there_are_planners_to_check():
    assert {"_features.py", "_mount.py", "_drivers.py", "_plan.py"} <= {p.name for p in PURE}
