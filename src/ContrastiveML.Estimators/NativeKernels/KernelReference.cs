namespace ContrastiveML.NativeKernels;

/// <summary>
/// Plain C# (double precision) forward and backward passes of the layers the encoders are built from: 2-D convolution
/// (stride 1, zero padding, no bias), training-mode batch normalization, ReLU, 2x2 max pooling and a linear layer.
/// </summary>
/// <remarks>
/// This is the independent reference of <see cref="KernelSelfCheck"/>: it shares no code with libtorch, oneDNN, MKL or
/// NNPACK, so a native kernel that computes wrong values on some CPU cannot make the reference agree with it. Tensors
/// are flat arrays in NCHW order; speed does not matter (the check's network is a few thousand weights).
/// </remarks>
internal static class KernelReference
{
    /// <summary>y[n,o,i,j] = sum over c,a,b of x[n,c,i+a-p,j+b-p] * w[o,c,a,b] (out-of-range x is 0); same spatial size for k = 2p+1.</summary>
    public static double[] Conv2d(double[] x, int n, int cin, int h, int w, double[] weight, int cout, int k, int pad)
    {
        int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
        var y = new double[n * cout * oh * ow];
        for (int b = 0; b < n; b++)
        for (int o = 0; o < cout; o++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double sum = 0;
            for (int c = 0; c < cin; c++)
            for (int a = 0; a < k; a++)
            for (int d = 0; d < k; d++)
            {
                int yi = i + a - pad, xj = j + d - pad;
                if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
                sum += x[((b * cin + c) * h + yi) * w + xj] * weight[((o * cin + c) * k + a) * k + d];
            }
            y[((b * cout + o) * oh + i) * ow + j] = sum;
        }
        return y;
    }

    /// <summary>Gradients of <see cref="Conv2d"/> with respect to its input and its weight, given dL/dy.</summary>
    public static (double[] Input, double[] Weight) Conv2dBackward(double[] dy, double[] x, int n, int cin, int h, int w,
                                                                    double[] weight, int cout, int k, int pad)
    {
        int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
        var dx = new double[x.Length];
        var dw = new double[weight.Length];
        for (int b = 0; b < n; b++)
        for (int o = 0; o < cout; o++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double g = dy[((b * cout + o) * oh + i) * ow + j];
            for (int c = 0; c < cin; c++)
            for (int a = 0; a < k; a++)
            for (int d = 0; d < k; d++)
            {
                int yi = i + a - pad, xj = j + d - pad;
                if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
                int xi = ((b * cin + c) * h + yi) * w + xj, wi = ((o * cin + c) * k + a) * k + d;
                dx[xi] += g * weight[wi];
                dw[wi] += g * x[xi];
            }
        }
        return (dx, dw);
    }

