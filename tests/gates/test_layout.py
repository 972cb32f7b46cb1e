# Copyright (c) winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gate: the C# structs, the lab's C build and the Win64 header agree on every size and offset.

DismApi.h packs every structure to 1 byte; a C# struct that drifts from it (missing Pack = 1, a
missing or misplaced field, a wrong type) reads garbage on Windows without any error. The structs
checked are the ones the compiled helper declares (found by reflection, not a hand list); the C
side is generated from their names, so a C# field name the header lacks fails to compile.
"""

from __future__ import annotations

import os
import re

import pytest

from gatelib import HELPER_CS, compile_cs, require_tool, run
import layoutlib

HERE = os.path.dirname(os.path.abspath(__file__))
DUMP_SOURCE = os.path.join(HERE, 'layout', 'DumpLayout.cs')


@pytest.fixture(scope='session')
def dump_exe(tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp('dumplayout') / 'DumpLayout.exe')
    result = compile_cs([DUMP_SOURCE], out, target='exe')
    assert result.returncode == 0, f'mcs failed on DumpLayout.cs:\n{result.stdout}{result.stderr}'
    return out


def csharp_layout(dump_exe: str, dll: str) -> dict[str, layoutlib.Struct]:
    mono = require_tool('mono', 'mono-runtime')
    result = run([mono, dump_exe, dll])
    assert result.returncode == 0, f'DumpLayout failed:\n{result.stdout}{result.stderr}'
    structs = layoutlib.parse_dump(result.stdout)
    assert structs, 'DumpLayout found no struct in the helper'
    return structs


@pytest.fixture(scope='session')
def cs_structs(dump_exe, helper_dll) -> dict[str, layoutlib.Struct]:
    return csharp_layout(dump_exe, helper_dll)


@pytest.fixture(scope='session')
def lab_structs(cs_structs, tmp_path_factory) -> dict[str, layoutlib.Struct]:
    return layoutlib.lab_layout(cs_structs, str(tmp_path_factory.mktemp('lablayout')))


@pytest.fixture(scope='session')
def win64_structs(cs_structs, tmp_path_factory) -> dict[str, layoutlib.Struct]:
    return layoutlib.mingw_layout(cs_structs, str(tmp_path_factory.mktemp('win64layout')))


def test_win32_find_data_has_the_win64_size(dump_exe, helper_dll):
    # WIN32_FIND_DATAW (minwinbase.h): 4 + 3*8 + 4*4 + 260*2 + 14*2 = 592 bytes, natural alignment.
    result = run([require_tool('mono', 'mono-runtime'), dump_exe, helper_dll])
    assert layoutlib.win32_sizes(result.stdout) == {'WIN32_FIND_DATAW': 592}


def header_struct_names() -> set[str]:
    with open(layoutlib.DISMAPI_HEADER, encoding='utf-8') as handle:
        header = handle.read()
    return set(re.findall(r'typedef\s+struct\s+_(\w+)', header))


def compare(expected: dict[str, layoutlib.Struct], actual: dict[str, layoutlib.Struct]) -> list[str]:
    """Differences between two layouts, field by field (matched by name)."""
    problems = []
    for name, want in sorted(expected.items()):
        got = actual.get(name)
        if got is None:
            problems.append(f'{name}: missing')
            continue
        if want.size != got.size:
            problems.append(f'{name}: size {want.size} != {got.size}')
        got_fields = got.field_map()
        for f in want.fields:
            other = got_fields.get(f.name)
            if other is None:
                problems.append(f'{name}.{f.name}: missing')
            elif (f.offset, f.size) != (other.offset, other.size):
                problems.append(f'{name}.{f.name}: offset/size {f.offset}/{f.size} != {other.offset}/{other.size}')
    return problems


def test_every_header_struct_is_declared(cs_structs):
    missing = header_struct_names() - set(cs_structs)
    assert not missing, f'structs of dismapi.h not declared in _DismHelper.cs: {sorted(missing)}'


def test_structs_live_in_nativehelpers_packed(cs_structs):
    for s in cs_structs.values():
        assert s.declaring == 'NativeHelpers', f'{s.name} is declared in {s.declaring}, not NativeHelpers'
        assert s.kind == 'Sequential', f'{s.name} must be LayoutKind.Sequential'
        assert s.pack == 1, f'{s.name} must be declared with Pack = 1 (DismApi.h uses #pragma pack(1))'
        assert s.fields, f'{s.name} has no fields'


def test_fields_cover_struct_without_gaps(cs_structs):
    """Packed and contiguous: no C field can be missing between or after the C# fields."""
    for s in cs_structs.values():
        offset = 0
        for f in s.fields:
            assert f.offset == offset, f'{s.name}.{f.name} at {f.offset}, expected {offset} (gap or overlap)'
            offset += f.size
        assert offset == s.size, f'{s.name}: fields end at {offset}, struct size {s.size}'


def test_csharp_matches_lab_c(cs_structs, lab_structs):
    problems = compare(cs_structs, lab_structs)
    assert not problems, 'C# and the lab C build disagree:\n' + '\n'.join(problems)


def test_csharp_matches_win64_header(cs_structs, win64_structs):
    problems = compare(cs_structs, win64_structs)
    assert not problems, 'C# and x86_64-w64-mingw32 dismapi.h disagree:\n' + '\n'.join(problems)


def test_lab_c_matches_win64_header(lab_structs, win64_structs):
    problems = compare(win64_structs, lab_structs)
    assert not problems, 'the lab C build and x86_64-w64-mingw32 dismapi.h disagree:\n' + '\n'.join(problems)


def test_known_sizes(win64_structs):
    """Anchors from DismApi.h (x64, pack 1), so all three views cannot be wrong together."""
    known = {'DismFeature': 12, 'DismCapability': 12, 'DismCustomProperty': 24, 'DismMountedImageInfo': 28,
             'DismPackage': 32, 'DismCapabilityInfo': 36, 'DismFeatureInfo': 44, 'DismWimCustomizedInfo': 44,
             'DismDriver': 52, 'DismDriverPackage': 100, 'DismImageInfo': 140, 'DismPackageInfo': 172,
             'DismPackageInfoEx': 180, 'DismString': 8, 'SYSTEMTIME': 16}
    for name, size in known.items():
        assert win64_structs[name].size == size, f'{name}: {win64_structs[name].size} != {size}'


def test_packing_matters(cs_structs):
    """Natural alignment would differ (DismFeature 16, not 12), so a lost Pack = 1 is visible."""
    assert cs_structs['DismFeature'].size == 12
    assert layoutlib.natural_size(cs_structs['DismFeature']) == 16
    differing = [s.name for s in cs_structs.values() if layoutlib.natural_size(s) != s.size]
    assert len(differing) >= 8, differing


def test_gate_catches_missing_pack(dump_exe, win64_structs, tmp_path):
    """Mutation check: the same helper without Pack = 1 must fail the comparison."""
    with open(HELPER_CS, encoding='utf-8') as handle:
        source = handle.read()
    mutated = source.replace('Pack = 1, ', '')
    assert mutated != source
    src = tmp_path / 'Unpacked.cs'
    src.write_text(mutated, encoding='utf-8')
    dll = str(tmp_path / 'Unpacked.dll')
    result = compile_cs([str(src)], dll)
    assert result.returncode == 0, result.stdout + result.stderr
    problems = compare(csharp_layout(dump_exe, dll), win64_structs)
    assert any(p.startswith('DismFeature: size 16 != 12') for p in problems), problems
