using System.CommandLine;
using ContrastiveML.Samples.Images;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Samples.Commands;

/// <summary>
/// <c>embed</c>: load a model saved by <c>pretrain --images</c> (with stock ML.NET: the zip holds image loading,
/// resizing and the ONNX encoder) and write one CSV row per image of a folder: its path, then the embedding.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { HelpName = "model.zip", Description = "Model zip saved by pretrain --images.", Required = true };
        var images = new Option<string>("--images") { HelpName = "DIR", Description = "Folder of JPEG/PNG images, searched recursively.", Required = true };
        var output = new Option<string>("--out") { HelpName = "embeddings.csv", Description = "CSV file to write: header path,e0,e1,...; then per image its path (relative to --images) and embedding.", Required = true };
        var onBadFile = CommonOptions.OnBadFile();
        var gpuDeviceId = new Option<int?>("--gpu-device-id")
        {
            HelpName = "N",
            Description = "Score on CUDA device N through ONNX Runtime's CUDA execution provider (a build with -p:ContrastiveOnnxRuntime=gpu); default: the CPU.",
        };
        var fallbackToCpu = new Option<bool>("--fallback-to-cpu") { Description = "With --gpu-device-id: score on the CPU when that device cannot be used, instead of failing." };
        gpuDeviceId.Validators.Add(result =>
        {
            if (result.GetValue(gpuDeviceId) is < 0) result.AddError($"--gpu-device-id must be a CUDA device id (0, 1, ...); found {result.GetValue(gpuDeviceId)}.");
        });

        var command = new Command("embed", "Write the embedding of every image in a folder to CSV, with a model saved by pretrain.")
        {
            model, images, output, onBadFile, gpuDeviceId, fallbackToCpu,
        };
        command.SetAction(parse =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output, stderr = parse.InvocationConfiguration.Error;
            return CommandErrors.Run(() => Run(parse.GetValue(model)!, parse.GetValue(images)!, parse.GetValue(output)!, parse.GetValue(onBadFile), stdout, stderr,
                                               parse.GetValue(gpuDeviceId), parse.GetValue(fallbackToCpu)), stderr);
        });
        return command;
    }

    internal static int Run(string modelPath, string imagesDirectory, string outPath, BadFilePolicy onBadFile, TextWriter output, TextWriter error,
                            int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"--model: file '{modelPath}' was not found.", modelPath);
        var ml = new MLContext(1);
        // Where the encoder scores (and why, after a fallback) is one line of the load's log; show it.
        ml.Log += (_, e) =>
        {
            if (e.Message.Contains("ContrastiveModel.Load: ONNX Runtime scores", StringComparison.Ordinal)) output.WriteLine(e.Message[(e.Message.IndexOf("ONNX Runtime", StringComparison.Ordinal))..]);
        };
        // ContrastiveModel.Load, not the stock loader: batched scoring as after Fit, and a damaged zip named as such.
        ITransformer model = ContrastiveModel.Load(ml, modelPath, out DataViewSchema inputSchema, gpuDeviceId, fallbackToCpu);
        if (inputSchema.GetColumnOrNull(ImageFolderRow.PathColumn) == null)
        {
            string found = string.Join(", ", inputSchema.Select(c => $"'{c.Name}'"));
            throw new InvalidOperationException(
                $"--model: '{modelPath}' does not read image files: expected an input column '{ImageFolderRow.PathColumn}' (models saved by pretrain --images); " +
                $"found {(found.Length == 0 ? "no columns" : found)}.");
        }

        IReadOnlyList<ImageFile> files = ImageFolder.Scan(imagesDirectory, onBadFile, error);
        IDataView scored = model.Transform(ImageFolder.ToDataView(ml, files));
        if (scored.Schema.GetColumnOrNull(ModelColumns.Embedding) is not DataViewSchema.Column embedding)
        {
            throw new InvalidOperationException($"--model: '{modelPath}' writes no '{ModelColumns.Embedding}' column.");
        }

        // Rows come back in input order (LoadFromEnumerable, row-to-row transforms), so row i is files[i].
        var rows = new List<(string, float[])>(files.Count);
        using (DataViewRowCursor cursor = scored.GetRowCursor(new[] { embedding }))
        {
            ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(embedding);
            VBuffer<float> buffer = default;
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                rows.Add((files[rows.Count].RelativePath, buffer.DenseValues().ToArray()));
            }
        }
        if (rows.Count != files.Count)
        {
            throw new InvalidOperationException($"The model returned {rows.Count} embeddings for {files.Count} images.");
        }
        EmbeddingCsv.Write(outPath, rows);
        output.WriteLine($"wrote {rows.Count} embeddings of {(rows.Count == 0 ? 0 : rows[0].Item2.Length)} values to {outPath}");
        return 0;
    }
}
