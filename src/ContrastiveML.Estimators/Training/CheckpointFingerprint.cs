using System.Globalization;

namespace ContrastiveML.Training;

/// <summary>
/// The (name, value) settings a checkpoint must share with the Fit that resumes from it: how a value is written, how a
/// list is stored, and the one comparison of a checkpoint's settings with a Fit's.
/// </summary>
internal static class CheckpointFingerprint
{
    /// <summary>
    /// <paramref name="value"/> as a fingerprint value: doubles and floats round-trip ("R"), integers in the invariant
    /// culture, anything else (enums, booleans, text) as its <c>ToString()</c>.
    /// </summary>
    public static string Format(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// The first setting of <paramref name="current"/> whose value differs from the one in <paramref name="saved"/>
    /// ("(not recorded)" when the checkpoint lacks it); null when every setting matches. Settings only the checkpoint
    /// has are ignored, so options added later with their old behaviour as default need not be recorded.
    /// </summary>
    public static (string Name, string Saved, string Current)? FirstDifference(IEnumerable<KeyValuePair<string, string>> saved,
                                                                               IEnumerable<KeyValuePair<string, string>> current)
    {
        var savedByName = new Dictionary<string, string>();
        foreach (var (name, value) in saved) savedByName[name] = value;
        foreach (var (name, value) in current)
        {
            string savedValue = savedByName.TryGetValue(name, out string? v) ? v : "(not recorded)";
            if (savedValue != value) return (name, savedValue, value);
        }
        return null;
    }

    /// <summary>Writes the settings as a count (int32) and then (name, value) string pairs.</summary>
    public static void Write(BinaryWriter writer, IReadOnlyCollection<KeyValuePair<string, string>> settings)
    {
        writer.Write(settings.Count);
        foreach (var (name, value) in settings)
        {
            writer.Write(name);
            writer.Write(value);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    public static List<KeyValuePair<string, string>> Read(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > 1000) throw new InvalidDataException($"a settings block announces {count} entries");
        var settings = new List<KeyValuePair<string, string>>(count);
        for (int i = 0; i < count; i++) settings.Add(new(reader.ReadString(), reader.ReadString()));
        return settings;
    }
}
