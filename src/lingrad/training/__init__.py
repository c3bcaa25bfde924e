"""Training: the Trainer (steps, epochs, stopping, divergence), batching and
shuffles, optimizers, schedules, the History, and the compiled kernels.
"""
