using System.CommandLine;
using ContrastiveML.Samples;

var root = new RootCommand("ContrastiveML: contrastive self-supervised pretraining of image encoders inside ML.NET pipelines.")
{
    ProbeCommand.Create(),
};
return root.Parse(args).Invoke();
