# Copyright (c) winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gate: the helper's wildcard matching (get_features details_match) agrees with the controller's.

dism_feature_info reads details on the host for the features whose names match its patterns
(C# Wildcard.IsMatch) and selects the features to return on the controller (fnmatch on casefolded
names, plugin_utils/_features.py select_features). If they disagreed, a returned feature would lack
its details or details would be read for nothing, so the two are compared on the same table.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess

from gatelib import HELPER_NAMESPACE, compile_cs

NAMES = ["IIS-WebServer", "IIS-StaticContent", "iis-x", "NetFx3", "NetFx4", "NetFx4Extended-ASPNET45", "TFTP",
         "TelnetClient", "Microsoft-Hyper-V", "Microsoft-Hyper-V-Online", "a[b", "a]b", "a!b", "", "*", "?x"]
PATTERNS = ["*", "IIS-*", "iis-*", "NetFx?", "netfx[34]", "NetFx[!3]", "NetFx[0-9]*", "*-V", "*hyper*online",
            "T*T", "T?TP", "a[b", "a[[]b", "a[]]b", "a[!]b", "[!a-z]*", "a[!b]b", "**", "", "?", "*?x", "x*",
            "NetFx4", "netfx4extended-aspnet45", "*[", "[", "[]", "Micro*-*-*", "*-*-*-*-*"]

PROBE = """
using System;
using System.Reflection;
public static class Probe
{
    public static void Main(string[] args)
    {
        Type wildcard = Assembly.LoadFrom(args[0]).GetType("%s.Wildcard", true);
        MethodInfo isMatch = wildcard.GetMethod("IsMatch", BindingFlags.Public | BindingFlags.Static);
        string line;
        while ((line = Console.ReadLine()) != null)
        {
            string[] parts = line.Split('\\t');
            Console.WriteLine((bool)isMatch.Invoke(null, new object[] { parts[1], parts[0] }) ? "1" : "0");
        }
    }
}
""" % HELPER_NAMESPACE


def test_helper_wildcards_match_fnmatch(tmp_path, helper_dll, mono):
    src = tmp_path / "Probe.cs"
    src.write_text(PROBE, encoding="utf-8")
    exe = tmp_path / "Probe.exe"
    result = compile_cs([str(src)], str(exe), target="exe")
    assert result.returncode == 0, result.stdout + result.stderr
    cases = [(p, n) for p in PATTERNS for n in NAMES]
    lines = "".join("%s\t%s\n" % case for case in cases)
    out = subprocess.run([mono, str(exe), helper_dll], input=lines, capture_output=True, text=True, timeout=120,
                         check=True).stdout.split()
    helper = {case: flag == "1" for case, flag in zip(cases, out)}
    python = {(p, n): fnmatch.fnmatchcase(n.casefold(), p.casefold()) for p, n in cases}
    differ = {"%s ~ %s" % case: helper[case] for case in cases if helper[case] != python[case]}
    assert len(out) == len(cases) and any(helper.values()) and not all(helper.values())
    assert differ == {}, json.dumps(differ, indent=1)
