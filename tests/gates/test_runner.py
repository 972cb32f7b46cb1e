# Copyright (c) winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gate: the Mono lab runner (tests/lab/runner) and a smoke run of the helper against the simulator.

The runner stands in for dism_helper.ps1's ConvertFrom-Json -> Executor.Run -> ConvertTo-Json, so
its JSON must be exact: 64-bit integers, non-ASCII text, nulls and nesting all round-trip.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from gatelib import REPO_ROOT, compile_cs, require_tool, run

RUNNER_DIR = os.path.join(REPO_ROOT, 'tests', 'lab', 'runner')
DISMSIM_DIR = os.path.join(REPO_ROOT, 'tests', 'lab', 'dismsim')
DISMSIM_BUILD = os.path.join(DISMSIM_DIR, 'build')
DLLMAP = """<configuration>
  <dllmap dll="kernel32.dll" target="libLabKernel32.so" os="!windows"/>
</configuration>
"""

# An Executor with the helper's type name that echoes what it was given, for runner-only checks.
ECHO_EXECUTOR = r'''
using System;
using System.Collections;
namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    public static class Executor
    {
        public static Hashtable Run(IDictionary request)
        {
            if (request.Contains("throw"))
            {
                throw new InvalidOperationException("asked to throw");
            }
            Hashtable r = new Hashtable();
            r["request_type"] = request.GetType().FullName;
            r["list_type"] = request["list"] == null ? null : request["list"].GetType().FullName;
            r["number_types"] = new ArrayList();
            foreach (object o in (IList)request["list"])
            {
                // "PSObject:Int32": the wrapper's type, then what its BaseObject holds.
                string name = o == null ? null : o.GetType().Name;
                System.Reflection.PropertyInfo inner = o == null ? null : o.GetType().GetProperty("BaseObject");
                if (inner != null)
                {
                    object held = inner.GetValue(o, null);
                    name += ":" + (held == null ? "null" : held.GetType().Name);
                }
                ((ArrayList)r["number_types"]).Add(name);
            }
            r["when"] = request.Contains("when") ? request["when"].GetType().Name : null;
            r["key_lookup_ignores_case"] = request.Contains("TEXT");
            r["echo"] = request["text"];
            r["ulong_max"] = UInt64.MaxValue;
            r["long_min"] = Int64.MinValue;
            r["int_min"] = Int32.MinValue;
            r["non_ascii"] = "C:\\Mount\\\u00e9\u20ac\u4e2d\U0001F600 \"q\" \t\u0001";
            r["lone_surrogate"] = "a\ud800b";
            r["nothing"] = null;
            r["flags"] = new ArrayList(new object[] { true, false });
            if (request.Contains("bad_type"))
            {
                r["bad"] = 1.5;
            }
            return r;
        }
    }
}
'''


