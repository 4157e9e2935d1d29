using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>A loss that becomes NaN stops training at that step with an error that names the step and the usual fixes.</summary>
public class NonFiniteLossTests
{
    [Fact]
    public void TrainerStopsAtTheStepWhoseLossIsNaN()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 64);
        SimClrOptions options = TinyFits.Options(maxSteps: 10);
        PixelStatistics statistics = PixelStatistics.Scan(data, "Pixels", TinyFits.Shape, options.PixelScale);
        manual_seed(1);
        using var method = new ScriptedMethod(EncoderFactory.Create(EncoderKind.CompactCnn, TinyFits.Shape, 4)) { NaNFromStep = 3 };
        var trainer = new ContrastiveTrainer(options, _ => { }, () => { });

        var error = Assert.Throws<InvalidOperationException>(() =>
            trainer.Train(method, new PixelBatchReader(data, "Pixels", 64, 100), statistics,
                          InputNormalization.For(options.PixelScale, statistics, readsUnitPixels: false), 16, CPU, seed: 1, "CompactCnn"));
        Assert.Contains("step 3", error.Message);
        Assert.Contains("NaN", error.Message);
        Assert.Contains("LearningRate", error.Message);
        Assert.Contains("Nothing was exported", error.Message);
        // The NaN step is not applied: the weights keep the values of step 2.
        Assert.Equal(2, method.CompletedSteps);
        Assert.All(method.Encoder.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
    }

    [Fact]
    public void FitFailsWithoutExportingWhenTheLossDiverges()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var estimator = new ScriptedEstimator(ml, TinyFits.Options(maxSteps: 10), encoder => new ScriptedMethod(encoder) { NaNFromStep = 3 });

        var error = Assert.Throws<InvalidOperationException>(() => estimator.Fit(TinyFits.Data(ml, 64)));
        Assert.Contains("step 3", error.Message);
        Assert.Equal(3, estimator.Method!.Steps);
        lock (messages) Assert.DoesNotContain(messages, m => m.Contains("exported", StringComparison.OrdinalIgnoreCase));
    }
}
