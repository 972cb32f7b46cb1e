// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. Part of the DISM helper: see _DismHelper.cs.
//
// P/Invoke layer: DISM and Win32 structures (pack 1), imports pinned to System32, SafeHandles.

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using Microsoft.Win32.SafeHandles;
    using System;
    using System.Runtime.InteropServices;

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
}
