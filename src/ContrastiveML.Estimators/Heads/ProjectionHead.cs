using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ContrastiveML.Heads;

/// <summary>
/// SimCLR's projection head g(·): a 2-layer MLP, Linear(in, hidden) → ReLU → Linear(hidden, out), that maps the
/// encoder's pooled features h to the space z where the contrastive loss is computed (Chen et al. 2020, §2.1).
/// </summary>
/// <remarks>
/// The head is used for training only: SimCLR found the features before it (h) better for downstream tasks
/// than its output (z), so the exported model stops at the encoder. Parameter names are
/// <c>hidden.weight</c>, <c>hidden.bias</c>, <c>output.weight</c>, <c>output.bias</c>.
/// </remarks>
public sealed class ProjectionHead : Module<Tensor, Tensor>
{
    /// <summary>SimCLR's projection size.</summary>
    public const int DefaultOutputDimension = 128;

    // Field names become the registered component names (RegisterComponents reflects over fields).
    private readonly Linear hidden;
    private readonly ReLU relu;
    private readonly Linear output;

    /// <summary>Creates the head with freshly initialised layers (TorchSharp's Linear initialisation).</summary>
    /// <param name="inputDimension">Size of the encoder's features.</param>
    /// <param name="hiddenDimension">Size of the hidden layer (SimCLR uses the input size).</param>
    /// <param name="outputDimension">Size of the projection; 128 in SimCLR.</param>
    /// <param name="device">Device for the parameters; CPU when null.</param>
    public ProjectionHead(long inputDimension, long hiddenDimension, long outputDimension = DefaultOutputDimension, Device? device = null)
        : base(nameof(ProjectionHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputDimension);
        InputDimension = inputDimension;
        HiddenDimension = hiddenDimension;
        OutputDimension = outputDimension;
        hidden = Linear(inputDimension, hiddenDimension, device: device);
        relu = ReLU();
        output = Linear(hiddenDimension, outputDimension, device: device);
        RegisterComponents();
    }

    /// <summary>Size of the input features.</summary>
    public long InputDimension { get; }

    /// <summary>Size of the hidden layer.</summary>
    public long HiddenDimension { get; }

    /// <summary>Size of the projection.</summary>
    public long OutputDimension { get; }

    /// <summary>Projects features [N, in] to [N, out].</summary>
    /// <param name="input">Encoder features, [N, <see cref="InputDimension"/>].</param>
    public override Tensor forward(Tensor input)
    {
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
