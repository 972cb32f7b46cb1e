#!/usr/bin/env bash
# Sets everything up and runs every test and gate. CI runs exactly this (.ci/run).
#   1. pytest: unit tests, C#/layout/PowerShell gates, the DISM lab's own tests, and the
#      lab integration tests (real ansible-playbook over WinRM against simulated hosts)
#   2. ansible-test sanity (offline); ansible-test windows-integration: the validation kit's
#      targets (tests/integration/targets) against a lab host (scripts/windows_integration.sh)
#   3. antsibull-changelog lint, antsibull-docs lint-collection-docs, the docs site build (scripts/build_docs.sh)
#   4. ansible-lint --profile production, galaxy-importer on the built collection
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD

failed=()
step() {
  local name=$1; shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  if "$@"; then echo "--- $name: ok"; else echo "--- $name: FAILED"; failed+=("$name"); fi
}

pytest_all() {
  "$REPO/.venv/bin/python" -m pytest -p no:cacheprovider "$@"
  local rc=$?
  # Exit code 5 means no test was collected: that is a failure of this suite, never a pass.
  [ "$rc" -eq 5 ] && echo "pytest collected no tests" >&2
  return "$rc"
}

build_and_import() {
  local out=$REPO/.cache/build
  rm -rf "$out" && mkdir -p "$out"
  "$REPO/.venv/bin/ansible-galaxy" collection build --output-path "$out" "$REPO" >/dev/null || return 1
  local tarball unexpected
  tarball=$(ls "$out"/winimaging-dism-*.tar.gz)
  # Only collection content belongs in the artifact (no venvs, lab builds or caches).
  unexpected=$(tar -tzf "$tarball" | cut -d/ -f1 | sort -u |
    grep -vxE 'MANIFEST.json|FILES.json|README.md|COPYING|CHANGELOG.rst|changelogs|docs|meta|plugins|roles|tests' || true)
  if [ -n "$unexpected" ]; then
    echo "unexpected top-level entries in $tarball: $unexpected"
    return 1
  fi
  # galaxy-importer runs ansible-lint (production profile) and ansible-doc on the tarball.
  (cd "$out" && PATH=$REPO/.venv-lint/bin:$PATH "$REPO/.venv-lint/bin/python" -m galaxy_importer.main "$tarball") > "$out/importer.log" 2>&1
  local rc=$?
  grep -E "ERROR|WARNING|completed" "$out/importer.log"
  grep -q "Importer processing completed successfully" "$out/importer.log" && ! grep -q "^ERROR" "$out/importer.log" && [ "$rc" -eq 0 ]
}

bash scripts/setup.sh --lint || { echo "setup failed"; exit 1; }
export ANSIBLE_COLLECTIONS_PATH=$REPO/.cache/ac

step "pytest" pytest_all
step "ansible-core 2.16-2.19 smoke (lab)" bash scripts/ansible_versions.sh
step "ansible-test sanity" bash scripts/sanity.sh
step "ansible-test windows-integration (validation kit, lab)" bash scripts/windows_integration.sh
step "antsibull-changelog lint" "$REPO/.venv/bin/antsibull-changelog" lint
step "antsibull-docs lint-collection-docs" env PATH="$REPO/.venv-lint/bin:$PATH" \
  "$REPO/.venv-lint/bin/antsibull-docs" lint-collection-docs --plugin-docs "$REPO"
step "docs site build (offline, warnings are errors)" bash scripts/build_docs.sh
step "ansible-lint production" env PATH="$REPO/.venv-lint/bin:$PATH" \
  "$REPO/.venv-lint/bin/ansible-lint" --offline --profile production
step "galaxy-importer" build_and_import

echo
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "All test steps passed."
