# Copyright (c) winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Three independent views of the DISM structure layouts, for tests/gates/test_layout.py.

* C#: DumpLayout.exe reflects over the compiled helper (Marshal.SizeOf / Marshal.OffsetOf).
* lab C: gcc (Linux x86-64) against the mingw-w64 dismapi.h through tests/lab/dismsim/shim,
  exactly as the simulator is built; the program prints sizeof/offsetof.
* Win64 C: x86_64-w64-mingw32-gcc against the same header with the real <windows.h>; the .exe
  cannot run here, so the values go into a const array in an object file whose .rdata section is
  extracted with objcopy and decoded.

The C programs are generated from the C# struct and field names, so every C# struct and field is
looked up by name in the C header (a C# name the header does not have fails to compile).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from gatelib import REPO_ROOT, require_tool, run

DISMAPI_HEADER = '/usr/share/mingw-w64/include/dismapi.h'
SHIM_DIR = os.path.join(REPO_ROOT, 'tests', 'lab', 'dismsim', 'shim')
MAGIC_START = 0x4C41594F  # 'LAYO'
MAGIC_END = 0x454E4421


@dataclass
class Field:
    name: str
    offset: int
    size: int


@dataclass
class Struct:
    name: str
    declaring: str
    size: int
    pack: int = 0
    kind: str = ''
    fields: list[Field] = field(default_factory=list)

    def field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}


def parse_dump(text: str) -> dict[str, Struct]:
    """Parse DumpLayout.exe output."""
    structs: dict[str, Struct] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == 'STRUCT':
            declaring, name, size, pack, kind = parts[1:]
            structs[name] = Struct(name=name, declaring=declaring, size=int(size), pack=int(pack), kind=kind)
        elif parts[0] == 'FIELD':
            owner, name, offset, size = parts[1:]
            structs[owner].fields.append(Field(name=name, offset=int(offset), size=int(size)))
        elif parts[0] == 'WIN32':
            continue  # Win32 (not DISM) structures: checked by win32_sizes()
        else:
            raise ValueError(f'unexpected DumpLayout line: {line!r}')
    for s in structs.values():
        s.fields.sort(key=lambda f: f.offset)
    return structs


def win32_sizes(text: str) -> dict[str, int]:
    """The Win32 (not DISM) structures DumpLayout reports by size."""
    return {parts[1]: int(parts[2]) for parts in (line.split() for line in text.splitlines()) if parts and parts[0] == 'WIN32'}


def _value_list(structs: dict[str, Struct]) -> list[tuple[str, str | None, str]]:
    """The order of the values in the generated array: (struct, field or None, 'size'/'offset')."""
    order: list[tuple[str, str | None, str]] = []
    for name in sorted(structs):
        order.append((name, None, 'size'))
        for f in structs[name].fields:
            order.append((name, f.name, 'offset'))
            order.append((name, f.name, 'size'))
    return order


def generate_c(structs: dict[str, Struct], prelude: str, with_main: bool) -> str:
    lines = [prelude, '#include <stddef.h>', '#include <stdio.h>', '']
    lines.append('const unsigned int dism_layout[] = {')
    lines.append(f'    {MAGIC_START:#x}u,')
    lines.append(f'    {len(_value_list(structs))}u,')
    for name, fname, what in _value_list(structs):
        if fname is None:
            lines.append(f'    (unsigned int)sizeof({name}),')
        elif what == 'offset':
            lines.append(f'    (unsigned int)offsetof({name}, {fname}),')
        else:
            lines.append(f'    (unsigned int)sizeof((({name} *)0)->{fname}),')
    lines.append(f'    {MAGIC_END:#x}u,')
    lines.append('};')
    if with_main:
        lines += [
            '',
            'int main(void)',
            '{',
            '    size_t i;',
            '    for (i = 0; i < sizeof(dism_layout) / sizeof(dism_layout[0]); i++)',
            '        printf("%u\\n", dism_layout[i]);',
            '    return 0;',
            '}',
        ]
    return '\n'.join(lines) + '\n'


