#!/usr/bin/env bash
# Builds the lab runner: tests/lab/runner/build/LabRunner.exe (Mono, C# 5, warnings as errors).
# Needs Debian's mono-mcs and libmono-system-web-extensions4.0-cil.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${here}/build"

if ! command -v mcs >/dev/null 2>&1; then
    echo "build.sh: mcs not found: apt-get install mono-mcs" >&2
    exit 1
fi

mkdir -p "${out}"
mcs -langversion:5 -warnaserror -warn:4 -nologo \
    -target:exe \
    -r:System.Web.Extensions.dll \
    -out:"${out}/LabRunner.exe.tmp" \
    "${here}/LabRunner.cs"
mv -f "${out}/LabRunner.exe.tmp" "${out}/LabRunner.exe"
echo "${out}/LabRunner.exe"
