"""The lecture's math: nodes, losses, penalties, the chain and gradcheck.

Each formula is written once, under the lecture's names (``J``, ``dJ_dpred``,
``dpred_dz``, ``dJ_dz``); the training loop and the compiled kernels call it.
"""
