// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Lab only (Mono): the part of plugins/modules/dism_helper.ps1 between ConvertFrom-Json and
// ConvertTo-Json. Usage:
//
//     mono LabRunner.exe <path-to-helper.dll> < request.json > response.json
//
// Reads the executor request as UTF-8 JSON on stdin, turns it into Dictionary<string, object> /
// ArrayList / scalars, loads the compiled _DismHelper assembly by path, calls
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
            IDictionary request = Normalize(parsed) as IDictionary;
            if (request == null)
            {
                throw new ArgumentException("the request on stdin must be a JSON object");
            }
            return request;
        }

        // JavaScriptSerializer gives Dictionary<string, object> and object[]; the executor contract
        // says IDictionary/IList, and the lab feeds it Dictionary/ArrayList (PowerShell gives
        // Hashtable/object[]), so both list types are exercised across the two hosts.
        private static object Normalize(object value)
        {
            IDictionary dict = value as IDictionary;
            if (dict != null)
            {
                Dictionary<string, object> result = new Dictionary<string, object>(StringComparer.Ordinal);
                foreach (DictionaryEntry entry in dict)
                {
                    result[(string)entry.Key] = Normalize(entry.Value);
                }
                return result;
            }
            if (value is string)
            {
                return value;
            }
            IList list = value as IList;
            if (list != null)
            {
                ArrayList result = new ArrayList(list.Count);
                foreach (object item in list)
                {
                    result.Add(Normalize(item));
                }
                return result;
            }
            return value;
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
