using ContrastiveML.Onnx;
using Microsoft.ML;

namespace ContrastiveML.Scoring;

/// <summary>
/// ML.NET's own ONNX scorer (<c>ApplyOnnxModel</c>) over an exported encoder, on a device already settled by
/// <see cref="OnnxScoringSession.Create(byte[], OnnxScoringDevice, out OnnxScoringDevice, Action{string}?, int)"/>.
/// </summary>
internal static class StockOnnxScorer
{
    /// <summary>
    /// Fits the stock scorer of <paramref name="outputs"/> from <paramref name="input"/> on <paramref name="device"/>. For
    /// the CPU it is built in a context with no GPU settings when <paramref name="ml"/> has some: ApplyOnnxModel replaces a
    /// null device with the context's GpuDeviceId, and would try a device that was already found unusable (with the
    /// CPU-only ONNX Runtime it fails then with EntryPointNotFoundException, whatever FallbackToCpu says).
    /// </summary>
    public static ITransformer Fit(MLContext ml, byte[] onnx, string[] outputs, string input, OnnxScoringDevice device, IDataView data)
    {
        MLContext context = device.GpuDeviceId is null && ml.GpuDeviceId is not null ? new MLContext(seed: 0) : ml;
        using var stream = new MemoryStream(onnx);
        return context.Transforms.ApplyOnnxModel(outputs, new[] { input }, stream, device.GpuDeviceId, device.FallbackToCpu).Fit(data);
    }
}
