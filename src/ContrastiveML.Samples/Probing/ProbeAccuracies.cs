namespace ContrastiveML.Samples.Probing;

/// <summary>The probe's three linear-probe accuracies: on the pretrained encoder, on raw pixels and on the random-init encoder.</summary>
internal sealed record ProbeAccuracies(double Pretrained, double RawPixels, double RandomEncoder);
