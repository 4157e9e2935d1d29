using ContrastiveML.Encoders;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// <see cref="KeptBatchNorm"/> is TorchSharp's BatchNorm2d forward with the batch counter advanced by a kept Scalar:
/// outputs, gradients, running statistics and batch counts must match the module's own forward bit for bit.
/// </summary>
public class KeptBatchNormTests
{
    private static void AssertSameBits(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.contiguous().cpu().bytes.ToArray(), actual.contiguous().cpu().bytes.ToArray());
    }

    private static (BatchNorm2d Module, BatchNorm2d Reference) Pair(int channels, double? momentum)
    {
        var module = nn.BatchNorm2d(channels);
        var reference = nn.BatchNorm2d(channels);
        using (no_grad())
        {
            // Affine parameters away from 1 and 0, so that they take part in the comparison.
            using var weight = randn(channels);
            using var bias = randn(channels);
            module.weight.copy_(weight);
            reference.weight.copy_(weight);
            module.bias!.copy_(bias);
            reference.bias!.copy_(bias);
        }
        module.momentum = momentum;
        reference.momentum = momentum;
        return (module, reference);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(null)] // cumulative average: the factor is 1 / batches counted
    public void TrainingAndEvaluationMatchTheModulesOwnForward(double? momentum)
    {
        manual_seed(3);
        var (module, reference) = Pair(5, momentum);
        using (module)
        using (reference)
        {
            for (int step = 0; step < 4; step++)
            {
                using var scope = NewDisposeScope();
                var input = randn(6, 5, 4, 3).requires_grad_(true);
                var referenceInput = input.detach().clone().requires_grad_(true);
                var output = KeptBatchNorm.Forward(module, input);
                var referenceOutput = reference.call(referenceInput);
                AssertSameBits(referenceOutput, output);

                using var upstream = randn(6, 5, 4, 3);
                output.backward(new[] { upstream });
                referenceOutput.backward(new[] { upstream });
                AssertSameBits(referenceInput.grad!, input.grad!);
                AssertSameBits(reference.weight.grad!, module.weight.grad!);
                AssertSameBits(reference.bias!.grad!, module.bias!.grad!);
                module.weight.grad!.zero_();
                module.bias!.grad!.zero_();
                reference.weight.grad!.zero_();
                reference.bias!.grad!.zero_();

                AssertSameBits(reference.running_mean!, module.running_mean!);
                AssertSameBits(reference.running_var!, module.running_var!);
                AssertSameBits(reference.num_batches_tracked!, module.num_batches_tracked!);
                Assert.Equal(step + 1, module.num_batches_tracked!.item<long>());
            }

            module.eval();
            reference.eval();
            using (NewDisposeScope())
            using (no_grad())
            {
                var input = randn(2, 5, 4, 3);
                AssertSameBits(reference.call(input), KeptBatchNorm.Forward(module, input));
                Assert.Equal(4, module.num_batches_tracked!.item<long>()); // evaluation counts nothing
            }
        }
    }

    [Fact]
    public void RejectsInputsThatAreNotFourDimensional()
    {
        using var module = nn.BatchNorm2d(3);
        using var input = randn(4, 3);
        Assert.Throws<ArgumentException>(() => KeptBatchNorm.Forward(module, input));
    }

    [Theory]
    [InlineData(EncoderKind.CompactCnn)]
    [InlineData(EncoderKind.ResNet18)]
    public void EncodersCountEveryTrainingBatchInEveryBatchNormLayer(EncoderKind kind)
    {
        using var encoder = EncoderFactory.Create(kind, new ImageShape(3, 16, 16), 4);
        encoder.train();
        using (NewDisposeScope())
        {
            encoder.forward(randn(4, 3, 16, 16));
            encoder.forward(randn(4, 3, 16, 16));
        }
        var counters = encoder.named_buffers().Where(b => b.name.EndsWith("num_batches_tracked")).ToList();
        // CompactCnn: 4 BatchNorm layers; ResNet-18: the stem, two per block and one per projection shortcut.
        Assert.Equal(kind == EncoderKind.CompactCnn ? 4 : 20, counters.Count);
        Assert.All(counters, c => Assert.Equal(2, c.buffer.item<long>()));
    }
}
