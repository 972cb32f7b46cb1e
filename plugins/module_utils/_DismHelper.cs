// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. This file is private to the winimaging.dism collection;
// its types and behaviour may change without notice and must not be used by other content.
//
// What it does: P/Invoke bindings for the Deployment Image Servicing and Management API
// (DismApi.dll) and a small executor, Executor.Run(IDictionary) -> Hashtable, that runs an
// ordered batch of DISM operations inside one DismInitialize/DismShutdown and at most one
// session, and returns plain Hashtable/ArrayList/scalar data (docs/architecture.md, section 2).
// It makes no decisions: changed/unchanged, messages and hints are the action plugins' job.
//
// How it is loaded: the module winimaging.dism.dism_helper (plugins/modules/dism_helper.ps1)
// compiles this file once per host (Add-Type -OutputAssembly) and caches the assembly in an
// ACL-protected folder keyed by the SHA-256 of this file's UTF-8 bytes, so any edit here makes
// every host compile it again. It is not an #AnsibleRequires -CSharpUtil util.
//
// Constraints: C# 5 (Windows PowerShell 5.1 csc) and Roslyn on PowerShell 7 (.NET 8+), both
// with warnings as errors; no JSON and no System.Management.Automation types; anything that
// only PowerShell 7 needs goes behind #if CORECLR. The lab (tests/lab) compiles it with
// mcs -langversion:5 -warnaserror and runs it under Mono against a simulated DismApi.

