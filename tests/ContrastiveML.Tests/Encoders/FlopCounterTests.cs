using ContrastiveML.Encoders;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ContrastiveML.Tests;

/// <summary>The FLOP counter against hand-computed counts.</summary>
public class FlopCounterTests
{
    [Fact]
    public void CountsATinyConvNetByHand()
    {
        using var net = Sequential(
            ("conv1", Conv2d(1, 2, kernel_size: 3, padding: 1, bias: false)), // 1x6x6 -> 2x6x6: 2*1*2*9*36 = 1296
            ("relu", ReLU()),                                                   // ignored
            ("pool", MaxPool2d(kernel_size: 2)),                                // ignored; -> 2x3x3
            ("conv2", Conv2d(2, 4, kernel_size: 3, stride: 2, padding: 1)),     // -> 4x2x2: 2*2*4*9*4 = 576, bias 4*4 = 16
            ("grouped", Conv2d(4, 4, kernel_size: 3, padding: 1, groups: 2, bias: false)), // 2*4*4*9*4/2 = 576
            ("flatten", Flatten()),                                             // 16 features
            ("fc", Linear(16, 3)));                                             // 2*16*3 = 96, bias 3

        long flops = FlopCounter.CountForward(net, 1, 6, 6);

        Assert.Equal(1296 + 576 + 16 + 576 + 96 + 3, flops);
    }

    [Fact]
    public void CountsTheCifarResNet18AtItsKnownCost()
    {
        // CIFAR ResNet-18 (3x3 stem, no max-pool) at width 64 on 32x32: the familiar 0.556 G multiply-adds in its convolutions.
        using var encoder = EncoderFactory.Create(EncoderKind.ResNet18, new ImageShape(3, 32, 32));
        Assert.Equal(1_110_835_200L, FlopCounter.CountForward(encoder));
    }

    [Fact]
    public void CountsTheCompactCnnLayerByLayer()
    {
        using var encoder = EncoderFactory.Create(EncoderKind.CompactCnn, new ImageShape(1, 8, 8), 4);
        // conv1 1->4 at 8x8, conv2 4->8 at 4x4, conv3 8->16 and conv4 16->16 at 2x2; no biases.
        long expected = 2L * 1 * 4 * 9 * 64 + 2L * 4 * 8 * 9 * 16 + 2L * 8 * 16 * 9 * 4 + 2L * 16 * 16 * 9 * 4;
        Assert.Equal(expected, FlopCounter.CountForward(encoder));
        Assert.True(encoder.training, "the counter restores train mode");
    }
}
