using System.Globalization;
using System.Text.Json;

namespace ContrastiveML.Samples.Probing;

/// <summary>
/// <c>probe --baselines-from</c>: the raw-pixel and random-init accuracies of an earlier probe run, reused when they
/// would come out the same. Both depend only on the data split, the encoder (kind, width, pooling) and the seed
/// that initialises it, never on the pretraining method, so a comparison of methods needs them once. The earlier
/// file must match on every one of those, or the run stops and names the field. CMC is the exception: its random-init
/// encoder (one half-width backbone per view, behind the view split) is not the others', so a cmc run takes its
/// baselines only from another cmc run and the other methods never from one.
/// </summary>
internal static class ProbeBaselines
{
    /// <summary>Reads the two baseline accuracies from <paramref name="path"/> after checking it matches <paramref name="settings"/>.</summary>
    public static (double RawPixelAccuracy, double RandomEncoderAccuracy) Read(string path, ProbeSettings settings, long trainRows, long testRows)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--baselines-from: the file '{path}' does not exist.", path);
        JsonElement root;
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
            root = document.RootElement.Clone();
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"--baselines-from: '{path}' is not JSON ({error.Message}); expected a file `probe --json` wrote.", error);
        }
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"--baselines-from: '{path}' holds a JSON {root.ValueKind}; expected the object `probe --json` writes.");
        bool earlierIsCmc = root.TryGetProperty("method", out JsonElement earlierMethod) && earlierMethod.ValueKind == JsonValueKind.String && earlierMethod.GetString() == "cmc";
        if (settings.Method == "cmc" && !earlierIsCmc)
        {
            throw new InvalidDataException(
                $"--baselines-from: '{path}' is not a cmc run, and CMC's random-init encoder (one half-width backbone per view) is not the encoder the other " +
                "methods start from; use an earlier cmc run's file or drop --baselines-from.");
        }
        if (settings.Method != "cmc" && earlierIsCmc)
        {
            throw new InvalidDataException($"--baselines-from: '{path}' is a cmc run, whose random-init encoder differs from the other methods'; use a run of another method.");
        }

        // Files written before the width was recorded used the encoder's default width (0).
        Expect(root, path, "width", settings.Width.ToString(CultureInfo.InvariantCulture), missingMeans: "0");
        Expect(root, path, "encoder", settings.Encoder.ToString());
        Expect(root, path, "pooling", settings.Pooling.ToString());
        Expect(root, path, "seed", settings.Seed.ToString(CultureInfo.InvariantCulture));
        Expect(root, path, "trainRows", trainRows.ToString(CultureInfo.InvariantCulture));
        Expect(root, path, "testRows", testRows.ToString(CultureInfo.InvariantCulture));
        return (Accuracy(root, path, "rawPixelAccuracy"), Accuracy(root, path, "randomEncoderAccuracy"));
    }

    private static void Expect(JsonElement root, string path, string name, string expected, string? missingMeans = null)
    {
        string? found = root.TryGetProperty(name, out JsonElement value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : missingMeans;
        if (found == null) throw new InvalidDataException($"--baselines-from: '{path}' has no '{name}'; expected a file `probe --json` wrote.");
        if (found != expected)
        {
            throw new InvalidDataException(
                $"--baselines-from: '{path}' was measured with {name} = {found}, this run has {name} = {expected}; its baselines do not apply. " +
                "Use a file of the same data, encoder, width, pooling and seed, or drop --baselines-from.");
        }
    }

    private static double Accuracy(JsonElement root, string path, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind != JsonValueKind.Number)
        {
            throw new InvalidDataException($"--baselines-from: '{path}' has no number '{name}'; expected a file `probe --json` wrote.");
        }
        double accuracy = value.GetDouble();
        if (accuracy is < 0 or > 1) throw new InvalidDataException($"--baselines-from: '{path}': '{name}' is {accuracy}; expected a fraction between 0 and 1.");
        return accuracy;
    }
}
