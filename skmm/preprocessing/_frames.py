"""Rows of frames of different lengths ``(T_i, d)``: per-feature scaling and NaN padding.

Audio (log-mel frames) and time series share this: statistics over the real
frames only, and padding after each row's end that the networks read as
"no frame here".
"""

from __future__ import annotations

import numpy as np


def feature_stats(frames, max_len, width, normalize, min_std=1e-6):
    """Per-feature (mean, std), float32, of the first ``max_len`` frames of the present rows.

    ``frames`` is a list of ``(T_i, width)`` arrays or None (absent rows).
    Without ``normalize``: zeros and ones. A feature whose std is at most
    ``min_std`` (a constant) keeps its scale (std 1) rather than dividing by
    zero.
    """
    if not normalize:
        return np.zeros(width, dtype=np.float32), np.ones(width, dtype=np.float32)
    stacked = np.concatenate([f[:max_len] for f in frames if f is not None])
    std = stacked.std(axis=0)
    return stacked.mean(axis=0).astype(np.float32), np.where(std > min_std, std, 1.0).astype(np.float32)


def pad_frames(frames, max_len, mean, std):
    """Rows ``(T_i, d)`` or None -> float32 ``(n, max_len, d)``: scaled, truncated, NaN after each end."""
    out = np.full((len(frames), max_len, len(mean)), np.nan, dtype=np.float32)
    for i, f in enumerate(frames):
        if f is not None:  # absent: stays NaN
            out[i, : len(f)] = f[:max_len]
    # Scaled in place at once (the same float32 operations as row by row; NaN padding stays NaN).
    out -= mean
    out /= std
    return out


#: A learned cap (``max_duration="auto"``, ``max_len="auto"``) is this quantile of the training
#: rows' lengths, but at most ``CAP_SPREAD`` times the ``CAP_BULK`` quantile.
CAP_QUANTILE, CAP_BULK, CAP_SPREAD = 0.99, 0.95, 2.0


def learned_cap(lengths, limit=None):
    """Steps per row learned from the training rows' ``lengths``: the 99th percentile, at most twice the 95th.

    A padded row costs memory and time up to the cap, so the few longest
    rows of a long-tailed set would otherwise set every row's cost. The
    99th percentile alone is no cap for a tail of a percent or two (a
    Wesnoth set with 1% of its clips at 10-20 s has its 99th percentile at
    10 s, five times the other clips' longest): the bound by the 95th keeps
    the cap near where the bulk of the rows ends. Both are lengths some
    row has (the quantiles' "higher" method). ``limit`` (a user's cap)
    bounds it. Returns ``(cap, rows longer than it)``.
    """
    lengths = np.asarray(lengths)
    cap = int(min(np.quantile(lengths, CAP_QUANTILE, method="higher"),
                  CAP_SPREAD * np.quantile(lengths, CAP_BULK, method="higher")))
    if limit is not None:
        cap = min(cap, int(limit))
    return max(cap, 1), int((lengths > cap).sum())


def report_cut(owner, n_cut, n_rows, what, cap_text, verbose):
    """Say (at ``verbose`` >= 1) how many training rows a learned cap cuts, and how to change it."""
    if verbose and n_cut:
        print(
            f"[{type(owner).__name__}] {n_cut} of {n_rows} training {what} are longer than {cap_text} "
            f"(the learned cap: the {CAP_QUANTILE:.0%} quantile of their lengths, at most {CAP_SPREAD:g}x the "
            f"{CAP_BULK:.0%} quantile) and are cut to it; pass a number to change the cap, or None to keep "
            "every row whole.", flush=True,
        )
