// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. Part of the DISM helper: see _DismHelper.cs.
//
// Executor operations on mounts: mount, unmount, commit, remount, clean up, and mount folders.

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using System;
    using System.Collections;
    using System.Runtime.InteropServices;

    public sealed partial class Executor
    {
        // The operations of this file, for the dispatch table (Executor.Operations); Writes are
        // refused in check mode.
        private static void AddMountOperations(OperationTable table)
        {
            table.Writes("mount_image", OpMountImage);
            table.Writes("unmount_image", OpUnmountImage);
            table.Writes("commit_image", OpCommitImage);
            table.Writes("remount_image", OpRemountImage);
            table.Writes("cleanup_mountpoints", OpCleanupMountpoints);
            table.Reads("inspect_directory", OpInspectDirectory);
            table.Writes("create_directory", OpCreateDirectory);
        }

        // mount_image: image_path, mount_path, index or name, read_only, optimize, check_integrity
        // -> null (DismMountImage with the cancel event and progress).
        private static object OpMountImage(OperationContext context, IDictionary args)
        {
            string imagePath = Args.GetString(args, "image_path", true);
            string mountPath = Args.GetString(args, "mount_path", true);
            string name = Args.GetString(args, "name", false);
            long? index = Args.GetInteger(args, "index");
            if ((name == null) == (index == null))
            {
                throw new ArgumentException("mount_image needs exactly one of 'index' and 'name'");
            }
            uint flags = Args.GetBool(args, "read_only", false) ? NativeHelpers.DISM_MOUNT_READONLY : NativeHelpers.DISM_MOUNT_READWRITE;
            if (Args.GetBool(args, "optimize", false))
            {
                flags |= NativeHelpers.DISM_MOUNT_OPTIMIZE;
            }
            if (Args.GetBool(args, "check_integrity", false))
            {
                flags |= NativeHelpers.DISM_MOUNT_CHECK_INTEGRITY;
            }
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismMountImage(imagePath, mountPath, index.HasValue ? (uint)index.Value : 0, name,
                name == null ? NativeHelpers.DismImageIdentifier.DismImageIndex : NativeHelpers.DismImageIdentifier.DismImageName,
                flags, context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismMountImage");
            return null;
        }

        // unmount_image: mount_path, commit (bool), append, check_integrity -> null (DismUnmountImage).
        private static object OpUnmountImage(OperationContext context, IDictionary args)
        {
            string mountPath = Args.GetString(args, "mount_path", true);
            uint flags = Args.GetBool(args, "commit", false) ? CommitFlags(args) : NativeHelpers.DISM_DISCARD_IMAGE;
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismUnmountImage(mountPath, flags, context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismUnmountImage");
            return null;
        }

        // commit_image: append, check_integrity -> null (DismCommitImage on the session's mount).
        private static object OpCommitImage(OperationContext context, IDictionary args)
        {
            uint session = context.Session;
            NativeHelpers.DismProgressCallback progress = context.Progress;
            int hr = NativeMethods.DismCommitImage(session, CommitFlags(args), context.CancelEvent, progress, IntPtr.Zero);
            GC.KeepAlive(progress);
            context.Check(hr, "DismCommitImage");
            return null;
        }

        private static uint CommitFlags(IDictionary args)
        {
            uint flags = NativeHelpers.DISM_COMMIT_IMAGE;
            if (Args.GetBool(args, "append", false))
            {
                flags |= NativeHelpers.DISM_COMMIT_APPEND;
            }
            if (Args.GetBool(args, "check_integrity", false))
            {
                flags |= NativeHelpers.DISM_COMMIT_GENERATE_INTEGRITY;
            }
            return flags;
        }

        // remount_image: mount_path -> null (DismRemountImage).
        private static object OpRemountImage(OperationContext context, IDictionary args)
        {
            context.Check(NativeMethods.DismRemountImage(Args.GetString(args, "mount_path", true)), "DismRemountImage");
            return null;
        }

        // cleanup_mountpoints: no arguments -> null (DismCleanupMountpoints).
        private static object OpCleanupMountpoints(OperationContext context, IDictionary args)
        {
            context.Check(NativeMethods.DismCleanupMountpoints(), "DismCleanupMountpoints");
            return null;
        }

        // inspect_directory: path -> {"exists", "directory", "empty"} (GetFileAttributesW,
        // PathIsDirectoryEmptyW). A missing path is a value, not a failure.
        private static object OpInspectDirectory(OperationContext context, IDictionary args)
        {
            string path = Args.GetString(args, "path", true);
            Hashtable value = new Hashtable();
            uint attributes = NativeMethods.GetFileAttributesW(path);
            if (attributes == NativeHelpers.INVALID_FILE_ATTRIBUTES)
            {
                int error = Marshal.GetLastWin32Error();
                if (error != NativeHelpers.ERROR_FILE_NOT_FOUND && error != NativeHelpers.ERROR_PATH_NOT_FOUND)
                {
                    throw new DismException(Executor.Win32ToHResult(error), "GetFileAttributesW", null);
                }
                value["exists"] = false;
                value["directory"] = false;
                value["empty"] = false;
                return value;
            }
            bool directory = (attributes & NativeHelpers.FILE_ATTRIBUTE_DIRECTORY) != 0;
            value["exists"] = true;
            value["directory"] = directory;
            value["empty"] = directory && NativeMethods.PathIsDirectoryEmptyW(path);
            return value;
        }

        // create_directory: path -> {"created": bool}, creating missing parents (CreateDirectoryW).
        private static object OpCreateDirectory(OperationContext context, IDictionary args)
        {
            string path = Args.GetString(args, "path", true).TrimEnd('\\', '/');
            Hashtable value = new Hashtable();
            value["created"] = CreateDirectoryTree(path);
            return value;
        }

        private static bool CreateDirectoryTree(string path)
        {
            if (path.Length <= 2 && path.EndsWith(":", StringComparison.Ordinal))
            {
                return false; // a drive root always exists
            }
            if (NativeMethods.CreateDirectoryW(path, IntPtr.Zero))
            {
                return true;
            }
            int error = Marshal.GetLastWin32Error();
            if (error == NativeHelpers.ERROR_ALREADY_EXISTS)
            {
                return false;
            }
            int cut = path.LastIndexOfAny(new char[] { '\\', '/' });
            if (error == NativeHelpers.ERROR_PATH_NOT_FOUND && cut > 0)
            {
                CreateDirectoryTree(path.Substring(0, cut));
                if (NativeMethods.CreateDirectoryW(path, IntPtr.Zero))
                {
                    return true;
                }
                error = Marshal.GetLastWin32Error();
            }
            throw new DismException(Executor.Win32ToHResult(error), "CreateDirectoryW", null);
        }
    }
}
