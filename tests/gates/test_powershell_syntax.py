"""PowerShell syntax gate: pwsh cannot run here, so every .ps1 is parsed with tree-sitter-pwsh.

A smoke check (it catches unbalanced braces, broken strings and the like), not PSScriptAnalyzer.
"""

from __future__ import annotations

import pathlib

import pytest
import tree_sitter
import tree_sitter_pwsh

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in REPO.glob("plugins/**/*.ps*1") if ".cache" not in p.parts)
_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_pwsh.language()))


def syntax_errors(source: bytes) -> list[str]:
    found: list[str] = []

    def walk(node: tree_sitter.Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            line, column = node.start_point
            found.append("line %d, column %d: %s" % (line + 1, column + 1, "missing " + node.type if node.is_missing else "syntax error"))
        for child in node.children:
            walk(child)

    walk(_PARSER.parse(source).root_node)
    return found


def test_there_is_a_script_to_check():
    assert [p.name for p in SCRIPTS] == ["dism_helper.ps1"]


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_parses_without_errors(script):
    assert syntax_errors(script.read_bytes()) == []


@pytest.mark.parametrize("broken", [b"function f { if ($x) { 1 }\n", b"$a = 'unterminated\n", b"foreach ($i in @(1,2) { $i }\n"])
def test_the_gate_catches_broken_scripts(broken):
    assert syntax_errors(broken)
