// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Lab only (Mono): the part of plugins/modules/dism_helper.ps1 between ConvertFrom-Json and
// ConvertTo-Json. Usage:
//
//     mono LabRunner.exe <path-to-helper.dll> < request.json > response.json
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
                if (argv.Length != 1)
                {
                    throw new ArgumentException("usage: mono LabRunner.exe <path-to-helper.dll>");
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
                MethodInfo run = executor.GetMethod("Run", BindingFlags.Public | BindingFlags.Static, null,
                    new Type[] { typeof(IDictionary) }, null);
                if (run == null)
                {
                    throw new MissingMethodException(ExecutorType, "Run(IDictionary)");
                }

                object response;
                try
                {
                    response = run.Invoke(null, new object[] { request });
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
    /// The values ansible-core 2.19's exec wrapper hands a module, rebuilt from JSON: it parses the
    /// manifest with ConvertFrom-Json and walks it with Convert-JsonObject (exec_wrapper.ps1), so
    /// objects become Hashtable (case-insensitive, as @{} is), arrays become object[] whose items
    /// went through the pipeline and arrive wrapped in PSObject, and numbers are what each
    /// PowerShell's ConvertFrom-Json makes of them. DISM_LAB_POWERSHELL picks the host's flavour:
    ///   5.1 (default)  Int32 when it fits, else Int64; decimal for fractions; strings stay strings
    ///   7              Int64 for every integer; double for fractions; an ISO 8601 date-time string
    ///                  becomes a DateTime (Newtonsoft's DateParseHandling.DateTime)
    /// </summary>
    internal sealed class ArgumentShapes
    {
        private static readonly Regex IsoDate = new Regex(
            @"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$",
            RegexOptions.CultureInvariant);

        private readonly bool _core;

        private ArgumentShapes(bool core)
        {
            _core = core;
        }

        public static ArgumentShapes FromEnvironment()
        {
            string flavour = Environment.GetEnvironmentVariable("DISM_LAB_POWERSHELL") ?? "5.1";
            if (flavour != "5.1" && flavour != "7")
            {
                throw new ArgumentException("DISM_LAB_POWERSHELL must be 5.1 or 7, not " + flavour);
            }
            return new ArgumentShapes(flavour == "7");
        }

        public object Convert(object value, bool listItem)
        {
            object plain = ConvertValue(value);
            // Convert-JsonObject emits list items into a pipeline: @(...) collects them wrapped.
            return listItem && plain != null ? new System.Management.Automation.PSObject(plain) : plain;
        }

        private object ConvertValue(object value)
        {
            IDictionary dict = value as IDictionary;
            if (dict != null)
            {
                Hashtable table = new Hashtable(StringComparer.OrdinalIgnoreCase);
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
