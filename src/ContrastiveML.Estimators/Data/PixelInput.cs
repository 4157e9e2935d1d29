using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace ContrastiveML.Data;

/// <summary>
/// The input column of a contrastive estimator, resolved against a schema: either a known-size float vector of
/// C*H*W pixels, or an MLImage column whose pixels are extracted (CHW, planar) by ML.NET's ExtractPixels.
/// </summary>
internal sealed class PixelInput
{
    private PixelInput(string columnName, ImageShape shape, bool isImage)
    {
        ColumnName = columnName;
        Shape = shape;
        IsImage = isImage;
    }

    /// <summary>The user's input column.</summary>
    public string ColumnName { get; }

    /// <summary>The image shape the encoder expects.</summary>
    public ImageShape Shape { get; }

    /// <summary>True for an MLImage column, false for a float pixel vector.</summary>
    public bool IsImage { get; }

    /// <summary>
    /// Checks that <paramref name="columnName"/> exists and holds what an encoder of <paramref name="shape"/> can read.
    /// Throws an <see cref="ArgumentException"/> naming the column, what was expected and what was found.
    /// </summary>
    public static PixelInput Resolve(SchemaShape schema, string columnName, ImageShape shape, string parameterName)
    {
        SchemaShape.Column[] matches = schema.Where(c => c.Name == columnName).ToArray();
        if (matches.Length == 0) throw NotFound(columnName, shape, schema.Select(c => c.Name), parameterName);
        SchemaShape.Column column = matches[^1];
        return Resolve(columnName, column.Kind, column.ItemType, column.IsKey, vectorSize: null, shape, parameterName);
    }

    /// <summary>As <see cref="Resolve(SchemaShape, string, ImageShape, string)"/>, with the concrete types of a data view schema.</summary>
    public static PixelInput Resolve(DataViewSchema schema, string columnName, ImageShape shape, string parameterName)
    {
        DataViewSchema.Column? column = schema.GetColumnOrNull(columnName);
        if (column == null) throw NotFound(columnName, shape, schema.Where(c => !c.IsHidden).Select(c => c.Name), parameterName);
        DataViewType type = column.Value.Type;
        if (type is ImageDataViewType image)
        {
            CheckImage(columnName, image.Height, image.Width, shape, parameterName);
            return new PixelInput(columnName, shape, isImage: true);
        }
        if (type is VectorDataViewType vector)
        {
            return Resolve(columnName, vector.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector,
                           vector.ItemType, isKey: false, vector.Size, shape, parameterName);
        }
        return Resolve(columnName, SchemaShape.Column.VectorKind.Scalar, type, isKey: false, vectorSize: null, shape, parameterName);
    }

    private static PixelInput Resolve(string columnName, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey,
                                      int? vectorSize, ImageShape shape, string parameterName)
    {
        string expected = $"a known-size vector of {shape.Size} Single values ({shape} CHW pixels) or an image column";
        if (itemType is ImageDataViewType)
        {
            CheckImage(columnName, height: 0, width: 0, shape, parameterName);
            return new PixelInput(columnName, shape, isImage: true);
        }
        if (kind == SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentException($"Input column '{columnName}' must be {expected}; found a scalar of type {itemType}.", parameterName);
        }
        if (itemType != NumberDataViewType.Single || isKey)
        {
            throw new ArgumentException(
                $"Input column '{columnName}' must be {expected}; found a vector of {itemType}. " +
                "Convert it first, e.g. with mlContext.Transforms.Conversion.ConvertType(..., outputKind: DataKind.Single).", parameterName);
        }
        if (kind == SchemaShape.Column.VectorKind.VariableVector)
        {
            throw new ArgumentException(
                $"Input column '{columnName}' must be {expected}; found a variable-size vector. " +
                "Declare its size (e.g. [VectorType(784)] on the input class) so the image shape can be checked before training.", parameterName);
        }
        if (vectorSize.HasValue && vectorSize.Value != shape.Size)
        {
            throw new ArgumentException(
                $"Input column '{columnName}' must be {expected}; found a vector of {vectorSize.Value} values, which is not {shape.Channels}*{shape.Height}*{shape.Width}.",
                parameterName);
        }
        return new PixelInput(columnName, shape, isImage: false);
    }

    private static ArgumentException NotFound(string columnName, ImageShape shape, IEnumerable<string> available, string parameterName)
    {
        string names = string.Join(", ", available.Select(n => $"'{n}'"));
        return new ArgumentException(
            $"Input column '{columnName}' was not found. Expected a float vector of {shape.Size} pixels ({shape} CHW) or an image column. " +
            $"Available columns: {(names.Length == 0 ? "none" : names)}.", parameterName);
    }

    /// <summary>An image column needs a 1- or 3-channel shape and, where the column type knows it, the same size (0 = unknown).</summary>
    private static void CheckImage(string columnName, int height, int width, ImageShape shape, string parameterName)
    {
        if (shape.Channels != 1 && shape.Channels != 3)
        {
            throw new ArgumentException(
                $"Input column '{columnName}' is an image column, but the image shape has {shape.Channels} channels; " +
                "pixels can be extracted from images as 1 (grayscale) or 3 (RGB) channels.", parameterName);
        }
        if ((height != 0 && height != shape.Height) || (width != 0 && width != shape.Width))
        {
            throw new ArgumentException(
                $"Input column '{columnName}' holds {width}x{height} (width x height) images, but the image shape is {shape.Width}x{shape.Height}. " +
                "Resize them first with mlContext.Transforms.ResizeImages, or change the image shape.", parameterName);
        }
    }

    /// <summary>
    /// For an image column: the estimator chain that writes planar CHW float pixels (0..255) into
    /// <paramref name="pixelColumnName"/> (grayscale conversion first for a 1-channel shape, so colour images
    /// are reduced to luma rather than to their red channel); null for a vector column.
    /// </summary>
    public IEstimator<ITransformer>? CreatePixelExtractor(MLContext mlContext, string pixelColumnName)
    {
        if (!IsImage) return null;
        if (Shape.Channels == 3)
        {
            return mlContext.Transforms.ExtractPixels(pixelColumnName, ColumnName, ImagePixelExtractingEstimator.ColorBits.Rgb,
                ImagePixelExtractingEstimator.ColorsOrder.ARGB, interleavePixelColors: false, outputAsFloatArray: true);
        }
        string grayColumn = pixelColumnName + ".Gray";
        return mlContext.Transforms.ConvertToGrayscale(grayColumn, ColumnName)
            .Append(mlContext.Transforms.ExtractPixels(pixelColumnName, grayColumn, ImagePixelExtractingEstimator.ColorBits.Red,
                ImagePixelExtractingEstimator.ColorsOrder.ARGB, interleavePixelColors: false, outputAsFloatArray: true))
            .Append(mlContext.Transforms.DropColumns(grayColumn));
    }
}
