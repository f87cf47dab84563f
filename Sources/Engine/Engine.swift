// Tensor engine.
