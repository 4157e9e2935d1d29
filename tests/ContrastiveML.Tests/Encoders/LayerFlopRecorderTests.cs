using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// The FLOPs of a real training step, counted on the layers that ran, against counts made independently: the encoder's
/// own forward count (FlopCounter, itself checked by hand) times the images it saw, plus the heads' Linear layers by hand.
/// </summary>
public class LayerFlopRecorderTests
{
    private const int Batch = 8;

    private static IDataView Data(MLContext ml) =>
        EstimatorTestKit.UIntData(ml, 32, i => (uint)(i % 4));

    /// <summary>Runs one step's loss and backward of what Fit would train, with the recorder attached.</summary>
    private static (LayerFlopRecorder Recorder, long EncoderForward, int EmbeddingDim) Step(IEstimator<ContrastiveEncoderTransformer> estimator)
    {
        var ml = new MLContext(1);
        using TrainingSetup setup = ((ITrainingSetupSource)estimator).PrepareTraining(Data(ml), seed: 1);
        long encoderForward = FlopCounter.CountForward(setup.Encoder);
        setup.Method.SetTraining(true);
        ContrastiveML.Data.PixelBatch batch = setup.Reader.ReadEpoch(Batch, new Random(1)).First();
        using var generator = new TorchSharp.torch.Generator(1);
        using var scope = NewDisposeScope();
        Tensor images = TrainingStep.BatchToTensor(batch, TinyFits.Shape, CPU).div(255f);
        var recorder = new LayerFlopRecorder(setup.Method.Modules());
        using (recorder)
        {
            Tensor loss = setup.Method.ComputeLoss(new ContrastiveBatch(images, TrainingStep.LabelsToTensor(batch, CPU), x => x, generator));
            loss.backward();
        }
        Assert.Equal(0, recorder.SilentLayers);
        return (recorder, encoderForward, setup.Encoder.EmbeddingDim);
    }

    /// <summary>Linear(in, out) with bias on one row: 2·in·out multiply-adds plus out bias additions.</summary>
    private static long Linear(long inputs, long outputs) => 2 * inputs * outputs + outputs;

    private static T Tiny<T>(T options) where T : ContrastiveEncoderOptions
    {
        options.InputColumnName = "Pixels";
        options.OutputColumnName = "Embedding";
        options.ImageShape = TinyFits.Shape;
        options.EncoderWidth = 4;
        options.BatchSize = Batch;
        options.Device = TrainingDevice.Cpu;
        return options;
    }

    [Fact]
    public void SimClrStepIsTwoViewsThroughEncoderAndHead()
    {
        var ml = new MLContext(1);
        var (recorder, encoder, dim) = Step(ml.Transforms.SimClr(Tiny(new SimClrOptions { ProjectionDim = 8, ProjectionHiddenDim = 16 })));

        long perImage = encoder + Linear(dim, 16) + Linear(16, 8);
        Assert.Equal(2 * Batch * perImage, recorder.ForwardWithGradient);
        Assert.Equal(0, recorder.ForwardWithoutGradient);
        Assert.Equal(3 * 2 * Batch * perImage, recorder.TrainingFlops);
    }

    [Fact]
    public void MoCoKeyEncoderIsForwardOnly()
    {
        var ml = new MLContext(1);
        var (recorder, encoder, dim) = Step(ml.Transforms.MoCo(Tiny(new MoCoOptions { ProjectionDim = 8, ProjectionHiddenDim = 16, QueueSize = 16, ShuffleBatchNormGroups = 2 })));

        // One query view through the query encoder and head (backward follows), one key view through their momentum
        // copies under no_grad, in shuffled BatchNorm groups that together see the whole batch.
        long perImage = encoder + Linear(dim, 16) + Linear(16, 8);
        Assert.Equal(Batch * perImage, recorder.ForwardWithGradient);
        Assert.Equal(Batch * perImage, recorder.ForwardWithoutGradient);
        Assert.Equal(4 * Batch * perImage, recorder.TrainingFlops);
    }

    [Fact]
    public void CrossEntropyStepIsOneViewAndTheClassifier()
    {
        var ml = new MLContext(1);
        var (recorder, encoder, dim) = Step(ml.Transforms.SupervisedPretraining(Tiny(new SupervisedPretrainingOptions { LabelColumnName = "Label" })));

        // Four classes in the data: the linear classifier is sized from the label scan.
        Assert.Equal(Batch * (encoder + Linear(dim, 4)), recorder.ForwardWithGradient);
        Assert.Equal(0, recorder.ForwardWithoutGradient);
    }

    [Fact]
    public void LayersThatDidNotRunAreReported()
    {
        using var used = TorchSharp.torch.nn.Linear(4, 3);
        using var unused = TorchSharp.torch.nn.Linear(4, 3);
        using var recorder = new LayerFlopRecorder(new TorchSharp.torch.nn.Module[] { used, unused, used });
        using (no_grad()) used.call(ones(5, 4));

        Assert.Equal(2, recorder.Layers); // each layer hooked once, however often it is listed
        Assert.Equal(1, recorder.SilentLayers);
        Assert.Equal(5 * Linear(4, 3), recorder.ForwardWithoutGradient);
        Assert.Equal(0, recorder.ForwardWithGradient);
    }
}
