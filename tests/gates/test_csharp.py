# Copyright (c) winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gate: the helper's C# (the _DismHelper*.cs files, joined as the host gets them) compiles at C# 5 with warnings as errors, and the gate itself can fail.

Windows PowerShell 5.1 compiles with csc at C# 5 and Ansible treats warnings as errors; no
ansible-test sanity check compiles .cs files, so this is where C# breakage is caught.
"""

from __future__ import annotations

import os
import re

import pytest

from gatelib import HELPER_CS, HELPER_FILES, HELPER_NAMESPACE, MODULE_UTILS, compile_cs

WARNING = re.compile(r'warning CS\d+')
ERROR = re.compile(r'error CS\d+')


def test_helper_compiles_at_csharp5_without_warnings(tmp_path):
    result = compile_cs([HELPER_CS], str(tmp_path / 'WinImagingDismHelper.dll'))
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'mcs failed:\n{output}'
    assert not WARNING.search(output), f'mcs reported warnings:\n{output}'
    assert not ERROR.search(output), output


@pytest.mark.parametrize('path', HELPER_FILES, ids=os.path.basename)
def test_helper_source_rules(path):
    """Rules a C# 5 compiler does not check but Windows hosts need, file by file."""
    with open(path, encoding='utf-8') as handle:
        source = handle.read()
    assert f'namespace {HELPER_NAMESPACE}' in source
    assert 'FOR INTERNAL COLLECTION USE ONLY' in source
    code = re.sub(r'/\*.*?\*/', '', source, flags=re.S)
    code = re.sub(r'//[^\n]*', '', code)
    # The files are joined into one source: a using directive outside the namespace would land
    # after another file's namespace, which C# rejects.
    assert not re.search(r'^using ', code, flags=re.M), 'using directives belong inside the namespace'
    # No JSON and no PowerShell types: the same source loads in Windows PowerShell 5.1 and 7.
    # PSObject is known by name only (a string for reflection, Args.Unwrap), never referenced.
    code_only = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', code)
    for forbidden in ('System.Management.Automation', 'JavaScriptSerializer', 'System.Text.Json',
                      'Newtonsoft', 'ReliabilityContract', 'PrepareConstrainedRegions'):
        assert forbidden not in code_only, f'{forbidden} must not be used in the helper'
    # Every DismApi/kernel32 import is pinned to System32 and Unicode.
    imports = re.findall(r'\[DllImport\(([^\]]*)\)\]\s*(\[[^\]]*\]\s*)?', code)
    for args, following in imports:
        assert 'CharSet = CharSet.Unicode' in args, args
        assert following and 'DefaultDllImportSearchPaths(DllImportSearchPath.System32)' in following, args
    # The source is hashed as UTF-8 on both sides: no BOM, so the bytes are the same everywhere.
    with open(path, 'rb') as handle:
        assert not handle.read(3).startswith(b'\xef\xbb\xbf'), f'{path} must not start with a BOM'


def test_the_joined_source_has_everything_once():
    with open(HELPER_CS, encoding='utf-8') as handle:
        joined = handle.read()
    assert joined.count('[DllImport(') >= 40, 'the P/Invoke layer is part of the helper'
    assert joined.count('"System.Management.Automation.PSObject"') == 1, 'one name for PSObject (Args.PSObjectTypeName)'
    on_disk = sorted(n for n in os.listdir(MODULE_UTILS) if n.startswith('_DismHelper') and n.endswith('.cs'))
    assert sorted(os.path.basename(p) for p in HELPER_FILES) == on_disk, 'every helper file is in HELPER_SOURCE_FILES'


@pytest.mark.parametrize('snippet', [
    'class C { string M(int x) { return $"{x}"; } }',                       # interpolated string
    'class C { string M(object o) { return o?.ToString(); } }',             # null-conditional
    'class C { int P { get; } = 1; }',                                      # auto-property initialiser
    'class C { int M() => 1; }',                                            # expression-bodied member
    'class C { string M(int x) { return nameof(x); } }',                    # nameof
])
def test_gate_rejects_csharp6(tmp_path, snippet):
    """The compile gate must be able to fail: C# 6 syntax is rejected at -langversion:5."""
    src = tmp_path / 'Cs6.cs'
    src.write_text(snippet + '\n', encoding='utf-8')
    result = compile_cs([str(src)], str(tmp_path / 'Cs6.dll'))
    assert result.returncode != 0, f'C# 6 syntax was accepted:\n{snippet}'
    assert ERROR.search(result.stdout + result.stderr)


def test_gate_rejects_warnings(tmp_path):
    """Warnings are errors: an unused variable fails the build."""
    src = tmp_path / 'Warn.cs'
    src.write_text('class C { void M() { int unused = 1; } }\n', encoding='utf-8')
    result = compile_cs([str(src)], str(tmp_path / 'Warn.dll'))
    assert result.returncode != 0


def test_reads_and_writes_agree_with_the_controller():
    """The C# table (OperationTable.Reads/Writes) and _action.READ_OPERATIONS name the same reads."""
    from ansible_collections.winimaging.dism.plugins.plugin_utils._action import READ_OPERATIONS

    with open(HELPER_CS, encoding='utf-8') as handle:
        joined = handle.read()
    reads = set(re.findall(r'table\.Reads\("(\w+)"', joined))
    writes = set(re.findall(r'table\.Writes\("(\w+)"', joined))
    assert reads and writes and not reads & writes
    assert reads == set(READ_OPERATIONS)
