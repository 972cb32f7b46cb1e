"""The ABI: exports and struct layouts, checked by the C compiler against mingw-w64's dismapi.h."""

from __future__ import annotations

import subprocess

import pytest

import dismlab as d

pytestmark = pytest.mark.lab

EXPORTS = """DismAddCapability DismAddDriver DismAddPackage DismApplyUnattend DismCheckImageHealth
DismCleanupMountpoints DismCloseSession DismCommitImage DismDelete DismDisableFeature DismEnableFeature
DismGetCapabilities DismGetCapabilityInfo DismGetDriverInfo DismGetDrivers DismGetFeatureInfo
DismGetFeatureParent DismGetFeatures DismGetImageInfo DismGetLastErrorMessage DismGetMountedImageInfo
DismGetPackageInfo DismGetPackageInfoEx DismGetPackages DismGetReservedStorageState DismInitialize
DismMountImage DismOpenSession DismRemountImage DismRemoveCapability DismRemoveDriver DismRemovePackage
DismRestoreImageHealth DismSetReservedStorageState DismShutdown DismUnmountImage""".split()

SIZES = {"DismString": 8, "DismFeature": 12, "DismCapability": 12, "DismCustomProperty": 24,
         "DismMountedImageInfo": 28, "DismPackage": 32, "DismCapabilityInfo": 36, "DismFeatureInfo": 44,
         "DismWimCustomizedInfo": 44, "DismDriver": 52, "DismDriverPackage": 100, "DismImageInfo": 140,
         "DismPackageInfo": 172, "DismPackageInfoEx": 180}


def dynamic_symbols(lib) -> set[str]:
    out = subprocess.run(["nm", "-D", "--defined-only", str(lib)], check=True, capture_output=True, text=True)
    return {line.split()[-1] for line in out.stdout.splitlines()}


def test_exactly_the_36_documented_exports(dism):
    assert len(EXPORTS) == 36
    assert dynamic_symbols(d.DISM_LIB) == set(EXPORTS)


def test_kernel32_exports(dism):
    assert {"CreateEventW", "SetEvent", "ResetEvent", "WaitForSingleObject", "CloseHandle"} <= \
        dynamic_symbols(d.K32_LIB)


def test_packed_x64_sizes(dism, tmp_path):
    body = "\n".join(f'printf("{n} %zu\\n", sizeof({n}));' for n in SIZES)
    src = tmp_path / "sizes.c"
    src.write_text(f'#include <stdio.h>\n#include "dismapi_lab.h"\nint main(void) {{ {body} return 0; }}\n')
    exe = tmp_path / "sizes"
    subprocess.run(["gcc", "-std=gnu11", "-fms-extensions", "-I", str(d.DISMSIM / "shim"),
                    '-DDISMAPI_HEADER="/usr/share/mingw-w64/include/dismapi.h"', str(src), "-o", str(exe)],
                   check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    assert {line.split()[0]: int(line.split()[1]) for line in out.splitlines()} == SIZES
