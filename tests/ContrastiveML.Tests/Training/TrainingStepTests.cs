using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Optimization;
using ContrastiveML.Training;
using Microsoft.ML;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// <see cref="TrainingStep"/>, the step Fit and the benchmark share: it tells a probe each phase in order, with every
/// method reporting where its views are made, and it refuses a non-finite loss without applying the step.
/// </summary>
public class TrainingStepTests
{
    private sealed class RecordingProbe : ITrainingStepProbe
    {
        public List<TrainingStepPhase> Phases { get; } = new();

        public void Reached(TrainingStepPhase phase) => Phases.Add(phase);
    }

    public static TheoryData<EstimatorCase> Estimators => EstimatorTestKit.Cases();

    [Theory]
    [MemberData(nameof(Estimators))]
    public void EveryMethodsStepMarksEachPhaseOnceInOrder(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        using TrainingSetup setup = ((ITrainingSetupSource)estimator.Create(ml)).PrepareTraining(EstimatorTestKit.UIntData(ml, 32), seed: 1);
        ContrastiveEncoderOptions options = setup.Options;
        setup.Method.SetTraining(true);
        using TrainingOptimizer optimizer = TrainingOptimizer.Create(options, setup.Method.TrainableParameters());
        using var generator = new Generator(1, setup.Device);
        using var normalization = new TrainingNormalization(setup.Normalization, setup.Device);
        using var step = new TrainingStep(setup.Method, optimizer, normalization.Apply, generator, setup.Device, options.RequiredImageShape,
                                          normalization.Scale, options.LearningRate);
        PixelBatch batch = setup.Reader.ReadEpoch(setup.BatchSize, new Random(1)).First();
        var probe = new RecordingProbe();

        double loss = step.Run(batch, options.LearningRate, step: 1, epoch: 1, probe);

        Assert.True(double.IsFinite(loss), $"loss {loss}");
        Assert.Equal(new[]
        {
            TrainingStepPhase.BatchOnDevice, TrainingStepPhase.ViewsMade, TrainingStepPhase.ForwardBackwardDone, TrainingStepPhase.OptimizerStepDone,
        }, probe.Phases);
    }

    [Fact]
    public void ANonFiniteLossStopsTheStepBeforeTheUpdateNamingWhereAndTheUsualFixes()
    {
        manual_seed(1);
        using var method = new ScriptedMethod(EncoderFactory.Create(EncoderKind.CompactCnn, TinyFits.Shape, 4)) { NaNFromStep = 1 };
        float[][] before = method.Encoder.parameters().Select(p => p.data<float>().ToArray()).ToArray();
        using TrainingOptimizer optimizer = TrainingOptimizer.Create(OptimizerKind.AdamW, method.TrainableParameters(), learningRate: 0.01, weightDecay: 0);
        using var generator = new Generator(1);
        using var step = new TrainingStep(method, optimizer, x => x, generator, CPU, TinyFits.Shape, pixelScale: 1f / 255, configuredLearningRate: 0.01);
        var batch = new PixelBatch(TinyFits.Rows(4).SelectMany(r => r.Pixels).ToArray(), 4);

        var error = Assert.Throws<InvalidOperationException>(() => step.Run(batch, learningRate: 0.005, step: 7, epoch: 2));

        // Formatted in the current culture, as the message is.
        Assert.Equal($"Scripted training diverged: the loss became {double.NaN} at step 7 (epoch 2). Nothing was exported. Usual fixes: lower LearningRate " +
                     $"(now {0.01}), raise the temperature, use a longer warm-up (WarmupFraction), or check the input pixels' scale (PixelScale).", error.Message);
        Assert.Equal(0, method.CompletedSteps);
        float[][] after = method.Encoder.parameters().Select(p => p.data<float>().ToArray()).ToArray();
        Assert.Equal(before, after);
    }
}
