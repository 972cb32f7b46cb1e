# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection docsite (docs/docsite) stays consistent with the code.

* guide_troubleshooting.rst is generated from plugins/plugin_utils/_errors.py; the committed page
  must equal what scripts/generate_troubleshooting.py produces now.
* every guide listed in extra-docs.yml exists.
* every winimaging.dism task in the guides' YAML examples uses only options the module documents.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCSITE = REPO / "docs" / "docsite"
RST = DOCSITE / "rst"
GENERATOR = REPO / "scripts" / "generate_troubleshooting.py"
FQCN = "winimaging.dism."


def _load_generator():
    spec = importlib.util.spec_from_file_location("_winimaging_generate_troubleshooting", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _guides() -> list[str]:
    config = yaml.safe_load((DOCSITE / "extra-docs.yml").read_text(encoding="utf-8"))
    return [entry for section in config["sections"] for entry in section["toctree"]]


def test_troubleshooting_guide_matches_the_hresult_table():
    generator = _load_generator()
    committed = (RST / "guide_troubleshooting.rst").read_text(encoding="utf-8")
    assert committed == generator.render(), (
        "docs/docsite/rst/guide_troubleshooting.rst is out of date; run python3 scripts/generate_troubleshooting.py"
    )


def test_troubleshooting_guide_lists_every_code_once():
    generator = _load_generator()
    errors = generator.load_errors()
    text = generator.render()
    for code, info in errors.HRESULTS.items():
        row = "  * - ``%s``\n    - ``%s``" % (errors.format_hresult(code), info.name)
        assert text.count(row) == 1, row
        assert text.count("``%s`` *(label)*" % info.name) == (0 if info.name_is_published else 1)


def test_every_guide_in_extra_docs_exists():
    guides = _guides()
    assert guides
    assert len(guides) == len(set(guides))
    for guide in guides:
        assert (RST / (guide + ".rst")).is_file(), guide


def test_every_rst_page_is_listed_and_labelled():
    guides = set(_guides())
    for page in RST.glob("*.rst"):
        assert page.stem in guides, "%s is not listed in extra-docs.yml" % page.name
        label = ".. _ansible_collections.winimaging.dism.docsite.%s:" % page.stem
        assert label in page.read_text(encoding="utf-8"), page.name


def _module_options() -> dict[str, set[str]]:
    fragments: dict[str, set[str]] = {}
    for path in (REPO / "plugins" / "doc_fragments").glob("*.py"):
        doc = re.search(r'DOCUMENTATION = r"""(.*?)"""', path.read_text(encoding="utf-8"), re.S).group(1)
        fragments[FQCN + path.stem] = set((yaml.safe_load(doc).get("options") or {}))
    options: dict[str, set[str]] = {}
    for path in (REPO / "plugins" / "modules").glob("dism_*.py"):
        doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', path.read_text(encoding="utf-8"), re.S).group(1))
        names = set(doc.get("options") or {})
        for fragment in doc.get("extends_documentation_fragment") or []:
            names |= fragments.get(fragment, set())
        options[FQCN + doc["module"]] = names
    return options


def _yaml_blocks(text: str) -> list[str]:
    blocks = []
    for match in re.finditer(r"^\.\. code-block:: yaml(?:\+jinja)?\n\n((?:    .*\n|\n)+)", text, re.M):
        blocks.append("\n".join(line[4:] for line in match.group(1).splitlines()))
    return blocks


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always", "tasks"):
            if key in node:
                yield from _tasks(node[key])


@pytest.mark.parametrize("guide", sorted(p.name for p in RST.glob("guide_*.rst")))
def test_guide_examples_use_real_module_options(guide):
    options = _module_options()
    used = 0
    for block in _yaml_blocks((RST / guide).read_text(encoding="utf-8")):
        for task in _tasks(yaml.safe_load(block)):
            for key, args in task.items():
                if not key.startswith(FQCN):
                    continue
                assert key in options, "%s: unknown module %s" % (guide, key)
                unknown = set(args or {}) - options[key]
                assert not unknown, "%s: %s has no option %s" % (guide, key, sorted(unknown))
                used += 1
    if guide in ("guide_image_servicing.rst", "guide_connecting.rst"):
        assert used, "no winimaging.dism task found in %s" % guide
