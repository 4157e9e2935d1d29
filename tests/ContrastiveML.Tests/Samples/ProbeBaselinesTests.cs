using System.Text.Json;
using ContrastiveML.Encoders;
using ContrastiveML.Samples.Probing;
using ContrastiveML.Training;

namespace ContrastiveML.Tests;

/// <summary>probe --baselines-from: reuses an earlier run's baselines only when data, encoder and seed match, and says which field does not.</summary>
public sealed class ProbeBaselinesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("contrastiveml-baselines-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Earlier(Action<Dictionary<string, object?>>? change = null)
    {
        // As docs/probe-simclr.json was written before the width was recorded: no "width" field.
        var figures = new Dictionary<string, object?>
        {
            ["method"] = "simclr", ["encoder"] = "CompactCnn", ["pooling"] = "Grid3x3", ["seed"] = 1, ["trainRows"] = 60000, ["testRows"] = 10000,
            ["rawPixelAccuracy"] = 0.8443, ["randomEncoderAccuracy"] = 0.8809, ["linearProbeAccuracy"] = 0.9066,
        };
        change?.Invoke(figures);
        string path = Path.Combine(_folder, $"probe-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(figures));
        return path;
    }

    private static ProbeSettings Settings(string method = "moco", int width = 0, int seed = 1, EmbeddingPooling pooling = EmbeddingPooling.Grid3x3) =>
        new() { Method = method, Width = width, Pooling = pooling, Minutes = 15, Seed = seed, DataDirectory = "unused", Device = TrainingDevice.Cpu };

    [Fact]
    public void MatchingFileGivesItsBaselines()
    {
        (double raw, double random) = ProbeBaselines.Read(Earlier(), Settings(), 60000, 10000);
        Assert.Equal(0.8443, raw);
        Assert.Equal(0.8809, random);
    }

    [Theory]
    [InlineData("seed", "seed = 1, this run has seed = 2")]
    [InlineData("pooling", "pooling = Grid3x3, this run has pooling = Global")]
    [InlineData("width", "width = 0, this run has width = 16")]
    [InlineData("trainRows", "trainRows = 60000, this run has trainRows = 5000")]
    public void MismatchNamesTheField(string field, string expected)
    {
        ProbeSettings settings = field switch
        {
            "seed" => Settings(seed: 2),
            "pooling" => Settings(pooling: EmbeddingPooling.Global),
            "width" => Settings(width: 16),
            _ => Settings(),
        };
        long trainRows = field == "trainRows" ? 5000 : 60000;
        var error = Assert.Throws<InvalidDataException>(() => ProbeBaselines.Read(Earlier(), settings, trainRows, 10000));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void CmcAndTheOtherMethodsNeverShareBaselines()
    {
        var error = Assert.Throws<InvalidDataException>(() => ProbeBaselines.Read(Earlier(), Settings(method: "cmc"), 60000, 10000));
        Assert.Contains("not a cmc run", error.Message);
        var fromCmc = Assert.Throws<InvalidDataException>(() => ProbeBaselines.Read(Earlier(f => f["method"] = "cmc"), Settings(), 60000, 10000));
        Assert.Contains("is a cmc run", fromCmc.Message);
    }

    [Fact]
    public void ACmcRunReusesAnEarlierCmcRunsBaselines()
    {
        string earlier = Earlier(f => { f["method"] = "cmc"; f["randomEncoderAccuracy"] = 0.8838; });
        (double raw, double random) = ProbeBaselines.Read(earlier, Settings(method: "cmc"), 60000, 10000);
        Assert.Equal(0.8443, raw);
        Assert.Equal(0.8838, random);
        // The same field checks as for the other methods.
        var error = Assert.Throws<InvalidDataException>(() => ProbeBaselines.Read(earlier, Settings(method: "cmc", seed: 2), 60000, 10000));
        Assert.Contains("seed", error.Message);
    }

    [Fact]
    public void MissingOrBrokenFileIsNamed()
    {
        string missing = Path.Combine(_folder, "none.json");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ProbeBaselines.Read(missing, Settings(), 60000, 10000)).Message);
        string broken = Path.Combine(_folder, "broken.json");
        File.WriteAllText(broken, "{ not json");
        Assert.Contains(broken, Assert.Throws<InvalidDataException>(() => ProbeBaselines.Read(broken, Settings(), 60000, 10000)).Message);
        Assert.Contains("rawPixelAccuracy", Assert.Throws<InvalidDataException>(() => ProbeBaselines.Read(Earlier(f => f.Remove("rawPixelAccuracy")), Settings(), 60000, 10000)).Message);
    }
}
