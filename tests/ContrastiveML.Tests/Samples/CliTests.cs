using System.Globalization;
using ContrastiveML.Methods;
using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Methods.MoCo;
using ContrastiveML.Samples;
using ContrastiveML.Samples.Plots;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

public sealed class CliTests : IDisposable
{
    private readonly ImageFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Options for a pretraining run of a second or so: a width-4 encoder, 8x8 images, two steps.</summary>
    private string[] TinyPretrain(params string[] extra) => new[]
    {
        "pretrain", "--images", _folder.Images, "--size", "8x8", "--width", "4", "--max-steps", "2", "--batch-size", "4",
        "--device", "cpu", "--seed", "3",
    }.Concat(extra).ToArray();

    [Theory]
    [InlineData("pretrain", "--images", "--idx", "--on-bad-file", "--max-steps", "--plots", "--onnx")]
    [InlineData("embed", "--model", "--images", "--out", "--on-bad-file", "--gpu-device-id", "--fallback-to-cpu")]
    [InlineData("probe", "--method", "--minutes", "--json", "--plots", "moco", "--key-momentum", "--queue-size", "--bn-groups")]
    [InlineData("probe", "densecl", "--dense-weight", "--grid-size", "cmc", "--memory-bank", "crossentropy", "--checkpoint-dir", "--baselines-from")]
    [InlineData("probe", "metric", "--metric-loss", "--miner", "--no-labels", "--export-classifier")]
    [InlineData("bench", "--quick", "--json", "--encoder", "--resnet-width", "--section")]
    [InlineData("report", "--probes", "--markdown", "--plots")]
    public void EveryVerbHasHelp(string verb, params string[] options)
    {
        var (code, output, _) = CliRunner.Run(verb, "--help");
        Assert.Equal(0, code);
        Assert.All(options, o => Assert.Contains(o, output));
    }