@pytest.fixture(scope='session')
def echo_dll(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp('echo')
    src = folder / 'Echo.cs'
    src.write_text(ECHO_EXECUTOR, encoding='utf-8')
    dll = str(folder / 'Echo.dll')
    result = compile_cs([str(src)], dll)
    assert result.returncode == 0, result.stdout + result.stderr
    return dll


def run_runner(mono: str, runner: str, dll: str, request: bytes, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([mono, runner, dll], input=request, capture_output=True, timeout=120, env=env, check=False)


def test_runner_round_trips_json(mono, runner_exe, echo_dll):
    request = {'text': 'Zürich € 中 😀 "x"\\', 'list': [1, 2 ** 40, 1.5, None, 18446744073709551615]}
    proc = run_runner(mono, runner_exe, echo_dll, json.dumps(request, ensure_ascii=False).encode('utf-8'))
    assert proc.returncode == 0, proc.stderr.decode('utf-8', 'replace')
    assert not proc.stdout.startswith(b'\xef\xbb\xbf'), 'stdout must not start with a BOM'
    response = json.loads(proc.stdout.decode('utf-8'))
    # What ansible-core 2.19's exec wrapper hands a module on Windows PowerShell 5.1.
    assert response['request_type'] == 'System.Collections.Hashtable'
    assert response['key_lookup_ignores_case'] is True
    assert response['list_type'] == 'System.Object[]'
    assert response['number_types'][:3] == ['PSObject:Int32', 'PSObject:Int64', 'PSObject:Decimal']
    assert response['number_types'][3] is None
    assert response['echo'] == request['text']
    assert response['ulong_max'] == 18446744073709551615
    assert response['long_min'] == -9223372036854775808
    assert response['int_min'] == -2147483648
    assert response['non_ascii'] == 'C:\\Mount\\é€中😀 "q" \t\x01'
    assert response['lone_surrogate'] == 'a\ud800b'
    assert response['nothing'] is None
    assert response['flags'] == [True, False]


@pytest.mark.parametrize('exec_format, flavour, numbers, when, ignores_case', [
    ('2.19', '5.1', ['PSObject:Int32', 'PSObject:Int64', 'PSObject:Decimal'], 'String', True),
    ('2.19', '7', ['PSObject:Int64', 'PSObject:Int64', 'PSObject:Double'], 'DateTime', True),
    ('2.16-2.18', '5.1', ['Int32', 'Int64', 'Decimal'], 'String', True),
    ('2.16-2.18', '7', ['Int64', 'Int64', 'Double'], 'DateTime', False),
])
def test_runner_shapes_follow_the_exec_wrapper_and_powershell(mono, runner_exe, echo_dll, exec_format, flavour,
                                                              numbers, when, ignores_case):
    request = {'text': 'x', 'when': '2024-05-06T07:08:09Z', 'list': [1, 2 ** 40, 1.5]}
    env = dict(os.environ, DISM_LAB_POWERSHELL=flavour, DISM_LAB_EXEC_FORMAT=exec_format)
    proc = run_runner(mono, runner_exe, echo_dll, json.dumps(request).encode('utf-8'), env=env)
    assert proc.returncode == 0, proc.stderr.decode('utf-8', 'replace')
    response = json.loads(proc.stdout.decode('utf-8'))
    assert response['number_types'] == numbers
    assert response['when'] == when
    assert response['key_lookup_ignores_case'] is ignores_case


def test_runner_reports_exceptions(mono, runner_exe, echo_dll):
    proc = run_runner(mono, runner_exe, echo_dll, b'{"throw": true, "list": []}')
    assert proc.returncode == 1
    assert b'asked to throw' in proc.stderr
    assert proc.stdout == b''


def test_runner_rejects_types_outside_the_contract(mono, runner_exe, echo_dll):
    proc = run_runner(mono, runner_exe, echo_dll, b'{"bad_type": true, "list": []}')
    assert proc.returncode == 1
    assert b'System.Double' in proc.stderr


def test_runner_rejects_non_object_request(mono, runner_exe, echo_dll):
    proc = run_runner(mono, runner_exe, echo_dll, b'[1, 2]')
    assert proc.returncode == 1
    assert b'JSON object' in proc.stderr


def simulator_lib() -> str:
    """Build the simulator when its Makefile exists; skip only when it is not there yet."""
    lib = os.path.join(DISMSIM_BUILD, 'libDismApi.so')
    if os.path.exists(os.path.join(DISMSIM_DIR, 'Makefile')):
        require_tool('make', 'make')
        result = run(['make', '-C', DISMSIM_DIR])
        assert result.returncode == 0, f'make -C tests/lab/dismsim failed:\n{result.stdout}{result.stderr}'
    if not os.path.exists(lib):
        pytest.skip('libDismApi.so not built (tests/lab/dismsim has no Makefile yet)')
    assert os.path.exists(os.path.join(DISMSIM_BUILD, 'libLabKernel32.so')), 'libLabKernel32.so not built'
    return lib


def deploy_for_simulator(helper_dll: str, tmp_path) -> tuple[str, dict]:
    """The helper as the lab host deploys it (DLL + .dll.config dllmap) and the simulator's env."""
    simulator_lib()
    deployed = tmp_path / 'helper'
    deployed.mkdir()
    dll = deployed / 'WinImagingDismHelper.dll'
    with open(helper_dll, 'rb') as src:
        dll.write_bytes(src.read())
    (deployed / 'WinImagingDismHelper.dll.config').write_text(DLLMAP, encoding='utf-8')
    lab_root = tmp_path / 'labroot'
    lab_root.mkdir()
    env = dict(os.environ)
    env['LD_LIBRARY_PATH'] = os.pathsep.join(p for p in (DISMSIM_BUILD, env.get('LD_LIBRARY_PATH')) if p)
    env['DISM_LAB_ROOT'] = str(lab_root)
    return str(dll), env


@pytest.mark.lab
def test_helper_against_simulator(mono, runner_exe, helper_dll, tmp_path):
    dll, env = deploy_for_simulator(helper_dll, tmp_path)

    request = {'log_path': None, 'log_level': 2, 'operations': [{'op': 'get_mounted_images'}]}
    proc = run_runner(mono, runner_exe, dll, json.dumps(request).encode('utf-8'), env=env)
    assert proc.returncode == 0, proc.stderr.decode('utf-8', 'replace')
    response = json.loads(proc.stdout.decode('utf-8'))
    assert set(response) == {'results', 'error', 'reboot_required', 'session_reloads', 'completed'}
    assert response['error'] is None, response
    assert response['completed'] is True
    assert response['reboot_required'] is False
    assert response['session_reloads'] == 0
    assert len(response['results']) == 1
    result = response['results'][0]
    assert set(result) == {'op', 'ok', 'value', 'return_code', 'error', 'progress', 'precondition_failed'}
    assert result['op'] == 'get_mounted_images'
    assert result['ok'] is True
    assert result['return_code'] == 0
    assert result['error'] is None
    assert result['progress'] is None
    assert result['precondition_failed'] is False
    assert isinstance(result['value'], list)
    for mount in result['value']:
        assert set(mount) == {'mount_path', 'image_file_path', 'image_index', 'mount_mode', 'mount_status'}

    # A failing DISM call: the error carries the signed HRESULT, the function and DISM's message.
    request = {'operations': [{'op': 'get_image_info', 'image_path': 'C:\\missing\\none.wim'},
                              {'op': 'get_mounted_images'}]}
    proc = run_runner(mono, runner_exe, dll, json.dumps(request).encode('utf-8'), env=env)
    assert proc.returncode == 0, proc.stderr.decode('utf-8', 'replace')
    response = json.loads(proc.stdout.decode('utf-8'))
    assert response['error'] is None, response
    assert response['completed'] is False
    assert len(response['results']) == 1, 'the first failure must stop the batch'
    error = response['results'][0]['error']
    assert response['results'][0]['ok'] is False
    assert error['function'] == 'DismGetImageInfo'
    assert isinstance(error['hresult'], int) and error['hresult'] < 0
    assert response['results'][0]['return_code'] == error['hresult']


@pytest.mark.lab
def test_timeout_sets_the_cancel_event(mono, runner_exe, helper_dll, tmp_path):
    """timeout_seconds -> the helper's CreateEventW/SetEvent (libLabKernel32 via dllmap) cancels DISM."""
    dll, env = deploy_for_simulator(helper_dll, tmp_path)
    (tmp_path / 'labroot' / 'drives' / 'C' / 'Windows').mkdir(parents=True)
    env['DISM_LAB_PROGRESS_DELAY_MS'] = '300'
    request = {'target': {'online': True}, 'timeout_seconds': 1,
               'operations': [{'op': 'check_image_health', 'scan_image': True}]}
    proc = run_runner(mono, runner_exe, dll, json.dumps(request).encode('utf-8'), env=env)
    assert proc.returncode == 0, proc.stderr.decode('utf-8', 'replace')
    response = json.loads(proc.stdout.decode('utf-8'))
    assert response['error'] is None, response
    result = response['results'][0]
    assert result['ok'] is False
    assert result['error']['function'] == 'DismCheckImageHealth'
    assert result['error']['hresult'] in (-2147023673, 1223), result  # ERROR_CANCELLED as HRESULT or raw
    progress = result['progress']
    assert 0 < progress['calls'] < 20 and progress['total'] == 1000 and progress['current'] < 1000, progress
