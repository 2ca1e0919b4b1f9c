"""Build the Wesnoth-units cache from the Debian package ``wesnoth-1.16-data``.

Reads the game's unit files, sprites, sounds and ``wesnoth-units`` translations
(see :mod:`skmm.datasets._wml`) and writes, once, a folder of RGB PNG sprites,
16 kHz mono WAV clips and an ``index.csv`` (UTF-8) with one row per
(unit type, language). The public entry point is
:func:`skmm.datasets.fetch_wesnoth_units`.
"""

from __future__ import annotations

import gettext
import gzip
import json
import os
import shutil
import subprocess
import uuid
from math import gcd
from pathlib import Path

import numpy as np
import pandas as pd

from ._wml import read_sound_lists, read_unit_types

PACKAGE = "wesnoth-1.16-data"
LICENSE = "GPL-2+ (see /usr/share/doc/wesnoth-1.16-data/copyright)"
#: Where Debian installs the game data, and where it lies inside the .deb.
GAME_DIR = Path("usr/share/games/wesnoth/1.16")
APT_HINT = (
    f"Install it with `apt-get install {PACKAGE}`, or without root: "
    f"`apt-get download {PACKAGE} && dpkg-deb -x {PACKAGE}_*.deb DIR` and pass "
    f"source='DIR/{GAME_DIR}'."
)
SAMPLE_RATE = 16000
MAX_SECONDS = 2.0


def _is_game_dir(path: Path) -> bool:
    return (path / "data" / "core" / "units").is_dir()


def find_source(source, data_home: Path, download_if_missing: bool, verbose: int) -> Path:
    """The game data folder: *source*, the system install, or a package extracted under *data_home*."""
    if source is not None:
        source = Path(source).expanduser()
        if not _is_game_dir(source):
            raise FileNotFoundError(
                f"source={str(source)!r} holds no data/core/units folder; it must be the "
                f"Wesnoth data folder (/{GAME_DIR} once {PACKAGE} is installed). {APT_HINT}"
            )
        return source
    extracted = data_home / "debs" / PACKAGE
    for candidate in (Path("/") / GAME_DIR, extracted / GAME_DIR):
        if _is_game_dir(candidate):
            return candidate
    if not download_if_missing:
        raise FileNotFoundError(
            f"The Wesnoth data ({PACKAGE}) is not installed and download_if_missing=False. {APT_HINT}"
        )
    return _apt_download(extracted, verbose)


