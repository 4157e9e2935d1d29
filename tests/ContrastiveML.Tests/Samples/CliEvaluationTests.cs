using System.Text.Json;
using ContrastiveML.Samples;
using ContrastiveML.Samples.Pretraining;
using ContrastiveML.Samples.Images;
using ContrastiveML.Samples.Plots;

namespace ContrastiveML.Tests;

/// <summary>pretrain's evaluation on the command line: what is held out, what is printed, the JSON report and the picture.</summary>
public sealed class CliEvaluationTests : IDisposable
{
    private readonly ImageFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    private string[] Pretrain(params string[] extra) => new[]
    {
        "pretrain", "--images", _folder.Images, "--on-bad-file", "skip", "--size", "12x12", "--width", "4", "--max-steps", "2",
        "--device", "cpu", "--seed", "3", "--out", _folder.Output("m.zip"),
    }.Concat(extra).ToArray();

    [Fact]
    public void Labelled_eval_images_give_knn_against_both_references_in_output_json_and_plot()
    {
        string json = _folder.Output("report.json"), plots = _folder.Output("plots");
        var run = CliRunner.Run(Pretrain("--eval-images", _folder.Images, "--json", json, "--plots", plots));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("evaluating on 8 images", run.Output);
        Assert.Contains("(labelled by subfolder)", run.Output);
        Assert.Contains("kNN: k = 5, cosine similarity", run.Output);
        Assert.Matches(@"raw pixels: +kNN \d+\.\d%, linear \d+\.\d%", run.Output);
        Assert.Matches(@"random init: +kNN \d+\.\d%", run.Output);
        Assert.Matches(@"pretrained: +kNN \d+\.\d%", run.Output);
        Assert.Matches(@"evaluation took \d+\.\d s \(\d+\.\d% of", run.Output);
        Assert.True(File.Exists(Path.Combine(plots, EvaluationPlot.FileName)));

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement evaluation = document.RootElement.GetProperty("evaluation");
        Assert.True(evaluation.GetProperty("hasLabels").GetBoolean());
        Assert.Equal(5, evaluation.GetProperty("neighbors").GetInt32());
        Assert.Equal(0, evaluation.GetProperty("randomInit").GetProperty("step").GetInt64());
        Assert.Equal(2, evaluation.GetProperty("final").GetProperty("step").GetInt64());
        Assert.InRange(evaluation.GetProperty("pixels").GetProperty("knnAccuracy").GetDouble(), 0, 1);
        Assert.Contains(document.RootElement.GetProperty("choices").EnumerateArray(), c => c.GetString()!.StartsWith("channels = 3 (the images have colour)"));
    }

    [Fact]
    public void Unlabelled_evaluation_reports_label_free_measures_and_says_accuracy_needs_labels()
    {
        // 4 images per class are too few to hold one in ten out: the training images are evaluated without labels.
        var run = CliRunner.Run(Pretrain());
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("too few images to hold out", run.Output);
        Assert.Contains("no labels, so no accuracy", run.Output);
        Assert.Matches(@"pretrained: +alignment \d+\.\d+, uniformity -?\d+\.\d+, effective rank \d+\.\d", run.Output);
        Assert.DoesNotMatch(@"kNN \d", run.Output); // no accuracy figure (the defaults' reasons may name kNN)
    }

    [Fact]
    public void No_eval_evaluates_nothing_and_contradicting_options_are_refused()
    {
        var run = CliRunner.Run(Pretrain("--no-eval"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.DoesNotContain("evaluation on", run.Output);
        var both = CliRunner.Run(Pretrain("--no-eval", "--eval-images", _folder.Images));
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("--no-eval and --eval-images contradict each other", both.Error);
    }

    [Fact]
    public void Labelled_folders_hold_out_one_image_in_ten_per_class_never_trained_on()
    {
        var files = Enumerable.Range(0, 40).Select(i => new ImageFile($"/x/{(i < 20 ? "a" : "b")}/{i}.png", $"{i}", i < 20 ? "a" : "b")).ToList();
        HeldOutSplit split = HeldOutSplit.Choose(files, labelled: true, evalImages: null, noEval: false, BadFilePolicy.Fail, TextWriter.Null);
        // Fewer than MinimumHeldOut (4 < 10): nothing is held out; the training images are evaluated without labels.
        Assert.Equal(40, split.Training.Count);
        Assert.False(split.HeldOutLabelled);
        var many = Enumerable.Range(0, 200).Select(i => new ImageFile($"/x/{i % 2}/{i}.png", $"{i}", i % 2 == 0 ? "a" : "b")).ToList();
        HeldOutSplit big = HeldOutSplit.Choose(many, labelled: true, evalImages: null, noEval: false, BadFilePolicy.Fail, TextWriter.Null);
        Assert.True(big.HeldOutLabelled);
        Assert.Equal(20, big.HeldOut!.Count);
        Assert.Equal(180, big.Training.Count);
        Assert.Empty(big.HeldOut.Intersect(big.Training));
        Assert.Equal(10, big.HeldOut.Count(f => f.Label == "a"));
    }

    [Fact]
    public void Gray_content_is_recognised_whatever_the_pixel_layout()
    {
        Assert.True(ImageFolder.IsGray(new byte[] { 7, 7, 7, 255, 0, 0, 0, 255 }));
        Assert.False(ImageFolder.IsGray(new byte[] { 7, 7, 7, 255, 0, 1, 0, 255 }));
    }
}
