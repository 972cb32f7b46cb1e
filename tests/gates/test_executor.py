# Copyright (c) winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gate: Executor.Run's contract (docs/architecture.md section 2) against a scripted DismApi.

tests/gates/executor/fake_dismapi.c answers with fixed values, so paths the simulator seldom
reaches are covered: return code 1 (session reload), 3010, unaligned arrays, trimmed messages,
and a DismShutdown that fails if any DISM allocation or session was left open.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from gatelib import REPO_ROOT, require_tool, run

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_DIR = os.path.join(REPO_ROOT, 'tests', 'lab', 'dismsim', 'shim')
DISMAPI_HEADER = '/usr/share/mingw-w64/include/dismapi.h'
E_INVALIDARG = -2147024809


@pytest.fixture(scope='module')
def deployed(tmp_path_factory, helper_dll) -> str:
    gcc = require_tool('gcc', 'gcc')
    if not os.path.exists(DISMAPI_HEADER):
        pytest.fail(f'{DISMAPI_HEADER} missing: install it with "apt-get install mingw-w64-common"', pytrace=False)
    folder = tmp_path_factory.mktemp('fake')
    result = run([gcc, '-shared', '-fPIC', '-std=gnu11', '-fms-extensions', '-Wall', '-Werror', '-I', SHIM_DIR,
                  f'-DDISMAPI_HEADER="{DISMAPI_HEADER}"', '-o', str(folder / 'libDismApi.so'),
                  os.path.join(HERE, 'executor', 'fake_dismapi.c')])
    assert result.returncode == 0, result.stdout + result.stderr
    result = run([gcc, '-shared', '-fPIC', '-Wall', '-Werror', '-o', str(folder / 'libFakeKernel32.so'),
                  os.path.join(HERE, 'executor', 'fake_kernel32.c')])
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.copy(helper_dll, folder / 'WinImagingDismHelper.dll')
    (folder / 'WinImagingDismHelper.dll.config').write_text(
        '<configuration>\n'
        f'  <dllmap dll="kernel32.dll" target="{folder / "libFakeKernel32.so"}" os="!windows"/>\n'
        f'  <dllmap dll="DismApi" target="{folder / "libDismApi.so"}" os="!windows"/>\n'
        '</configuration>\n', encoding='utf-8')
    return str(folder)


@pytest.fixture(scope='module')
def execute(deployed, mono, runner_exe):
    def _execute(request: dict, health_codes: str = '', powershell: str = '5.1', check_mode: bool = False,
                 exec_format: str = '2.19') -> dict:
        env = dict(os.environ, FAKE_DISM_HEALTH_CODES=health_codes, DISM_LAB_POWERSHELL=powershell,
                   DISM_LAB_EXEC_FORMAT=exec_format)
        flags = ['--check-mode'] if check_mode else []
        proc = subprocess.run([mono, runner_exe, os.path.join(deployed, 'WinImagingDismHelper.dll'), *flags],
                              input=json.dumps(request).encode('utf-8'), capture_output=True, timeout=120,
                              env=env, check=False)
        assert proc.returncode == 0, proc.stderr.decode('utf-8', 'replace')
        return json.loads(proc.stdout.decode('utf-8'))
    return _execute


def test_reload_and_reboot(execute):
    response = execute({'target': {'path': 'C:\\mnt\\a'}, 'operations': [
        {'op': 'check_image_health', 'scan_image': True},
        {'op': 'check_image_health'},
        {'op': 'check_image_health'},
    ]}, health_codes='1,3010')
    assert response['error'] is None, response
    assert response['completed'] is True
    assert response['session_reloads'] == 1
    assert response['reboot_required'] is True
    first, second, third = response['results']
    assert (first['return_code'], second['return_code'], third['return_code']) == (1, 3010, 0)
    assert first['value'] == {'health': 1}
    assert first['progress'] == {'calls': 2, 'current': 1000, 'total': 1000}
    assert third['value'] == {'health': 0}


