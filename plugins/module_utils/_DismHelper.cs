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
// The files, one job each:
//   _DismHelper.cs          this header; Executor core: the request, the DISM session, the batch
//   _DismHelperNative.cs    NativeHelpers (structs, pack 1), NativeMethods (imports), SafeHandles
//   _DismHelperMarshal.cs   DismException, Marshalling, Args (request values), Precondition
//   _DismHelperImages.cs    partial Executor: image files, mounted images, health
//   _DismHelperMounts.cs    partial Executor: mount, unmount, commit, remount, mount folders
//   _DismHelperFeatures.cs  partial Executor: optional features
//   _DismHelperDrivers.cs   partial Executor: driver packages
//   _DismHelperPackages.cs  partial Executor: packages (.cab, .msu)
//   _DismHelperCapabilities.cs  partial Executor: capabilities (Features on Demand)
// Each keeps its using directives inside the namespace, so the files can be joined into one
// source text.
//
// How it is loaded: the action plugins join these files in the order of HELPER_SOURCE_FILES
// (plugins/plugin_utils/_helper.py) into one source; the module winimaging.dism.dism_helper
// (plugins/modules/dism_helper.ps1) compiles it once per host (Add-Type -OutputAssembly) and
// caches the assembly in an ACL-protected folder keyed by the SHA-256 of that source's UTF-8
// bytes, so any edit to any of the files makes every host compile it again. None of them is an
// #AnsibleRequires -CSharpUtil util.
//
// Constraints: C# 5 (Windows PowerShell 5.1 csc) and Roslyn on PowerShell 7 (.NET 8+), both
// with warnings as errors; no JSON and no System.Management.Automation types; anything that
// only PowerShell 7 needs goes behind #if CORECLR. The lab (tests/lab) compiles it with
// mcs -langversion:5 -warnaserror and runs it under Mono against a simulated DismApi.

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using System;
    using System.Collections;
    using System.Collections.Generic;
    using System.Globalization;
    using System.Runtime.InteropServices;
    using System.Threading;

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

    /// <summary>The dispatch table: each operation's handler, and whether it changes anything.</summary>
    internal sealed class OperationTable
    {
        private readonly Dictionary<string, OperationHandler> _handlers =
            new Dictionary<string, OperationHandler>(StringComparer.Ordinal);
        private readonly HashSet<string> _writes = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>An operation that only reads: allowed in check mode.</summary>
        public void Reads(string name, OperationHandler handler)
        {
            _handlers.Add(name, handler);
        }

        /// <summary>An operation that changes an image, the running Windows or the file system.</summary>
        public void Writes(string name, OperationHandler handler)
        {
            _handlers.Add(name, handler);
            _writes.Add(name);
        }

        public bool TryGet(string name, out OperationHandler handler)
        {
            return _handlers.TryGetValue(name, out handler);
        }

        public bool IsWrite(string name)
        {
            return _writes.Contains(name);
        }
    }

    /// <summary>
    /// Runs one request (docs/architecture.md section 2). One instance per Run call; all DISM
    /// calls happen on the calling thread, so DismGetLastErrorMessage sees their errors.
    /// </summary>
    public sealed partial class Executor
    {
        // The dispatch table: each _DismHelper<Area>.cs file adds its operations; a new operation is
        // one method there and one line in its Add...Operations.
        private static readonly OperationTable Operations = BuildOperations();

        private static OperationTable BuildOperations()
        {
            OperationTable table = new OperationTable();
            AddImageOperations(table);
            AddMountOperations(table);
            AddFeatureOperations(table);
            AddDriverOperations(table);
            AddPackageOperations(table);
            AddCapabilityOperations(table);
            return table;
        }

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
            return new Executor().RunRequest(request, false);
        }

        /// <summary>
        /// As Run(request); in check mode a batch with any operation that writes is refused whole,
        /// before DISM is initialised, so check mode cannot change anything whatever the request.
        /// </summary>
        public static Hashtable Run(IDictionary request, bool checkMode)
        {
            return new Executor().RunRequest(request, checkMode);
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

        private Hashtable RunRequest(IDictionary request, bool checkMode)
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
                if (checkMode)
                {
                    RefuseWrites(operations);
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

        private static void RefuseWrites(IList operations)
        {
            foreach (object item in operations)
            {
                IDictionary args = item as IDictionary;
                string op = args == null ? null : Args.GetString(args, "op", false);
                if (op != null && Operations.IsWrite(op))
                {
                    throw new ArgumentException(String.Format(
                        "check mode: operation '{0}' would change the host, so the batch was refused and nothing ran", op));
                }
            }
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
                    if (!Operations.TryGet(op, out handler))
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
    }
}
