"""Training: losses, per-family step logic, the trainer and checkpoints."""