using Microsoft.Win32.SafeHandles;
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    internal static class NativeHelpers
    {
        // Every DISM structure is declared inside #pragma pack(push, 1) in DismApi.h. Strings are
        // DISM-owned PCWSTR read with Marshal.PtrToStringUni, BOOL is int, enums are int.
        // Field names are the header's names: tests/gates/test_layout.py matches them by name.

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct SYSTEMTIME
        {
            public ushort wYear;
            public ushort wMonth;
            public ushort wDayOfWeek;
            public ushort wDay;
            public ushort wHour;
            public ushort wMinute;
            public ushort wSecond;
            public ushort wMilliseconds;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismPackage
        {
            public IntPtr PackageName;
            public int PackageState;            // DismPackageFeatureState
            public int ReleaseType;             // DismReleaseType
            public SYSTEMTIME InstallTime;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismCustomProperty
        {
            public IntPtr Name;
            public IntPtr Value;
            public IntPtr Path;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismFeature
        {
            public IntPtr FeatureName;
            public int State;                   // DismPackageFeatureState
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismCapability
        {
            public IntPtr Name;
            public int State;                   // DismPackageFeatureState
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismPackageInfo
        {
            public IntPtr PackageName;
            public int PackageState;            // DismPackageFeatureState
            public int ReleaseType;             // DismReleaseType
            public SYSTEMTIME InstallTime;
            public int Applicable;              // BOOL
            public IntPtr Copyright;
            public IntPtr Company;
            public SYSTEMTIME CreationTime;
            public IntPtr DisplayName;
            public IntPtr Description;
            public IntPtr InstallClient;
            public IntPtr InstallPackageName;
            public SYSTEMTIME LastUpdateTime;
            public IntPtr ProductName;
            public IntPtr ProductVersion;
            public int RestartRequired;         // DismRestartType
            public int FullyOffline;            // DismFullyOfflineInstallableType
            public IntPtr SupportInformation;
            public IntPtr CustomProperty;       // DismCustomProperty[CustomPropertyCount]
            public uint CustomPropertyCount;
            public IntPtr Feature;              // DismFeature[FeatureCount]
            public uint FeatureCount;
        }

        // C declares this as an anonymous DismPackageInfo member followed by CapabilityId; the
        // fields are repeated here so that they keep the header's names and offsets.
        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismPackageInfoEx
        {
            public IntPtr PackageName;
            public int PackageState;
            public int ReleaseType;
            public SYSTEMTIME InstallTime;
            public int Applicable;
            public IntPtr Copyright;
            public IntPtr Company;
            public SYSTEMTIME CreationTime;
            public IntPtr DisplayName;
            public IntPtr Description;
            public IntPtr InstallClient;
            public IntPtr InstallPackageName;
            public SYSTEMTIME LastUpdateTime;
            public IntPtr ProductName;
            public IntPtr ProductVersion;
            public int RestartRequired;
            public int FullyOffline;
            public IntPtr SupportInformation;
            public IntPtr CustomProperty;
            public uint CustomPropertyCount;
            public IntPtr Feature;
            public uint FeatureCount;
            public IntPtr CapabilityId;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismFeatureInfo
        {
            public IntPtr FeatureName;
            public int FeatureState;            // DismPackageFeatureState
            public IntPtr DisplayName;
            public IntPtr Description;
            public int RestartRequired;         // DismRestartType
            public IntPtr CustomProperty;       // DismCustomProperty[CustomPropertyCount]
            public uint CustomPropertyCount;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismCapabilityInfo
        {
            public IntPtr Name;
            public int State;                   // DismPackageFeatureState
            public IntPtr DisplayName;
            public IntPtr Description;
            public uint DownloadSize;
            public uint InstallSize;
        }

        // Also DismLanguage (a typedef of DismString in the header).
        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismString
        {
            public IntPtr Value;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismWimCustomizedInfo
        {
            public uint Size;
            public uint DirectoryCount;
            public uint FileCount;
            public SYSTEMTIME CreatedTime;
            public SYSTEMTIME ModifiedTime;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismImageInfo
        {
            public int ImageType;               // DismImageType
            public uint ImageIndex;
            public IntPtr ImageName;
            public IntPtr ImageDescription;
            public ulong ImageSize;
            public uint Architecture;
            public IntPtr ProductName;
            public IntPtr EditionId;
            public IntPtr InstallationType;
            public IntPtr Hal;
            public IntPtr ProductType;
            public IntPtr ProductSuite;
            public uint MajorVersion;
            public uint MinorVersion;
            public uint Build;
            public uint SpBuild;
            public uint SpLevel;
            public int Bootable;                // DismImageBootable
            public IntPtr SystemRoot;
            public IntPtr Language;             // DismLanguage[LanguageCount]
            public uint LanguageCount;
            public uint DefaultLanguageIndex;
            public IntPtr CustomizedInfo;       // DismWimCustomizedInfo* or NULL
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismMountedImageInfo
        {
            public IntPtr MountPath;
            public IntPtr ImageFilePath;
            public uint ImageIndex;
            public int MountMode;               // DismMountMode
            public int MountStatus;             // DismMountStatus
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismDriverPackage
        {
            public IntPtr PublishedName;
            public IntPtr OriginalFileName;
            public int InBox;                   // BOOL
            public IntPtr CatalogFile;
            public IntPtr ClassName;
            public IntPtr ClassGuid;
            public IntPtr ClassDescription;
            public int BootCritical;            // BOOL
            public int DriverSignature;         // DismDriverSignature
            public IntPtr ProviderName;
            public SYSTEMTIME Date;
            public uint MajorVersion;
            public uint MinorVersion;
            public uint Build;
            public uint Revision;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1, CharSet = CharSet.Unicode)]
        public struct DismDriver
        {
            public IntPtr ManufacturerName;
            public IntPtr HardwareDescription;
            public IntPtr HardwareId;
            public uint Architecture;
            public IntPtr ServiceName;
            public IntPtr CompatibleIds;
            public IntPtr ExcludeIds;
        }

        public enum DismLogLevel
        {
            DismLogErrors = 0,
            DismLogErrorsWarnings = 1,
            DismLogErrorsWarningsInfo = 2,
        }

        public enum DismImageIdentifier
        {
            DismImageIndex = 0,
            DismImageName = 1,
        }

        public enum DismPackageIdentifier
        {
            DismPackageNone = 0,
            DismPackageName = 1,
            DismPackagePath = 2,
        }

        public enum DismImageHealthState
        {
            DismImageHealthy = 0,
            DismImageRepairable = 1,
            DismImageNonRepairable = 2,
        }

        // The enums below are carried as int fields in the structs and returned to the controller
        // as integers (their names live in plugin_utils/_dism_enums.py); declared for reference.
        public enum DismImageType
        {
            DismImageTypeUnsupported = -1,
            DismImageTypeWim = 0,
            DismImageTypeVhd = 1,
        }

        public enum DismImageBootable
        {
            DismImageBootableYes = 0,
            DismImageBootableNo = 1,
            DismImageBootableUnknown = 2,
        }

        public enum DismMountMode
        {
            DismReadWrite = 0,
            DismReadOnly = 1,
        }

        public enum DismMountStatus
        {
            DismMountStatusOk = 0,
            DismMountStatusNeedsRemount = 1,
            DismMountStatusInvalid = 2,
        }

        public enum DismPackageFeatureState
        {
            DismStateNotPresent = 0,
            DismStateUninstallPending = 1,
            DismStateStaged = 2,
            DismStateRemoved = 3,
            DismStateInstalled = 4,
            DismStateInstallPending = 5,
            DismStateSuperseded = 6,
            DismStatePartiallyInstalled = 7,
        }

        public enum DismReleaseType
        {
            DismReleaseTypeCriticalUpdate = 0,
            DismReleaseTypeDriver = 1,
            DismReleaseTypeFeaturePack = 2,
            DismReleaseTypeHotfix = 3,
            DismReleaseTypeSecurityUpdate = 4,
            DismReleaseTypeSoftwareUpdate = 5,
            DismReleaseTypeUpdate = 6,
            DismReleaseTypeUpdateRollup = 7,
            DismReleaseTypeLanguagePack = 8,
            DismReleaseTypeFoundation = 9,
            DismReleaseTypeServicePack = 10,
            DismReleaseTypeProduct = 11,
            DismReleaseTypeLocalPack = 12,
            DismReleaseTypeOther = 13,
            DismReleaseTypeOnDemandPack = 14,
        }

        public enum DismRestartType
        {
            DismRestartNo = 0,
            DismRestartPossible = 1,
            DismRestartRequired = 2,
        }

        public enum DismDriverSignature
        {
            DismDriverSignatureUnknown = 0,
            DismDriverSignatureUnsigned = 1,
            DismDriverSignatureSigned = 2,
        }

        public enum DismFullyOfflineInstallableType
        {
            DismFullyOfflineInstallable = 0,
            DismFullyOfflineNotInstallable = 1,
            DismFullyOfflineInstallableUndetermined = 2,
        }

        public const string DISM_ONLINE_IMAGE = "DISM_{53BFAE52-B167-4E2F-A258-0A37B57FF845}";
        public const uint DISM_SESSION_DEFAULT = 0;

        public const uint DISM_MOUNT_READWRITE = 0x00000000;
        public const uint DISM_MOUNT_READONLY = 0x00000001;
        public const uint DISM_MOUNT_OPTIMIZE = 0x00000002;
        public const uint DISM_MOUNT_CHECK_INTEGRITY = 0x00000004;
        public const uint DISM_COMMIT_IMAGE = 0x00000000;
        public const uint DISM_DISCARD_IMAGE = 0x00000001;
        public const uint DISM_COMMIT_GENERATE_INTEGRITY = 0x00010000;
        public const uint DISM_COMMIT_APPEND = 0x00020000;
        public const uint DISM_RESERVED_STORAGE_DISABLED = 0x00000000;
        public const uint DISM_RESERVED_STORAGE_ENABLED = 0x00000001;

        public const int S_OK = 0;
        public const int DISMAPI_S_RELOAD_IMAGE_SESSION_REQUIRED = 1;
        public const int ERROR_SUCCESS_REBOOT_REQUIRED = 3010;
        public const int ERROR_SUCCESS_RESTART_REQUIRED = 3011;
        public const int E_INVALIDARG = unchecked((int)0x80070057);
        public const uint INVALID_FILE_ATTRIBUTES = 0xFFFFFFFF;
        public const uint FILE_ATTRIBUTE_DIRECTORY = 0x10;
        public const int ERROR_FILE_NOT_FOUND = 2;
        public const int ERROR_PATH_NOT_FOUND = 3;
        public const int ERROR_ALREADY_EXISTS = 183;
        public const int ERROR_NO_MORE_FILES = 18;

        // void CALLBACK (UINT Current, UINT Total, PVOID UserData)
        [UnmanagedFunctionPointer(CallingConvention.Winapi)]
        public delegate void DismProgressCallback(uint current, uint total, IntPtr userData);
    }

    /// <summary>Win32 structures (not DISM's): natural layout, outside the DISM layout gate.</summary>
    internal static class Win32Helpers
    {
        // FindFirstFileW/FindNextFileW: 592 bytes. FILETIME is two DWORDs (4-byte aligned), hence Pack = 4
        // for the three 64-bit time fields.
        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode, Pack = 4)]
        public struct WIN32_FIND_DATAW
        {
            public uint dwFileAttributes;
            public long ftCreationTime;
            public long ftLastAccessTime;
            public long ftLastWriteTime;
            public uint nFileSizeHigh;
            public uint nFileSizeLow;
            public uint dwReserved0;
            public uint dwReserved1;
            [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 260)]
            public string cFileName;
            [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 14)]
            public string cAlternateFileName;
        }
    }

    internal static class NativeMethods
    {
        // "DismApi" (no extension): Windows appends .dll, Mono probes libDismApi.so. System32 only,
        // so no other DismApi.dll on the search path can be planted in front of the in-box one.
        private const string DismApi = "DismApi";

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismInitialize(
            NativeHelpers.DismLogLevel LogLevel,
            string LogFilePath,
            string ScratchDirectory);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismShutdown();

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismMountImage(
            string ImageFilePath,
            string MountPath,
            uint ImageIndex,
            string ImageName,
            NativeHelpers.DismImageIdentifier ImageIdentifier,
            uint Flags,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismUnmountImage(
            string MountPath,
            uint Flags,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismOpenSession(
            string ImagePath,
            string WindowsDirectory,
            string SystemDrive,
            out uint Session);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismCloseSession(uint Session);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetLastErrorMessage(out SafeDismMemory ErrorMessage);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismRemountImage(string MountPath);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismCommitImage(
            uint Session,
            uint Flags,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetImageInfo(
            string ImageFilePath,
            out SafeDismMemory ImageInfo,
            out uint Count);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetMountedImageInfo(
            out SafeDismMemory MountedImageInfo,
            out uint Count);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismCleanupMountpoints();

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismCheckImageHealth(
            uint Session,
            [MarshalAs(UnmanagedType.Bool)] bool ScanImage,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData,
            out NativeHelpers.DismImageHealthState ImageHealth);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismRestoreImageHealth(
            uint Session,
            [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPWStr)] string[] SourcePaths,
            uint SourcePathCount,
            [MarshalAs(UnmanagedType.Bool)] bool LimitAccess,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        // DismDelete takes the raw pointer: it is what SafeDismMemory.ReleaseHandle calls.
        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismDelete(IntPtr DismStructure);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismAddPackage(
            uint Session,
            string PackagePath,
            [MarshalAs(UnmanagedType.Bool)] bool IgnoreCheck,
            [MarshalAs(UnmanagedType.Bool)] bool PreventPending,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismRemovePackage(
            uint Session,
            string Identifier,
            NativeHelpers.DismPackageIdentifier PackageIdentifier,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismEnableFeature(
            uint Session,
            string FeatureName,
            string Identifier,
            NativeHelpers.DismPackageIdentifier PackageIdentifier,
            [MarshalAs(UnmanagedType.Bool)] bool LimitAccess,
            [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPWStr)] string[] SourcePaths,
            uint SourcePathCount,
            [MarshalAs(UnmanagedType.Bool)] bool EnableAll,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismDisableFeature(
            uint Session,
            string FeatureName,
            string PackageName,
            [MarshalAs(UnmanagedType.Bool)] bool RemovePayload,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetPackages(
            uint Session,
            out SafeDismMemory Package,
            out uint Count);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetPackageInfo(
            uint Session,
            string Identifier,
            NativeHelpers.DismPackageIdentifier PackageIdentifier,
            out SafeDismMemory PackageInfo);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetPackageInfoEx(
            uint Session,
            string Identifier,
            NativeHelpers.DismPackageIdentifier PackageIdentifier,
            out SafeDismMemory PackageInfoEx);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetFeatures(
            uint Session,
            string Identifier,
            NativeHelpers.DismPackageIdentifier PackageIdentifier,
            out SafeDismMemory Feature,
            out uint Count);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetFeatureInfo(
            uint Session,
            string FeatureName,
            string Identifier,
            NativeHelpers.DismPackageIdentifier PackageIdentifier,
            out SafeDismMemory FeatureInfo);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetFeatureParent(
            uint Session,
            string FeatureName,
            string Identifier,
            NativeHelpers.DismPackageIdentifier PackageIdentifier,
            out SafeDismMemory Feature,
            out uint Count);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismApplyUnattend(
            uint Session,
            string UnattendFile,
            [MarshalAs(UnmanagedType.Bool)] bool SingleSession);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismAddDriver(
            uint Session,
            string DriverPath,
            [MarshalAs(UnmanagedType.Bool)] bool ForceUnsigned);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismRemoveDriver(uint Session, string DriverPath);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetDrivers(
            uint Session,
            [MarshalAs(UnmanagedType.Bool)] bool AllDrivers,
            out SafeDismMemory DriverPackage,
            out uint Count);

        // The optional DriverPackage out is a second allocation with its own DismDelete.
        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetDriverInfo(
            uint Session,
            string DriverPath,
            out SafeDismMemory Driver,
            out uint Count,
            out SafeDismMemory DriverPackage);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetCapabilities(
            uint Session,
            out SafeDismMemory Capability,
            out uint Count);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetCapabilityInfo(
            uint Session,
            string Name,
            out SafeDismMemory Info);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismAddCapability(
            uint Session,
            string Name,
            [MarshalAs(UnmanagedType.Bool)] bool LimitAccess,
            [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPWStr)] string[] SourcePaths,
            uint SourcePathCount,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismRemoveCapability(
            uint Session,
            string Name,
            SafeEventHandle CancelEvent,
            NativeHelpers.DismProgressCallback Progress,
            IntPtr UserData);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismGetReservedStorageState(
            uint Session,
            out uint State);

        [DllImport(DismApi, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern int DismSetReservedStorageState(
            uint Session,
            uint State);

        // The cancel event. "kernel32.dll" exactly: the lab maps this name to libLabKernel32.so
        // with a <dllmap> in the assembly's .dll.config (Mono would otherwise use its own).
        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern SafeEventHandle CreateEventW(
            IntPtr lpEventAttributes,
            [MarshalAs(UnmanagedType.Bool)] bool bManualReset,
            [MarshalAs(UnmanagedType.Bool)] bool bInitialState,
            string lpName);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool SetEvent(SafeEventHandle hEvent);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CloseHandle(IntPtr hObject);

        // Mount folders. Win32 rather than System.IO so the lab, which maps these names to
        // libLabKernel32.so, sees the same Windows paths DISM sees.
        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern uint GetFileAttributesW(string lpFileName);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CreateDirectoryW(string lpPathName, IntPtr lpSecurityAttributes);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern SafeFindHandle FindFirstFileW(string lpFileName, out Win32Helpers.WIN32_FIND_DATAW lpFindFileData);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool FindNextFileW(SafeFindHandle hFindFile, out Win32Helpers.WIN32_FIND_DATAW lpFindFileData);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool FindClose(IntPtr hFindFile);

        [DllImport("shlwapi.dll", CharSet = CharSet.Unicode, ExactSpelling = true, SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool PathIsDirectoryEmptyW(string pszPath);
    }

    /// <summary>Memory allocated by DISM (structures, arrays, DismString); freed with DismDelete.</summary>
    internal sealed class SafeDismMemory : SafeHandle
    {
        public SafeDismMemory() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            return NativeMethods.DismDelete(handle) >= 0;
        }
    }

    /// <summary>
    /// A Win32 event closed with the P/Invoked CloseHandle. Not SafeWaitHandle: under Mono that
    /// would be closed by the runtime's own emulation instead of the library that created it.
    /// </summary>
    internal sealed class SafeEventHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SafeEventHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            return NativeMethods.CloseHandle(handle);
        }
    }

    /// <summary>A failed DISM call: its HRESULT, the function and DismGetLastErrorMessage's text.</summary>
    /// <summary>A FindFirstFileW search, closed with the P/Invoked FindClose.</summary>
    internal sealed class SafeFindHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SafeFindHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            return NativeMethods.FindClose(handle);
        }
    }

    public class DismException : Exception
    {
        private readonly string _function;
        private readonly string _dismMessage;

        public DismException(int hresult, string function, string dismMessage)
            : base(BuildMessage(hresult, function, dismMessage))
        {
            HResult = hresult;
            _function = function;
            _dismMessage = dismMessage;
        }

        /// <summary>The DISM (or executor) function that failed.</summary>
        public string Function
        {
            get { return _function; }
        }

        /// <summary>DismGetLastErrorMessage text, trimmed, or null.</summary>
        public string DismMessage
        {
            get { return _dismMessage; }
        }

        private static string BuildMessage(int hresult, string function, string dismMessage)
        {
            string text = String.Format(CultureInfo.InvariantCulture, "{0} failed with 0x{1:X8}",
                function, hresult);
            if (!String.IsNullOrEmpty(dismMessage))
            {
                text += ": " + dismMessage;
            }
            return text;
        }

        /// <summary>
        /// Builds the exception for a failed call. Must run on the thread that made the call,
        /// right after it, before any other DISM call (the message is per thread).
        /// </summary>
        internal static DismException FromLastError(int hresult, string function)
        {
            return new DismException(hresult, function, GetLastErrorMessage());
        }

        internal static string GetLastErrorMessage()
        {
            SafeDismMemory message;
            int hr = NativeMethods.DismGetLastErrorMessage(out message);
            using (message)
            {
                if (hr != NativeHelpers.S_OK || message.IsInvalid)
                {
                    return null;
                }
                NativeHelpers.DismString value = Marshalling.ReadStruct<NativeHelpers.DismString>(
                    message.DangerousGetHandle());
                string text = Marshalling.ReadString(value.Value);
                if (text == null)
                {
                    return null;
                }
                text = text.Trim();
                return text.Length == 0 ? null : text;
            }
        }

        internal Hashtable ToResult()
        {
            return Executor.NewError(HResult, _function, _dismMessage);
        }
    }

    /// <summary>Reading DISM-owned memory. Never assumes alignment: PtrToStructure copies.</summary>
    internal static class Marshalling
    {
        public static T ReadStruct<T>(IntPtr ptr) where T : struct
        {
            return (T)Marshal.PtrToStructure(ptr, typeof(T));
        }

        /// <summary>Element i of a packed DISM array: base + i * Marshal.SizeOf(T).</summary>
        public static T ReadElement<T>(IntPtr array, uint index) where T : struct
        {
            long stride = Marshal.SizeOf(typeof(T));
            return ReadStruct<T>(new IntPtr(array.ToInt64() + (long)index * stride));
        }

        public static string ReadString(IntPtr ptr)
        {
            return ptr == IntPtr.Zero ? null : Marshal.PtrToStringUni(ptr);
        }

        /// <summary>"yyyy-MM-ddTHH:mm:ss.fff", or null when wYear is 0 (not set).</summary>
        public static string FormatSystemTime(NativeHelpers.SYSTEMTIME value)
        {
            if (value.wYear == 0)
            {
                return null;
            }
            return String.Format(CultureInfo.InvariantCulture,
                "{0:D4}-{1:D2}-{2:D2}T{3:D2}:{4:D2}:{5:D2}.{6:D3}",
                value.wYear, value.wMonth, value.wDay, value.wHour, value.wMinute, value.wSecond,
                value.wMilliseconds);
        }

        /// <summary>A DismString/DismLanguage array as an ArrayList of strings.</summary>
        public static ArrayList ReadStringArray(IntPtr array, uint count)
        {
            ArrayList list = new ArrayList();
            if (array == IntPtr.Zero)
            {
                return list;
            }
            for (uint i = 0; i < count; i++)
            {
                list.Add(ReadString(ReadElement<NativeHelpers.DismString>(array, i).Value));
            }
            return list;
        }
    }

    /// <summary>Typed access to the request's loosely typed values (PowerShell or JSON input).</summary>
    internal static class Args
    {
        private const string PSObjectTypeName = "System.Management.Automation.PSObject";

        /// <summary>
        /// A deep copy of a request value in the executor's plain shapes: Hashtable (string keys),
        /// ArrayList, string, bool, numbers, null. What ansible-core 2.19's exec wrapper hands a
        /// module (ConvertFrom-Json | Convert-JsonObject) can hold list items wrapped in PSObject,
        /// object[] instead of ArrayList, Int32 or Int64, and, under PowerShell 7, DateTime for a
        /// string that looked like an ISO date; the rest of the executor sees none of that.
        /// </summary>
        public static object Normalize(object value)
        {
            value = Unwrap(value);
            if (value == null || value is string || value is bool || IsNumber(value))
            {
                return value;
            }
            if (value is DateTime)
            {
                // Newtonsoft's ISO parse, undone: "2024-01-02T03:04:05", "...Z", "...+01:00".
                return ((DateTime)value).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture);
            }
            if (value is DateTimeOffset)
            {
                return ((DateTimeOffset)value).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
            }
            if (value is char)
            {
                return value.ToString();
            }
            IDictionary dict = value as IDictionary;
            if (dict != null)
            {
                Hashtable plain = new Hashtable(StringComparer.Ordinal);
                foreach (DictionaryEntry entry in dict)
                {
                    string key = Unwrap(entry.Key) as string;
                    if (key == null)
                    {
                        throw new ArgumentException(String.Format("request keys must be strings, got {0}",
                            entry.Key == null ? "null" : Unwrap(entry.Key).GetType().FullName));
                    }
                    plain[key] = Normalize(entry.Value);
                }
                return plain;
            }
            IEnumerable items = value as IEnumerable;
            if (items != null)
            {
                ArrayList list = new ArrayList();
                foreach (object item in items)
                {
                    list.Add(Normalize(item));
                }
                return list;
            }
            return value;
        }

        /// <summary>The object inside a PSObject (by reflection: no reference to PowerShell).</summary>
        public static object Unwrap(object value)
        {
            // A PSObject can wrap another PSObject; the depth bound only guards against a cycle.
            for (int depth = 0; value != null && depth < 16; depth++)
            {
                Type type = value.GetType();
                if (!String.Equals(type.FullName, PSObjectTypeName, StringComparison.Ordinal))
                {
                    return value;
                }
                System.Reflection.PropertyInfo baseObject = type.GetProperty("BaseObject");
                if (baseObject == null)
                {
                    return value;
                }
                object inner = baseObject.GetValue(value, null);
                if (Object.ReferenceEquals(inner, value))
                {
                    return value;
                }
                value = inner;
            }
            return value;
        }

        public static object Get(IDictionary dict, string key)
        {
            if (dict == null || !dict.Contains(key))
            {
                return null;
            }
            return dict[key];
        }

        public static string GetString(IDictionary dict, string key, bool required)
        {
            object value = Get(dict, key);
            if (value == null)
            {
                if (required)
                {
                    throw new ArgumentException(String.Format("'{0}' is required", key));
                }
                return null;
            }
            string text = value as string;
            if (text == null)
            {
                throw new ArgumentException(String.Format("'{0}' must be a string, got {1}", key,
                    value.GetType().FullName));
            }
            return text;
        }

        public static bool GetBool(IDictionary dict, string key, bool defaultValue)
        {
            object value = Get(dict, key);
            if (value == null)
            {
                return defaultValue;
            }
            if (!(value is bool))
            {
                throw new ArgumentException(String.Format("'{0}' must be a boolean, got {1}", key,
                    value.GetType().FullName));
            }
            return (bool)value;
        }

        /// <summary>An integer from int/long/short/byte/uint/ulong/double/decimal (integral).</summary>
        public static long? GetInteger(IDictionary dict, string key)
        {
            object value = Get(dict, key);
            if (value == null)
            {
                return null;
            }
            long result;
            if (!TryToInteger(value, out result))
            {
                throw new ArgumentException(String.Format("'{0}' must be an integer, got {1} ({2})",
                    key, Convert.ToString(value, CultureInfo.InvariantCulture), value.GetType().FullName));
            }
            return result;
        }

        public static int GetInt(IDictionary dict, string key, int defaultValue, int minimum, int maximum)
        {
            long? value = GetInteger(dict, key);
            if (!value.HasValue)
            {
                return defaultValue;
            }
            if (value.Value < minimum || value.Value > maximum)
            {
                throw new ArgumentException(String.Format(CultureInfo.InvariantCulture,
                    "'{0}' must be between {1} and {2}, got {3}", key, minimum, maximum, value.Value));
            }
            return (int)value.Value;
        }

        public static IDictionary GetDict(IDictionary dict, string key)
        {
            object value = Get(dict, key);
            if (value == null)
            {
                return null;
            }
            IDictionary result = value as IDictionary;
            if (result == null)
            {
                throw new ArgumentException(String.Format("'{0}' must be a dictionary, got {1}", key,
                    value.GetType().FullName));
            }
            return result;
        }

        /// <summary>A list of strings (null when absent); any other element type is an error.</summary>
        public static string[] GetStringList(IDictionary dict, string key)
        {
            IList list = GetList(dict, key);
            if (list == null)
            {
                return null;
            }
            string[] result = new string[list.Count];
            for (int i = 0; i < list.Count; i++)
            {
                result[i] = list[i] as string;
                if (result[i] == null)
                {
                    throw new ArgumentException(String.Format("'{0}' must be a list of strings", key));
                }
            }
            return result;
        }

        public static IList GetList(IDictionary dict, string key)
        {
            object value = Get(dict, key);
            if (value == null)
            {
                return null;
            }
            IList result = value as IList;
            if (result == null || value is string)
            {
                throw new ArgumentException(String.Format("'{0}' must be a list, got {1}", key,
                    value.GetType().FullName));
            }
            return result;
        }

        public static bool IsNumber(object value)
        {
            return value is int || value is long || value is short || value is sbyte || value is byte
                || value is ushort || value is uint || value is ulong || value is double || value is float
                || value is decimal;
        }

        public static bool TryToInteger(object value, out long result)
        {
            result = 0;
            if (value == null || value is bool || !IsNumber(value))
            {
                return false;
            }
            try
            {
                decimal number = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
                if (number != Decimal.Truncate(number) || number < long.MinValue || number > long.MaxValue)
                {
                    return false;
                }
                result = (long)number;
                return true;
            }
            catch (OverflowException)
            {
                return false;
            }
        }
    }

    /// <summary>Counts progress callbacks for one operation; the delegate lives as long as this.</summary>
    internal sealed class ProgressRecorder
    {
        private readonly object _lock = new object();
        private long _calls;
        private long _current;
        private long _total;
        private readonly NativeHelpers.DismProgressCallback _callback;

        public ProgressRecorder()
        {
            _callback = OnProgress;
        }

        public NativeHelpers.DismProgressCallback Callback
        {
            get { return _callback; }
        }

        private void OnProgress(uint current, uint total, IntPtr userData)
        {
            // Called from native code, possibly on a DISM thread: no exception may escape.
            lock (_lock)
            {
                _calls++;
                _current = current;
                _total = total;
            }
        }

        public Hashtable ToResult()
        {
            Hashtable result = new Hashtable();
            lock (_lock)
            {
                result["calls"] = _calls;
                result["current"] = _current;
                result["total"] = _total;
            }
            return result;
        }
    }

    /// <summary>What an operation handler gets: the session, the cancel event, progress, codes.</summary>
    internal sealed class OperationContext
    {
        private readonly Executor _executor;
        private readonly string _op;
        private ProgressRecorder _progress;
        private int _returnCode;
        private bool _rebootRequired;
        private bool _reloadRequired;

        internal OperationContext(Executor executor, string op)
        {
            _executor = executor;
            _op = op;
        }

        /// <summary>The open session; fails the operation when the request has no target.</summary>
        public uint Session
        {
            get
            {
                if (!_executor.HasSession)
                {
                    throw new ArgumentException(String.Format(
                        "operation '{0}' needs a session: set 'target' in the request", _op));
                }
                return _executor.SessionId;
            }
        }

        public SafeEventHandle CancelEvent
        {
            get { return _executor.CancelEvent; }
        }

        /// <summary>The progress callback; using it makes the result carry 'progress'.</summary>
        public NativeHelpers.DismProgressCallback Progress
        {
            get
            {
                if (_progress == null)
                {
                    _progress = new ProgressRecorder();
                }
                return _progress.Callback;
            }
        }

        internal ProgressRecorder ProgressRecorder
        {
            get { return _progress; }
        }

        /// <summary>The last non-zero success code (1, 3010) of the operation's DISM calls, else 0.</summary>
        internal int ReturnCode
        {
            get { return _returnCode; }
        }

        /// <summary>This operation's DISM calls asked for a reboot (3010/3011); sticky.</summary>
        internal bool RebootRequired
        {
            get { return _rebootRequired; }
        }

        /// <summary>This operation's DISM calls asked to reopen the session (1); sticky.</summary>
        internal bool ReloadRequired
        {
            get { return _reloadRequired; }
        }

        /// <summary>
        /// Only S_OK, 1 (reload the session) and 3010/3011 (reboot required) are success. Anything
        /// else throws DismException: negative HRESULTs, and raw Win32 codes such as 1223/1235
        /// (cancelled) that DISM may return without the HRESULT wrapper (dism-api.md 6.4).
        /// </summary>
        public int Check(int hresult, string function)
        {
            if (hresult == NativeHelpers.S_OK)
            {
                return hresult;
            }
            if (hresult == NativeHelpers.ERROR_SUCCESS_REBOOT_REQUIRED || hresult == NativeHelpers.ERROR_SUCCESS_RESTART_REQUIRED)
            {
                _rebootRequired = true;
            }
            else if (hresult == NativeHelpers.DISMAPI_S_RELOAD_IMAGE_SESSION_REQUIRED)
            {
                _reloadRequired = true;
            }
            else
            {
                throw DismException.FromLastError(hresult < 0 ? hresult : Executor.Win32ToHResult(hresult), function);
            }
            _returnCode = hresult;
            return hresult;
        }
    }

    internal delegate object OperationHandler(OperationContext context, IDictionary args);

    /// <summary>
    /// Runs one request (docs/architecture.md section 2). One instance per Run call; all DISM
    /// calls happen on the calling thread, so DismGetLastErrorMessage sees their errors.
    /// </summary>
    public sealed class Executor
    {
        // The dispatch table: a new operation is one entry here and one method in the
        // "Operations" region below.
        private static readonly Dictionary<string, OperationHandler> Operations =
            new Dictionary<string, OperationHandler>(StringComparer.Ordinal)
            {
                { "get_image_info", OpGetImageInfo },
                { "get_mounted_images", OpGetMountedImages },
                { "check_image_health", OpCheckImageHealth },
                { "mount_image", OpMountImage },
                { "unmount_image", OpUnmountImage },
                { "commit_image", OpCommitImage },
                { "remount_image", OpRemountImage },
                { "cleanup_mountpoints", OpCleanupMountpoints },
                { "inspect_directory", OpInspectDirectory },
                { "create_directory", OpCreateDirectory },
                { "get_features", OpGetFeatures },
                { "get_feature_info", OpGetFeatureInfo },
                { "enable_feature", OpEnableFeature },
                { "disable_feature", OpDisableFeature },
                { "get_drivers", OpGetDrivers },
                { "get_driver_infos", OpGetDriverInfos },
                { "add_driver", OpAddDriver },
                { "remove_driver", OpRemoveDriver },
            };

        private bool _hasSession;
        private uint _session;
        private string _sessionPath;
        private string _sessionWindowsDirectory;
        private string _sessionSystemDrive;
        private SafeEventHandle _cancelEvent;

        private Executor() { }

        internal bool HasSession
        {
            get { return _hasSession; }
        }

        internal uint SessionId
        {
            get { return _session; }
        }

        internal SafeEventHandle CancelEvent
        {
            get { return _cancelEvent; }
        }

        /// <summary>Runs the request and returns the response; does not throw for DISM failures.</summary>
        public static Hashtable Run(IDictionary request)
        {
            return new Executor().RunRequest(request);
        }

        internal static Hashtable NewError(int hresult, string function, string message)
        {
            Hashtable error = new Hashtable();
            error["hresult"] = hresult;
            error["function"] = function;
            error["message"] = message;
            return error;
        }

        private static Hashtable ErrorFromException(Exception e, string function)
        {
            DismException dism = e as DismException;
            if (dism != null)
            {
                return dism.ToResult();
            }
            if (e is ArgumentException)
            {
                return NewError(NativeHelpers.E_INVALIDARG, "Executor", e.Message);
            }
            return NewError(e.HResult, function, e.GetType().FullName + ": " + e.Message);
        }

        private Hashtable RunRequest(IDictionary request)
        {
            Hashtable response = new Hashtable();
            ArrayList results = new ArrayList();
            response["results"] = results;
            response["error"] = null;
            response["reboot_required"] = false;
            response["session_reloads"] = 0;
            response["completed"] = false;

            string logPath;
            string scratchDirectory;
            int logLevel;
            IDictionary target;
            long? timeoutSeconds;
            IList operations;
            try
            {
                // Made plain once, here, so nothing below sees a PowerShell shape (Args.Normalize).
                request = Args.Normalize(request) as IDictionary;
                if (request == null)
                {
                    throw new ArgumentException("the request must be a dictionary");
                }
                logPath = Args.GetString(request, "log_path", false);
                scratchDirectory = Args.GetString(request, "scratch_directory", false);
                logLevel = Args.GetInt(request, "log_level", 2, 0, 2);
                target = Args.GetDict(request, "target");
                timeoutSeconds = Args.GetInteger(request, "timeout_seconds");
                if (timeoutSeconds.HasValue && (timeoutSeconds.Value < 0 || timeoutSeconds.Value > Int32.MaxValue / 1000))
                {
                    throw new ArgumentException(String.Format(CultureInfo.InvariantCulture,
                        "'timeout_seconds' must be between 0 and {0}, got {1}", Int32.MaxValue / 1000,
                        timeoutSeconds.Value));
                }
                operations = Args.GetList(request, "operations") ?? new ArrayList();
                if (target != null)
                {
                    ParseTarget(target);
                }
            }
            catch (ArgumentException e)
            {
                response["error"] = NewError(NativeHelpers.E_INVALIDARG, "Executor", "request: " + e.Message);
                return response;
            }

            string stage = "CreateEventW";
            Timer timer = null;
            bool initialized = false;
            try
            {
                _cancelEvent = NativeMethods.CreateEventW(IntPtr.Zero, true, false, null);
                if (_cancelEvent.IsInvalid)
                {
                    int lastError = Marshal.GetLastWin32Error();
                    response["error"] = NewError(Win32ToHResult(lastError), "CreateEventW", null);
                    return response;
                }
                if (timeoutSeconds.HasValue)
                {
                    timer = new Timer(OnTimeout, _cancelEvent, timeoutSeconds.Value * 1000, Timeout.Infinite);
                }

                stage = "DismInitialize";
                int hr = NativeMethods.DismInitialize((NativeHelpers.DismLogLevel)logLevel, logPath, scratchDirectory);
                if (hr < 0)
                {
                    throw DismException.FromLastError(hr, "DismInitialize");
                }
                initialized = true;

                try
                {
                    if (target != null)
                    {
                        stage = "DismOpenSession";
                        OpenSession();
                    }
                    stage = "Executor";
                    response["completed"] = RunOperations(operations, results, response);
                }
                finally
                {
                    if (_hasSession)
                    {
                        stage = "DismCloseSession";
                        CloseSession(response);
                    }
                }
            }
            catch (Exception e)
            {
                if (response["error"] == null)
                {
                    response["error"] = ErrorFromException(e, stage);
                }
            }
            finally
            {
                if (timer != null)
                {
                    timer.Dispose();
                }
                if (initialized)
                {
                    int hr = NativeMethods.DismShutdown();
                    if (hr < 0 && response["error"] == null)
                    {
                        response["error"] = NewError(hr, "DismShutdown", null);
                    }
                }
                if (_cancelEvent != null)
                {
                    _cancelEvent.Dispose();
                }
            }
            return response;
        }

        private static void OnTimeout(object state)
        {
            // Runs on a timer thread: an escaping exception would end the process.
            try
            {
                SafeEventHandle cancelEvent = (SafeEventHandle)state;
                if (!cancelEvent.IsClosed)
                {
                    NativeMethods.SetEvent(cancelEvent);
                }
            }
            catch (Exception)
            {
                // the run is already over and the event closed: nothing left to cancel
            }
        }

        internal static int Win32ToHResult(int error)
        {
            return error <= 0 ? error : unchecked((int)(((uint)error & 0x0000FFFF) | 0x80070000));
        }

        private void ParseTarget(IDictionary target)
        {
            bool online = Args.GetBool(target, "online", false);
            string path = Args.GetString(target, "path", false);
            string windowsDirectory = Args.GetString(target, "windows_directory", false);
            string systemDrive = Args.GetString(target, "system_drive", false);
            if (online)
            {
                if (path != null || windowsDirectory != null || systemDrive != null)
                {
                    throw new ArgumentException("'target': 'online' excludes 'path', 'windows_directory' and 'system_drive'");
                }
                _sessionPath = NativeHelpers.DISM_ONLINE_IMAGE;
            }
            else
            {
                if (path == null)
                {
                    throw new ArgumentException("'target' needs 'online': true or a 'path'");
                }
                _sessionPath = path;
                _sessionWindowsDirectory = windowsDirectory;
                _sessionSystemDrive = systemDrive;
            }
        }

        private void OpenSession()
        {
            uint session;
            int hr = NativeMethods.DismOpenSession(_sessionPath, _sessionWindowsDirectory, _sessionSystemDrive,
                out session);
            if (hr < 0)
            {
                throw DismException.FromLastError(hr, "DismOpenSession");
            }
            _session = session;
            _hasSession = true;
        }

        private void CloseSession(Hashtable response)
        {
            _hasSession = false;
            int hr = NativeMethods.DismCloseSession(_session);
            _session = NativeHelpers.DISM_SESSION_DEFAULT;
            if (hr < 0 && response["error"] == null)
            {
                response["error"] = DismException.FromLastError(hr, "DismCloseSession").ToResult();
            }
        }

        private bool RunOperations(IList operations, ArrayList results, Hashtable response)
        {
            bool anyFailed = false;
            foreach (object item in operations)
            {
                Hashtable result = new Hashtable();
                result["op"] = null;
                result["ok"] = false;
                result["value"] = null;
                result["return_code"] = null;
                result["error"] = null;
                result["progress"] = null;
                result["precondition_failed"] = false;
                results.Add(result);

                OperationContext context = null;
                try
                {
                    IDictionary args = item as IDictionary;
                    if (args == null)
                    {
                        throw new ArgumentException(String.Format("each operation must be a dictionary, got {0}",
                            item == null ? "null" : item.GetType().FullName));
                    }
                    string op = Args.GetString(args, "op", true);
                    result["op"] = op;
                    OperationHandler handler;
                    if (!Operations.TryGetValue(op, out handler))
                    {
                        throw new ArgumentException(String.Format("unknown operation '{0}'", op));
                    }
                    IDictionary expect = Args.GetDict(args, "expect");

                    context = new OperationContext(this, op);
                    object value = handler(context, args);
                    result["value"] = value;
                    result["return_code"] = context.ReturnCode;
                    result["ok"] = true;

                    if (expect != null)
                    {
                        if (!Precondition.Holds(value, expect, args))
                        {
                            result["ok"] = false;
                            result["precondition_failed"] = true;
                        }
                    }
                }
                catch (Exception e)
                {
                    Hashtable error = ErrorFromException(e, "Executor");
                    result["ok"] = false;
                    result["error"] = error;
                    if (e is DismException)
                    {
                        result["return_code"] = error["hresult"];
                    }
                }
                finally
                {
                    if (context != null && context.ProgressRecorder != null)
                    {
                        result["progress"] = context.ProgressRecorder.ToResult();
                    }
                }

                if (context != null)
                {
                    if (context.RebootRequired)
                    {
                        response["reboot_required"] = true;
                    }
                    if (context.ReloadRequired && _hasSession)
                    {
                        // DISMAPI_S_RELOAD_IMAGE_SESSION_REQUIRED: close and reopen on the same image.
                        CloseSession(response);
                        if (response["error"] != null)
                        {
                            return false;
                        }
                        OpenSession();
                        response["session_reloads"] = (int)response["session_reloads"] + 1;
                    }
                }
                if (!(bool)result["ok"])
                {
                    // 'continue_on_error' lets a batch go on past an operation's own failure (never
                    // past a failed precondition); 'completed' still reports that one failed.
                    IDictionary itemArgs = item as IDictionary;
                    bool goOn = itemArgs != null && !(bool)result["precondition_failed"] && Args.GetBool(itemArgs, "continue_on_error", false);
                    if (!goOn)
                    {
                        return false;
                    }
                    anyFailed = true;
                }
            }
            return !anyFailed;
        }

        #region Operations

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

        #endregion
    }

    /// <summary>
    /// 'expect' preconditions: every key of expect must equal the same key of the value. For a list
    /// value the element is chosen by the key named in 'match' (an operation argument, or a 'match'
    /// entry of expect itself, which is then not compared): the element whose [match] equals
    /// expect[match]. No such element is a mismatch.
    /// </summary>
    internal static class Precondition
    {
        public static bool Holds(object value, IDictionary expect, IDictionary args)
        {
            if (Args.GetBool(args, "expect_same_set", false))
            {
                // A list value must hold the same elements as the plan saw, in any order, compared by
                // the keys named in expect["key"]: expect = {"key": [...], "value": [...]}.
                return SameSet(value as IList, Args.GetList(expect, "value"), Args.GetStringList(expect, "key"));
            }
            IDictionary subject = value as IDictionary;
            string skipKey = null;
            if (subject == null)
            {
                IList list = value as IList;
                if (list == null)
                {
                    return false;
                }
                string match = Args.GetString(args, "match", false);
                if (match == null)
                {
                    match = Args.GetString(expect, "match", false);
                    skipKey = "match";
                }
                if (match == null)
                {
                    throw new ArgumentException("'expect' on a list value needs 'match' (the key that selects the element)");
                }
                if (!expect.Contains(match))
                {
                    throw new ArgumentException(String.Format("'expect' has no '{0}' entry to match", match));
                }
                object wanted = expect[match];
                foreach (object element in list)
                {
                    IDictionary candidate = element as IDictionary;
                    if (candidate != null && candidate.Contains(match) && ValuesEqual(candidate[match], wanted))
                    {
                        subject = candidate;
                        break;
                    }
                }
                if (Args.GetBool(args, "expect_absent", false))
                {
                    // The plan relied on there being no such element (e.g. nothing mounted at a path).
                    return subject == null;
                }
                if (subject == null)
                {
                    return false;
                }
            }
            foreach (DictionaryEntry entry in expect)
            {
                string key = entry.Key as string;
                if (key != null && key == skipKey)
                {
                    continue;
                }
                if (!subject.Contains(entry.Key) || !ValuesEqual(subject[entry.Key], entry.Value))
                {
                    return false;
                }
            }
            return true;
        }

        private static bool SameSet(IList actual, IList expected, string[] keys)
        {
            if (actual == null || expected == null || keys == null || actual.Count != expected.Count)
            {
                return false;
            }
            List<string> left = new List<string>();
            List<string> right = new List<string>();
            foreach (object item in actual)
            {
                left.Add(KeyOf(item as IDictionary, keys));
            }
            foreach (object item in expected)
            {
                right.Add(KeyOf(item as IDictionary, keys));
            }
            left.Sort(StringComparer.Ordinal);
            right.Sort(StringComparer.Ordinal);
            for (int i = 0; i < left.Count; i++)
            {
                if (left[i] != right[i])
                {
                    return false;
                }
            }
            return true;
        }

        private static string KeyOf(IDictionary item, string[] keys)
        {
            StringBuilder key = new StringBuilder();
            foreach (string name in keys)
            {
                object part = item == null || !item.Contains(name) ? null : item[name];
                key.Append(part == null ? "\u0000" : Convert.ToString(part, CultureInfo.InvariantCulture).ToUpperInvariant());
                key.Append('\u0001');
            }
            return key.ToString();
        }

        /// <summary>Numbers by value, strings ordinally, lists element-wise, dicts key by key.</summary>
        public static bool ValuesEqual(object actual, object expected)
        {
            if (actual == null || expected == null)
            {
                return actual == null && expected == null;
            }
            if (Args.IsNumber(actual) && Args.IsNumber(expected))
            {
                try
                {
                    return Convert.ToDecimal(actual, CultureInfo.InvariantCulture)
                        == Convert.ToDecimal(expected, CultureInfo.InvariantCulture);
                }
                catch (OverflowException)
                {
                    return Convert.ToDouble(actual, CultureInfo.InvariantCulture)
                        == Convert.ToDouble(expected, CultureInfo.InvariantCulture);
                }
            }
            if (actual is string || expected is string || actual is bool || expected is bool)
            {
                return actual.Equals(expected);
            }
            IDictionary actualDict = actual as IDictionary;
            IDictionary expectedDict = expected as IDictionary;
            if (actualDict != null || expectedDict != null)
            {
                if (actualDict == null || expectedDict == null || actualDict.Count != expectedDict.Count)
                {
                    return false;
                }
                foreach (DictionaryEntry entry in expectedDict)
                {
                    if (!actualDict.Contains(entry.Key) || !ValuesEqual(actualDict[entry.Key], entry.Value))
                    {
                        return false;
                    }
                }
                return true;
            }
            IList actualList = actual as IList;
            IList expectedList = expected as IList;
            if (actualList != null && expectedList != null)
            {
                if (actualList.Count != expectedList.Count)
                {
                    return false;
                }
                for (int i = 0; i < actualList.Count; i++)
                {
                    if (!ValuesEqual(actualList[i], expectedList[i]))
                    {
                        return false;
                    }
                }
                return true;
            }
            return actual.Equals(expected);
        }
    }
}
