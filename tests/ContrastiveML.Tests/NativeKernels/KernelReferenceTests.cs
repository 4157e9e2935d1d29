using ContrastiveML.NativeKernels;

namespace ContrastiveML.Tests.NativeKernels;

/// <summary>
/// The plain C# reference that the kernel self-check trusts: forward passes against hand-computed values, backward
/// passes against central finite differences of the forward passes.
/// </summary>
public class KernelReferenceTests
{
    [Fact]
    public void ConvolutionMatchesHandComputedValues()
    {
        // One 3x3 image 1..9, one 3x3 kernel of ones with a single 2 in the centre, padding 1.
        double[] x = Enumerable.Range(1, 9).Select(v => (double)v).ToArray();
        double[] w = { 1, 1, 1, 1, 2, 1, 1, 1, 1 };
        double[] y = KernelReference.Conv2d(x, 1, 1, 3, 3, w, 1, 3, 1);
        // Centre: sum of all nine plus the centre once more = 45 + 5; corner (0,0): 1+2+4+5 plus 1 = 13.
        Assert.Equal(50, y[4], 12);
        Assert.Equal(13, y[0], 12);
        Assert.Equal(1 + 2 + 3 + 4 + 5 + 6 + 2, y[1], 12);
    }

    [Fact]
    public void BatchNormNormalisesEachChannelOverBatchAndPixels()
    {
        double[] x = { 1, 3, 10, 10, 5, 7, 20, 40 }; // [n=2, c=2, hw=2]: channel 0 = 1,3,5,7; channel 1 = 10,10,20,40
        var (y, _, invStd) = KernelReference.BatchNorm(x, 2, 2, 2, new double[] { 2, 1 }, new double[] { 0.5, 0 }, 0);
        Assert.Equal(1 / Math.Sqrt(5), invStd[0], 12); // mean 4, biased variance (9+1+1+9)/4 = 5
        Assert.Equal(2 * (1 - 4) / Math.Sqrt(5) + 0.5, y[0], 12);
        Assert.Equal((40 - 20) / Math.Sqrt(150), y[7], 12); // mean 20, variance (100+100+0+400)/4 = 150
    }

    [Fact]
    public void PoolingAndLinearMatchHandComputedValues()
    {
        var (pooled, argMax) = KernelReference.MaxPool2(new double[] { 1, 5, 2, 0, 3, 4, 9, 8, 7, 6, 1, 1, 0, 0, 2, 3 }, 1, 1, 4, 4);
        Assert.Equal(new double[] { 5, 9, 7, 3 }, pooled);
        Assert.Equal(new[] { 1, 6, 8, 15 }, argMax);
        double[] y = KernelReference.Linear(new double[] { 1, 2 }, 1, 2, new double[] { 3, 4, -1, 0.5 }, new double[] { 10, 0 }, 2);
        Assert.Equal(new double[] { 21, 0 }, y);
    }

    [Fact]
    public void BackwardPassesAgreeWithFiniteDifferences()
    {
        var rng = new Random(3);
        double[] Draw(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        const int n = 2, c = 2, side = 4, co = 3, k = 3, classes = 2;
        double[] x = Draw(n * c * side * side), w = Draw(co * c * k * k), gamma = Draw(co), beta = Draw(co);
        double[] lw = Draw(classes * co * 2 * 2), lb = Draw(classes), r = Draw(n * classes);

        // L = Σ r · linear(maxpool(relu(bn(conv(x))))), as the self-check's network.
        double Loss(double[] input, double[] weight, double[] g)
        {
            double[] conv = KernelReference.Conv2d(input, n, c, side, side, weight, co, k, 1);
            var (norm, _, _) = KernelReference.BatchNorm(conv, n, co, side * side, g, beta, 1e-5);
            var (pool, _) = KernelReference.MaxPool2(KernelReference.Relu(norm), n, co, side, side);
            return KernelReference.Linear(pool, n, co * 4, lw, lb, classes).Zip(r, (a, b) => a * b).Sum();
        }

        double[] conv = KernelReference.Conv2d(x, n, c, side, side, w, co, k, 1);
        var (norm, xhat, invStd) = KernelReference.BatchNorm(conv, n, co, side * side, gamma, beta, 1e-5);
        double[] relu = KernelReference.Relu(norm);
        var (pool, arg) = KernelReference.MaxPool2(relu, n, co, side, side);
        var (dPool, _, _) = KernelReference.LinearBackward(r, pool, n, co * 4, lw, classes);
        double[] dNorm = KernelReference.ReluBackward(KernelReference.MaxPool2Backward(dPool, arg, relu.Length), norm);
        var (dConv, dGamma, _) = KernelReference.BatchNormBackward(dNorm, xhat, invStd, n, co, side * side, gamma);
        var (dx, dw) = KernelReference.Conv2dBackward(dConv, x, n, c, side, side, w, co, k, 1);

        void Compare(double[] analytic, double[] point, Func<double> loss)
        {
            for (int i = 0; i < point.Length; i += 3)
            {
                double saved = point[i];
                point[i] = saved + 1e-6;
                double up = loss();
                point[i] = saved - 1e-6;
                double down = loss();
                point[i] = saved;
                Assert.Equal((up - down) / 2e-6, analytic[i], 5);
            }
        }
        Compare(dx, x, () => Loss(x, w, gamma));
        Compare(dw, w, () => Loss(x, w, gamma));
        Compare(dGamma, gamma, () => Loss(x, w, gamma));
    }
}
