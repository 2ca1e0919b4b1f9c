"""Each fit owns its random stream, so seeded fits agree in threads and on resume.

A fit draws from one ``torch.Generator`` seeded from ``random_state``:
shuffling (``randperm``), modality dropout and the DataLoader's base seed
take it as their ``generator`` argument. Weight initialisation and dropout
layers (``nn.Dropout``, the dropout inside ``nn.GRU``/``nn.LSTM`` and
``nn.MultiheadAttention``, and any custom module) have no such argument:
they draw from torch's one global generator. For those, :func:`drawing_from`
swaps the fit's state into the global generator for the length of the
block, under a process-wide lock, and swaps it back out afterwards. So two
fits in two threads never interleave draws (each forward pass in training
is serialised; backward passes and optimiser steps still run in parallel),
the user's own global stream is left as it was, and the fit's whole random
state is one tensor that a checkpoint can save and restore.

Code outside skmm that draws from the global generator in another thread
while a fit's forward pass runs is not covered: torch has one global stream.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import torch

# Reentrant: a custom module may itself call code that enters the block.
_GLOBAL_RNG_LOCK = threading.RLock()


def fit_generator(seed):
    """A fresh CPU generator seeded with ``seed`` (the fit's own stream)."""
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return generator


@contextmanager
def drawing_from(generator, cuda_generator=None):
    """Within the block, torch's global generator(s) draw from ``generator``.

    Parameters
    ----------
    generator : torch.Generator
        CPU generator of the fit; advanced by whatever the block draws.
    cuda_generator : torch.Generator or None
        The fit's generator for the current CUDA device (dropout on a GPU
        draws from the CUDA default generator), when training on CUDA.
    """
    with _GLOBAL_RNG_LOCK:
        saved = torch.get_rng_state()
        torch.set_rng_state(generator.get_state())
        saved_cuda = None
        if cuda_generator is not None:
            saved_cuda = torch.cuda.get_rng_state()
            torch.cuda.set_rng_state(cuda_generator.get_state())
        try:
            yield
        finally:
            generator.set_state(torch.get_rng_state())
            torch.set_rng_state(saved)
            if cuda_generator is not None:
                cuda_generator.set_state(torch.cuda.get_rng_state())
                torch.cuda.set_rng_state(saved_cuda)


def cuda_generator(device, seed):
    """The fit's generator for a CUDA ``device`` (None on the CPU)."""
    if not str(device).startswith("cuda") or not torch.cuda.is_available():
        return None
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator
