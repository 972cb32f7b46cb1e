// Copyright (c) winimaging.dism contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Layout gate helper (Mono): prints the marshalled layout of every struct declared in the compiled
// _DismHelper assembly, as the P/Invoke marshaller sees it (Marshal.SizeOf / Marshal.OffsetOf).
//
//     mono DumpLayout.exe WinImagingDismHelper.dll
//
// Output, one record a line:
//     STRUCT <DeclaringPath> <Name> <size> <pack>
//     FIELD <Name> <field> <offset> <size>
// DeclaringPath is the nesting chain ("NativeHelpers", or "-" for a top-level type), so the gate
// can insist that every struct lives in NativeHelpers and that none is left out.

using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.InteropServices;

public static class DumpLayout
{
    public static int Main(string[] argv)
    {
        if (argv.Length != 1)
        {
            Console.Error.WriteLine("usage: mono DumpLayout.exe <helper.dll>");
            return 2;
        }
        Assembly assembly = Assembly.LoadFrom(argv[0]);
        List<Type> structs = new List<Type>();
        foreach (Type type in assembly.GetTypes())
        {
            if (!type.IsValueType || type.IsEnum || type.Name.StartsWith("<", StringComparison.Ordinal)
                || Attribute.IsDefined(type, typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)))
            {
                continue;
            }
            structs.Add(type);
        }
        structs.Sort(delegate(Type a, Type b) { return String.CompareOrdinal(a.FullName, b.FullName); });

        foreach (Type type in structs)
        {
            if (type.DeclaringType != null && type.DeclaringType.Name == "Win32Helpers")
            {
                // Win32 (not DISM) structures: natural layout, reported by total size only.
                Console.WriteLine("WIN32 {0} {1}", type.Name, Marshal.SizeOf(type));
                continue;
            }
            string declaring = "-";
            for (Type outer = type.DeclaringType; outer != null; outer = outer.DeclaringType)
            {
                declaring = declaring == "-" ? outer.Name : outer.Name + "." + declaring;
            }
            StructLayoutAttribute layout = type.StructLayoutAttribute;
            int pack = layout == null ? -1 : layout.Pack;
            string kind = layout == null ? "None" : layout.Value.ToString();
            Console.WriteLine("STRUCT {0} {1} {2} {3} {4}", declaring, type.Name, Marshal.SizeOf(type), pack, kind);

            FieldInfo[] fields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            foreach (FieldInfo field in fields)
            {
                long offset = Marshal.OffsetOf(type, field.Name).ToInt64();
                Console.WriteLine("FIELD {0} {1} {2} {3}", type.Name, field.Name, offset, Marshal.SizeOf(field.FieldType));
            }
        }
        return 0;
    }
}
