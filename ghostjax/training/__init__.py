"""Training: pure step functions, train states, checkpoints and logging."""
