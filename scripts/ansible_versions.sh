#!/usr/bin/env bash
# Runs the smoke playbook tests/lab/versions/smoke.yml under every ansible-core minor version the
# collection supports (meta/runtime.yml requires_ansible >=2.16.0): 2.16, 2.17 and 2.18 from their
# own venvs (.venv-core216 ..., pinned in requirements-core-2.1x.txt, made by scripts/setup.sh
# --lint) and 2.19 from .venv. One DISM lab (win1: Windows PowerShell 5.1, win2: PowerShell 7) is
# started in a temporary folder on loopback with free ports and stopped on exit; it is reset
# before each version. A version passes when ansible-playbook succeeds (the playbook asserts its
# results) and tests/lab/versions/check_wire.py accepts what reached the hosts.
# Usage: scripts/ansible_versions.sh [MINOR ...]   e.g. scripts/ansible_versions.sh 2.16 2.19
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
PY=$REPO/.venv/bin/python
LABCTL=$REPO/tests/lab/labctl.py

VERSIONS=("$@")
((${#VERSIONS[@]})) || VERSIONS=(2.16 2.17 2.18 2.19)

venv_of() {
  if [ "$1" = "2.19" ]; then echo "$REPO/.venv"; else echo "$REPO/.venv-core${1/./}"; fi
}
for v in "${VERSIONS[@]}"; do
  if [ ! -x "$(venv_of "$v")/bin/ansible-playbook" ]; then
    echo "no ansible-core $v venv at $(venv_of "$v"): run scripts/setup.sh --lint" >&2
    exit 1
  fi
done

base=$(mktemp -d "${TMPDIR:-/tmp}/dism-versions.XXXXXX")
cleanup() {
  "$PY" "$LABCTL" down --base-dir "$base" >/dev/null 2>&1
  rm -rf "$base"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PY" "$LABCTL" up --hosts 2 --port 0 --base-dir "$base" >"$base/up.log" 2>&1 || { cat "$base/up.log"; exit 1; }
hosts=(win1 win2)

failed=()
for v in "${VERSIONS[@]}"; do
  bin=$(venv_of "$v")/bin
  start=$SECONDS
  for h in "${hosts[@]}"; do "$PY" "$LABCTL" reset "$h" --base-dir "$base" >/dev/null || exit 1; done
  # Where this run's wire records start, per host.
  marks=()
  for h in "${hosts[@]}"; do
    wire=$base/hosts/$h/lab/wire.jsonl
    marks+=("$wire:$( [ -f "$wire" ] && wc -l <"$wire" || echo 0)")
  done
  log=$base/smoke-$v.log
  actual=$("$bin/python" -c 'from ansible.release import __version__; print(__version__)')
  env ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$REPO/.cache/ac}" ANSIBLE_LOCAL_TEMP="$base/tmp-$v" ANSIBLE_NOCOLOR=1 \
    ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_DEPRECATION_WARNINGS=False \
    "$bin/ansible-playbook" -i "$base/inventory.ini" "$REPO/tests/lab/versions/smoke.yml" >"$log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ] && "$PY" "$REPO/tests/lab/versions/check_wire.py" "$v" "${marks[@]}"; then
    printf 'ansible-core %-8s ok (%ds): %s\n' "$actual" $((SECONDS - start)) "$(grep -E '^win1 ' "$log" | tr -s ' ')"
  else
    echo "ansible-core $actual FAILED (ansible-playbook rc=$rc); its output:"
    tail -n 60 "$log"
    failed+=("$v")
  fi
done

if ((${#failed[@]})); then
  echo "ansible-core versions that failed the smoke test: ${failed[*]}"
  exit 1
fi
echo "ansible-core ${VERSIONS[*]}: smoke test passed"