def test_values_and_unaligned_arrays(execute):
    response = execute({'operations': [{'op': 'get_mounted_images'},
                                       {'op': 'get_image_info', 'image_path': 'C:\\a.wim'}]})
    assert response['error'] is None and response['completed'] is True, response
    mounts = response['results'][0]['value']
    assert mounts == [
        {'mount_path': 'C:\\mnt\\a', 'image_file_path': 'C:\\a.wim', 'image_index': 1, 'mount_mode': 0, 'mount_status': 0},
        {'mount_path': 'C:\\mnt\\b', 'image_file_path': 'C:\\b.wim', 'image_index': 2, 'mount_mode': 1, 'mount_status': 1},
    ]
    assert response['results'][0]['progress'] is None
    one, two = response['results'][1]['value']
    assert one['size'] == 2 ** 64 - 1 and two['size'] == 2 ** 64 - 2
    assert one['languages'] == ['en-US', 'de-DE'] and one['default_language_index'] == 1
    assert one['customized_info'] == {'size': 44, 'directory_count': 3, 'file_count': 4,
                                      'created_time': '2024-01-02T03:04:05.006', 'modified_time': None}
    assert two['customized_info'] is None
    assert (one['index'], one['name'], one['build'], one['bootable'], one['image_type']) == (1, 'One', 19045, 1, 0)
    assert one['hal'] is None and one['system_root'] == 'WINDOWS'
    assert set(one) == {'index', 'name', 'description', 'image_type', 'size', 'architecture', 'product_name',
                        'edition_id', 'installation_type', 'hal', 'product_type', 'product_suite', 'major_version',
                        'minor_version', 'build', 'sp_build', 'sp_level', 'bootable', 'system_root', 'languages',
                        'default_language_index', 'customized_info'}


def test_first_failure_stops_the_batch(execute):
    response = execute({'operations': [{'op': 'get_image_info', 'image_path': 'Z:\\none.wim'},
                                       {'op': 'get_mounted_images'}]})
    assert response['error'] is None, response
    assert response['completed'] is False
    assert len(response['results']) == 1
    result = response['results'][0]
    assert result['ok'] is False
    assert result['error'] == {'hresult': -2147024894, 'function': 'DismGetImageInfo',
                               'message': 'The system cannot find the file specified.'}
    assert result['return_code'] == -2147024894


@pytest.mark.parametrize('operation, holds', [
    ({'match': 'mount_path', 'expect': {'mount_path': 'C:\\mnt\\b', 'mount_status': 1}}, True),
    ({'match': 'mount_path', 'expect': {'mount_path': 'C:\\mnt\\b', 'mount_status': 0}}, False),
    ({'match': 'mount_path', 'expect': {'mount_path': 'C:\\mnt\\c'}}, False),
    ({'expect': {'match': 'image_index', 'image_index': 2.0, 'mount_mode': 1}}, True),
])
def test_expect_on_a_list(execute, operation, holds):
    response = execute({'operations': [dict(op='get_mounted_images', **operation), {'op': 'get_mounted_images'}]})
    assert response['error'] is None, response
    first = response['results'][0]
    assert first['ok'] is holds
    assert first['precondition_failed'] is (not holds)
    assert first['error'] is None
    assert isinstance(first['value'], list)
    assert response['completed'] is holds
    assert len(response['results']) == (2 if holds else 1)


def test_expect_on_a_dict(execute):
    response = execute({'target': {'online': True}, 'operations': [
        {'op': 'check_image_health', 'expect': {'health': 0}},
        {'op': 'check_image_health', 'scan_image': True, 'expect': {'health': 0}},
        {'op': 'check_image_health'},
    ]})
    assert [r['precondition_failed'] for r in response['results']] == [False, True]
    assert response['results'][1]['value'] == {'health': 1}
    assert response['completed'] is False and response['error'] is None


def test_argument_errors(execute):
    response = execute({'operations': [{'op': 'mount_everything'}]})
    assert response['results'][0]['error'] == {'hresult': E_INVALIDARG, 'function': 'Executor',
                                               'message': "unknown operation 'mount_everything'"}
    assert response['results'][0]['return_code'] is None

    response = execute({'operations': [{'op': 'check_image_health'}]})
    error = response['results'][0]['error']
    assert error['hresult'] == E_INVALIDARG and 'target' in error['message']
    assert response['results'][0]['progress'] is None

    response = execute({'operations': [{'op': 'get_image_info'}]})
    assert "'image_path' is required" in response['results'][0]['error']['message']

    response = execute({'log_level': 'x', 'operations': []})
    assert response['error']['hresult'] == E_INVALIDARG and "'log_level'" in response['error']['message']
    assert response['results'] == []

    response = execute({'log_level': 2.0, 'timeout_seconds': 30, 'operations': []})
    assert response['error'] is None and response['completed'] is True

    response = execute({'log_level': 2.5, 'operations': []})
    assert "'log_level' must be an integer" in response['error']['message']


def test_open_session_failure(execute):
    response = execute({'target': {'path': 'X:\\nothing'}, 'operations': [{'op': 'get_mounted_images'}]})
    assert response['results'] == []
    assert response['completed'] is False
    assert response['error'] == {'hresult': -2147024893, 'function': 'DismOpenSession', 'message': 'no such image'}


