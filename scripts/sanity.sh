#!/usr/bin/env bash
# ansible-test sanity, offline. ansible-test needs the collection at a physical
# .../ansible_collections/winimaging/dism path and bootstraps pip in each test venv
# from a script it would download; a local stand-in uses ensurepip instead.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=$REPO/.venv/bin/python
TREE=$REPO/.cache/sanity/ansible_collections/winimaging/dism

rm -rf "$REPO/.cache/sanity"
mkdir -p "$TREE"
# Tracked and new files as they are in the work tree (deleted ones skipped).
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -C "$TREE" -xf -
# Its own git repository: otherwise ansible-test sees the copy as ignored files of this checkout.
git -C "$TREE" init -q && git -C "$TREE" add -A

# The pip version ansible-test bootstraps (pip='24.2' in 2.19's python_requirements.py).
pip_version=$(grep -oP "pip='\\K[0-9.]+" "$("$PY" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -n 1)
standin=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ -n "$pip_version" ]; then
  mkdir -p "$(dirname "$standin")"
  cat > "$standin" <<'PY'
# Stand-in for ansible-test's downloaded get-pip script (no download here).
import os, subprocess, sys
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
cert = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
extra = ["--cert", cert] if os.path.exists(cert) else []
subprocess.check_call([sys.executable, "-m", "pip", "install", "--upgrade", "--disable-pip-version-check"] + extra + args)
PY
fi

cd "$TREE"
export PATH=$REPO/.venv/bin:$PATH
# validate-modules runs separately on the .py documentation (it needs pwsh for .ps1 modules);
# pslint skips itself without pwsh; the PowerShell syntax gate in tests/gates covers the .ps1.
ansible-test sanity --color=no --python 3.11 --skip-test validate-modules "$@"
ansible-test sanity --color=no --python 3.11 --test validate-modules plugins/modules/*.py "$@"
