"""Offline benchmark data sets for skmm (nothing is downloaded)."""

from .av_digits import make_av_digits

__all__ = ["make_av_digits"]
