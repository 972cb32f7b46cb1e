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

        // get_features: package_name, details (names), all_details, ancestors (bool) -> list of
        // {name, state} (DismGetFeatures). Entries named in 'details' (case-insensitively), or every
        // entry with 'all_details', and with 'ancestors' their parents' chains, also carry
        // DismGetFeatureInfo and DismGetFeatureParent data.
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
                for (uint i = 0; !features.IsInvalid && i < count; i++)
                {
                    NativeHelpers.DismFeature feature =
                        Marshalling.ReadElement<NativeHelpers.DismFeature>(features.DangerousGetHandle(), i);
                    Hashtable entry = new Hashtable();
                    entry["name"] = Marshalling.ReadString(feature.FeatureName);
                    entry["state"] = feature.State;
                    list.Add(entry);
                    byName[(string)entry["name"]] = entry;
                }
            }

            Queue<string> pending = new Queue<string>(details);
            if (Args.GetBool(args, "all_details", false))
            {
                foreach (Hashtable entry in list)
                {
                    pending.Enqueue((string)entry["name"]);
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
                ArrayList properties = new ArrayList();
                for (uint i = 0; info.CustomProperty != IntPtr.Zero && i < info.CustomPropertyCount; i++)
                {
                    NativeHelpers.DismCustomProperty property =
                        Marshalling.ReadElement<NativeHelpers.DismCustomProperty>(info.CustomProperty, i);
                    Hashtable item = new Hashtable();
                    item["name"] = Marshalling.ReadString(property.Name);
                    item["value"] = Marshalling.ReadString(property.Value);
                    item["path"] = Marshalling.ReadString(property.Path);
                    properties.Add(item);
                }
                value["custom_properties"] = properties;
                return value;
            }
        }

        private static ArrayList ReadFeatureParents(OperationContext context, uint session, string name, string packageName)
        {
            SafeDismMemory memory;
            uint count;
            int hr = NativeMethods.DismGetFeatureParent(session, name, packageName, PackageIdentifier(packageName),
                out memory, out count);
            ArrayList parents = new ArrayList();
            using (memory)
            {
                context.Check(hr, "DismGetFeatureParent");
                for (uint i = 0; !memory.IsInvalid && i < count; i++)
                {
                    NativeHelpers.DismFeature parent =
                        Marshalling.ReadElement<NativeHelpers.DismFeature>(memory.DangerousGetHandle(), i);
                    Hashtable entry = new Hashtable();
                    entry["name"] = Marshalling.ReadString(parent.FeatureName);
                    entry["state"] = parent.State;
                    parents.Add(entry);
                }
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
}
