Console.WriteLine("contrastiveml");