def test_expect_on_a_list_needs_match(execute):
    response = execute({'operations': [{'op': 'get_mounted_images', 'expect': {'mount_status': 0}},
                                       {'op': 'get_mounted_images'}]})
    assert len(response['results']) == 1
    result = response['results'][0]
    assert result['ok'] is False and result['precondition_failed'] is False
    assert result['error']['hresult'] == E_INVALIDARG and "'match'" in result['error']['message']
    assert response['completed'] is False


@pytest.mark.parametrize('raw, expected', [(1223, 0x800704C7), (1235, 0x800704D3), (5, 0x80070005)])
def test_raw_win32_codes_are_failures_not_success(execute, raw, expected):
    # DISM may report a cancel as the raw Win32 code (dism-api.md 6.4); only 0, 1, 3010 and 3011
    # are success, so a raw code must stop the batch as a failure with its HRESULT form.
    response = execute({'target': {'path': 'C:\\mnt\\a'}, 'operations': [
        {'op': 'check_image_health'},
        {'op': 'check_image_health'},
    ]}, health_codes=str(raw))
    assert response['completed'] is False
    assert len(response['results']) == 1
    failed = response['results'][0]
    assert failed['ok'] is False
    assert failed['error']['hresult'] == expected - (1 << 32)
    assert failed['error']['function'] == 'DismCheckImageHealth'
    assert response['reboot_required'] is False


@pytest.mark.parametrize('exec_format', ['2.19', '2.16-2.18'])
@pytest.mark.parametrize('powershell', ['5.1', '7'])
def test_arguments_as_powershell_delivers_them(execute, powershell, exec_format):
    # ansible-core 2.19 hands a module Hashtables and object[] whose items are PSObject-wrapped
    # (Int32 or Int64 by flavour, DateTime for ISO strings on 7): string lists, dict items and
    # numbers must read the same as plain JSON would.
    request = {'log_level': 2, 'timeout_seconds': 30, 'operations': [
        {'op': 'get_mounted_images', 'expect_same_set': True,
         'expect': {'key': ['mount_path', 'image_index'],
                    'value': [{'mount_path': 'c:\\MNT\\b', 'image_index': 2},
                              {'mount_path': 'C:\\mnt\\a', 'image_index': 1}]}},
        {'op': 'get_mounted_images', 'match': 'image_index', 'expect': {'image_index': 2, 'mount_mode': 1}},
        {'op': 'get_image_info', 'image_path': '2024-01-02T03:04:05Z'},
    ]}
    response = execute(request, powershell=powershell, exec_format=exec_format)
    assert response['error'] is None, response
    first, second, third = response['results']
    assert first['ok'] is True and first['precondition_failed'] is False, first
    assert second['ok'] is True and second['precondition_failed'] is False, second
    # The date-looking path (a DateTime on PowerShell 7) was accepted as the string it was.
    assert third['ok'] is True and third['error'] is None, third


def test_a_wrong_set_still_fails_the_precondition(execute):
    response = execute({'operations': [
        {'op': 'get_mounted_images', 'expect_same_set': True,
         'expect': {'key': ['mount_path'], 'value': [{'mount_path': 'C:\\mnt\\a'}]}},
    ]}, powershell='7')
    assert response['results'][0]['precondition_failed'] is True


WRITES = ['mount_image', 'unmount_image', 'commit_image', 'remount_image', 'cleanup_mountpoints', 'create_directory',
          'enable_feature', 'disable_feature', 'add_driver', 'remove_driver']


@pytest.mark.parametrize('write', WRITES)
def test_check_mode_refuses_a_batch_that_writes_before_dism_starts(execute, write):
    response = execute({'operations': [{'op': 'get_mounted_images'}, {'op': write}]}, check_mode=True)
    assert response['results'] == [], 'nothing may run, not even the reads before the write'
    assert response['completed'] is False
    assert response['error'] == {
        'hresult': E_INVALIDARG, 'function': 'Executor',
        'message': f"request: check mode: operation '{write}' would change the host, so the batch was refused and nothing ran"}


def test_check_mode_runs_reads(execute):
    response = execute({'target': {'online': True}, 'operations': [
        {'op': 'get_mounted_images'}, {'op': 'check_image_health'}]}, check_mode=True)
    assert response['error'] is None and response['completed'] is True, response
    assert [r['op'] for r in response['results']] == ['get_mounted_images', 'check_image_health']