def _decode(values: list[int], structs: dict[str, Struct]) -> dict[str, Struct]:
    order = _value_list(structs)
    try:
        start = values.index(MAGIC_START)
    except ValueError as exc:
        raise AssertionError('layout array start marker not found') from exc
    count = values[start + 1]
    assert count == len(order), f'layout array has {count} values, expected {len(order)}'
    body = values[start + 2:start + 2 + count]
    assert values[start + 2 + count] == MAGIC_END, 'layout array end marker not found'
    result: dict[str, Struct] = {}
    pending: dict[tuple[str, str], int] = {}
    for (name, fname, what), value in zip(order, body):
        if fname is None:
            result[name] = Struct(name=name, declaring='C', size=value)
        elif what == 'offset':
            pending[(name, fname)] = value
        else:
            result[name].fields.append(Field(name=fname, offset=pending.pop((name, fname)), size=value))
    return result


def _check_header() -> None:
    if not os.path.exists(DISMAPI_HEADER):
        raise AssertionError(f'{DISMAPI_HEADER} missing: install it with "apt-get install mingw-w64-common"')


def lab_layout(structs: dict[str, Struct], workdir: str) -> dict[str, Struct]:
    """The layout the simulator is built with: Linux gcc + shim + mingw-w64 dismapi.h."""
    _check_header()
    gcc = require_tool('gcc', 'gcc')
    src = os.path.join(workdir, 'layout_lab.c')
    exe = os.path.join(workdir, 'layout_lab')
    with open(src, 'w', encoding='utf-8') as handle:
        handle.write(generate_c(structs, '#include "dismapi_lab.h"', with_main=True))
    result = run([gcc, '-std=gnu11', '-fms-extensions', '-Wall', '-Werror', '-I', SHIM_DIR,
                  f'-DDISMAPI_HEADER="{DISMAPI_HEADER}"', '-o', exe, src])
    assert result.returncode == 0, f'gcc (lab) failed:\n{result.stdout}{result.stderr}'
    result = run([exe])
    assert result.returncode == 0, result.stderr
    return _decode([int(v) for v in result.stdout.split()], structs)


def mingw_layout(structs: dict[str, Struct], workdir: str) -> dict[str, Struct]:
    """The Win64 layout: x86_64-w64-mingw32-gcc, real <windows.h>, object file decoded."""
    _check_header()
    cc = require_tool('x86_64-w64-mingw32-gcc', 'gcc-mingw-w64-x86-64')
    objcopy = require_tool('x86_64-w64-mingw32-objcopy', 'binutils-mingw-w64-x86-64')
    src = os.path.join(workdir, 'layout_win64.c')
    obj = os.path.join(workdir, 'layout_win64.o')
    raw = os.path.join(workdir, 'layout_win64.rdata')
    with open(src, 'w', encoding='utf-8') as handle:
        handle.write(generate_c(structs, '#include <windows.h>\n#include <dismapi.h>', with_main=False))
    result = run([cc, '-std=gnu11', '-fms-extensions', '-Wall', '-Werror', '-O0', '-c', '-o', obj, src])
    assert result.returncode == 0, f'x86_64-w64-mingw32-gcc failed:\n{result.stdout}{result.stderr}'
    result = run([objcopy, '-O', 'binary', '--only-section=.rdata', obj, raw])
    assert result.returncode == 0, f'objcopy failed:\n{result.stdout}{result.stderr}'
    with open(raw, 'rb') as handle:
        data = handle.read()
    assert data, '.rdata section of the mingw object is empty'
    # The array is 4-byte aligned; scan every alignment anyway, little-endian (Win64).
    for shift in range(4):
        chunk = data[shift:]
        chunk = chunk[:len(chunk) - len(chunk) % 4]
        values = list(struct.unpack(f'<{len(chunk) // 4}I', chunk))
        if MAGIC_START in values:
            return _decode(values, structs)
    raise AssertionError('layout array not found in the mingw object .rdata section')


# Natural (unpacked) alignment of the field types that occur in DISM structures, used to show the
# packed layout really differs from what a C# struct without Pack = 1 would get on x64.
_NATURAL_ALIGN = {8: 8, 4: 4, 2: 2, 1: 1, 16: 2}  # 16 = SYSTEMTIME (eight WORDs)


def natural_size(s: Struct) -> int:
    offset = 0
    align_max = 1
    for f in s.fields:
        align = _NATURAL_ALIGN[f.size]
        align_max = max(align_max, align)
        offset = (offset + align - 1) // align * align + f.size
    return (offset + align_max - 1) // align_max * align_max
