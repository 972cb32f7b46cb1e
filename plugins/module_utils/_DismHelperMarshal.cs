// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// FOR INTERNAL COLLECTION USE ONLY. Part of the DISM helper: see _DismHelper.cs.
//
// Between DISM and the executor: DismException (HRESULT + DISM message), reading native memory, typed request access, preconditions.

namespace ansible_collections.winimaging.dism.plugins.module_utils._DismHelper
{
    using System;
    using System.Collections;
    using System.Collections.Generic;
    using System.Globalization;
    using System.Runtime.InteropServices;
    using System.Text;

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

        /// <summary>A DismCustomProperty array (features, packages) as {name, value, path} entries.</summary>
        public static ArrayList ReadCustomProperties(IntPtr array, uint count)
        {
            ArrayList properties = new ArrayList();
            for (uint i = 0; array != IntPtr.Zero && i < count; i++)
            {
                NativeHelpers.DismCustomProperty property = ReadElement<NativeHelpers.DismCustomProperty>(array, i);
                Hashtable item = new Hashtable();
                item["name"] = ReadString(property.Name);
                item["value"] = ReadString(property.Value);
                item["path"] = ReadString(property.Path);
                properties.Add(item);
            }
            return properties;
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
