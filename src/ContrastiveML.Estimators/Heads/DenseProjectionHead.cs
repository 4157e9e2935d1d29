using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ContrastiveML.Heads;

/// <summary>
/// DenseCL's dense projection head: Conv1x1(in, hidden) → ReLU → Conv1x1(hidden, out), applied at every cell of an
/// S x S grid of backbone features, so each cell gets its own projection (Wang, Zhang, Shen, Kong and Li, "Dense
/// Contrastive Learning for Self-Supervised Visual Pre-Training", CVPR 2021, §3.2; the authors' DenseCLNeck "mlp2").
/// </summary>
/// <remarks>
/// A 1x1 convolution is a Linear layer shared by all cells: the head is the dense counterpart of the global MLP
/// projection head (<see cref="ProjectionHead"/>). Like it, the head is used for training only. Parameter names are
/// <c>hidden.weight</c>, <c>hidden.bias</c>, <c>output.weight</c>, <c>output.bias</c>.
/// </remarks>
public sealed class DenseProjectionHead : Module<Tensor, Tensor>
{
    /// <summary>DenseCL's projection size.</summary>
    public const int DefaultOutputDimension = 128;

    // Field names become the registered component names (RegisterComponents reflects over fields).
    private readonly Conv2d hidden;
    private readonly ReLU relu;
    private readonly Conv2d output;

    /// <summary>Creates the head with freshly initialised layers (TorchSharp's Conv2d initialisation).</summary>
    /// <param name="inputChannels">Channels of the backbone's feature map.</param>
    /// <param name="hiddenChannels">Channels of the hidden layer (DenseCL uses the input channel count).</param>
    /// <param name="outputChannels">Size of each cell's projection; 128 in DenseCL.</param>
    public DenseProjectionHead(long inputChannels, long hiddenChannels, long outputChannels = DefaultOutputDimension)
        : base(nameof(DenseProjectionHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputChannels);
        InputChannels = inputChannels;
        HiddenChannels = hiddenChannels;
        OutputChannels = outputChannels;
        hidden = Conv2d(inputChannels, hiddenChannels, kernel_size: 1);
        relu = ReLU();
        output = Conv2d(hiddenChannels, outputChannels, kernel_size: 1);
        RegisterComponents();
    }

    /// <summary>Channels of the input grid.</summary>
    public long InputChannels { get; }

    /// <summary>Channels of the hidden layer.</summary>
    public long HiddenChannels { get; }

    /// <summary>Size of each cell's projection.</summary>
    public long OutputChannels { get; }

    /// <summary>Projects a grid of features [N, in, S, S] to [N, out, S, S], cell by cell.</summary>
    /// <param name="input">Backbone features pooled to a grid, [N, <see cref="InputChannels"/>, S, S].</param>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4 || input.shape[1] != InputChannels)
        {
            throw new ArgumentException($"{nameof(DenseProjectionHead)} expects a [N, {InputChannels}, S, S] grid; it was given [{string.Join(", ", input.shape)}].", nameof(input));
        }
        // The intermediates can go as soon as the next layer has consumed them: autograd keeps what it needs.
        using var h = hidden.call(input);
        using var a = relu.call(h);
        return output.call(a);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            hidden.Dispose();
            relu.Dispose();
            output.Dispose();
        }
        base.Dispose(disposing);
    }
}
