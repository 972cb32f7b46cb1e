// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. Part of the DISM helper: see _DismHelper.cs.
//
// Executor operations on driver packages.

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using System;
    using System.Collections;
    using System.Collections.Generic;
    using System.Globalization;
    using System.Runtime.InteropServices;

    public sealed partial class Executor
    {
        // The operations of this file, for the dispatch table (Executor.Operations); Writes are
        // refused in check mode.
        private static void AddDriverOperations(OperationTable table)
        {
            table.Reads("get_drivers", OpGetDrivers);
            table.Reads("get_driver_infos", OpGetDriverInfos);
            table.Reads("get_image_architecture", OpGetImageArchitecture);
            table.Writes("add_driver", OpAddDriver);
            table.Writes("remove_driver", OpRemoveDriver);
        }

        // get_drivers: all (bool) -> list of driver package dicts (DismGetDrivers).
        private static object OpGetDrivers(OperationContext context, IDictionary args)
        {
            SafeDismMemory packages;
            uint count;
            int hr = NativeMethods.DismGetDrivers(context.Session, Args.GetBool(args, "all", false), out packages, out count);
            ArrayList list = new ArrayList();
            using (packages)
            {
                context.Check(hr, "DismGetDrivers");
                for (uint i = 0; !packages.IsInvalid && i < count; i++)
                {
                    list.Add(ConvertDriverPackage(
                        Marshalling.ReadElement<NativeHelpers.DismDriverPackage>(packages.DangerousGetHandle(), i)));
                }
            }
            return list;
        }

        private static Hashtable ConvertDriverPackage(NativeHelpers.DismDriverPackage package)
        {
            Hashtable entry = new Hashtable();
            entry["published_name"] = Marshalling.ReadString(package.PublishedName);
            entry["original_file_name"] = Marshalling.ReadString(package.OriginalFileName);
            entry["inbox"] = package.InBox != 0;
            entry["catalog_file"] = Marshalling.ReadString(package.CatalogFile);
            entry["class_name"] = Marshalling.ReadString(package.ClassName);
            entry["class_guid"] = Marshalling.ReadString(package.ClassGuid);
            entry["class_description"] = Marshalling.ReadString(package.ClassDescription);
            entry["boot_critical"] = package.BootCritical != 0;
            entry["signature"] = package.DriverSignature;
            entry["provider_name"] = Marshalling.ReadString(package.ProviderName);
            entry["date"] = Marshalling.FormatSystemTime(package.Date);
            entry["version"] = String.Format(CultureInfo.InvariantCulture, "{0}.{1}.{2}.{3}",
                package.MajorVersion, package.MinorVersion, package.Build, package.Revision);
            return entry;
        }

        // get_driver_infos: paths (INF files, folders, or published names), recurse -> one entry per
        // INF found: {path, folder, kind: "inf", ok, package, drivers, error}. Folders are expanded here
        // because DismAddDriver takes one INF; a failing INF is reported in its entry, not for the batch.
        // A folder that cannot be listed (access denied, a path over MAX_PATH, ...) is an entry too,
        // {path, folder, kind: "folder", ok: false, error: {hresult, function, message: null}}, and the scan
        // goes on; a subfolder that is a junction or symbolic link (a reparse point) is never followed, so a
        // junction loop cannot recurse forever: {path, folder, kind: "reparse_point", ok: false, error: null}.
        // Whether such entries fail the task is the planner's decision.
        private static object OpGetDriverInfos(OperationContext context, IDictionary args)
        {
            uint session = context.Session;
            bool recurse = Args.GetBool(args, "recurse", false);
            ArrayList entries = new ArrayList();
            foreach (string path in Args.GetStringList(args, "paths") ?? new string[0])
            {
                uint attributes = NativeMethods.GetFileAttributesW(path);
                bool folder = attributes != NativeHelpers.INVALID_FILE_ATTRIBUTES
                    && (attributes & NativeHelpers.FILE_ATTRIBUTE_DIRECTORY) != 0;
                if (!folder)
                {
                    entries.Add(ReadDriverInfo(context, session, path, null));
                    continue;
                }
                // A folder named in the task is scanned even when it is a junction: only the links found
                // inside are not followed.
                List<object> found = new List<object>();
                FindInfFiles(path.TrimEnd('\\', '/'), path, recurse, found);
                foreach (object item in found)
                {
                    string inf = item as string;
                    entries.Add(inf != null ? ReadDriverInfo(context, session, inf, path) : item);
                }
            }
            return entries;
        }

        private static Hashtable ReadDriverInfo(OperationContext context, uint session, string path, string folder)
        {
            Hashtable entry = new Hashtable();
            entry["path"] = path;
            entry["folder"] = folder;
            entry["kind"] = "inf";
            SafeDismMemory drivers;
            SafeDismMemory package;
            uint count;
            int hr = NativeMethods.DismGetDriverInfo(session, path, out drivers, out count, out package);
            using (drivers)
            using (package)
            {
                try
                {
                    context.Check(hr, "DismGetDriverInfo");
                }
                catch (DismException e)
                {
                    entry["ok"] = false;
                    entry["error"] = e.ToResult();
                    return entry;
                }
                entry["ok"] = true;
                entry["error"] = null;
                entry["package"] = package.IsInvalid ? null : ConvertDriverPackage(
                    Marshalling.ReadStruct<NativeHelpers.DismDriverPackage>(package.DangerousGetHandle()));
                ArrayList list = new ArrayList();
                for (uint i = 0; !drivers.IsInvalid && i < count; i++)
                {
                    NativeHelpers.DismDriver driver =
                        Marshalling.ReadElement<NativeHelpers.DismDriver>(drivers.DangerousGetHandle(), i);
                    Hashtable item = new Hashtable();
                    item["manufacturer"] = Marshalling.ReadString(driver.ManufacturerName);
                    item["description"] = Marshalling.ReadString(driver.HardwareDescription);
                    item["hardware_id"] = Marshalling.ReadString(driver.HardwareId);
                    item["architecture"] = (long)driver.Architecture;
                    item["service_name"] = Marshalling.ReadString(driver.ServiceName);
                    item["compatible_ids"] = Marshalling.ReadString(driver.CompatibleIds);
                    item["exclude_ids"] = Marshalling.ReadString(driver.ExcludeIds);
                    list.Add(item);
                }
                entry["drivers"] = list;
            }
            return entry;
        }

        // FILE_ATTRIBUTE_REPARSE_POINT: a junction, symbolic link or other reparse point.
        private const uint FileAttributeReparsePoint = 0x400;

        // The INF files of a folder (strings), sorted, and with recurse those of its subfolders; a folder
        // that cannot be listed, or a subfolder that is a reparse point, is added as its entry (Hashtable)
        // in its place (FindFirstFileW/FindNextFileW). Never throws for a folder of the tree.
        private static void FindInfFiles(string folder, string top, bool recurse, List<object> found)
        {
            List<string> files = new List<string>();
            List<string> folders = new List<string>();
            List<string> links = new List<string>();
            Win32Helpers.WIN32_FIND_DATAW data;
            Hashtable failure = null;
            using (SafeFindHandle search = NativeMethods.FindFirstFileW(folder + "\\*", out data))
            {
                if (search.IsInvalid)
                {
                    int error = Marshal.GetLastWin32Error();
                    if (error != NativeHelpers.ERROR_FILE_NOT_FOUND)
                    {
                        found.Add(FolderEntry(folder, top, "folder", NewError(Win32ToHResult(error), "FindFirstFileW", null)));
                    }
                    return;
                }
                do
                {
                    string name = data.cFileName;
                    if (name == "." || name == "..")
                    {
                        continue;
                    }
                    if ((data.dwFileAttributes & NativeHelpers.FILE_ATTRIBUTE_DIRECTORY) != 0)
                    {
                        bool link = (data.dwFileAttributes & FileAttributeReparsePoint) != 0;
                        (link ? links : folders).Add(folder + "\\" + name);
                    }
                    else if (name.EndsWith(".inf", StringComparison.OrdinalIgnoreCase))
                    {
                        files.Add(folder + "\\" + name);
                    }
                }
                while (NativeMethods.FindNextFileW(search, out data));
                int last = Marshal.GetLastWin32Error();
                if (last != NativeHelpers.ERROR_NO_MORE_FILES)
                {
                    // What was listed before the failure is still used; the folder is reported.
                    failure = FolderEntry(folder, top, "folder", NewError(Win32ToHResult(last), "FindNextFileW", null));
                }
            }
            files.Sort(StringComparer.OrdinalIgnoreCase);
            foreach (string file in files)
            {
                found.Add(file);
            }
            if (failure != null)
            {
                found.Add(failure);
            }
            if (!recurse)
            {
                return;
            }
            List<string> subfolders = new List<string>(folders);
            subfolders.AddRange(links);
            subfolders.Sort(StringComparer.OrdinalIgnoreCase);
            foreach (string sub in subfolders)
            {
                if (links.Contains(sub))
                {
                    found.Add(FolderEntry(sub, top, "reparse_point", null));
                }
                else
                {
                    FindInfFiles(sub, top, true, found);
                }
            }
        }

        private static Hashtable FolderEntry(string path, string top, string kind, Hashtable error)
        {
            Hashtable entry = new Hashtable();
            entry["path"] = path;
            entry["folder"] = top;
            entry["kind"] = kind;
            entry["ok"] = false;
            entry["package"] = null;
            entry["drivers"] = null;
            entry["error"] = error;
            return entry;
        }

        // get_image_architecture: mount_path -> null when mount_path is not a DISM mount (an applied image,
        // whose architecture DISM does not report), else {image_file_path, image_index, architecture}: the
        // mounted index's DismImageInfo.Architecture, null when the index is not in the file
        // (DismGetMountedImageInfo, then DismGetImageInfo on the mounted file).
        private static object OpGetImageArchitecture(OperationContext context, IDictionary args)
        {
            string mountPath = Args.GetString(args, "mount_path", true).TrimEnd('\\', '/');
            Hashtable mount = null;
            foreach (Hashtable entry in (ArrayList)OpGetMountedImages(context, args))
            {
                string path = entry["mount_path"] as string;
                if (path != null && String.Equals(path.TrimEnd('\\', '/'), mountPath, StringComparison.OrdinalIgnoreCase))
                {
                    mount = entry;
                    break;
                }
            }
            if (mount == null)
            {
                return null;
            }
            Hashtable image = new Hashtable();
            image["image_path"] = mount["image_file_path"];
            Hashtable value = new Hashtable();
            value["image_file_path"] = mount["image_file_path"];
            value["image_index"] = mount["image_index"];
            value["architecture"] = null;
            foreach (Hashtable info in (ArrayList)OpGetImageInfo(context, image))
            {
                if (Object.Equals(info["index"], mount["image_index"]))
                {
                    value["architecture"] = info["architecture"];
                }
            }
            return value;
        }

        // add_driver: path (one .inf), force_unsigned -> null (DismAddDriver).
        private static object OpAddDriver(OperationContext context, IDictionary args)
        {
            context.Check(NativeMethods.DismAddDriver(context.Session, Args.GetString(args, "path", true),
                Args.GetBool(args, "force_unsigned", false)), "DismAddDriver");
            return null;
        }

        // remove_driver: published_name -> null (DismRemoveDriver).
        private static object OpRemoveDriver(OperationContext context, IDictionary args)
        {
            context.Check(NativeMethods.DismRemoveDriver(context.Session, Args.GetString(args, "published_name", true)),
                "DismRemoveDriver");
            return null;
        }
    }
}
