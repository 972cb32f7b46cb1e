// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. Part of the DISM helper: see _DismHelper.cs.
//
// Executor operations on images: image files and the health of a session image.

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using System;
    using System.Collections;

    public sealed partial class Executor
    {
        // The operations of this file, for the dispatch table (Executor.Operations); Writes are
        // refused in check mode.
        private static void AddImageOperations(OperationTable table)
        {
            table.Reads("get_image_info", OpGetImageInfo);
            table.Reads("get_mounted_images", OpGetMountedImages);
            table.Reads("check_image_health", OpCheckImageHealth);
        }

        // get_image_info: image_path -> list of image dicts (DismGetImageInfo).
        private static object OpGetImageInfo(OperationContext context, IDictionary args)
        {
            string imagePath = Args.GetString(args, "image_path", true);
            SafeDismMemory info;
            uint count;
            int hr = NativeMethods.DismGetImageInfo(imagePath, out info, out count);
            using (info)
            {
                context.Check(hr, "DismGetImageInfo");
                ArrayList images = new ArrayList();
                if (info.IsInvalid)
                {
                    return images;
                }
                IntPtr array = info.DangerousGetHandle();
                for (uint i = 0; i < count; i++)
                {
                    images.Add(ConvertImageInfo(Marshalling.ReadElement<NativeHelpers.DismImageInfo>(array, i)));
                }
                return images;
            }
        }

        private static Hashtable ConvertImageInfo(NativeHelpers.DismImageInfo info)
        {
            Hashtable image = new Hashtable();
            image["index"] = (long)info.ImageIndex;
            image["name"] = Marshalling.ReadString(info.ImageName);
            image["description"] = Marshalling.ReadString(info.ImageDescription);
            image["image_type"] = info.ImageType;
            image["size"] = info.ImageSize;
            image["architecture"] = (long)info.Architecture;
            image["product_name"] = Marshalling.ReadString(info.ProductName);
            image["edition_id"] = Marshalling.ReadString(info.EditionId);
            image["installation_type"] = Marshalling.ReadString(info.InstallationType);
            image["hal"] = Marshalling.ReadString(info.Hal);
            image["product_type"] = Marshalling.ReadString(info.ProductType);
            image["product_suite"] = Marshalling.ReadString(info.ProductSuite);
            image["major_version"] = (long)info.MajorVersion;
            image["minor_version"] = (long)info.MinorVersion;
            image["build"] = (long)info.Build;
            image["sp_build"] = (long)info.SpBuild;
            image["sp_level"] = (long)info.SpLevel;
            image["bootable"] = info.Bootable;
            image["system_root"] = Marshalling.ReadString(info.SystemRoot);
            image["languages"] = Marshalling.ReadStringArray(info.Language, info.LanguageCount);
            image["default_language_index"] = (long)info.DefaultLanguageIndex;
            if (info.CustomizedInfo == IntPtr.Zero)
            {
                image["customized_info"] = null;
            }
            else
            {
                NativeHelpers.DismWimCustomizedInfo custom =
                    Marshalling.ReadStruct<NativeHelpers.DismWimCustomizedInfo>(info.CustomizedInfo);
                Hashtable customized = new Hashtable();
                customized["size"] = (long)custom.Size;
                customized["directory_count"] = (long)custom.DirectoryCount;
                customized["file_count"] = (long)custom.FileCount;
                customized["created_time"] = Marshalling.FormatSystemTime(custom.CreatedTime);
                customized["modified_time"] = Marshalling.FormatSystemTime(custom.ModifiedTime);
                image["customized_info"] = customized;
            }
            return image;
        }

        // get_mounted_images: no arguments -> list of mounts (DismGetMountedImageInfo).
        private static object OpGetMountedImages(OperationContext context, IDictionary args)
        {
            SafeDismMemory info;
            uint count;
            int hr = NativeMethods.DismGetMountedImageInfo(out info, out count);
            using (info)
            {
                context.Check(hr, "DismGetMountedImageInfo");
                ArrayList mounts = new ArrayList();
                if (info.IsInvalid)
                {
                    return mounts;
                }
                IntPtr array = info.DangerousGetHandle();
                for (uint i = 0; i < count; i++)
                {
                    NativeHelpers.DismMountedImageInfo mount =
                        Marshalling.ReadElement<NativeHelpers.DismMountedImageInfo>(array, i);
                    Hashtable entry = new Hashtable();
                    entry["mount_path"] = Marshalling.ReadString(mount.MountPath);
                    entry["image_file_path"] = Marshalling.ReadString(mount.ImageFilePath);
                    entry["image_index"] = (long)mount.ImageIndex;
                    entry["mount_mode"] = mount.MountMode;
                    entry["mount_status"] = mount.MountStatus;
                    mounts.Add(entry);
                }
                return mounts;
            }
        }

        // check_image_health: scan_image (bool, default false) -> {"health": int}
        // (DismCheckImageHealth on the session, with the cancel event and progress).
        private static object OpCheckImageHealth(OperationContext context, IDictionary args)
        {
            uint session = context.Session;
            bool scanImage = Args.GetBool(args, "scan_image", false);
            NativeHelpers.DismProgressCallback progress = context.Progress;
            NativeHelpers.DismImageHealthState health;
            int hr = NativeMethods.DismCheckImageHealth(session, scanImage, context.CancelEvent,
                progress, IntPtr.Zero, out health);
            GC.KeepAlive(progress);
            context.Check(hr, "DismCheckImageHealth");
            Hashtable value = new Hashtable();
            value["health"] = (int)health;
            return value;
        }
    }
}
