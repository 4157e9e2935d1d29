using System.Text.Json;

namespace ContrastiveML.Samples.Reporting;

/// <summary>
/// The figures of one <c>probe --json</c> file that the accuracy report uses. Files written before the loss curve
/// and the command line were recorded still load: those two are then empty.
/// </summary>
internal sealed record ProbeResult(
    string Path, string Method, string Encoder, double Accuracy, double RawPixelAccuracy, double RandomEncoderAccuracy,
    double PretrainSeconds, long Steps, int BatchSize, double TrainImagesPerSecond, long TrainRows, long TestRows,
    string CommandLine, string Date, IReadOnlyList<LossPoint> LossCurve)
{
    /// <summary>The method name the probe CLI gives the supervised cross-entropy reference.</summary>
    public const string CrossEntropyMethod = "crossentropy";

    /// <summary>True for the supervised cross-entropy run, a reference rather than a contrastive method.</summary>
    public bool IsCrossEntropy => string.Equals(Method, CrossEntropyMethod, StringComparison.OrdinalIgnoreCase);

    /// <summary>Options of the recorded command line that say where a run read and wrote and how long it ran, not what it trained.</summary>
    private static readonly HashSet<string> RunOptions = new(StringComparer.Ordinal)
    {
        "--method", "--minutes", "--epochs", "--json", "--baselines-from", "--plots", "--onnx", "--checkpoint-dir", "--checkpoint-every", "--data",
    };

    /// <summary>
    /// The method with the options that set this run apart (from its recorded command line, less <see cref="RunOptions"/>
    /// and their values): "supcon --views 1 --cross-entropy-weight 1", or "simclr" for a run of the defaults or one
    /// written before the command line was recorded. Two runs of one method read apart in the table this way.
    /// </summary>
    public string Name
    {
        get
        {
            string[] words = CommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int start = Array.IndexOf(words, "probe") + 1;
            var kept = new List<string>();
            for (int i = start; start > 0 && i < words.Length; i++)
            {
                if (RunOptions.Contains(words[i]))
                {
                    if (i + 1 < words.Length && !words[i + 1].StartsWith("--", StringComparison.Ordinal)) i++; // and its value
                    continue;
                }
                kept.Add(words[i]);
            }
            return kept.Count == 0 ? Method : $"{Method} {string.Join(' ', kept)}";
        }
    }

    /// <summary>Reads <paramref name="path"/>; errors name the file and the field that is missing or of the wrong kind.</summary>
    public static ProbeResult Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The probe results file '{path}' does not exist.", path);
        JsonElement root;
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
            root = document.RootElement.Clone();
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"'{path}' is not JSON ({error.Message}); expected the file `probe --json` writes.", error);
        }
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"'{path}' holds a JSON {root.ValueKind}; expected the object `probe --json` writes.");

        string Text(string name) => Field(name, JsonValueKind.String).GetString()!;
        double Number(string name) => Field(name, JsonValueKind.Number).GetDouble();
        JsonElement Field(string name, JsonValueKind kind)
        {
            if (!root.TryGetProperty(name, out JsonElement value)) throw new InvalidDataException($"'{path}' has no '{name}'; expected the file `probe --json` writes.");
            if (value.ValueKind != kind) throw new InvalidDataException($"'{path}': '{name}' is a {value.ValueKind}; expected a {kind}.");
            return value;
        }
        string Optional(string name) => root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

        var curve = new List<LossPoint>();
        if (root.TryGetProperty("lossCurve", out JsonElement points) && points.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement point in points.EnumerateArray())
            {
                curve.Add(new LossPoint(point.GetProperty("seconds").GetDouble(), point.GetProperty("step").GetInt64(), point.GetProperty("loss").GetDouble()));
            }
        }
        double accuracy = Number("linearProbeAccuracy");
        if (accuracy is < 0 or > 1) throw new InvalidDataException($"'{path}': 'linearProbeAccuracy' is {accuracy}; expected a fraction between 0 and 1.");
        return new ProbeResult(path, Text("method"), Text("encoder"), accuracy, Number("rawPixelAccuracy"), Number("randomEncoderAccuracy"),
                               Number("pretrainSeconds"), (long)Number("steps"), (int)Number("batchSize"), Number("trainImagesPerSecond"),
                               (long)Number("trainRows"), (long)Number("testRows"), Optional("commandLine"), Optional("date"), curve);
    }
}
