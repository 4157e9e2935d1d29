namespace ContrastiveML.Onnx;

/// <summary>
/// A module that can write itself into an ONNX graph. Implementations append the nodes (and initializers)
/// that compute their eval-mode forward pass from the tensor named <c>input</c>, and return the name of the
/// tensor holding the result. They read their parameters and must not modify them.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Appends this module's eval-mode computation, reading tensor <paramref name="input"/>; returns the output tensor's name.</summary>
    string ExportOnnx(OnnxGraphBuilder graph, string input);
}