def _apt_download(dest: Path, verbose: int) -> Path:
    """``apt-get download`` the package into *dest* and unpack it there (no root needed)."""
    dest.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"[fetch_wesnoth_units] apt-get download {PACKAGE} (about 150 MB) into {dest}", flush=True)
    try:
        subprocess.run(["apt-get", "download", PACKAGE], cwd=dest, check=True,
                       capture_output=not verbose)
        deb = next(dest.glob(f"{PACKAGE}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
    except (OSError, subprocess.CalledProcessError, StopIteration) as exc:
        raise FileNotFoundError(f"Could not fetch {PACKAGE} with apt-get ({exc}). {APT_HINT}") from exc
    deb.unlink()
    return dest / GAME_DIR


def _package_version(source: Path) -> str:
    """The Debian version from the package's changelog, or "unknown" for other layouts."""
    # <prefix>/usr/share/games/wesnoth/1.16 -> <prefix>/usr/share/doc/<package>
    changelog = source.parents[2] / "doc" / PACKAGE / "changelog.Debian.gz" if len(source.parents) > 2 else None
    try:
        with gzip.open(changelog, "rt", encoding="utf-8") as fh:
            return fh.readline().split("(", 1)[1].split(")", 1)[0]
    except (OSError, TypeError, IndexError):
        return "unknown"


def _translations(source: Path, domain: str) -> dict[str, gettext.GNUTranslations]:
    out = {}
    for mo in sorted((source / "locale").glob(f"*/LC_MESSAGES/{domain}.mo")):
        with open(mo, "rb") as fh:
            out[mo.parents[1].name] = gettext.GNUTranslations(fh)
    return out


def _units(source: Path) -> list[dict]:
    core = source / "data" / "core"
    sound_lists = read_sound_lists(core / "macros")
    units = {}
    for cfg in sorted((core / "units").rglob("*.cfg")):
        for unit in read_unit_types(cfg, sound_lists):
            unit["images"] = [f for f in unit["images"] if (core / "images" / f).is_file()]
            unit["sounds"] = [f for f in unit["sounds"] if (core / "sounds" / f).is_file()]
            if unit["description"] and unit["images"]:
                units.setdefault(unit["id"], unit)
    return list(units.values())


def _rows(units, translations, min_units: int, seed: int) -> pd.DataFrame:
    races = pd.Series([u["race"] for u in units]).value_counts()
    kept = set(races[races >= min_units].index)
    if len(kept) < 2:
        raise ValueError(f"Fewer than two races have min_units={min_units} unit types: {races.to_dict()}.")
    rng = np.random.default_rng(seed)
    rows = []
    for unit in sorted((u for u in units if u["race"] in kept), key=lambda u: u["id"]):
        texts = [("en", unit["description"])]
        for lang, tr in translations.get(unit["textdomain"], {}).items():
            text = tr.gettext(unit["description"])
            if text != unit["description"]:  # untranslated strings would duplicate the English row
                texts.append((lang, text))
        # Each language of a unit shows a different sprite frame and sound, cycling when they run out.
        frames = rng.permutation(unit["images"])
        sounds = rng.permutation(unit["sounds"]) if unit["sounds"] else [None]
        for k, (lang, text) in enumerate(texts):
            rows.append({
                "unit": unit["id"], "race": unit["race"], "lang": lang,
                "text": " ".join(text.split()),
                "image": frames[k % len(frames)],
                "audio": sounds[k % len(sounds)],
            })
    return pd.DataFrame(rows)


def _media_name(rel: str, suffix: str) -> str:
    return rel.rsplit(".", 1)[0].replace("/", "__") + suffix


def _write_image(src: Path, dst: Path, size: int) -> None:
    from PIL import Image

    with Image.open(src) as im:
        im = im.convert("RGBA")
        im.thumbnail((size, size))
        # Sprites are drawn on transparency; a mid grey keeps both dark and light outlines visible.
        canvas = Image.new("RGBA", (size, size), (128, 128, 128, 255))
        canvas.alpha_composite(im, ((size - im.width) // 2, (size - im.height) // 2))
        canvas.convert("RGB").save(dst, format="PNG")


def _write_audio(src: Path, dst: Path) -> None:
    import soundfile as sf
    from scipy.signal import resample_poly

    wave, rate = sf.read(src, dtype="float32", always_2d=True)
    wave = wave.mean(axis=1)[: int(MAX_SECONDS * rate)]
    g = gcd(int(rate), SAMPLE_RATE)
    wave = resample_poly(wave, SAMPLE_RATE // g, int(rate) // g).astype(np.float32)
    sf.write(dst, np.clip(wave, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")


def build(folder: Path, source: Path, *, image_size: int, min_units: int, seed: int, verbose: int) -> None:
    """Write the cache *folder* atomically (a temporary sibling renamed at the end)."""
    units = _units(source)
    domains = {u["textdomain"] for u in units}
    translations = {d: _translations(source, d) for d in domains}
    table = _rows(units, translations, min_units, seed)
    tmp = folder.parent / f".tmp-{folder.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        (tmp / "images").mkdir(parents=True)
        (tmp / "audio").mkdir()
        core = source / "data" / "core"
        images = sorted(set(table["image"]))
        sounds = sorted(set(table["audio"].dropna()))
        for i, rel in enumerate(images):
            _write_image(core / "images" / rel, tmp / "images" / _media_name(rel, ".png"), image_size)
            if verbose and (i + 1) % 500 == 0:
                print(f"[fetch_wesnoth_units] {i + 1}/{len(images)} sprites", flush=True)
        for rel in sounds:
            try:
                _write_audio(core / "sounds" / rel, tmp / "audio" / _media_name(rel, ".wav"))
            except Exception as exc:  # soundfile raises its own LibsndfileError
                raise ValueError(f"Cannot decode sound file {core / 'sounds' / rel}: {exc}") from exc
        table["image"] = "images/" + table["image"].map(lambda r: _media_name(r, ".png"))
        table["audio"] = table["audio"].map(lambda r: None if pd.isna(r) else "audio/" + _media_name(r, ".wav"))
        table.to_csv(tmp / "index.csv", index=False, encoding="utf-8")
        meta = {
            "package": PACKAGE, "version": _package_version(source), "license": LICENSE,
            "source": str(source), "n_rows": len(table), "n_units": int(table["unit"].nunique()),
            "n_images": len(images), "n_sounds": len(sounds),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (folder / "index.csv").is_file():  # another process did not win the race
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if verbose:
        print(f"[fetch_wesnoth_units] built {folder}: {len(table)} rows, {len(images)} sprites, "
              f"{len(sounds)} sounds", flush=True)
