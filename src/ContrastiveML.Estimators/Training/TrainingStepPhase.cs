namespace ContrastiveML.Training;

/// <summary>The boundaries inside one <see cref="TrainingStep"/> that an <see cref="ITrainingStepProbe"/> is told about, in the order they are reached.</summary>
internal enum TrainingStepPhase
{
    /// <summary>The batch's pixels (and labels) are tensors on the training device, scaled to [0, 1].</summary>
    BatchOnDevice,

    /// <summary>The method has made its augmented views, before any encoder runs (reported by the method through <see cref="ContrastiveBatch.ViewsMade"/>).</summary>
    ViewsMade,

    /// <summary>The loss is computed, read back and back-propagated.</summary>
    ForwardBackwardDone,

    /// <summary>The optimiser has stepped and the method's after-step update (e.g. a momentum encoder) has run.</summary>
    OptimizerStepDone,
}
