using TorchSharp;
using static TorchSharp.torch;
using Conv2dModule = TorchSharp.Modules.Conv2d;
using LinearModule = TorchSharp.Modules.Linear;

namespace ContrastiveML.Encoders;

/// <summary>
/// Counts the floating-point operations of one forward pass of a module, layer by layer, from the shapes a real
/// forward produces (forward hooks on every Conv2d and Linear, one input of batch 1 under no_grad).
/// </summary>
/// <remarks>
/// Counted, with a multiply-add as 2 FLOPs: Conv2d 2*Cin*Cout*k*k*Hout*Wout/groups (the weight's element count
/// times 2*Hout*Wout), plus Cout*Hout*Wout for a bias; Linear 2*in*out per row, plus out for a bias. Ignored:
/// BatchNorm, ReLU, pooling, residual additions and flattening, which are elementwise or cheaper and together
/// come to a few percent of a convolutional network's count. The backward pass is taken as twice the forward,
/// the usual rule, so a training step costs about 3x the forward count per image.
/// </remarks>
public static class FlopCounter
{
    /// <summary>FLOPs of one forward pass of <paramref name="module"/> on one input of shape <paramref name="inputShape"/> (without the batch dimension).</summary>
    /// <param name="module">The module; its train/eval mode is restored afterwards and its weights are not changed.</param>
    /// <param name="inputShape">The shape of one input, e.g. {1, 28, 28} for a grayscale image.</param>
    public static long CountForward(nn.Module<Tensor, Tensor> module, params long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputShape);
        bool wasTraining = module.training;
        Device device = module.parameters().FirstOrDefault()?.device ?? CPU;
        using var recorder = new LayerFlopRecorder(new nn.Module[] { module });
        try
        {
            module.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            module.call(zeros(new long[] { 1 }.Concat(inputShape).ToArray(), device: device));
        }
        finally
        {
            module.train(wasTraining);
        }
        if (recorder.SilentLayers > 0)
        {
            // A parent that calls a layer's forward() directly skips its hooks; an undercount must not pass silently.
            throw new InvalidOperationException(
                $"{recorder.SilentLayers} Conv2d/Linear layer(s) of {module.GetName()} ran no forward hook (called through forward() rather than call(), or unused); " +
                "their FLOPs cannot be counted.");
        }
        return recorder.ForwardWithoutGradient;
    }

    /// <summary>
    /// FLOPs of one forward of a Conv2d or Linear layer that produced <paramref name="output"/> (see the remarks of
    /// <see cref="FlopCounter"/>); 0 for any other module.
    /// </summary>
    internal static long LayerFlops(nn.Module layer, Tensor output)
    {
        switch (layer)
        {
            case Conv2dModule conv:
                long spatial = output.shape[2] * output.shape[3];
                return output.shape[0] * (2 * conv.weight!.numel() * spatial + (conv.bias is null ? 0 : output.shape[1] * spatial));
            case LinearModule linear:
                long rows = output.numel() / output.shape[^1];
                return rows * (2 * linear.weight!.numel() + (linear.bias is null ? 0 : output.shape[^1]));
            default:
                return 0;
        }
    }

    /// <summary>FLOPs of one forward pass of <paramref name="encoder"/> on one image of its input shape.</summary>
    public static long CountForward(ImageEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ImageShape shape = encoder.InputShape;
        return CountForward(encoder, shape.Channels, shape.Height, shape.Width);
    }
}
