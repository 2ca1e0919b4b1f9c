"""Offline benchmark data sets for skmm (nothing is downloaded)."""

from .av_digits import make_av_digits
from .emoji import fetch_emoji
from .wesnoth_units import fetch_wesnoth_units

__all__ = ["fetch_emoji", "fetch_wesnoth_units", "make_av_digits"]
