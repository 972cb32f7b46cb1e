// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. Part of the DISM helper: see _DismHelper.cs.
//
// Executor operations on capabilities (Features on Demand).

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using System;
    using System.Collections;
    using System.Collections.Generic;

    public sealed partial class Executor
    {
        // The operations of this file, for the dispatch table (Executor.Operations); Writes are
        // refused in check mode.
        private static void AddCapabilityOperations(OperationTable table)
        {
            table.Reads("get_capabilities", OpGetCapabilities);
            table.Reads("get_capability_info", OpGetCapabilityInfo);
            table.Writes("add_capability", OpAddCapability);
            table.Writes("remove_capability", OpRemoveCapability);
        }

        // get_capabilities: details (names), details_match (patterns), all_details -> list of {name,
        // state} (one DismGetCapabilities). Entries named in 'details' (case-insensitively), matching a
        // 'details_match' pattern (the wildcards of get_features), or every entry with 'all_details',
        // also carry DismGetCapabilityInfo's fields: one more DISM call per detailed entry.
        private static object OpGetCapabilities(OperationContext context, IDictionary args)
        {
            uint session = context.Session;
            SafeDismMemory capabilities;
            uint count;
            int hr = NativeMethods.DismGetCapabilities(session, out capabilities, out count);
            ArrayList list = new ArrayList();
            using (capabilities)
            {
                context.Check(hr, "DismGetCapabilities");
                for (uint i = 0; !capabilities.IsInvalid && i < count; i++)
                {
                    NativeHelpers.DismCapability capability =
                        Marshalling.ReadElement<NativeHelpers.DismCapability>(capabilities.DangerousGetHandle(), i);
                    Hashtable entry = new Hashtable();
                    entry["name"] = Marshalling.ReadString(capability.Name);
                    entry["state"] = capability.State;
                    list.Add(entry);
                }
            }

            HashSet<string> details = new HashSet<string>(Args.GetStringList(args, "details") ?? new string[0],
                StringComparer.OrdinalIgnoreCase);
            string[] patterns = Args.GetStringList(args, "details_match") ?? new string[0];
            bool allDetails = Args.GetBool(args, "all_details", false);
            foreach (Hashtable entry in list)
            {
                string name = (string)entry["name"];
                if (allDetails || details.Contains(name) || MatchesAny(name, patterns))
                {
                    foreach (DictionaryEntry field in ReadCapabilityInfo(context, session, name))
                    {
                        if ((string)field.Key != "name")
                        {
                            entry[field.Key] = field.Value;
                        }
                    }
                }
            }
            return list;
        }

        // get_capability_info: name -> {name, state, display_name, description, download_size,
        // install_size} (DismGetCapabilityInfo). Some Windows builds answer an unknown name with
        // success and an empty name (dism-api.md 7.4 #10): the controller treats that as unknown.
        private static object OpGetCapabilityInfo(OperationContext context, IDictionary args)
        {
            return ReadCapabilityInfo(context, context.Session, Args.GetString(args, "name", true));
        }

        private static Hashtable ReadCapabilityInfo(OperationContext context, uint session, string name)
        {
            SafeDismMemory memory;
            int hr = NativeMethods.DismGetCapabilityInfo(session, name, out memory);
            using (memory)
            {
                context.Check(hr, "DismGetCapabilityInfo");
                NativeHelpers.DismCapabilityInfo info =
                    Marshalling.ReadStruct<NativeHelpers.DismCapabilityInfo>(memory.DangerousGetHandle());
                Hashtable value = new Hashtable();
                value["name"] = Marshalling.ReadString(info.Name);
                value["state"] = info.State;
                value["display_name"] = Marshalling.ReadString(info.DisplayName);
                value["description"] = Marshalling.ReadString(info.Description);
                value["download_size"] = (long)info.DownloadSize;
                value["install_size"] = (long)info.InstallSize;
                return value;
            }
        }

        // add_capability: name, limit_access, sources -> null (DismAddCapability with the cancel event
        // and progress).
        private static object OpAddCapability(OperationContext context, IDictionary args)
        {
            string[] sources = Args.GetStringList(args, "sources") ?? new string[0];
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismAddCapability(context.Session, Args.GetString(args, "name", true),
                Args.GetBool(args, "limit_access", false), sources, (uint)sources.Length,
                context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismAddCapability");
            return null;
        }

        // remove_capability: name -> null (DismRemoveCapability).
        private static object OpRemoveCapability(OperationContext context, IDictionary args)
        {
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismRemoveCapability(context.Session, Args.GetString(args, "name", true),
                context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismRemoveCapability");
            return null;
        }
    }
}
