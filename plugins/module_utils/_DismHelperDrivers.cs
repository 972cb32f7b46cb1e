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
        // INF found: {path, ok, package, drivers, error}. Folders are expanded here because
        // DismAddDriver takes one INF; a failing INF is reported in its entry, not for the batch.
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
                List<string> infs = new List<string>();
                if (folder)
                {
                    FindInfFiles(path.TrimEnd('\\', '/'), recurse, infs);
                }
                else
                {
                    infs.Add(path);
                }
                foreach (string inf in infs)
                {
                    entries.Add(ReadDriverInfo(context, session, inf, folder ? path : null));
                }
            }
            return entries;
        }

        private static Hashtable ReadDriverInfo(OperationContext context, uint session, string path, string folder)
        {
            Hashtable entry = new Hashtable();
            entry["path"] = path;
            entry["folder"] = folder;
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

        // The INF files of a folder, sorted, optionally in its subfolders (FindFirstFileW/FindNextFileW).
        private static void FindInfFiles(string folder, bool recurse, List<string> found)
        {
            List<string> files = new List<string>();
            List<string> folders = new List<string>();
            Win32Helpers.WIN32_FIND_DATAW data;
            using (SafeFindHandle search = NativeMethods.FindFirstFileW(folder + "\\*", out data))
            {
                if (search.IsInvalid)
                {
                    int error = Marshal.GetLastWin32Error();
                    if (error == NativeHelpers.ERROR_FILE_NOT_FOUND)
                    {
                        return;
                    }
                    throw new DismException(Executor.Win32ToHResult(error), "FindFirstFileW", folder);
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
                        folders.Add(folder + "\\" + name);
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
                    throw new DismException(Executor.Win32ToHResult(last), "FindNextFileW", folder);
                }
            }
            files.Sort(StringComparer.OrdinalIgnoreCase);
            found.AddRange(files);
            if (recurse)
            {
                folders.Sort(StringComparer.OrdinalIgnoreCase);
                foreach (string sub in folders)
                {
                    FindInfFiles(sub, true, found);
                }
            }
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
