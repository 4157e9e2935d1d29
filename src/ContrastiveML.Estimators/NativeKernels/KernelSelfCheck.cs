using System.Diagnostics;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.NativeKernels;

/// <summary>
/// Runs a small fixed network through libtorch on the CPU, forward and backward, compares every intermediate result and
/// gradient with <see cref="KernelReference"/> (plain C#, double precision), and requires repeated runs to give the same
/// bits. The network has the encoders' building blocks in their training-mode form, on a batch of 8 images of 3x12x12:
/// conv3x3(3→8) → batch norm → ReLU → max pool 2 → conv3x3(8→16) → batch norm → ReLU → conv3x3(16→4) → batch norm →
/// ReLU → linear(→10), with the loss Σ output·R for a fixed R.
/// </summary>
/// <remarks>
/// Why: on some CPUs libtorch's oneDNN kernels compute wrong or non-deterministic values. A known case: oneDNN 3.7.1 (libtorch
/// 2.10) with its AVX-512 kernels on an AMD family-26 CPU that reports no cache topology gives wrong input gradients
/// (off by 5-50% of their scale, sometimes infinite, different from run to run) for 3x3 convolutions with fewer than 16
/// output channels, while forward passes and weight gradients are right; training then reaches NaN losses, ONNX parity
/// of infinity and same-seed fits that differ. The channel counts here (8, 16 and 4 outputs from 3, 8 and 16 inputs)
/// reach both oneDNN's narrow-output kernels and its 16-blocked ones, and the run is repeated because the wrong values
/// come and go. Takes some tens of milliseconds once libtorch is loaded.
/// </remarks>
public static class KernelSelfCheck
{
    /// <summary>The largest difference allowed, relative to the largest magnitude of the reference tensor compared.</summary>
    /// <remarks>float32 kernels agree with the double reference to about 1e-6 of that scale; the wrong kernels were off by
    /// 5% or more, so 1e-3 leaves room for any correct summation order and still catches them.</remarks>
    public const double RelativeTolerance = 1e-3;

    /// <summary>How many times the libtorch pass runs; each run is compared with the reference and with the first.</summary>
    public const int Runs = 12;

    private const int Batch = 8, InChannels = 3, Side = 12, Classes = 10, Kernel = 3, Pad = 1;
    private const double Eps = 1e-5;

    // The convolution blocks: input channels, output channels, whether a 2x2 max pooling follows.
    private static readonly (int In, int Out, bool Pool)[] Blocks = { (InChannels, 8, true), (8, 16, false), (16, 4, false) };

    /// <summary>Runs the check on the CPU (one call; CpuKernelGuard makes the once-per-process decision).</summary>
    public static KernelCheckResult Run()
    {
        var watch = Stopwatch.StartNew();
        Network network = Network.Create(new Random(20261205));
        List<(string Name, double[] Values)> reference = Reference(network);

        double[] tolerances = reference.Select(r => RelativeTolerance * Math.Max(r.Values.Max(Math.Abs), 1e-6)).ToArray();
        List<float[]>? first = null;
        double worst = 0, worstTolerance = 1;
        for (int run = 0; run < Runs; run++)
        {
            List<float[]> current = Torch(network);
            for (int t = 0; t < reference.Count; t++)
            {
                (string name, double[] expected) = reference[t];
                float[] actual = current[t];
                double difference = 0;
                for (int i = 0; i < expected.Length && !double.IsNaN(difference); i++)
                {
                    difference = float.IsNaN(actual[i]) ? double.NaN : Math.Max(difference, Math.Abs(actual[i] - expected[i]));
                }
                if (double.IsNaN(difference) || difference > tolerances[t])
                {
                    return new KernelCheckResult(false, name, difference, tolerances[t], watch.Elapsed);
                }
                if (difference / tolerances[t] > worst / worstTolerance) (worst, worstTolerance) = (difference, tolerances[t]);
            }
            first ??= current;
            for (int t = 0; t < reference.Count; t++)
            {
                if (!current[t].AsSpan().SequenceEqual(first[t]))
                {
                    double difference = current[t].Zip(first[t], (a, b) => (double)Math.Abs(a - b)).Max();
                    return new KernelCheckResult(false, $"{reference[t].Name} (two identical runs differ)", difference, 0, watch.Elapsed);
                }
            }
        }
        return new KernelCheckResult(true, null, worst, worstTolerance, watch.Elapsed);
    }

    /// <summary>The fixed weights, input and loss weights R, drawn once from a fixed seed.</summary>
    private sealed record Network(double[] Input, double[][] Conv, double[][] Gamma, double[][] Beta, double[] Linear, double[] Bias, double[] R)
    {
        public static Network Create(Random rng)
        {
            double[] Draw(int count, double scale, double offset = 0) =>
                Enumerable.Range(0, count).Select(_ => offset + (rng.NextDouble() * 2 - 1) * scale).ToArray();
            int features = Blocks[^1].Out * (Side / 2) * (Side / 2);
            return new Network(
                Draw(Batch * InChannels * Side * Side, 1),
                Blocks.Select(b => Draw(b.Out * b.In * Kernel * Kernel, 1 / Math.Sqrt(b.In * Kernel * Kernel))).ToArray(),
                Blocks.Select(b => Draw(b.Out, 0.5, offset: 1)).ToArray(),
                Blocks.Select(b => Draw(b.Out, 0.5)).ToArray(),
                Draw(Classes * features, 1 / Math.Sqrt(features)), Draw(Classes, 0.1), Draw(Batch * Classes, 1));
        }
    }