    /// <summary>
    /// Training-mode batch normalization: per channel, x̂ = (x - mean) / sqrt(var + eps) over N, H, W with the biased
    /// variance, y = gamma * x̂ + beta. Returns y with x̂ and 1/sqrt(var + eps) for the backward pass.
    /// </summary>
    public static (double[] Output, double[] Normalized, double[] InvStd) BatchNorm(double[] x, int n, int c, int hw,
                                                                                   double[] gamma, double[] beta, double eps)
    {
        var y = new double[x.Length];
        var xhat = new double[x.Length];
        var invStd = new double[c];
        int m = n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0;
            foreach (int i in ChannelIndices(n, c, hw, ch)) mean += x[i];
            mean /= m;
            double variance = 0;
            foreach (int i in ChannelIndices(n, c, hw, ch)) variance += (x[i] - mean) * (x[i] - mean);
            variance /= m;
            invStd[ch] = 1 / Math.Sqrt(variance + eps);
            foreach (int i in ChannelIndices(n, c, hw, ch))
            {
                xhat[i] = (x[i] - mean) * invStd[ch];
                y[i] = gamma[ch] * xhat[i] + beta[ch];
            }
        }
        return (y, xhat, invStd);
    }

    /// <summary>
    /// Gradients of <see cref="BatchNorm"/>: dgamma = Σ dy·x̂, dbeta = Σ dy and
    /// dx = gamma·invstd·(dy - mean(dy) - x̂·mean(dy·x̂)), the means over N, H, W of the channel.
    /// </summary>
    public static (double[] Input, double[] Gamma, double[] Beta) BatchNormBackward(double[] dy, double[] xhat, double[] invStd,
                                                                                     int n, int c, int hw, double[] gamma)
    {
        var dx = new double[dy.Length];
        var dgamma = new double[c];
        var dbeta = new double[c];
        int m = n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            foreach (int i in ChannelIndices(n, c, hw, ch))
            {
                dgamma[ch] += dy[i] * xhat[i];
                dbeta[ch] += dy[i];
            }
            double meanDy = dbeta[ch] / m, meanDyXhat = dgamma[ch] / m;
            foreach (int i in ChannelIndices(n, c, hw, ch))
            {
                dx[i] = gamma[ch] * invStd[ch] * (dy[i] - meanDy - xhat[i] * meanDyXhat);
            }
        }
        return (dx, dgamma, dbeta);
    }

    /// <summary>max(x, 0).</summary>
    public static double[] Relu(double[] x) => x.Select(v => Math.Max(v, 0)).ToArray();

    /// <summary>dL/dx of ReLU: dL/dy where the input was positive, 0 elsewhere.</summary>
    public static double[] ReluBackward(double[] dy, double[] x) => dy.Select((g, i) => x[i] > 0 ? g : 0).ToArray();

    /// <summary>2x2 max pooling with stride 2 (even sides); also returns, per output, the index of the input it took.</summary>
    public static (double[] Output, int[] ArgMax) MaxPool2(double[] x, int n, int c, int h, int w)
    {
        int oh = h / 2, ow = w / 2;
        var y = new double[n * c * oh * ow];
        var arg = new int[y.Length];
        for (int plane = 0; plane < n * c; plane++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            int best = -1;
            for (int a = 0; a < 2; a++)
            for (int d = 0; d < 2; d++)
            {
                int idx = (plane * h + 2 * i + a) * w + 2 * j + d;
                if (best < 0 || x[idx] > x[best]) best = idx;
            }
            int o = (plane * oh + i) * ow + j;
            y[o] = x[best];
            arg[o] = best;
        }
        return (y, arg);
    }

    /// <summary>dL/dx of <see cref="MaxPool2"/>: each output's gradient goes to the input it took.</summary>
    public static double[] MaxPool2Backward(double[] dy, int[] argMax, int inputLength)
    {
        var dx = new double[inputLength];
        for (int o = 0; o < dy.Length; o++) dx[argMax[o]] += dy[o];
        return dx;
    }

    /// <summary>y = x Wᵀ + b for x [n, inFeatures], W [outFeatures, inFeatures].</summary>
    public static double[] Linear(double[] x, int n, int inFeatures, double[] weight, double[] bias, int outFeatures)
    {
        var y = new double[n * outFeatures];
        for (int b = 0; b < n; b++)
        for (int o = 0; o < outFeatures; o++)
        {
            double sum = bias[o];
            for (int i = 0; i < inFeatures; i++) sum += x[b * inFeatures + i] * weight[o * inFeatures + i];
            y[b * outFeatures + o] = sum;
        }
        return y;
    }

    /// <summary>Gradients of <see cref="Linear"/>: dx = dy W, dW = dyᵀ x, db = Σ over the batch of dy.</summary>
    public static (double[] Input, double[] Weight, double[] Bias) LinearBackward(double[] dy, double[] x, int n, int inFeatures,
                                                                                 double[] weight, int outFeatures)
    {
        var dx = new double[x.Length];
        var dw = new double[weight.Length];
        var db = new double[outFeatures];
        for (int b = 0; b < n; b++)
        for (int o = 0; o < outFeatures; o++)
        {
            double g = dy[b * outFeatures + o];
            db[o] += g;
            for (int i = 0; i < inFeatures; i++)
            {
                dx[b * inFeatures + i] += g * weight[o * inFeatures + i];
                dw[o * inFeatures + i] += g * x[b * inFeatures + i];
            }
        }
        return (dx, dw, db);
    }

    private static IEnumerable<int> ChannelIndices(int n, int c, int hw, int channel)
    {
        for (int b = 0; b < n; b++)
        {
            int start = (b * c + channel) * hw;
            for (int i = 0; i < hw; i++) yield return start + i;
        }
    }
}
