// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. Part of the DISM helper: see _DismHelper.cs.
//
// Executor operations on optional features.

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using System;
    using System.Collections;
    using System.Collections.Generic;

    public sealed partial class Executor
    {
        // The operations of this file, for the dispatch table (Executor.Operations); Writes are
        // refused in check mode.
        private static void AddFeatureOperations(OperationTable table)
        {
            table.Reads("get_features", OpGetFeatures);
            table.Reads("get_feature_info", OpGetFeatureInfo);
            table.Writes("enable_feature", OpEnableFeature);
            table.Writes("disable_feature", OpDisableFeature);
        }

        // A DismFeature array (DismGetFeatures, DismGetFeatureParent) as {name, state} entries.
        private static ArrayList ReadFeatureStates(SafeDismMemory features, uint count)
        {
            ArrayList entries = new ArrayList();
            for (uint i = 0; !features.IsInvalid && i < count; i++)
            {
                NativeHelpers.DismFeature feature =
                    Marshalling.ReadElement<NativeHelpers.DismFeature>(features.DangerousGetHandle(), i);
                Hashtable entry = new Hashtable();
                entry["name"] = Marshalling.ReadString(feature.FeatureName);
                entry["state"] = feature.State;
                entries.Add(entry);
            }
            return entries;
        }

        // get_features: package_name, details (names), details_match (patterns), all_details,
        // ancestors (bool) -> list of {name, state} (one DismGetFeatures). Entries named in 'details'
        // (case-insensitively), matching a 'details_match' pattern (case-insensitive wildcards: * any
        // run, ? one character, [abc] [a-z] [!abc] one of / none of, as Python's fnmatch), or every
        // entry with 'all_details', and with 'ancestors' their parents' chains, also carry
        // DismGetFeatureInfo and DismGetFeatureParent data: two more DISM calls per detailed entry.
        private static object OpGetFeatures(OperationContext context, IDictionary args)
        {
            uint session = context.Session;
            string packageName = Args.GetString(args, "package_name", false);
            string[] details = Args.GetStringList(args, "details") ?? new string[0];
            bool ancestors = Args.GetBool(args, "ancestors", false);

            SafeDismMemory features;
            uint count;
            int hr = NativeMethods.DismGetFeatures(session, packageName, PackageIdentifier(packageName), out features, out count);
            ArrayList list = new ArrayList();
            Dictionary<string, Hashtable> byName = new Dictionary<string, Hashtable>(StringComparer.OrdinalIgnoreCase);
            using (features)
            {
                context.Check(hr, "DismGetFeatures");
                foreach (Hashtable entry in ReadFeatureStates(features, count))
                {
                    list.Add(entry);
                    byName[(string)entry["name"]] = entry;
                }
            }

            Queue<string> pending = new Queue<string>(details);
            bool allDetails = Args.GetBool(args, "all_details", false);
            string[] patterns = Args.GetStringList(args, "details_match") ?? new string[0];
            foreach (Hashtable entry in list)
            {
                string name = (string)entry["name"];
                if (allDetails || MatchesAny(name, patterns))
                {
                    pending.Enqueue(name);
                }
            }
            while (pending.Count > 0)
            {
                Hashtable entry;
                if (!byName.TryGetValue(pending.Dequeue(), out entry) || entry.ContainsKey("display_name"))
                {
                    continue; // unknown names are the controller's to report; each feature once
                }
                Hashtable info = ReadFeatureInfo(context, session, (string)entry["name"], packageName);
                foreach (DictionaryEntry field in info)
                {
                    entry[field.Key] = field.Value;
                }
                ArrayList parents = ReadFeatureParents(context, session, (string)entry["name"], packageName);
                entry["parents"] = parents;
                if (ancestors)
                {
                    foreach (Hashtable parent in parents)
                    {
                        pending.Enqueue((string)parent["name"]);
                    }
                }
            }
            return list;
        }

        private static bool MatchesAny(string name, string[] patterns)
        {
            foreach (string pattern in patterns)
            {
                if (Wildcard.IsMatch(name, pattern))
                {
                    return true;
                }
            }
            return false;
        }

        // get_feature_info: name, package_name -> {name, state, display_name, description, restart,
        // custom_properties} (DismGetFeatureInfo).
        private static object OpGetFeatureInfo(OperationContext context, IDictionary args)
        {
            return ReadFeatureInfo(context, context.Session, Args.GetString(args, "name", true),
                Args.GetString(args, "package_name", false));
        }

        private static Hashtable ReadFeatureInfo(OperationContext context, uint session, string name, string packageName)
        {
            SafeDismMemory memory;
            int hr = NativeMethods.DismGetFeatureInfo(session, name, packageName, PackageIdentifier(packageName), out memory);
            using (memory)
            {
                context.Check(hr, "DismGetFeatureInfo");
                NativeHelpers.DismFeatureInfo info =
                    Marshalling.ReadStruct<NativeHelpers.DismFeatureInfo>(memory.DangerousGetHandle());
                Hashtable value = new Hashtable();
                value["name"] = Marshalling.ReadString(info.FeatureName);
                value["state"] = info.FeatureState;
                value["display_name"] = Marshalling.ReadString(info.DisplayName);
                value["description"] = Marshalling.ReadString(info.Description);
                value["restart"] = info.RestartRequired;
                value["custom_properties"] = Marshalling.ReadCustomProperties(info.CustomProperty, info.CustomPropertyCount);
                return value;
            }
        }

        private static ArrayList ReadFeatureParents(OperationContext context, uint session, string name, string packageName)
        {
            SafeDismMemory memory;
            uint count;
            int hr = NativeMethods.DismGetFeatureParent(session, name, packageName, PackageIdentifier(packageName),
                out memory, out count);
            ArrayList parents;
            using (memory)
            {
                context.Check(hr, "DismGetFeatureParent");
                parents = ReadFeatureStates(memory, count);
            }
            return parents;
        }

        private static NativeHelpers.DismPackageIdentifier PackageIdentifier(string packageName)
        {
            return packageName == null ? NativeHelpers.DismPackageIdentifier.DismPackageNone
                : NativeHelpers.DismPackageIdentifier.DismPackageName;
        }

        // enable_feature: names, package_name, limit_access, sources, enable_all -> null (DismEnableFeature
        // with the names joined by ';', the cancel event and progress).
        private static object OpEnableFeature(OperationContext context, IDictionary args)
        {
            uint session = context.Session;
            string names = String.Join(";", Args.GetStringList(args, "names") ?? new string[0]);
            if (names.Length == 0)
            {
                throw new ArgumentException("enable_feature needs 'names'");
            }
            string packageName = Args.GetString(args, "package_name", false);
            string[] sources = Args.GetStringList(args, "sources") ?? new string[0];
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismEnableFeature(session, names, packageName, PackageIdentifier(packageName),
                Args.GetBool(args, "limit_access", false), sources, (uint)sources.Length,
                Args.GetBool(args, "enable_all", false), context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismEnableFeature");
            return null;
        }

        // disable_feature: names, package_name, remove_payload -> null (DismDisableFeature).
        private static object OpDisableFeature(OperationContext context, IDictionary args)
        {
            uint session = context.Session;
            string names = String.Join(";", Args.GetStringList(args, "names") ?? new string[0]);
            if (names.Length == 0)
            {
                throw new ArgumentException("disable_feature needs 'names'");
            }
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismDisableFeature(session, names, Args.GetString(args, "package_name", false),
                Args.GetBool(args, "remove_payload", false), context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismDisableFeature");
            return null;
        }
    }

    // Case-insensitive wildcard matching with the rules of Python's fnmatch, which the controller
    // uses on the same names (plugin_utils/_features.py select_features): * any run, ? one
    // character, [...] one character of a set (ranges a-z, ! first negates; an unclosed [ is a
    // literal). Iterative: the last * is retried one character further on a mismatch.
    internal static class Wildcard
    {
        public static bool IsMatch(string text, string pattern)
        {
            int t = 0, p = 0, starP = -1, starT = 0;
            while (t < text.Length)
            {
                int next = p < pattern.Length && pattern[p] != '*' ? MatchOne(pattern, p, text[t]) : -1;
                if (next >= 0)
                {
                    p = next;
                    t++;
                }
                else if (p < pattern.Length && pattern[p] == '*')
                {
                    starP = p++;
                    starT = t;
                }
                else if (starP >= 0)
                {
                    p = starP + 1;
                    t = ++starT;
                }
                else
                {
                    return false;
                }
            }
            while (p < pattern.Length && pattern[p] == '*')
            {
                p++;
            }
            return p == pattern.Length;
        }

        // The pattern position after the element at p if it matches c, else -1.
        private static int MatchOne(string pattern, int p, char c)
        {
            char folded = Char.ToUpperInvariant(c);
            if (pattern[p] == '?')
            {
                return p + 1;
            }
            if (pattern[p] == '[')
            {
                int end = p + 1;
                if (end < pattern.Length && pattern[end] == '!')
                {
                    end++;
                }
                if (end < pattern.Length && pattern[end] == ']')
                {
                    end++;
                }
                while (end < pattern.Length && pattern[end] != ']')
                {
                    end++;
                }
                if (end < pattern.Length)
                {
                    int i = p + 1;
                    bool negate = pattern[i] == '!';
                    if (negate)
                    {
                        i++;
                    }
                    bool found = false;
                    for (; i < end; i++)
                    {
                        if (i + 2 < end && pattern[i + 1] == '-')
                        {
                            char low = Char.ToUpperInvariant(pattern[i]), high = Char.ToUpperInvariant(pattern[i + 2]);
                            found |= low <= folded && folded <= high;
                            i += 2;
                        }
                        else
                        {
                            found |= Char.ToUpperInvariant(pattern[i]) == folded;
                        }
                    }
                    return found != negate ? end + 1 : -1;
                }
            }
            return Char.ToUpperInvariant(pattern[p]) == folded ? p + 1 : -1;
        }
    }
}
