using ContrastiveML.Encoders;
using ContrastiveML.Optimization;
using ContrastiveML.Training;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// <see cref="CheckpointManager"/>: a checkpoint is written when due or new and resumes into the position and weights it recorded, and one written with
/// other options is refused with an error that names the option and both values.
/// </summary>
public sealed class CheckpointManagerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "checkpoint-manager-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private SimClrOptions Options(double learningRate = 0.01)
    {
        SimClrOptions options = TinyFits.Options();
        options.LearningRate = learningRate;
        options.CheckpointDirectory = _directory;
        options.CheckpointEverySteps = 2;
        return options;
    }

    /// <summary>A manager over a fresh scripted method, optimiser and generator; the caller disposes the three.</summary>
    private static (CheckpointManager Manager, ScriptedMethod Method, TrainingOptimizer Optimizer, Generator Generator) Create(SimClrOptions options)
    {
        manual_seed(1);
        var method = new ScriptedMethod(EncoderFactory.Create(EncoderKind.CompactCnn, TinyFits.Shape, 4));
        TrainingOptimizer optimizer = TrainingOptimizer.Create(options, method.TrainableParameters());
        var generator = new Generator(1);
        return (new CheckpointManager(options, method, optimizer, generator, "CompactCnn", batchSize: 16, seed: 7, rows: 64), method, optimizer, generator);
    }

    private static TrainingPosition ThreeSteps()
    {
        var position = new TrainingPosition();
        for (int batch = 1; batch <= 3; batch++) position.StepDone(epoch: 1, batch, images: 16, loss: 1.0 / batch);
        return position;
    }

    [Fact]
    public void ACheckpointResumesTheRecordedPosition()
    {
        var (writer, method, optimizer, generator) = Create(Options());
        using (method.Encoder)
        using (optimizer)
        using (generator)
        {
            using (no_grad()) method.Encoder.parameters().First().fill_(0.5);
            Assert.Null(writer.Find());
            Assert.Null(writer.WriteIfNew(new TrainingPosition(), TimeSpan.Zero));
            writer.WriteIfDue(ThreeSteps(), TimeSpan.FromSeconds(5));
            Assert.Null(writer.Find()); // step 3 is not a multiple of CheckpointEverySteps = 2
            Assert.Equal(writer.Path, writer.WriteIfNew(ThreeSteps(), TimeSpan.FromSeconds(5)));
        }

        var (reader, method2, optimizer2, generator2) = Create(Options());
        using (method2.Encoder)
        using (optimizer2)
        using (generator2)
        {
            TrainingCheckpoint checkpoint = reader.Find()!;
            TrainingPosition position = reader.Resume(checkpoint);
            Assert.Equal((3L, 1, 3, 48L), (position.Step, position.Epoch, position.BatchesInEpoch, position.ImagesSeen));
            Assert.Equal(5.0, checkpoint.TrainingSeconds);
            Assert.All(method2.Encoder.parameters().First().data<float>().ToArray(), value => Assert.Equal(0.5f, value));
        }
    }

    [Fact]
    public void ACheckpointWrittenWithOtherOptionsIsRefusedNamingTheOption()
    {
        var (writer, method, optimizer, generator) = Create(Options(learningRate: 0.01));
        using (method.Encoder)
        using (optimizer)
        using (generator)
        {
            writer.WriteIfNew(ThreeSteps(), TimeSpan.FromSeconds(5));
        }

        var (reader, method2, optimizer2, generator2) = Create(Options(learningRate: 0.02));
        using (method2.Encoder)
        using (optimizer2)
        using (generator2)
        {
            var error = Assert.Throws<InvalidOperationException>(() => reader.Resume(reader.Find()!));
            Assert.Contains("it was written with LearningRate = 0.01, but this Fit has LearningRate = 0.02", error.Message);
            Assert.Contains(reader.Path!, error.Message);
        }
    }
}
