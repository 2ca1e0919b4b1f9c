"""Emoji: a real image + text classification set in about a hundred languages, built offline.

Sources: three Debian packages -- ``fonts-noto-color-emoji`` (the Noto Color
Emoji pictures, SIL OFL 1.1), ``unicode-cldr-core`` (CLDR emoji names and
keywords written by each language's CLDR contributors, Unicode-DFS-2016) and
``unicode-data`` (``emoji-test.txt``: the Unicode emoji groups, Unicode terms
of use). Nothing is generated: the pictures are drawn by Google's designers,
the names written by people.
"""

from __future__ import annotations

import json
import numbers
import os
from typing import Literal

import pandas as pd

from . import _emoji_build as _build
from . import _emoji_sources as _sources
from ._home import get_data_home
from ._split import held_out_items

__all__ = ["fetch_emoji"]

#: Bumped whenever the built content changes; part of the cache folder name.
DATASET_VERSION = "emoji-1"
_SPLITS = (None, "train", "test")
_TARGETS = ("group", "subgroup")


def _check(split, test_size, target, include_flags, n_languages, image_size):
    if split not in _SPLITS:
        raise ValueError(f'split must be None, "train" or "test", got {split!r}.')
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be a float strictly between 0 and 1, got {test_size!r}.")
    if target not in _TARGETS:
        raise ValueError(f'target must be "group" or "subgroup", got {target!r}.')
    if not isinstance(include_flags, bool):
        raise TypeError(f"include_flags must be a bool, got {include_flags!r}.")
    for name, value, low in (("n_languages", n_languages, 1), ("image_size", image_size, 8)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")


def fetch_emoji(
    data_home: str | os.PathLike | None = None,
    *,
    split: Literal["train", "test"] | None = None,
    test_size: float = 0.25,
    target: Literal["group", "subgroup"] = "group",
    include_flags: bool = False,
    random_state: int = 0,
    source: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    n_languages: int = 5,
    image_size: int = 72,
    verbose: int = 1,
) -> tuple[pd.DataFrame, pd.Series]:
    """Load the emoji set: classify an emoji's Unicode group from its picture and its name.

    One row per (emoji, language): the emoji's CLDR name and keywords in that
    language (``"grinning face | face | grin"``, ``"にっこり笑う | スマイル | ..."``)
    and its Noto Color Emoji picture. Near-duplicates are one emoji: the skin
    tones and the man / woman / person forms of "technologist" are one item,
    whose rows show different members (the text names the member shown,
    without its skin tone). Each emoji gets ``n_languages`` languages drawn
    from the CLDR locales that name at least 90% of the emoji (96 with CLDR
    41). The target is the emoji's group in ``emoji-test.txt``: with the
    defaults 8 classes (Smileys & Emotion, People & Body, Animals & Nature,
    Food & Drink, Travel & Places, Activities, Objects, Symbols), about 1,400
    emoji and 7,000 rows. Flags are left out by default: their pictures are
    rectangles and every language's name says "flag", so either modality
    alone gets them right.

    The first call builds a cache under ``data_home`` (under a minute) from the
    installed Debian packages (``/usr/share/...``), else copies unpacked under
    ``data_home/debs/emoji`` by ``apt-get download`` (no root needed); later
    calls only read ``index.csv``. Pictures are RGBA PNGs on transparency
    (:class:`~skmm.preprocessing.ImageLoader` shows them on white).

    Parameters
    ----------
    data_home : str, path or None, default=None
        Cache folder; ``None`` uses ``$SKMM_DATA`` or ``~/skmm_data``.
    split : {None, "train", "test"}, default=None
        ``None`` returns every row; ``"train"``/``"test"`` a split by emoji
        (every language, skin tone and gender of one emoji on one side),
        stratified by the target.
    test_size : float, default=0.25
        Share of each class's emoji held out for ``"test"``.
    target : {"group", "subgroup"}, default="group"
        The Unicode group (8 classes, 9 with flags) or subgroup (about 95;
        a subgroup with a single emoji stays in ``"train"``).
    include_flags : bool, default=False
        Keep the Flags group (about 270 emoji).
    random_state : int, default=0
        Seed of the split (the built cache does not depend on it).
    source : str, path or None, default=None
        A folder the three packages are unpacked into (holding
        ``usr/share/fonts/truetype/noto/NotoColorEmoji.ttf``,
        ``usr/share/unicode/cldr/common/annotations`` and
        ``usr/share/unicode/emoji/emoji-test.txt``); ``None`` looks in ``/``,
        then in the unpacked copy.
    download_if_missing : bool, default=True
        Run ``apt-get download`` for the packages when no source is found.
    n_languages : int, default=5
        Languages (rows) per emoji.
    image_size : int, default=72
        Side of the square PNG pictures in the cache.
    verbose : int, default=1
        Print build progress; 0 is silent.

    Returns
    -------
    X : pandas.DataFrame
        Columns ``text`` (str), ``image`` (absolute PNG path), ``lang`` (CLDR
        locale) and ``emoji`` (the item: use it as ``groups`` in
        ``GroupKFold``). ``X.attrs`` holds the provenance written at build
        time: ``packages`` (versions and licences), ``source``, ``languages``
        and counts.
    y : pandas.Series
        The group (or subgroup), named after ``target``.

    Raises
    ------
    FileNotFoundError
        When the cache is absent and the packages can be neither found nor
        fetched; the message names the missing ones and the ``apt-get`` command.

    Examples
    --------
    >>> from skmm.datasets import fetch_emoji
    >>> X, y = fetch_emoji(split="train", verbose=0)  # doctest: +SKIP
    >>> X.columns.tolist()  # doctest: +SKIP
    ['text', 'image', 'lang', 'emoji']

    A folder without the packages' files is refused before anything is built:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     try:
    ...         fetch_emoji(tmp, source=tmp, verbose=0)
    ...     except FileNotFoundError as exc:
    ...         print("apt-get install fonts-noto-color-emoji" in str(exc))
    True
    """
    _check(split, test_size, target, include_flags, n_languages, image_size)
    root = get_data_home(data_home)
    folder = root / f"{DATASET_VERSION}-lang{n_languages}-px{image_size}"
    if not (folder / "index.csv").is_file():
        found = _sources.find_source(source, root, download_if_missing, verbose)
        root.mkdir(parents=True, exist_ok=True)
        _build.build(folder, found, image_size=image_size, n_languages=n_languages, seed=0, verbose=verbose)
    table = pd.read_csv(folder / "index.csv", encoding="utf-8", keep_default_na=False, dtype=str)
    if not include_flags:
        table = table[table["group"] != "Flags"].reset_index(drop=True)
    if split is not None:
        held = table["emoji"].isin(held_out_items(table, "emoji", target, test_size, random_state))
        table = table[held if split == "test" else ~held].reset_index(drop=True)
    X = pd.DataFrame({
        "text": table["text"],
        "image": [str(folder / p) for p in table["image"]],
        "lang": table["lang"],
        "emoji": table["emoji"],
    })
    # Provenance travels with the frame (packages, versions, licences, counts).
    X.attrs.update(json.loads((folder / "meta.json").read_text(encoding="utf-8")))
    return X, table[target].rename(target)
