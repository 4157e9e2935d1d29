using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// A theory that runs only where TorchSharp sees a CUDA device (a build with <c>-p:ContrastiveBackend=cuda</c> on a
/// machine with an NVIDIA GPU); elsewhere the runner reports it skipped, with the reason, rather than passing it.
/// </summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute()
    {
        if (!TorchSharp.torch.cuda.is_available())
            Skip = "TorchSharp sees no CUDA device (the CPU backend, or no NVIDIA GPU): build with -p:ContrastiveBackend=cuda on a GPU machine to run it.";
    }
}

/// <summary>
/// Every estimator trained on CUDA: the fit runs on the GPU, the exported ONNX encoder (scored on the CPU) matches the
/// TorchSharp encoder within the parity tolerance, and the model zip round-trips.
/// </summary>
public class CudaTests
{
    public static TheoryData<EstimatorCase> Estimators => EstimatorTestKit.Cases();

    [CudaTheory]
    [MemberData(nameof(Estimators))]
    public void EveryEstimatorTrainsOnCudaAndExportsWithParity(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        IDataView data = ml.Data.LoadFromEnumerable(EstimatorTestKit.LabelledRows(24));
        ContrastiveEncoderTransformer model = estimator.Create(ml, o => o.Device = TrainingDevice.Cuda).Fit(data);

        Assert.StartsWith("cuda", model.Report.Device, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(model.Report.OnnxParityMaxAbsDifference, 0, estimator.Options().ParityTolerance);
        float[][] before = TinyFits.Embeddings(ml, model.Transform(data));
        Assert.All(before.SelectMany(e => e), v => Assert.True(float.IsFinite(v)));

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = ContrastiveModel.Load(new MLContext(2), stream, out _);
        Assert.Equal(before, TinyFits.Embeddings(ml, loaded.Transform(data)));
    }
}
