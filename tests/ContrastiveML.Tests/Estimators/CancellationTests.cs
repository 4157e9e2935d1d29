using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// A cancelled <see cref="ContrastiveEncoderOptions.CancellationToken"/> stops Fit within one training step with an
/// <see cref="OperationCanceledException"/>, and nothing is exported; SaveOnnx never leaves a partial file.
/// </summary>
public class CancellationTests
{
    [Fact]
    public void TrainerStopsBeforeTheStepAfterTheCancellation()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 64);
        using var source = new CancellationTokenSource();
        SimClrOptions options = TinyFits.Options(maxSteps: 100);
        PixelStatistics statistics = PixelStatistics.Scan(data, "Pixels", TinyFits.Shape, options.PixelScale);
        manual_seed(1);
        using var method = new ScriptedMethod(EncoderFactory.Create(EncoderKind.CompactCnn, TinyFits.Shape, 4))
        {
            OnStep = step => { if (step == 3) source.Cancel(); },
        };
        var trainer = new ContrastiveTrainer(options, _ => { }, source.Token.ThrowIfCancellationRequested);

        var error = Assert.ThrowsAny<OperationCanceledException>(() =>
            trainer.Train(method, new PixelBatchReader(data, "Pixels", 64, 100), statistics,
                          InputNormalization.For(options.PixelScale, statistics, readsUnitPixels: false), 8, CPU, seed: 1, "CompactCnn"));
        Assert.Equal(source.Token, error.CancellationToken);
        Assert.Equal(3, method.Steps); // the step in flight finishes; the next one does not start
    }

    [Fact]
    public void ATokenCancelledFromAnotherThreadStopsFitWithinOneStepAndExportsNothing()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        using var source = new CancellationTokenSource();
        using var reached = new ManualResetEventSlim();
        using var canceled = new ManualResetEventSlim();
        var canceller = new Thread(() =>
        {
            reached.Wait();
            source.Cancel();
            canceled.Set();
        });
        canceller.Start();
        SimClrOptions options = TinyFits.Options(maxSteps: 100);
        options.CancellationToken = source.Token;
        // Step 3 waits until the other thread has cancelled, so the test knows exactly when the cancellation happened.
        var estimator = new ScriptedEstimator(ml, options, encoder => new ScriptedMethod(encoder)
        {
            OnStep = step => { if (step == 3) { reached.Set(); canceled.Wait(); } },
        });

        var error = Assert.ThrowsAny<OperationCanceledException>(() => estimator.Fit(TinyFits.Data(ml, 64)));
        canceller.Join();
        Assert.Equal(source.Token, error.CancellationToken);
        Assert.Equal(3, estimator.Method!.Steps);
        // Without a checkpoint directory the exception says where training stopped and that nothing was saved.
        var stopped = Assert.IsType<TrainingCanceledException>(error);
        Assert.Equal(3, stopped.Step);
        Assert.Null(stopped.CheckpointPath);
        Assert.Contains("after step 3 of 100", stopped.Message);
        lock (messages) Assert.DoesNotContain(messages, m => m.Contains("exported", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void AnAlreadyCancelledTokenStopsFitBeforeTraining()
    {
        var ml = new MLContext(1);
        SimClrOptions options = TinyFits.Options();
        options.CancellationToken = new CancellationToken(canceled: true);
        var estimator = new ScriptedEstimator(ml, options, encoder => new ScriptedMethod(encoder));
        Assert.ThrowsAny<OperationCanceledException>(() => estimator.Fit(TinyFits.Data(ml, 16)));
        Assert.Null(estimator.Method);
    }

    [Fact]
    public void SaveOnnxReplacesTheFileWholeAndLeavesNoTemporaryFile()
    {
        var ml = new MLContext(1);
        ContrastiveEncoderTransformer model = ml.Transforms.SimClr(TinyFits.Options(maxSteps: 0)).Fit(TinyFits.Data(ml, 4));
        string directory = Directory.CreateTempSubdirectory("contrastiveml-onnx-").FullName;
        try
        {
            string path = Path.Combine(directory, "encoder.onnx");
            File.WriteAllText(path, "an older file");
            model.SaveOnnx(path);
            Assert.Equal(model.GetOnnxModel(), File.ReadAllBytes(path));
            Assert.Equal(new[] { path }, Directory.GetFiles(directory));

            // A destination that cannot be replaced (a directory) fails, and the temporary file is removed.
            string blocked = Path.Combine(directory, "blocked.onnx");
            Directory.CreateDirectory(blocked);
            Assert.ThrowsAny<IOException>(() => model.SaveOnnx(blocked));
            Assert.Equal(new[] { path }, Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
