# Copyright (c) winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the gates; the helpers live in gatelib.py."""

from __future__ import annotations

import os

import pytest

from gatelib import HELPER_CS, REPO_ROOT, compile_cs, require_tool, run


@pytest.fixture(scope='session')
def helper_dll(tmp_path_factory) -> str:
    """_DismHelper.cs compiled as the lab host does it (WinImagingDismHelper.dll)."""
    out_dir = tmp_path_factory.mktemp('helper')
    out = str(out_dir / 'WinImagingDismHelper.dll')
    result = compile_cs([HELPER_CS], out)
    assert result.returncode == 0, f'mcs failed:\n{result.stdout}{result.stderr}'
    return out


@pytest.fixture(scope='session')
def mono() -> str:
    return require_tool('mono', 'mono-runtime')


@pytest.fixture(scope='session')
def runner_exe() -> str:
    """tests/lab/runner/build/LabRunner.exe, built by its build.sh."""
    require_tool('mcs', 'mono-mcs')
    if not os.path.exists('/usr/lib/mono/4.5/System.Web.Extensions.dll'):
        pytest.fail('System.Web.Extensions.dll missing: install it with "apt-get install libmono-system-web-extensions4.0-cil"',
                    pytrace=False)
    runner_dir = os.path.join(REPO_ROOT, 'tests', 'lab', 'runner')
    result = run(['bash', os.path.join(runner_dir, 'build.sh')])
    assert result.returncode == 0, f'build.sh failed:\n{result.stdout}{result.stderr}'
    exe = os.path.join(runner_dir, 'build', 'LabRunner.exe')
    assert os.path.exists(exe)
    return exe
