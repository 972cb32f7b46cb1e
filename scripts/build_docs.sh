#!/usr/bin/env bash
# Builds the collection's docs site offline, the way the Ansible docsite renders it:
# `antsibull-docs sphinx-init --use-current` for winimaging.dism, then the generated build
# (antsibull-docs collection + sphinx-build -W, warnings are errors), with intersphinx disabled.
#
#   scripts/build_docs.sh                   build in a temporary folder, removed at the end (a check)
#   scripts/build_docs.sh --dest-dir DIR    build into DIR and keep it (open DIR/build/html/index.html)
#
# Its tools live in their own venv, .venv-docs, made from requirements-docs.txt (and remade when
# that file changes). The collection is found by ansible-doc through .cache/ac, where
# scripts/setup.sh links this checkout as ansible_collections/winimaging/dism.
#
# Without intersphinx, links into the Ansible documentation cannot be resolved from an
# inventory: the few labels the generated pages use (and plugins of other collections, such as
# ansible.windows.win_reboot) become plain links to docs.ansible.com. Every other unresolved
# reference still fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

dest=""
while (($#)); do
  case $1 in
    --dest-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; dest=$2; shift 2 ;;
    --dest-dir=*) dest=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

# The venv, (re)made when requirements-docs.txt changed.
VENV=$REPO/.venv-docs
stamp=$(sha256sum requirements-docs.txt | cut -c1-16)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.req-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "==> Creating .venv-docs from requirements-docs.txt"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements-docs.txt
  echo "$stamp" > "$VENV/.req-stamp"
fi

# The collection as ansible-doc finds an installed one.
link=$REPO/.cache/ac/ansible_collections/winimaging/dism
if [ ! -e "$link" ]; then
  mkdir -p "$(dirname "$link")"
  ln -s "$REPO" "$link"
fi
export ANSIBLE_COLLECTIONS_PATH=$REPO/.cache/ac
export PATH=$VENV/bin:$PATH

if [ -n "$dest" ]; then
  mkdir -p "$dest"
  SITE=$(realpath "$dest")
  rm -rf "${SITE:?}/build" "${SITE:?}/rst"
else
  SITE=$(mktemp -d "${TMPDIR:-/tmp}/winimaging-docs.XXXXXX")
  trap 'rm -rf "$SITE"' EXIT
fi

start=$(date +%s)
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$SITE" winimaging.dism >/dev/null

cat >> "$SITE/conf.py" <<'PY'

# ---- Added by scripts/build_docs.sh: an offline build, intersphinx disabled. ----
from docutils import nodes as _nodes

extensions = [_e for _e in extensions if _e != 'sphinx.ext.intersphinx']
intersphinx_mapping = {}

_ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
# Labels of the Ansible documentation that antsibull-docs' generated pages refer to.
_ANSIBLE_PAGES = {
    'action_plugins': 'plugins/action.html',
    'common_return_values': 'reference_appendices/common_return_values.html',
    'ansible_configuration_settings': 'reference_appendices/config.html',
}


def _offline_reference(app, env, node, contnode):
    """Links an unresolved :ref: to docs.ansible.com when it names an Ansible docs page or a
    plugin of another collection; anything else stays unresolved (and fails the build)."""
    if node.get('refdomain') != 'std' or node.get('reftype') != 'ref':
        return None
    target = node.get('reftarget', '')
    page = _ANSIBLE_PAGES.get(target)
    parts = target.split('.')
    if page is None and len(parts) == 4 and parts[0] == 'ansible_collections' \
            and parts[1:3] != ['winimaging', 'dism'] and '_' in parts[3]:
        page = 'collections/%s/%s/%s.html' % (parts[1], parts[2], parts[3])
    if page is None:
        return None
    reference = _nodes.reference('', '', internal=False, refuri=_ANSIBLE_DOCS + page)
    reference += contnode
    return reference


def setup(app):
    app.connect('missing-reference', _offline_reference)
PY

# The generated build: antsibull-docs collection into rst/, then sphinx-build -W --keep-going.
if ! bash "$SITE/build.sh" > "$SITE/build.log" 2>&1; then
  grep -E "WARNING|ERROR|Error|error:" "$SITE/build.log" >&2 || tail -n 30 "$SITE/build.log" >&2
  echo "build_docs.sh: the docs site build failed${dest:+ (full log: $SITE/build.log)}" >&2
  exit 1
fi
index=$SITE/build/html/collections/winimaging/dism/index.html
[ -f "$index" ] || { echo "build_docs.sh: no $index after the build" >&2; exit 1; }
echo "docs site built without warnings in $(( $(date +%s) - start )) s${dest:+: $SITE/build/html/index.html}"
