using ContrastiveML.Samples;
using ContrastiveML.Training;

namespace ContrastiveML.Tests;

/// <summary>
/// The command line's checkpoint options and the cross-entropy method, run in process (fast); the SIGKILL and Ctrl+C
/// of a real child process are in <see cref="ProcessKillTests"/>.
/// </summary>
public sealed class CliCheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("contrastiveml-cli-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string[] TinyIdx(params string[] extra) => new[]
    {
        "pretrain", "--idx", FashionMnist.DefaultDirectory, "--limit", "32", "--width", "4", "--max-steps", "3", "--batch-size", "8",
        "--device", "cpu", "--seed", "3",
    }.Concat(extra).ToArray();

    [Theory]
    [InlineData("pretrain")]
    [InlineData("probe")]
    public void PretrainAndProbeDescribeTheCheckpointOptions(string verb)
    {
        var (code, output, _) = CliRunner.Run(verb, "--help");
        Assert.Equal(0, code);
        Assert.Contains("--checkpoint-dir", output);
        Assert.Contains("--checkpoint-every", output);
        Assert.Contains("crossentropy", output);
    }

    [Fact]
    public void ARunStartedAgainOverItsCheckpointDirectoryResumesAndSaysSo()
    {
        string checkpoints = Path.Combine(_directory, "checkpoints");
        var first = CliRunner.Run(TinyIdx("--out", Path.Combine(_directory, "first.zip"), "--checkpoint-dir", checkpoints, "--checkpoint-every", "2"));
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.DoesNotContain("resumed", first.Output);
        Assert.Equal(3, TrainingCheckpoint.Read(Path.Combine(checkpoints, TrainingCheckpoint.FileName)).Step);

        // The checkpoint of a finished run holds its last step: the second run trains nothing more and only exports.
        var second = CliRunner.Run(TinyIdx("--out", Path.Combine(_directory, "second.zip"), "--checkpoint-dir", checkpoints, "--checkpoint-every", "2"));
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains($"resumed from the checkpoint in '{checkpoints}' at step 3", second.Output);
        Assert.Contains("pretrained: 3 steps", second.Output);

        // Other options than the checkpoint's: refused, naming the option.
        var changed = CliRunner.Run(TinyIdx("--out", Path.Combine(_directory, "third.zip"), "--checkpoint-dir", checkpoints, "--lr", "0.01"));
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("LearningRate", changed.Error);
    }

    [Fact]
    public void CheckpointEveryMustBePositive()
    {
        var run = CliRunner.Run(TinyIdx("--out", Path.Combine(_directory, "x.zip"), "--checkpoint-dir", _directory, "--checkpoint-every", "0"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--checkpoint-every must be at least 1; found 0", run.Error);
    }

    [Fact]
    public void PretrainCrossEntropyTrainsOnTheIdxLabels()
    {
        string model = Path.Combine(_directory, "ce.zip");
        var run = CliRunner.Run(TinyIdx("--method", "crossentropy", "--out", model));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("pretraining crossentropy", run.Output);
        Assert.Contains("pretrained: 3 steps", run.Output);
        Assert.True(File.Exists(model));
    }

    [Fact]
    public void TheInterruptMessageSaysHowToResume()
    {
        var inner = new OperationCanceledException();
        string withCheckpoint = ConsoleInterrupt.Describe(new TrainingCanceledException("SimCLR", 7, 20, "/data/ck/contrastive-checkpoint.bin", inner), "/data/ck");
        Assert.Equal("interrupted after training step 7 of 20; the checkpoint '/data/ck/contrastive-checkpoint.bin' holds that step. " +
                     "Run the same command again (same options, --checkpoint-dir /data/ck) to resume from it.", withCheckpoint);
        string without = ConsoleInterrupt.Describe(new TrainingCanceledException("SimCLR", 7, 20, null, inner), null);
        Assert.Equal("interrupted after training step 7 of 20; nothing was saved. Give --checkpoint-dir DIR to make a run resumable.", without);
        Assert.Equal("interrupted outside the training steps; no model was saved.", ConsoleInterrupt.Describe(inner, null));
    }
}
