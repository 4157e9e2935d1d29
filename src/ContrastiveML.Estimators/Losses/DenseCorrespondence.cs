using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Losses;

/// <summary>
/// DenseCL's correspondence between the two views of an image (Wang, Zhang, Shen, Kong and Li, "Dense Contrastive
/// Learning for Self-Supervised Visual Pre-Training", CVPR 2021, §3.3): each cell of the query view's grid is matched to
/// the cell of the key view's grid whose backbone features are the most similar.
/// </summary>
/// <remarks>
/// With f^q_s and f^k_t the backbone feature vectors of query cell s and key cell t of the same image (the feature map
/// pooled to the S x S grid, before the dense projection head),
/// <code>
/// match(s) = argmax_t cos(f^q_s, f^k_t) = argmax_t (f^q_s · f^k_t) / (‖f^q_s‖ ‖f^k_t‖)
/// </code>
/// The matching uses the backbone features rather than the projections, as in the paper and the authors' code, because
/// they carry more spatial detail. Cells are numbered row-major (t = row * S + column). The result carries no gradient.
/// </remarks>
public static class DenseCorrespondence
{
    /// <summary>For every query cell, the row-major index of its most similar key cell of the same image; [N, h*w] int64.</summary>
    /// <param name="queryFeatures">Backbone features of the query views, [N, C, h, w].</param>
    /// <param name="keyFeatures">Backbone features of the key views, the same shape; image n pairs with image n.</param>
    /// <exception cref="ArgumentException">The inputs are not two floating-point [N, C, h, w] tensors of the same shape and device.</exception>
    public static Tensor Match(Tensor queryFeatures, Tensor keyFeatures)
    {
        ArgumentNullException.ThrowIfNull(queryFeatures);
        ArgumentNullException.ThrowIfNull(keyFeatures);
        if (queryFeatures.dim() != 4 || queryFeatures.shape.Any(d => d < 1) || !queryFeatures.is_floating_point())
            throw new ArgumentException($"Expected floating-point [N, C, h, w] query features; got {queryFeatures.dtype} [{string.Join(", ", queryFeatures.shape)}].", nameof(queryFeatures));
        if (!keyFeatures.shape.SequenceEqual(queryFeatures.shape) || !keyFeatures.is_floating_point())
            throw new ArgumentException($"Expected floating-point key features shaped like the queries [{string.Join(", ", queryFeatures.shape)}]; got {keyFeatures.dtype} [{string.Join(", ", keyFeatures.shape)}].", nameof(keyFeatures));
        if (keyFeatures.device_type != queryFeatures.device_type || keyFeatures.device_index != queryFeatures.device_index)
            throw new ArgumentException($"The key features ({keyFeatures.device}) are not on the query features' device ({queryFeatures.device}).", nameof(keyFeatures));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var q = F.normalize(queryFeatures.flatten(2), p: 2, dim: 1);   // [N, C, P]
        var k = F.normalize(keyFeatures.flatten(2), p: 2, dim: 1);     // [N, C, P]
        var similarity = q.transpose(1, 2).bmm(k);                       // [N, P(query), P(key)]
        return similarity.argmax(2).MoveToOuterDisposeScope();
    }
}
