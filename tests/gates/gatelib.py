# Copyright (c) winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the project's own gates (C# compile, struct layout, lab runner).

Gates never skip because a tool is missing: they fail and name the Debian package to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.winimaging.dism.plugins.plugin_utils._helper import HELPER_SOURCE_FILES, helper_source

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MODULE_UTILS = os.path.join(REPO_ROOT, 'plugins', 'module_utils')
# The helper's files, and the one source the controller sends and the host compiles (written
# here so mcs compiles exactly those bytes).
HELPER_FILES = [os.path.join(MODULE_UTILS, name) for name in HELPER_SOURCE_FILES]
HELPER_CS = os.path.join(REPO_ROOT, '.cache', 'gates', 'WinImagingDismHelper.cs')
os.makedirs(os.path.dirname(HELPER_CS), exist_ok=True)
with open(HELPER_CS, 'w', encoding='utf-8', newline='') as _joined:
    _joined.write(helper_source().text)
HELPER_NAMESPACE = 'ansible_collections.winimaging.dism.plugins.module_utils._DismHelper'
# The exact flags the lab host and CI use: C# 5 like Windows PowerShell 5.1's csc, warnings as errors
# like Ansible's Add-CSharpType.
MCS_FLAGS = ['-langversion:5', '-warnaserror', '-warn:4', '-nologo']

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'layout'))


def require_tool(name: str, package: str) -> str:
    """Return the path of a tool or fail the test naming the apt package that provides it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f'{name} not found on PATH: install it with "apt-get install {package}"', pytrace=False)
    return path


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault('capture_output', True)
    kwargs.setdefault('text', True)
    kwargs.setdefault('timeout', 300)
    return subprocess.run(cmd, check=False, **kwargs)  # pylint: disable=subprocess-run-check


def compile_cs(sources: list[str], out: str, target: str = 'library', references: list[str] | None = None,
               extra: list[str] | None = None) -> subprocess.CompletedProcess:
    mcs = require_tool('mcs', 'mono-mcs')
    cmd = [mcs] + MCS_FLAGS + (extra or []) + [f'-target:{target}', f'-out:{out}']
    cmd += [f'-r:{r}' for r in (references or [])]
    return run(cmd + sources)
