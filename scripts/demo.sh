#!/usr/bin/env bash
# Sets everything up, starts the DISM lab (two simulated Windows hosts on loopback) and runs
# demo/demo.yml against it with real ansible-playbook over WinRM.
#   scripts/demo.sh           run the demo, leave the lab running
#   scripts/demo.sh --stop    stop the lab afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Setting up (Debian packages, Python venv, DISM lab build)"
bash scripts/setup.sh

say "Starting the DISM lab: simulated Windows hosts win1 and win2 on 127.0.0.2 and 127.0.0.3"
echo "    Each is a WinRM endpoint backed by libDismApi.so, a DISM simulator (not Windows)."
.venv/bin/python tests/lab/labctl.py up --hosts 2

run_demo() {
  ANSIBLE_COLLECTIONS_PATH=$REPO/.cache/ac ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_HOST_KEY_CHECKING=False \
    .venv/bin/ansible-playbook -i .lab/inventory.ini demo/demo.yml
}

say "Running demo/demo.yml over WinRM against both hosts: image info, then mount, change, commit"
echo "    The first task on each host sends the C# helper once; the host compiles and caches it."
run_demo

say "Running demo/demo.yml a second time: the images are already serviced, so nothing changes"
run_demo | tee .lab/demo-rerun.log
if grep -qE 'changed=[1-9]' .lab/demo-rerun.log; then
  echo "The second run changed something: the demo is not idempotent." >&2
  exit 1
fi
echo "    Second run: changed=0 on every host."

say "What went over the wire to win1 (one line per module execution)"
.venv/bin/python tests/lab/labctl.py wire win1 --summary | grep -v '^shell' || true

if [ "${1:-}" = "--stop" ]; then
  .venv/bin/python tests/lab/labctl.py down
else
  say "The lab is still running. Inventory: .lab/inventory.ini. Stop it with: .venv/bin/python tests/lab/labctl.py down"
fi
