"""Training: configs, the fit() loop with truncated BPTT, clipping, schedules, checkpoints."""
