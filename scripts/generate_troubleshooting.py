# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate docs/docsite/rst/guide_troubleshooting.rst from the collection's HRESULT table.

The table in plugins/plugin_utils/_errors.py (HRESULTS) is the single source of truth for the
names, meanings and hints the modules print when DISM fails. This script renders that table as
the troubleshooting guide, so the page and the failure messages cannot disagree.

Regenerate the page after every change to _errors.py (or to this script), from the repository root:

    python3 scripts/generate_troubleshooting.py            # rewrites the guide
    python3 scripts/generate_troubleshooting.py --check    # exit 1 if the committed guide is stale

Any Python 3.11 works; the script needs only the standard library. tests/unit/test_docsite.py
fails when the committed page differs from what this script produces.

_errors.py is private controller code that imports ``from ._dism_enums import DEFAULT_LOG_PATH``.
It is loaded here as part of a synthetic package whose ``__path__`` is plugins/plugin_utils, so
the relative import resolves to the real _dism_enums.py without importing Ansible or installing
the collection.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import textwrap
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLUGIN_UTILS = REPO / "plugins" / "plugin_utils"
OUTPUT = REPO / "docs" / "docsite" / "rst" / "guide_troubleshooting.rst"
_PACKAGE = "_winimaging_dism_docsite_plugin_utils"

LABEL = ".. _ansible_collections.winimaging.dism.docsite.guide_troubleshooting:"
REF_CONNECTING = ":ref:`connection guide <ansible_collections.winimaging.dism.docsite.guide_connecting>`"
REF_SERVICING = ":ref:`image servicing guide <ansible_collections.winimaging.dism.docsite.guide_image_servicing>`"


def load_errors() -> types.ModuleType:
    """Import plugins/plugin_utils/_errors.py (and the _dism_enums.py it needs) from their paths."""
    package = sys.modules.get(_PACKAGE)
    if package is None:
        package = types.ModuleType(_PACKAGE)
        package.__path__ = [str(PLUGIN_UTILS)]  # submodules are found in plugin_utils
        sys.modules[_PACKAGE] = package
    return importlib.import_module(_PACKAGE + "._errors")


_ESCAPE = re.compile(r"([\\*`|])")
_TRAILING_UNDERSCORE = re.compile(r"_(?=\W|$)")


def rst_text(text: str) -> str:
    """Plain text as reStructuredText inline content: no markup is interpreted."""
    text = _ESCAPE.sub(r"\\\1", text)
    return _TRAILING_UNDERSCORE.sub(r"\\_", text)


def _example(errors: types.ModuleType) -> str:
    """A failure message exactly as the modules build it (DismFailure.msg)."""
    return errors.DismFailure(
        hresult=0x80070002,
        function="DismGetImageInfo",
        dism_message="The system cannot find the file specified.",
        context="Reading image information from 'C:\\images\\missing.wim'",
        log_path=errors.DEFAULT_LOG_PATH,
    ).msg


