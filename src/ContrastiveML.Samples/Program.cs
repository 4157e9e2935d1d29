using ContrastiveML.Samples;

return Cli.CreateRoot().Parse(args).Invoke();
