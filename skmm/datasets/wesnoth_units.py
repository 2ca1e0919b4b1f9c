"""Wesnoth units: a real image + text + audio classification set, built offline.

Source: the Debian package ``wesnoth-1.16-data`` (Battle for Wesnoth 1.16,
GPL-2+; art, sounds and translations by the Wesnoth contributors and
translation teams). Nothing is generated: sprites are drawn by people, the
descriptions are written and translated by people, the sounds are recorded.
"""

from __future__ import annotations

import io
import json
import numbers
import os
from typing import Literal

import numpy as np
import pandas as pd

from ..utils.bounded import read_bounded
from . import _wesnoth_build as _build
from ._home import get_data_home
from ._split import held_out_items

__all__ = ["fetch_wesnoth_units"]

#: Bumped whenever the built content changes; part of the cache folder name.
DATASET_VERSION = "wesnoth_units-1"
_SPLITS = (None, "train", "test")


def _check(split, test_size, min_units, image_size):
    if split not in _SPLITS:
        raise ValueError(f'split must be None, "train" or "test", got {split!r}.')
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be a float strictly between 0 and 1, got {test_size!r}.")
    for name, value, low in (("min_units", min_units, 1), ("image_size", image_size, 8)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")


def _test_units(table: pd.DataFrame, test_size: float, random_state: int) -> set:
    """A stratified hold-out of whole units: every race keeps units on both sides."""
    return held_out_items(table, "unit", "race", test_size, random_state)


def fetch_wesnoth_units(
    data_home: str | os.PathLike | None = None,
    *,
    split: Literal["train", "test"] | None = None,
    test_size: float = 0.25,
    random_state: int = 0,
    source: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    min_units: int = 10,
    image_size: int = 72,
    verbose: int = 1,
) -> tuple[pd.DataFrame, pd.Series]:
    """Load the Wesnoth-units set: classify a unit's race from its sprite, description and sound.

    One row per (unit type, language): the unit's in-game description in that
    language (English plus every translation shipped in ``wesnoth-units.mo``;
    untranslated strings are skipped), one of the unit's sprite frames, and one
    of the sounds its animations play (weapon sounds and hit/death cries), so
    the rows of one unit differ in every modality. The target is the unit's
    ``race``; races with fewer than ``min_units`` unit types are left out (with
    the defaults: 10 races -- drake, dunefolk, dwarf, elf, human, merman,
    monster, naga, orc, undead -- about 230 units and 10,000 rows).

    The first call builds a cache under ``data_home`` (about 1 minute) from the
    Debian package ``wesnoth-1.16-data`` (version 1:1.16.9-1 when written;
    GPL-2+, see ``/usr/share/doc/wesnoth-1.16-data/copyright``): the installed
    game, else a copy unpacked under ``data_home/debs`` by
    ``apt-get download`` (no root needed); later calls only read
    ``index.csv``. Sprites become RGB PNGs on a grey background, sounds 16 kHz
    mono WAVs of at most 2 s, texts UTF-8.

    Parameters
    ----------
    data_home : str, path or None, default=None
        Cache folder; ``None`` uses ``$SKMM_DATA`` or ``~/skmm_data``.
    split : {None, "train", "test"}, default=None
        ``None`` returns every row; ``"train"``/``"test"`` a split by unit type
        (all languages of a unit fall on one side, so translations never
        straddle the split), stratified by race.
    test_size : float, default=0.25
        Share of each race's unit types held out for ``"test"``.
    random_state : int, default=0
        Seed of the split (the built cache does not depend on it).
    source : str, path or None, default=None
        The Wesnoth data folder (holding ``data/core/units``) to build from;
        ``None`` looks for the installed package, then the unpacked copy.
    download_if_missing : bool, default=True
        Run ``apt-get download wesnoth-1.16-data`` when no source is found.
    min_units : int, default=10
        Smallest number of unit types for a race to become a class.
    image_size : int, default=72
        Side of the square PNG sprites in the cache.
    verbose : int, default=1
        Print build progress; 0 is silent.

    Returns
    -------
    X : pandas.DataFrame
        Columns ``text`` (str), ``image`` and ``audio`` (absolute file paths;
        ``audio`` is NaN for the few units without any sound), ``lang`` and
        ``unit`` (the item: use it as ``groups`` in ``GroupKFold``).
        ``X.attrs`` holds the provenance written at build time: ``package``,
        ``version``, ``license``, ``source`` and counts.
    y : pandas.Series
        The race, named ``race``.

    Raises
    ------
    FileNotFoundError
        When the cache is absent and no source can be found or fetched; the
        message gives the ``apt-get`` command.

    Examples
    --------
    >>> from skmm.datasets import fetch_wesnoth_units
    >>> X, y = fetch_wesnoth_units(split="train", verbose=0)  # doctest: +SKIP
    >>> X.columns.tolist()  # doctest: +SKIP
    ['text', 'image', 'audio', 'lang', 'unit']

    A folder that is not the game data is refused before anything is built:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     try:
    ...         fetch_wesnoth_units(tmp, source=tmp, verbose=0)
    ...     except FileNotFoundError as exc:
    ...         print("holds no data/core/units folder" in str(exc))
    True
    """
    _check(split, test_size, min_units, image_size)
    root = get_data_home(data_home)
    folder = root / f"{DATASET_VERSION}-min{min_units}-px{image_size}"
    if not (folder / "index.csv").is_file():
        found = _build.find_source(source, root, download_if_missing, verbose)
        root.mkdir(parents=True, exist_ok=True)
        _build.build(folder, found, image_size=image_size, min_units=min_units, seed=0, verbose=verbose)
    table = pd.read_csv(io.BytesIO(read_bounded(folder / "index.csv", "data")), encoding="utf-8", keep_default_na=False,
                        na_values={"audio": [""]}, dtype={"text": str, "lang": str, "unit": str})
    if split is not None:
        held = table["unit"].isin(_test_units(table, test_size, random_state))
        table = table[held if split == "test" else ~held].reset_index(drop=True)
    X = pd.DataFrame({
        "text": table["text"],
        "image": [str(folder / p) for p in table["image"]],
        "audio": [np.nan if pd.isna(p) else str(folder / p) for p in table["audio"]],
        "lang": table["lang"],
        "unit": table["unit"],
    })
    # Provenance travels with the frame (package, version, licence, counts).
    X.attrs.update(json.loads(read_bounded(folder / "meta.json", "data").decode("utf-8")))
    return X, table["race"].rename("race")

