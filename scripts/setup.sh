#!/usr/bin/env bash
# Sets up everything the demo and the tests need, idempotently:
#   Debian packages (Mono, wimlib, mingw-w64 headers), the Python venv(s),
#   the DISM lab (simulator library, Mono runner) and the collection link.
# Usage: scripts/setup.sh [--lint]   (--lint also prepares the release-gate venv and the
#        ansible-core 2.16/2.17/2.18 venvs .venv-core216 ... for scripts/ansible_versions.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

APT_PACKAGES=(
  gcc make pkg-config shellcheck
  mono-mcs mono-runtime libmono-system-core4.0-cil libmono-system-web-extensions4.0-cil
  wimtools libwim-dev
  mingw-w64-common gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "Installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# make_venv DIR REQUIREMENTS: (re)creates DIR when the requirements file changed.
make_venv() {
  local dir=$1 req=$2 stamp
  stamp=$(sha256sum "$req" | cut -c1-16)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.req-stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  say "Creating $dir from $req"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$stamp" > "$dir/.req-stamp"
}
make_venv .venv requirements-dev.txt
if [ "${1:-}" = "--lint" ]; then
  make_venv .venv-lint requirements-lint.txt
  # The older ansible-core controllers the collection supports (scripts/ansible_versions.sh).
  for minor in 2.16 2.17 2.18; do
    make_venv ".venv-core${minor/./}" "requirements-core-$minor.txt"
  done
fi

say "Building the DISM lab (simulator and Mono runner)"
make -s -C tests/lab/dismsim
bash tests/lab/runner/build.sh

# The collection as Ansible finds an installed one: ansible_collections/winimaging/dism.
link=.cache/ac/ansible_collections/winimaging/dism
if [ ! -e "$link" ]; then
  mkdir -p "$(dirname "$link")"
  ln -s "$REPO" "$link"
fi
say "Setup complete"
