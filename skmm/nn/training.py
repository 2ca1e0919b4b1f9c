"""Choices of the default training budget that depend on the data."""

from __future__ import annotations

import math

import numpy as np


def can_hold_out(target, fraction, stratified):
    """Whether ``fraction`` of the rows can be held out for validation.

    A stratified split needs every class twice and at least one row per
    class on each side; any split needs a row on each side.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.nn.training import can_hold_out
    >>> can_hold_out(np.repeat([0, 1], 50), 0.1, stratified=True)
    True
    >>> can_hold_out(np.array([0, 0, 1, 1, 2, 2]), 0.1, stratified=True)
    False
    """
    target = np.asarray(target)
    n = len(target)
    n_valid = math.ceil(fraction * n)
    if n_valid < 1 or n - n_valid < 1:
        return False
    if not stratified:
        return True
    _, counts = np.unique(target.reshape(n, -1)[:, 0], return_counts=True)
    return counts.min() >= 2 and n_valid >= len(counts) and n - n_valid >= len(counts)
