// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Lab only (Mono): the part of plugins/modules/dism_helper.ps1 between ConvertFrom-Json and
// ConvertTo-Json. Usage:
//
//     mono LabRunner.exe <path-to-helper.dll> [--check-mode] < request.json > response.json
//
// Reads the executor request as UTF-8 JSON on stdin, turns it into the shapes ansible-core 2.19
// hands a PowerShell module (Hashtable, object[] of PSObject-wrapped items, Int32/Int64, DateTime
// under PowerShell 7: see ArgumentShapes), loads the compiled _DismHelper assembly by path, calls
// Executor.Run(IDictionary) by reflection and writes the Hashtable response as UTF-8 JSON (no BOM)
// on stdout. Exit 0 when Run returned; on any exception the message goes to stderr and the exit
// code is 1. The response writer is strict: a value of a type outside the executor contract
// (Hashtable, ArrayList, string, bool, int, long, ulong, null) is an error, not a guess.
//
// Build: tests/lab/runner/build.sh (mcs -langversion:5 -warnaserror).

using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Web.Script.Serialization;

namespace WinImagingDism.Lab
{
    public static class LabRunner
    {
        private const string ExecutorType =
            "ansible_collections.winimaging.dism.plugins.module_utils._DismHelper.Executor";

        public static int Main(string[] argv)
        {
            try
            {
                bool checkMode = argv.Length == 2 && argv[1] == "--check-mode";
                if (argv.Length != 1 && !checkMode)
                {
                    throw new ArgumentException("usage: mono LabRunner.exe <path-to-helper.dll> [--check-mode]");
                }

                string input;
                using (StreamReader reader = new StreamReader(Console.OpenStandardInput(),
                    new UTF8Encoding(false), true))
                {
                    input = reader.ReadToEnd();
                }
                IDictionary request = ParseRequest(input);

                Assembly helper = Assembly.LoadFrom(Path.GetFullPath(argv[0]));
                Type executor = helper.GetType(ExecutorType, true);
                // dism_helper.ps1 calls Run(request, checkMode) with $complex_args._ansible_check_mode.
                MethodInfo run = executor.GetMethod("Run", BindingFlags.Public | BindingFlags.Static, null,
                    new Type[] { typeof(IDictionary), typeof(bool) }, null);
                object[] arguments = new object[] { request, checkMode };
                if (run == null && !checkMode)
                {
                    run = executor.GetMethod("Run", BindingFlags.Public | BindingFlags.Static, null,
                        new Type[] { typeof(IDictionary) }, null);
                    arguments = new object[] { request };
                }
                if (run == null)
                {
                    throw new MissingMethodException(ExecutorType, "Run(IDictionary, bool)");
                }

                object response;
                try
                {
                    response = run.Invoke(null, arguments);
                }
                catch (TargetInvocationException e)
                {
                    throw e.InnerException ?? e;
                }

                StringBuilder json = new StringBuilder();
                JsonWriter.Write(json, response);
                json.Append('\n');
                byte[] bytes = new UTF8Encoding(false, true).GetBytes(json.ToString());
                using (Stream stdout = Console.OpenStandardOutput())
                {
                    stdout.Write(bytes, 0, bytes.Length);
                    stdout.Flush();
                }
                return 0;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine("LabRunner: {0}: {1}", e.GetType().FullName, e.Message);
                Console.Error.WriteLine(e.StackTrace);
                return 1;
            }
        }

        private static IDictionary ParseRequest(string input)
        {
            JavaScriptSerializer serializer = new JavaScriptSerializer();
            serializer.MaxJsonLength = Int32.MaxValue;
            object parsed = serializer.DeserializeObject(input);
            ArgumentShapes shapes = ArgumentShapes.FromEnvironment();
            IDictionary request = shapes.Convert(parsed, false) as IDictionary;
            if (request == null)
            {
                throw new ArgumentException("the request on stdin must be a JSON object");
            }
            return request;
        }
    }

    /// <summary>
    /// The values ansible-core hands a PowerShell module, rebuilt from JSON. DISM_LAB_EXEC_FORMAT
    /// picks the exec wrapper, DISM_LAB_POWERSHELL the host's PowerShell:
    ///   2.19 (default)  ConvertFrom-Json | Convert-JsonObject (exec_wrapper.ps1): objects become
    ///                   Hashtable (case-insensitive, as @{} is), arrays object[] whose items went
    ///                   through the pipeline and arrive wrapped in PSObject
    ///   2.16-2.18       ConvertFrom-AnsibleJson: 5.1 converts to @{} and object[] without
    ///                   wrapping; 7 uses ConvertFrom-Json -AsHashtable, whose Hashtables compare
    ///                   keys case-sensitively
    ///   5.1 (default)   Int32 when it fits, else Int64; decimal for fractions; strings stay strings
    ///   7               Int64 for every integer; double for fractions; an ISO 8601 date-time string
    ///                   becomes a DateTime (Newtonsoft's DateParseHandling.DateTime)
    /// </summary>
    internal sealed class ArgumentShapes
    {
        private static readonly Regex IsoDate = new Regex(
            @"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$",
            RegexOptions.CultureInvariant);

        private readonly bool _core;
        private readonly bool _legacy;

        private ArgumentShapes(bool core, bool legacy)
        {
            _core = core;
            _legacy = legacy;
        }

        public static ArgumentShapes FromEnvironment()
        {
            string flavour = Environment.GetEnvironmentVariable("DISM_LAB_POWERSHELL") ?? "5.1";
            if (flavour != "5.1" && flavour != "7")
            {
                throw new ArgumentException("DISM_LAB_POWERSHELL must be 5.1 or 7, not " + flavour);
            }
            string format = Environment.GetEnvironmentVariable("DISM_LAB_EXEC_FORMAT") ?? "2.19";
            if (format != "2.19" && format != "2.16-2.18")
            {
                throw new ArgumentException("DISM_LAB_EXEC_FORMAT must be 2.19 or 2.16-2.18, not " + format);
            }
            return new ArgumentShapes(flavour == "7", format == "2.16-2.18");
        }

        public object Convert(object value, bool listItem)
        {
            object plain = ConvertValue(value);
            // 2.19's Convert-JsonObject emits list items into a pipeline: @(...) collects them wrapped.
            return listItem && !_legacy && plain != null ? new System.Management.Automation.PSObject(plain) : plain;
        }

        private object ConvertValue(object value)
        {
            IDictionary dict = value as IDictionary;
            if (dict != null)
            {
                Hashtable table = new Hashtable(_legacy && _core ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry entry in dict)
                {
                    table[(string)entry.Key] = Convert(entry.Value, false);
                }
                return table;
            }
            string text = value as string;
            if (text != null)
            {
                return _core ? ParseDate(text) : text;
            }
            IList list = value as IList;
            if (list != null)
            {
                object[] items = new object[list.Count];
                for (int i = 0; i < list.Count; i++)
                {
                    items[i] = Convert(list[i], true);
                }
                return items;
            }
            if (value is int || value is long)
            {
                long number = System.Convert.ToInt64(value, CultureInfo.InvariantCulture);
                if (_core || number < Int32.MinValue || number > Int32.MaxValue)
                {
                    return number;
                }
                return (int)number;
            }
            if (value is decimal && _core)
            {
                return System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
            }
            return value;
        }

        private static object ParseDate(string text)
        {
            Match m = IsoDate.Match(text);
            if (!m.Success)
            {
                return text;
            }
            DateTime parsed;
            string zone = m.Groups[8].Value;
            DateTimeStyles styles = zone.Length == 0 ? DateTimeStyles.None
                : zone == "Z" ? DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal
                : DateTimeStyles.None;
            if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, styles, out parsed))
            {
                return text;
            }
            // Newtonsoft: no zone -> Unspecified, Z -> Utc, an offset -> converted to local time.
            if (zone.Length == 0)
            {
                return DateTime.SpecifyKind(parsed, DateTimeKind.Unspecified);
            }
            return zone == "Z" ? DateTime.SpecifyKind(parsed, DateTimeKind.Utc) : parsed;
        }
    }

    internal static class JsonWriter
    {
        public static void Write(StringBuilder sb, object value)
        {
            if (value == null)
            {
                sb.Append("null");
            }
            else if (value is string)
            {
                WriteString(sb, (string)value);
            }
            else if (value is bool)
            {
                sb.Append((bool)value ? "true" : "false");
            }
            else if (value is int || value is long || value is ulong || value is uint || value is short
                || value is ushort || value is byte || value is sbyte)
            {
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
            }
            else if (value is IDictionary)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    string key = entry.Key as string;
                    if (key == null)
                    {
                        throw new InvalidOperationException("response dictionary key is not a string: "
                            + Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                    }
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    WriteString(sb, key);
                    sb.Append(':');
                    Write(sb, entry.Value);
                }
                sb.Append('}');
            }
            else if (value is IList)
            {
                sb.Append('[');
                bool first = true;
                foreach (object item in (IList)value)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    Write(sb, item);
                }
                sb.Append(']');
            }
            else
            {
                throw new InvalidOperationException("response value of a type outside the executor contract: "
                    + value.GetType().FullName);
            }
        }

        private static void WriteString(StringBuilder sb, string text)
        {
            sb.Append('"');
            foreach (char c in text)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        // Control characters and every UTF-16 surrogate are escaped, so a lone
                        // surrogate (possible in Windows file names) survives as \uXXXX instead of
                        // turning into U+FFFD; everything else is written as UTF-8.
                        if (c < 0x20 || Char.IsSurrogate(c))
                        {
                            sb.Append("\\u");
                            sb.Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }
                        break;
                }
            }
            sb.Append('"');
        }
    }
}

namespace System.Management.Automation
{
    /// <summary>
    /// Lab stand-in for PowerShell's PSObject, with the one member the executor reads (BaseObject,
    /// by reflection on the full type name). The executor must never need more than that.
    /// </summary>
    public sealed class PSObject
    {
        private readonly object _baseObject;

        public PSObject(object baseObject)
        {
            _baseObject = baseObject;
        }

        public object BaseObject
        {
            get { return _baseObject; }
        }

        public override string ToString()
        {
            return _baseObject == null ? String.Empty : _baseObject.ToString();
        }
    }
}
