#!/usr/bin/env bash
# The Windows validation kit: runs the ansible-test integration targets in tests/integration/targets
# with real `ansible-test windows-integration` (origin mode, no Docker, no network).
#
#   scripts/windows_integration.sh                      against a fresh DISM lab host (what scripts/test.sh runs)
#   scripts/windows_integration.sh --inventory FILE     against your own Windows host(s) (group `windows`)
#   scripts/windows_integration.sh [...] -- ARGS...     extra ansible-test arguments (targets, -vvv, --continue-on-error)
#
# ansible-test needs the collection at a physical .../ansible_collections/winimaging/dism path and
# its inventory at tests/integration/inventory.winrm of that tree: both are made in a temporary
# folder, removed on exit (the generated inventory never lands in the checkout).
# docs/docsite/rst/guide_windows_kit.rst describes the settings and what the targets do.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

inventory=""
keep=false
passthrough=()
while (($#)); do
  case $1 in
    --inventory) [ $# -ge 2 ] || { usage >&2; exit 2; }; inventory=$(realpath "$2"); shift 2 ;;
    --inventory=*) inventory=$(realpath "${1#*=}"); shift ;;
    --keep) keep=true; shift ;;    # keep the temporary tree and lab for inspection
    -h|--help) usage; exit 0 ;;
    --) shift; passthrough+=("$@"); break ;;
    *) passthrough+=("$1"); shift ;;
  esac
done
if [ -n "$inventory" ] && [ ! -f "$inventory" ]; then
  echo "windows_integration.sh: no inventory file $inventory" >&2
  exit 2
fi

# The controller: this repository's venv (scripts/setup.sh), else whatever is on PATH.
if [ -x "$REPO/.venv/bin/ansible-test" ]; then
  export PATH=$REPO/.venv/bin:$PATH
fi
command -v ansible-test >/dev/null || { echo "windows_integration.sh: ansible-test not found (run scripts/setup.sh)" >&2; exit 2; }
PY=$(dirname "$(command -v ansible-test)")/python
[ -x "$PY" ] || PY=python3
pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

WORK=$(mktemp -d "${TMPDIR:-/tmp}/winimaging-kit.XXXXXX")
LAB=$WORK/lab
lab_started=false
# shellcheck disable=SC2317  # reached through the EXIT trap
finish() {
  local rc=$?
  if $lab_started && ! $keep; then
    "$PY" "$REPO/tests/lab/labctl.py" down --base-dir "$LAB" >/dev/null 2>&1 || true
  fi
  if $keep; then echo "kept: $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# 1. The collection at a physical ansible_collections/winimaging/dism path (tracked and new files of
#    the work tree, as scripts/sanity.sh does), in its own git repository so ansible-test sees it.
TREE=$WORK/ansible_collections/winimaging/dism
mkdir -p "$TREE"
# Untracked venvs, caches, lab state and test output stay out even when .gitignore misses them.
git ls-files -z --cached --others --exclude-standard |
  grep -zvE '^(\.venv[^/]*|\.cache|\.lab|\.pytest_cache|tests/output)/|(^|/)inventory\.winrm$' |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -C "$TREE" -xf -
git -C "$TREE" init -q && git -C "$TREE" add -A

# 2. The inventory: the user's, or a lab host with the kit settings for the lab's fixtures.
allow=()
if [ -n "$inventory" ]; then
  cp "$inventory" "$TREE/tests/integration/inventory.winrm"
else
  "$PY" tests/lab/labctl.py up --hosts 1 --port 0 --base-dir "$LAB" >"$WORK/lab-up.log" 2>&1 ||
    { cat "$WORK/lab-up.log" >&2; exit 1; }
  lab_started=true
  root=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["hosts"][0]["lab_root"])' "$LAB/lab.json")
  kit_root='C:\winimaging-kit'
  {
    cat "$LAB/inventory.ini"
    printf '\n# Settings of the validation kit for the DISM lab (scripts/windows_integration.sh)\n'
    printf '[windows:vars]\n'
    printf 'dism_test_image_path=C:\\images\\server2022.wim\n'
    printf 'dism_test_image_index=1\n'
    printf 'dism_test_root=%s\n' "$kit_root"
    printf 'dism_test_host_files=false\n'
    printf 'dism_test_online_changes=true\n'
    printf 'dism_test_package_path=C:\\packages\\hotfix\\windows10.0-kb5030999-x64.cab\n'
    printf 'dism_test_capability_source=C:\\fod\n'
    printf 'dism_lab_base_dir=%s\n' "$LAB"
    printf 'dism_lab_labctl=%s\n' "$REPO/tests/lab/labctl.py"
  } > "$TREE/tests/integration/inventory.winrm"
  # A lab host runs no PowerShell, so the targets cannot make their own files there
  # (dism_test_host_files=false): this is the lab's counterpart of setup_dism_kit/tasks/prepare.yml,
  # the same files at the same Windows paths (C:\ is <lab root>/drives/C).
  for dir in "$TREE"/tests/integration/targets/*/; do
    name=$(basename "$dir")
    case $name in setup_*|prepare_*) continue ;; esac
    work=$root/drives/C/winimaging-kit/$name
    mkdir -p "$work/drivers/winimagingkit"
    cp "$root/drives/C/images/server2022.wim" "$work/image.wim"
    cp "$TREE/tests/integration/targets/setup_dism_kit/files/winimagingkit.inf" "$work/drivers/winimagingkit/"
  done
  # Lab-only targets (alias `unsupported` and `dism_lab_only`) run only here.
  allow=(--allow-unsupported)
fi

# 3. ansible-test windows-integration in origin mode: the inventory.winrm above is used as is
#    (a WindowsInventoryConfig); the targets run in alphabetical order, one playbook each.
cd "$TREE"
start=$(date +%s)
set +e
ansible-test windows-integration --color=no --python "$pyver" "${allow[@]}" "${passthrough[@]}"
rc=$?
set -e
echo "ansible-test windows-integration: exit code $rc after $(( $(date +%s) - start )) s"
exit "$rc"
