// MSBuild inline task (RoslynCodeTaskFactory, Type="Class"): makes TorchSharp's libLibTorchSharp.so load on
// Linux distributions whose libstdc++ predates GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04).
//
// Why: libLibTorchSharp.so 0.107.0 was linked against GCC 13's libstdc++ and needs GLIBCXX_3.4.32 for exactly
// one symbol, std::ios_base_library_init(). On an older libstdc++ the dynamic loader refuses the whole library.
// What it does, only when the system libstdc++ lacks that version, to the copies in the build output (never the
// NuGet cache):
//   1. builds libContrastiveGlibcxxCompat.so (defines that one function) with the system g++;
//   2. patchelf --clear-symbol-version on the symbol, patchelf --add-needed the compat library
//      (libLibTorchSharp.so's RUNPATH starts with $ORIGIN, so it is found beside it);
//   3. marks the GLIBCXX_3.4.32 requirement in .gnu.version_r weak (VER_FLG_WEAK), so its absence is tolerated.
// The step is idempotent: an already patched file is recognised by its weak flag and left alone.
#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class ContrastiveGlibcxxCompat : Task
{
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private const string Symbol = "_ZSt21ios_base_library_initv";
    private const string CompatLibraryName = "libContrastiveGlibcxxCompat.so";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>Copies of libLibTorchSharp.so in an output or publish folder.</summary>
    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>C++ source of the compat library.</summary>
    [Required] public string CompatSource { get; set; } = "";

    /// <summary>Folder for intermediate files (the built compat library).</summary>
    [Required] public string IntermediateDirectory { get; set; } = "";

    public override bool Execute()
    {
        string? systemLibstdcxx = FindSystemLibstdcxx();
        if (systemLibstdcxx == null)
        {
            Log.LogMessage(MessageImportance.Low, "ContrastiveML: no system libstdc++.so.6 found; TorchSharp natives left as shipped.");
            return true;
        }
        if (Contains(File.ReadAllBytes(systemLibstdcxx), Encoding.ASCII.GetBytes(MissingVersion + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"ContrastiveML: {systemLibstdcxx} provides {MissingVersion}; no compatibility step needed.");
            return true;
        }

        string compatLibrary = Path.Combine(IntermediateDirectory, CompatLibraryName);
        foreach (ITaskItem item in Libraries)
        {
            string library = item.ItemSpec;
            if (!File.Exists(library)) continue;
            string folder = Path.GetDirectoryName(Path.GetFullPath(library))!;
            string besideCompat = Path.Combine(folder, CompatLibraryName);
            if (IsPatched(library) && File.Exists(besideCompat)) continue;

            if (!File.Exists(compatLibrary) || File.GetLastWriteTimeUtc(compatLibrary) < File.GetLastWriteTimeUtc(CompatSource))
            {
                Directory.CreateDirectory(IntermediateDirectory);
                if (!Run("g++", $"-shared -fPIC -O2 -o \"{compatLibrary}\" \"{CompatSource}\"",
                         "a C++ compiler is needed to build the libstdc++ compatibility shim (Debian/Ubuntu: apt-get install g++)"))
                    return false;
            }
            File.Copy(compatLibrary, besideCompat, overwrite: true);

            // Patch a private copy, then replace the output file: the output file may be a hard link into the NuGet cache.
            string temp = library + ".contrastiveml.tmp";
            File.Copy(library, temp, overwrite: true);
            const string patchelfHint = "patchelf is needed to adapt TorchSharp's native library to this system's older libstdc++ (Debian/Ubuntu: apt-get install patchelf)";
            if (!Run("patchelf", $"--clear-symbol-version {Symbol} \"{temp}\"", patchelfHint)) return false;
            if (!Run("patchelf", $"--add-needed {CompatLibraryName} \"{temp}\"", patchelfHint)) return false;
            if (!MarkVersionWeak(temp, MissingVersion, out string error))
            {
                Log.LogError($"ContrastiveML: could not patch {library}: {error}");
                return false;
            }
            File.Delete(library);
            File.Move(temp, library);
            Log.LogMessage(MessageImportance.High, $"ContrastiveML: adapted {library} to a libstdc++ without {MissingVersion}.");
        }
        return true;
    }

    private static string? FindSystemLibstdcxx()
    {
        foreach (string candidate in new[]
                 {
                     "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
                     "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
                 })
        {
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private bool Run(string tool, string arguments, string hint)
    {
        try
        {
            var info = new ProcessStartInfo(tool, arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            using Process process = Process.Start(info)!;
            string stderr = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0) return true;
            Log.LogError($"ContrastiveML: '{tool} {arguments}' failed with exit code {process.ExitCode}: {stderr.Trim()}");
            return false;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Log.LogError($"ContrastiveML: '{tool}' was not found; {hint}.");
            return false;
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        // Plain loop: inline tasks compile against netstandard, without span helpers.
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    private static bool IsPatched(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        return TryFindVernaux(elf, MissingVersion, out int flagsOffset, out _) &&
               (BitConverter.ToUInt16(elf, flagsOffset) & VerFlagWeak) != 0;
    }

    private static bool MarkVersionWeak(string path, string version, out string error)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (!TryFindVernaux(elf, version, out int flagsOffset, out error)) return false;
        ushort flags = (ushort)(BitConverter.ToUInt16(elf, flagsOffset) | VerFlagWeak);
        BitConverter.GetBytes(flags).CopyTo(elf, flagsOffset);
        File.WriteAllBytes(path, elf);
        return true;
    }

    // Finds the vna_flags field of the Vernaux entry naming `version` in an ELF64 little-endian file.
    // Layouts (elf.h): Elf64_Verneed { u16 vn_version, vn_cnt; u32 vn_file, vn_aux, vn_next; }
    //                  Elf64_Vernaux { u32 vna_hash; u16 vna_flags, vna_other; u32 vna_name, vna_next; }
    private static bool TryFindVernaux(byte[] elf, string version, out int flagsOffset, out string error)
    {
        flagsOffset = -1;
        error = "";
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            error = "not a 64-bit little-endian ELF file";
            return false;
        }
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)(shoff + (long)i * shentsize));
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToInt64(elf, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            int strtab = checked((int)BitConverter.ToInt64(elf, checked((int)(shoff + (long)link * shentsize)) + 0x18));
            int verneed = offset;
            while (true)
            {
                int count = BitConverter.ToUInt16(elf, verneed + 2);
                int aux = verneed + (int)BitConverter.ToUInt32(elf, verneed + 8);
                for (int a = 0; a < count; a++)
                {
                    int nameOffset = strtab + (int)BitConverter.ToUInt32(elf, aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, nameOffset);
                    if (Encoding.ASCII.GetString(elf, nameOffset, end - nameOffset) == version)
                    {
                        flagsOffset = aux + 4;
                        return true;
                    }
                    uint nextAux = BitConverter.ToUInt32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += (int)nextAux;
                }
                uint next = BitConverter.ToUInt32(elf, verneed + 12);
                if (next == 0) break;
                verneed += (int)next;
            }
            error = $"no requirement of {version} in .gnu.version_r";
            return false;
        }
        error = "no .gnu.version_r section";
        return false;
    }
}
