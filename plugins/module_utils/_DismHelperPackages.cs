// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. Part of the DISM helper: see _DismHelper.cs.
//
// Executor operations on packages (.cab, .msu, expanded package folders).

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using System;
    using System.Collections;
    using System.Collections.Generic;
    using System.Runtime.InteropServices;

    public sealed partial class Executor
    {
        // The operations of this file, for the dispatch table (Executor.Operations); Writes are
        // refused in check mode.
        private static void AddPackageOperations(OperationTable table)
        {
            table.Reads("get_packages", OpGetPackages);
            table.Reads("get_package_info", OpGetPackageInfo);
            table.Reads("get_package_infos", OpGetPackageInfos);
            table.Writes("add_package", OpAddPackage);
            table.Writes("remove_package", OpRemovePackage);
        }

        // get_packages: details (identities), details_match (patterns), all_details -> list of {name, state,
        // release_type, install_time} (one DismGetPackages). Entries named in 'details' (case-insensitively),
        // matching a 'details_match' pattern (the wildcards of get_features), or every entry with
        // 'all_details', also carry 'info': DismGetPackageInfo by name, one more DISM call each.
        private static object OpGetPackages(OperationContext context, IDictionary args)
        {
            SafeDismMemory packages;
            uint count;
            int hr = NativeMethods.DismGetPackages(context.Session, out packages, out count);
            ArrayList list = new ArrayList();
            using (packages)
            {
                context.Check(hr, "DismGetPackages");
                for (uint i = 0; !packages.IsInvalid && i < count; i++)
                {
                    NativeHelpers.DismPackage package =
                        Marshalling.ReadElement<NativeHelpers.DismPackage>(packages.DangerousGetHandle(), i);
                    Hashtable entry = new Hashtable();
                    entry["name"] = Marshalling.ReadString(package.PackageName);
                    entry["state"] = package.PackageState;
                    entry["release_type"] = package.ReleaseType;
                    entry["install_time"] = Marshalling.FormatSystemTime(package.InstallTime);
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
                    entry["info"] = ReadPackageInfo(context, name, true);
                }
            }
            return list;
        }

        // get_package_info: name or path -> the DismPackageInfo dict (DismGetPackageInfo). Used as the
        // apply batch's precondition; a failure fails the operation.
        private static object OpGetPackageInfo(OperationContext context, IDictionary args)
        {
            string name = Args.GetString(args, "name", false);
            string path = Args.GetString(args, "path", false);
            if ((name == null) == (path == null))
            {
                throw new ArgumentException("get_package_info needs exactly one of 'name' and 'path'");
            }
            return ReadPackageInfo(context, name ?? path, name != null);
        }

        // get_package_infos: names (package identities), paths (.cab/.msu files, expanded package folders,
        // or folders of .cab/.msu files) -> one entry per package: {name | path, folder, kind, ok, info,
        // error}. kind "name" and "cab" carry DismGetPackageInfo data (a failure is the entry's error, not
        // the batch's); kind "msu" has no info: DismGetPackageInfo takes a .cab or an expanded folder
        // only (dism-api.md 2.2), so an .msu's packages are known once it is added. A folder holding
        // update.mum is one expanded package (what DismAddPackage takes); any other folder stands for
        // its .cab and .msu files, sorted by name, not its subfolders. A folder that cannot be listed
        // is {path, kind: "folder", ok: false, error}; one with no package files {path, kind: "folder",
        // ok: true, empty: true}. Whether those fail the task is the planner's decision.
        private static object OpGetPackageInfos(OperationContext context, IDictionary args)
        {
            ArrayList entries = new ArrayList();
            foreach (string name in Args.GetStringList(args, "names") ?? new string[0])
            {
                Hashtable entry = new Hashtable();
                entry["name"] = name;
                entry["kind"] = "name";
                FillPackageInfo(context, entry, name, true);
                entries.Add(entry);
            }
            foreach (string path in Args.GetStringList(args, "paths") ?? new string[0])
            {
                if (!IsFolder(path) || IsFile(path.TrimEnd('\\', '/') + "\\update.mum"))
                {
                    entries.Add(PackageFileEntry(context, path, null));
                    continue;
                }
                string folder = path.TrimEnd('\\', '/');
                List<string> files = new List<string>();
                Hashtable failure = ListPackageFiles(folder, files);
                foreach (string file in files)
                {
                    entries.Add(PackageFileEntry(context, file, path));
                }
                if (failure != null)
                {
                    entries.Add(PackageFolderEntry(path, failure));
                }
                else if (files.Count == 0)
                {
                    Hashtable empty = PackageFolderEntry(path, null);
                    empty["ok"] = true;
                    empty["empty"] = true;
                    entries.Add(empty);
                }
            }
            return entries;
        }

        private static bool IsFolder(string path)
        {
            uint attributes = NativeMethods.GetFileAttributesW(path);
            return attributes != NativeHelpers.INVALID_FILE_ATTRIBUTES && (attributes & NativeHelpers.FILE_ATTRIBUTE_DIRECTORY) != 0;
        }

        private static bool IsFile(string path)
        {
            uint attributes = NativeMethods.GetFileAttributesW(path);
            return attributes != NativeHelpers.INVALID_FILE_ATTRIBUTES && (attributes & NativeHelpers.FILE_ATTRIBUTE_DIRECTORY) == 0;
        }

        private static Hashtable PackageFileEntry(OperationContext context, string path, string folder)
        {
            Hashtable entry = new Hashtable();
            entry["path"] = path;
            entry["folder"] = folder;
            if (path.EndsWith(".msu", StringComparison.OrdinalIgnoreCase) && !IsFolder(path))
            {
                entry["kind"] = "msu";
                entry["ok"] = IsFile(path);
                entry["info"] = null;
                entry["error"] = (bool)entry["ok"] ? null
                    : NewError(Win32ToHResult(NativeHelpers.ERROR_FILE_NOT_FOUND), "GetFileAttributesW", null);
                return entry;
            }
            entry["kind"] = "cab";
            FillPackageInfo(context, entry, path, false);
            return entry;
        }

        private static void FillPackageInfo(OperationContext context, Hashtable entry, string identifier, bool byName)
        {
            try
            {
                entry["info"] = ReadPackageInfo(context, identifier, byName);
                entry["ok"] = true;
                entry["error"] = null;
            }
            catch (DismException e)
            {
                entry["info"] = null;
                entry["ok"] = false;
                entry["error"] = e.ToResult();
            }
        }

        private static Hashtable PackageFolderEntry(string path, Hashtable error)
        {
            Hashtable entry = new Hashtable();
            entry["path"] = path;
            entry["folder"] = null;
            entry["kind"] = "folder";
            entry["ok"] = false;
            entry["info"] = null;
            entry["error"] = error;
            return entry;
        }

        // The .cab and .msu files of one folder (FindFirstFileW/FindNextFileW), sorted; the error when
        // it cannot be listed (what was listed before a failure is kept).
        private static Hashtable ListPackageFiles(string folder, List<string> files)
        {
            Win32Helpers.WIN32_FIND_DATAW data;
            Hashtable failure = null;
            using (SafeFindHandle search = NativeMethods.FindFirstFileW(folder + "\\*", out data))
            {
                if (search.IsInvalid)
                {
                    int error = Marshal.GetLastWin32Error();
                    return error == NativeHelpers.ERROR_FILE_NOT_FOUND ? null
                        : NewError(Win32ToHResult(error), "FindFirstFileW", null);
                }
                do
                {
                    string name = data.cFileName;
                    bool directory = (data.dwFileAttributes & NativeHelpers.FILE_ATTRIBUTE_DIRECTORY) != 0;
                    if (!directory && (name.EndsWith(".cab", StringComparison.OrdinalIgnoreCase)
                        || name.EndsWith(".msu", StringComparison.OrdinalIgnoreCase)))
                    {
                        files.Add(folder + "\\" + name);
                    }
                }
                while (NativeMethods.FindNextFileW(search, out data));
                int last = Marshal.GetLastWin32Error();
                if (last != NativeHelpers.ERROR_NO_MORE_FILES)
                {
                    failure = NewError(Win32ToHResult(last), "FindNextFileW", null);
                }
            }
            files.Sort(StringComparer.OrdinalIgnoreCase);
            return failure;
        }

        private static Hashtable ReadPackageInfo(OperationContext context, string identifier, bool byName)
        {
            SafeDismMemory memory;
            int hr = NativeMethods.DismGetPackageInfo(context.Session, identifier,
                byName ? NativeHelpers.DismPackageIdentifier.DismPackageName : NativeHelpers.DismPackageIdentifier.DismPackagePath,
                out memory);
            using (memory)
            {
                context.Check(hr, "DismGetPackageInfo");
                NativeHelpers.DismPackageInfo info =
                    Marshalling.ReadStruct<NativeHelpers.DismPackageInfo>(memory.DangerousGetHandle());
                Hashtable value = new Hashtable();
                value["name"] = Marshalling.ReadString(info.PackageName);
                value["state"] = info.PackageState;
                value["release_type"] = info.ReleaseType;
                value["install_time"] = Marshalling.FormatSystemTime(info.InstallTime);
                value["applicable"] = info.Applicable != 0;
                value["copyright"] = Marshalling.ReadString(info.Copyright);
                value["company"] = Marshalling.ReadString(info.Company);
                value["creation_time"] = Marshalling.FormatSystemTime(info.CreationTime);
                value["display_name"] = Marshalling.ReadString(info.DisplayName);
                value["description"] = Marshalling.ReadString(info.Description);
                value["install_client"] = Marshalling.ReadString(info.InstallClient);
                value["install_package_name"] = Marshalling.ReadString(info.InstallPackageName);
                value["last_update_time"] = Marshalling.FormatSystemTime(info.LastUpdateTime);
                value["product_name"] = Marshalling.ReadString(info.ProductName);
                value["product_version"] = Marshalling.ReadString(info.ProductVersion);
                value["restart"] = info.RestartRequired;
                value["fully_offline"] = info.FullyOffline;
                value["support_information"] = Marshalling.ReadString(info.SupportInformation);
                value["custom_properties"] = Marshalling.ReadCustomProperties(info.CustomProperty, info.CustomPropertyCount);
                ArrayList features = new ArrayList();
                for (uint i = 0; info.Feature != IntPtr.Zero && i < info.FeatureCount; i++)
                {
                    NativeHelpers.DismFeature feature = Marshalling.ReadElement<NativeHelpers.DismFeature>(info.Feature, i);
                    Hashtable item = new Hashtable();
                    item["name"] = Marshalling.ReadString(feature.FeatureName);
                    item["state"] = feature.State;
                    features.Add(item);
                }
                value["features"] = features;
                return value;
            }
        }

        // add_package: path, ignore_check, prevent_pending -> null (DismAddPackage with the cancel event
        // and progress).
        private static object OpAddPackage(OperationContext context, IDictionary args)
        {
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismAddPackage(context.Session, Args.GetString(args, "path", true),
                Args.GetBool(args, "ignore_check", false), Args.GetBool(args, "prevent_pending", false),
                context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismAddPackage");
            return null;
        }

        // remove_package: name (a package identity) or path (a .cab) -> null (DismRemovePackage).
        private static object OpRemovePackage(OperationContext context, IDictionary args)
        {
            string name = Args.GetString(args, "name", false);
            string path = Args.GetString(args, "path", false);
            if ((name == null) == (path == null))
            {
                throw new ArgumentException("remove_package needs exactly one of 'name' and 'path'");
            }
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismRemovePackage(context.Session, name ?? path,
                name != null ? NativeHelpers.DismPackageIdentifier.DismPackageName : NativeHelpers.DismPackageIdentifier.DismPackagePath,
                context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismRemovePackage");
            return null;
        }
    }
}