    [Theory]
    [InlineData("probe", (int)MethodCommands.Probe)]
    [InlineData("pretrain", (int)MethodCommands.Pretrain)]
    public void EveryMethodOptionOfTheRegistryIsOnItsCommandsHelp(string verb, int command)
    {
        var (code, output, _) = CliRunner.Run(verb, "--help");
        Assert.Equal(0, code);
        string[] names = MethodRegistry.All().SelectMany(m => m.CommandLine.OptionsOf((MethodCommands)command)).Select(b => b.Option.Name).Distinct().ToArray();
        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.Contains($"  {name} ", output));
    }

    [Fact]
    public void PretrainRefusesAMethodOptionTheMethodDoesNotTakeAndNamesIt()
    {
        var run = CliRunner.Run(TinyPretrain("--method", "moco", "--temperature", "0.3", "--on-bad-file", "skip", "--out", _folder.Output("moco.zip")));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--temperature applies to --method simclr; found --method moco", run.Error);
    }

    [Fact]
    public void ProbeRefusesAMethodOptionTheMethodDoesNotTakeAndNamesIt()
    {
        // Refused before any data is read: the folder does not exist.
        var run = CliRunner.Run("probe", "--method", "metric", "--temperature", "0.3", "--data", _folder.Output("no-such-folder"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--temperature applies to --method simclr or supcon or moco or densecl or cmc; found --method metric", run.Error);
    }

    [Fact]
    public void PretrainStopsOnABadFileByDefaultAndNamesIt()
    {
        string model = _folder.Output("model.zip");
        var (code, _, error) = CliRunner.Run(TinyPretrain("--out", model));
        Assert.Equal(1, code);
        Assert.Contains($"'{ImageFolderFixture.BrokenFile}'", error);
        Assert.Contains("--on-bad-file skip", error);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void PretrainThenEmbedWritesOneRowPerImage()
    {
        string model = _folder.Output("model.zip"), onnx = _folder.Output("encoder.onnx"), plots = _folder.Output("plots"), csv = _folder.Output("embeddings.csv");
        var pretrain = CliRunner.Run(TinyPretrain("--on-bad-file", "skip", "--out", model, "--onnx", onnx, "--plots", plots));
        Assert.True(pretrain.ExitCode == 0, pretrain.Error);
        Assert.Contains($"skipping: '{ImageFolderFixture.BrokenFile}'", pretrain.Error);
        Assert.Contains("8 images", pretrain.Output);
        Assert.Contains("2 labelled subfolders", pretrain.Output);
        Assert.Contains("pretrained: 2 steps", pretrain.Output);
        Assert.True(new FileInfo(model).Length > 0);
        Assert.True(new FileInfo(onnx).Length > 0);
        using (MLImage loss = MLImage.CreateFromFile(Path.Combine(plots, TrainingPlots.LossCurveFile))) Assert.Equal(800, loss.Width);
        using (MLImage scatter = MLImage.CreateFromFile(Path.Combine(plots, TrainingPlots.EmbeddingsFile))) Assert.Equal(800, scatter.Width);

        // Without --on-bad-file skip, embed stops on the broken file too; with it, one row per image.
        Assert.Equal(1, CliRunner.Run("embed", "--model", model, "--images", _folder.Images, "--out", csv).ExitCode);
        var embed = CliRunner.Run("embed", "--model", model, "--images", _folder.Images, "--out", csv, "--on-bad-file", "skip");
        Assert.True(embed.ExitCode == 0, embed.Error);
        Assert.Contains("ONNX Runtime scores on the CPU.", embed.Output);
        string[] cpuLines = File.ReadAllLines(csv);

        // Asked for a GPU: where none can be used, the fallback is said and the embeddings are the CPU's; without
        // --fallback-to-cpu it is one error line naming the device. Where one can, it scores there.
        var gpu = CliRunner.Run("embed", "--model", model, "--images", _folder.Images, "--out", csv, "--on-bad-file", "skip", "--gpu-device-id", "0", "--fallback-to-cpu");
        Assert.True(gpu.ExitCode == 0, gpu.Error);
        if (CudaScoring.Available)
        {
            Assert.Contains("ONNX Runtime scores on CUDA device 0", gpu.Output);
        }
        else
        {
            Assert.Contains("ONNX Runtime scores on the CPU: CUDA device 0 was asked for but cannot be used", gpu.Output);
            Assert.Equal(cpuLines, File.ReadAllLines(csv));
            var refused = CliRunner.Run("embed", "--model", model, "--images", _folder.Images, "--out", csv, "--on-bad-file", "skip", "--gpu-device-id", "0");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("CUDA device 0", refused.Error);
        }

        string[] lines = File.ReadAllLines(csv);
        Assert.Equal(1 + 2 * ImageFolderFixture.ImagesPerLabel, lines.Length);
        int columns = lines[0].Split(',').Length;
        Assert.StartsWith("path,e0,e1,", lines[0]);
        Assert.Equal("cats/cats0.png", lines[1].Split(',')[0]);
        Assert.All(lines.Skip(1), l =>
        {
            string[] fields = l.Split(',');
            Assert.Equal(columns, fields.Length);
            Assert.All(fields.Skip(1), f => Assert.True(float.IsFinite(float.Parse(f, CultureInfo.InvariantCulture))));
        });
        Assert.DoesNotContain(lines, l => l.StartsWith(ImageFolderFixture.BrokenFile, StringComparison.Ordinal));
    }

    [Fact]
    public void PretrainReadsFashionMnistIdxFiles()
    {
        string model = _folder.Output("idx.zip"), plots = _folder.Output("idx-plots");
        var run = CliRunner.Run("pretrain", "--idx", Samples.FashionMnist.DefaultDirectory, "--limit", "16", "--width", "4", "--max-steps", "1",
                                "--batch-size", "8", "--device", "cpu", "--out", model, "--plots", plots);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("pretrained: 1 steps", run.Output);
        Assert.True(File.Exists(model));
        // IDX labels are class numbers (uint); the scatter colours by them as by folder names.
        Assert.True(File.Exists(Path.Combine(plots, TrainingPlots.EmbeddingsFile)));

        // embed reads image folders; a model trained on IDX pixels is refused with the column it lacks.
        var embed = CliRunner.Run("embed", "--model", model, "--images", _folder.Images, "--out", _folder.Output("x.csv"));
        Assert.Equal(1, embed.ExitCode);
        Assert.Contains("'ImagePath'", embed.Error);
    }

    [Fact]
    public void PretrainSupConUsesTheSubfolderLabels()
    {
        string model = _folder.Output("supcon.zip");
        var run = CliRunner.Run(TinyPretrain("--method", "supcon", "--on-bad-file", "skip", "--out", model));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("labels recorded, used by supcon", run.Output);
        Assert.Contains("pretrained: 2 steps", run.Output);
        Assert.True(new FileInfo(model).Length > 0);
    }

    [Fact]
    public void PretrainCmcOnColourImagesExportsTheLabViewSplit()
    {
        string model = _folder.Output("cmc.zip"), onnx = _folder.Output("cmc.onnx");
        var run = CliRunner.Run(TinyPretrain("--method", "cmc", "--on-bad-file", "skip", "--out", model, "--onnx", onnx));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("pretrained: 2 steps", run.Output);
        Assert.True(new FileInfo(model).Length > 0);
        // 3-channel images: the exported graph converts sRGB to Lab and splits L from ab before the two encoders.
        string graph = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(onnx));
        Assert.Contains("rgb_to_lab", graph);
        Assert.Contains("view_ab", graph);
    }

    [Fact]
    public void PretrainMoCoTrainsWithoutLabels()
    {
        string model = _folder.Output("moco.zip");
        var run = CliRunner.Run(TinyPretrain("--method", "moco", "--on-bad-file", "skip", "--out", model));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("pretrained: 2 steps", run.Output);
        Assert.True(new FileInfo(model).Length > 0);
    }

    [Fact]
    public void PretrainDenseClTrainsWithoutLabels()
    {
        string model = _folder.Output("densecl.zip");
        var run = CliRunner.Run(TinyPretrain("--method", "densecl", "--on-bad-file", "skip", "--out", model));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("pretrained: 2 steps", run.Output);
        Assert.True(new FileInfo(model).Length > 0);
    }

    [Fact]
    public void ProbeGivesMoCoAtLeastTwoImagesPerBatchNormGroup()
    {
        Assert.Equal(1, MoCoCliOptions.BatchNormGroupsFor(2));
        Assert.Equal(2, MoCoCliOptions.BatchNormGroupsFor(4));
        Assert.Equal(4, MoCoCliOptions.BatchNormGroupsFor(8));
        Assert.Equal(4, MoCoCliOptions.BatchNormGroupsFor(256));
    }

    [Fact]
    public void PretrainSupConRefusesImagesOutsideLabelledSubfolders()
    {
        File.Copy(Path.Combine(_folder.Images, "cats", "cats0.png"), Path.Combine(_folder.Images, "loose.png"));
        var run = CliRunner.Run(TinyPretrain("--method", "supcon", "--on-bad-file", "skip", "--out", _folder.Output("x.zip")));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--method supcon needs class labels", run.Error);
        Assert.Contains("1 image(s) directly in the folder", run.Error);
    }

    [Fact]
    public void PretrainMetricLearnsFromTheViewsWithoutLabels()
    {
        string model = _folder.Output("metric.zip");
        var run = CliRunner.Run(TinyPretrain("--method", "metric", "--on-bad-file", "skip", "--out", model));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("labels recorded, unused by metric", run.Output);
        Assert.Contains("pretrained: 2 steps", run.Output);
        Assert.True(new FileInfo(model).Length > 0);
    }

    [Theory]
    [InlineData("error: Give exactly one of --images DIR or --idx DIR; found neither", "pretrain", "--out", "m.zip")]
    [InlineData("--size must be HEIGHTxWIDTH", "pretrain", "--images", ".", "--size", "32", "--out", "m.zip")]
    [InlineData("--channels must be 1 or 3; found 2", "pretrain", "--images", ".", "--channels", "2", "--out", "m.zip")]
    [InlineData("--model: file 'missing.zip' was not found", "embed", "--model", "missing.zip", "--images", ".", "--out", "e.csv")]
    public void BadOptionsAreNamed(string expected, params string[] args)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void EmbedNamesAModelFileThatIsNotAModelZipInOneLine()
    {
        string bad = _folder.Output("not-a-model.zip");
        File.WriteAllText(bad, "not a zip");
        var (code, _, error) = CliRunner.Run("embed", "--model", bad, "--images", _folder.Images, "--out", _folder.Output("e.csv"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("not a readable ML.NET model zip", error);
        Assert.DoesNotContain("   at ", error); // no stack trace
    }

    [Fact]
    public void ProbeNamesBaselinesOfOtherDataInOneLineBeforeTraining()
    {
        // Baselines measured on 10,000 test images do not apply to a run on 8.
        string earlier = _folder.Output("earlier.json");
        File.WriteAllText(earlier, """{"method":"simclr","encoder":"CompactCnn","width":4,"pooling":"Grid3x3","seed":1,"trainRows":16,"testRows":10000,"rawPixelAccuracy":0.8,"randomEncoderAccuracy":0.85}""");
        var (code, output, error) = CliRunner.Run("probe", "--train-limit", "16", "--test-limit", "8", "--width", "4", "--minutes", "0.1",
                                                  "--device", "cpu", "--baselines-from", earlier);
        Assert.Equal(1, code);
        Assert.StartsWith("error: --baselines-from: ", error);
        Assert.Contains("testRows = 10000, this run has testRows = 8", error);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("pretraining simclr", output); // refused before any training
    }

    [Fact]
    public void ProbeExportsTheEncoderAndTheProbeAsOneOnnxClassifierThatScoresAsThePipelineDid()
    {
        string path = _folder.Output("classifier.onnx");
        var (code, output, error) = CliRunner.Run("probe", "--train-limit", "200", "--test-limit", "100", "--width", "4", "--epochs", "1", "--batch-size", "50",
                                                  "--device", "cpu", "--export-classifier", path);
        Assert.True(code == 0, error);
        Assert.Contains($"saved the encoder and the linear probe as one ONNX classifier: {path}", output);
        // The pipeline's test accuracy as the probe printed it, e.g. "linear probe on simclr CompactCnn embeddings: test accuracy 43.00% (...".
        string line = output.Split('\n').Single(l => l.StartsWith("linear probe on simclr", StringComparison.Ordinal));
        double printed = double.Parse(line.Split("test accuracy ")[1].Split('%')[0], CultureInfo.InvariantCulture) / 100;

        // The ONNX classifier on the same 100 test images, outside ML.NET: the same accuracy, to the image.
        var ml = new Microsoft.ML.MLContext(1);
        FashionMnistImage[] test = ml.Data.CreateEnumerable<FashionMnistImage>(FashionMnist.Load(ml, train: false, FashionMnist.DefaultDirectory, 100), reuseRowObject: false).ToArray();
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        string[] labels = System.Text.Json.JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap[ContrastiveML.Onnx.OnnxClassifierHead.LabelsKey])!;
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)), labels.Order());
        using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(test.SelectMany(t => t.Pixels).ToArray(), new long[] { test.Length, 784 });
        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var results = session.Run(runOptions, new Dictionary<string, Microsoft.ML.OnnxRuntime.OrtValue> { [session.InputMetadata.Keys.Single()] = input }, new[] { "PredictedIndex" });
        long[] predicted = results[0].GetTensorDataAsSpan<long>().ToArray();
        double accuracy = test.Where((t, i) => labels[predicted[i]] == t.Label.ToString(CultureInfo.InvariantCulture)).Count() / (double)test.Length;
        Assert.Equal(printed, accuracy, 4);
    }
}