    // Both passes list their tensors in this order: per block its convolution, batch norm (before ReLU) and, where there
    // is one, pooling output; the linear output; then the gradients from the last layer back to the input.
    private static List<(string, double[])> Reference(Network p)
    {
        var results = new List<(string, double[])>();
        var saved = new List<(double[] Input, int Side, double[] Normalized, double[] Xhat, double[] InvStd, double[] Activated, int[]? ArgMax)>();
        double[] x = p.Input;
        int side = Side;
        for (int b = 0; b < Blocks.Length; b++)
        {
            var (cin, cout, pool) = Blocks[b];
            double[] conv = KernelReference.Conv2d(x, Batch, cin, side, side, p.Conv[b], cout, Kernel, Pad);
            var (normalized, xhat, invStd) = KernelReference.BatchNorm(conv, Batch, cout, side * side, p.Gamma[b], p.Beta[b], Eps);
            double[] activated = KernelReference.Relu(normalized);
            results.Add(($"convolution {cin}->{cout} forward", conv));
            results.Add(($"batch norm forward ({cout} channels)", normalized));
            int[]? argMax = null;
            double[] next = activated;
            if (pool)
            {
                (next, argMax) = KernelReference.MaxPool2(activated, Batch, cout, side, side);
                results.Add(($"max pooling forward ({cout} channels)", next));
            }
            saved.Add((x, side, normalized, xhat, invStd, activated, argMax));
            x = next;
            if (pool) side /= 2;
        }
        int features = x.Length / Batch;
        results.Add(("linear forward", KernelReference.Linear(x, Batch, features, p.Linear, p.Bias, Classes)));

        var (grad, dLinear, dBias) = KernelReference.LinearBackward(p.R, x, Batch, features, p.Linear, Classes);
        results.Add(("linear backward (weight gradient)", dLinear));
        results.Add(("linear backward (bias gradient)", dBias));
        for (int b = Blocks.Length - 1; b >= 0; b--)
        {
            var (cin, cout, _) = Blocks[b];
            var s = saved[b];
            if (s.ArgMax is int[] argMax) grad = KernelReference.MaxPool2Backward(grad, argMax, s.Activated.Length);
            grad = KernelReference.ReluBackward(grad, s.Normalized);
            var (dConv, dGamma, dBeta) = KernelReference.BatchNormBackward(grad, s.Xhat, s.InvStd, Batch, cout, s.Side * s.Side, p.Gamma[b]);
            var (dInput, dWeight) = KernelReference.Conv2dBackward(dConv, s.Input, Batch, cin, s.Side, s.Side, p.Conv[b], cout, Kernel, Pad);
            results.Add(($"batch norm backward ({cout} channels, scale gradient)", dGamma));
            results.Add(($"batch norm backward ({cout} channels, shift gradient)", dBeta));
            results.Add(($"convolution {cin}->{cout} backward (weight gradient)", dWeight));
            results.Add(($"convolution {cin}->{cout} backward (input gradient)", dInput));
            grad = dInput;
        }
        return results;
    }

    private static List<float[]> Torch(Network p)
    {
        using var scope = NewDisposeScope();
        using var gradients = enable_grad();
        Tensor Leaf(double[] values, params long[] shape) =>
            tensor(values.Select(v => (float)v).ToArray(), shape, ScalarType.Float32).requires_grad_(true);

        var forward = new List<Tensor>();
        var leaves = new List<(Tensor Gamma, Tensor Beta, Tensor Weight, Tensor Input)>();
        Tensor x = Leaf(p.Input, Batch, InChannels, Side, Side);
        for (int b = 0; b < Blocks.Length; b++)
        {
            var (cin, cout, pool) = Blocks[b];
            Tensor weight = Leaf(p.Conv[b], cout, cin, Kernel, Kernel), gamma = Leaf(p.Gamma[b], cout), beta = Leaf(p.Beta[b], cout);
            // The input of each block after the first is an intermediate result; retain its gradient to compare it.
            if (b > 0) x.retain_grad();
            leaves.Add((gamma, beta, weight, x));
            Tensor conv = F.conv2d(x, weight, padding: new long[] { Pad, Pad });
            Tensor normalized = F.batch_norm(conv, zeros(cout), ones(cout), gamma, beta, training: true, momentum: 0.1, eps: Eps);
            forward.Add(conv);
            forward.Add(normalized);
            x = F.relu(normalized);
            if (pool)
            {
                x = F.max_pool2d(x, kernel_size: 2);
                forward.Add(x);
            }
        }
        Tensor linear = Leaf(p.Linear, Classes, x.numel() / Batch), bias = Leaf(p.Bias, Classes);
        Tensor output = F.linear(x.flatten(1), linear, bias);
        forward.Add(output);
        (output * tensor(p.R.Select(v => (float)v).ToArray(), new long[] { Batch, Classes })).sum().backward();

        var all = new List<Tensor>(forward) { linear.grad!, bias.grad! };
        for (int b = Blocks.Length - 1; b >= 0; b--)
        {
            all.AddRange(new[] { leaves[b].Gamma.grad!, leaves[b].Beta.grad!, leaves[b].Weight.grad!, leaves[b].Input.grad! });
        }
        return all.Select(t => t.detach().contiguous().data<float>().ToArray()).ToList();
    }
}