def _intro(errors: types.ModuleType) -> list[str]:
    log = errors.DEFAULT_LOG_PATH  # shown as a literal, which needs no escaping
    return [
        "This page lists every HRESULT the winimaging.dism modules know, with what it means and what",
        "to do about it. It is generated from the collection's error table, the same table the modules",
        "use to word their failure messages, so the two always agree.",
        "",
        ".. contents::",
        "  :local:",
        "  :depth: 1",
        "",
        ".. _ansible_collections.winimaging.dism.docsite.guide_troubleshooting.reading:",
        "",
        "Reading a failure message",
        "=========================",
        "",
        "When a DISM API call fails, the task fails with a message built from these parts, in this order:",
        "",
        "#. what the task was doing and the DISM API function that failed, with the **HRESULT** as eight",
        "   hex digits (``0x80070002``) and its **name** (``ERROR_FILE_NOT_FOUND``);",
        "#. ``DISM says:`` followed by DISM's own error text (from ``DismGetLastErrorMessage``), or the",
        "   meaning from the table below when DISM gave none;",
        "#. ``Hint:`` followed by what to try next, when the collection has advice for that code;",
        "#. ``DISM log:`` followed by the log file to read for the details.",
        "",
        "For example, reading an image file that does not exist:",
        "",
        ".. code-block:: text",
        "",
    ] + ["    " + line for line in textwrap.wrap(_example(errors), 96, break_long_words=False, break_on_hyphens=False)] + [
        "",
        "The same parts are returned as separate keys, so a playbook can act on them without parsing",
        "the message: ``hresult``, ``hresult_name``, ``dism_function``, ``dism_message``, ``hint`` and",
        "``log_path``. Compare ``hresult`` (a string such as ``\"0x800F081F\"``) rather than the text:",
        "DISM's message is localized, the HRESULT is not.",
        "",
        "Where the DISM log is",
        "---------------------",
        "",
        "Unless the task sets the ``log_path`` option, DISM writes to its default log on the managed",
        "host, ``%s``." % log,
        "Every DISM client on the machine (``dism.exe``, the DISM cmdlets, other tasks) appends to that file, so a task that needs a log of its own should set",
        "``log_path``; the failure message then names that file. ``log_level`` (``errors``,",
        "``warnings`` or ``warnings_info``, the default) sets how much DISM writes.",
        "",
        "Names and labels",
        "----------------",
        "",
        "Most names are the published symbolic names from ``DismApi.h``, the servicing stack (CBS),",
        "SetupAPI and Win32 headers. The mount-layer codes ``0xC142xxxx`` have no published symbolic",
        "name; the names shown for them are this collection's labels, marked *(label)* in the table.",
        "Search for the HRESULT, not the label, when you look them up elsewhere.",
        "",
        "A code that is not in the table is still reported: a Win32 error wrapped as an HRESULT",
        "(``0x8007xxxx``) is named ``HRESULT_FROM_WIN32(n)`` with its Win32 error number, and any other",
        "code is named ``UNKNOWN_HRESULT``. DISM's own message and the log are then the best guide.",
        "",
        "Not failures",
        "------------",
        "",
        "DISM's success codes are not errors: ``1`` (the session must be reloaded) is handled by the",
        "helper, and ``3010`` (a restart is needed) is reported as ``reboot_required: true``.",
        "The %s shows how to restart with ``ansible.windows.win_reboot``." % REF_SERVICING,
        "",
        "A message that starts *internal error in the DISM helper* means the collection's helper refused",
        "a request before DISM saw it; there is no DISM text or log for it. Please report it.",
        "",
        "Failures that come from the connection rather than from DISM (access denied on a share,",
        "Windows Update not reachable under a network logon) are explained in the",
        "%s." % REF_CONNECTING,
        "",
    ]


def _table(errors: types.ModuleType) -> list[str]:
    lines = [
        ".. _ansible_collections.winimaging.dism.docsite.guide_troubleshooting.codes:",
        "",
        "HRESULT reference",
        "=================",
        "",
        "Sorted by code. *What to do* is the hint the failure message carries; a dash means the",
        "collection has no specific advice for that code: read DISM's message and the DISM log.",
        "",
        ".. list-table::",
        "  :header-rows: 1",
        "  :widths: 14 26 30 30",
        "",
        "  * - HRESULT",
        "    - Name",
        "    - Meaning",
        "    - What to do",
    ]
    for code in sorted(errors.HRESULTS):
        info = errors.HRESULTS[code]
        name = "``%s``" % info.name
        if not info.name_is_published:
            name += " *(label)*"
        lines += [
            "  * - ``%s``" % errors.format_hresult(code),
            "    - %s" % name,
            "    - %s" % rst_text(info.meaning),
            "    - %s" % (rst_text(info.hint) if info.hint else "\u2014"),
        ]
    lines.append("")
    return lines


def render() -> str:
    """The complete text of guide_troubleshooting.rst."""
    errors = load_errors()
    lines = [
        "..",
        "  GENERATED FILE - do not edit. Source: plugins/plugin_utils/_errors.py (HRESULTS).",
        "  Regenerate with: python3 scripts/generate_troubleshooting.py",
        "",
        LABEL,
        "",
        "***************",
        "Troubleshooting",
        "***************",
        "",
    ]
    lines += _intro(errors)
    lines += _table(errors)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="file to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the file differs")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print("%s is out of date; run scripts/generate_troubleshooting.py" % args.output, file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8", newline="\n")
    print("wrote %s (%d codes)" % (args.output, len(load_errors().HRESULTS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
