"""Build the emoji cache from the Debian packages read in :mod:`skmm.datasets._emoji_sources`.

Renders every fully-qualified emoji the Noto Color Emoji font draws as one
glyph, groups near-duplicates (skin tones, gendered forms) into one item,
and writes, once, a folder of RGBA PNGs and an ``index.csv`` (UTF-8) with one
row per (item, language). The public entry point is
:func:`skmm.datasets.fetch_emoji`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from . import _emoji_sources as src

#: Noto Color Emoji is a bitmap (CBDT) font with one strike: 109 px gives its native 136 x 128 glyphs.
NATIVE_SIZE = 109
#: A locale names enough emoji to become a language of the set when it names this share of them.
MIN_COVERAGE = 0.9


def make_renderer(font_path: Path):
    """A function emoji -> RGBA :class:`PIL.Image.Image`, or None when the font lacks the sequence."""
    from PIL import Image, ImageDraw, ImageFont, features

    if not features.check_feature("raqm"):
        # Without text shaping a ZWJ sequence or flag is drawn as its parts, not the one picture.
        raise RuntimeError("Rendering emoji sequences needs Pillow's raqm layout (libraqm with libfribidi); "
                           "install libfribidi0 (`apt-get install libfribidi0`).")
    try:
        font = ImageFont.truetype(str(font_path), size=NATIVE_SIZE, layout_engine=ImageFont.Layout.RAQM)
    except OSError as exc:
        raise ValueError(f"Cannot load the emoji font {font_path}: {exc}") from exc
    one = font.getbbox("\U0001F600")[2]  # the advance of one glyph (grinning face)

    def render(emoji: str):
        left, top, right, bottom = font.getbbox(emoji)
        # A sequence the font has no ligature for is laid out as several glyphs.
        if right - left > 1.2 * one or right <= left or bottom <= top:
            return None
        image = Image.new("RGBA", (right, bottom), (0, 0, 0, 0))
        ImageDraw.Draw(image).text((0, 0), emoji, font=font, embedded_color=True)
        return image if image.getbbox() is not None else None  # the font's blank .notdef

    return render


def _square(image, size: int):
    """Centre *image* on a transparent square and shrink it to ``size`` x ``size``."""
    from PIL import Image

    image = image.crop(image.getbbox())
    side = max(image.size)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    canvas.alpha_composite(image, ((side - image.width) // 2, (side - image.height) // 2))
    return canvas.resize((size, size), Image.LANCZOS)


def image_name(emoji: str) -> str:
    return "-".join(f"{ord(c):x}" for c in emoji) + ".png"


def text_of(entry: dict) -> str:
    """The CLDR name, then the keywords that differ from it, as CLDR lists them."""
    name = entry["name"]
    return " | ".join([name] + [k for k in entry.get("keywords", []) if k != name])


def select_languages(annotations: dict, keys: set) -> list[str]:
    """The locales that name at least ``MIN_COVERAGE`` of *keys* (sorted)."""
    counts = {loc: sum(1 for k in keys if "name" in table.get(k, {})) for loc, table in annotations.items()}
    return sorted(loc for loc, n in counts.items() if keys and n >= MIN_COVERAGE * len(keys))


def families(emoji: list[dict], drawable) -> dict[str, list[dict]]:
    """Family key -> its drawable members in file order (near-duplicates of one picture)."""
    out = {}
    for entry in emoji:
        if entry["emoji"] in drawable:
            out.setdefault(src.family_key(entry["emoji"]), []).append(entry)
    for key, members in out.items():
        groups = {m["group"] for m in members}
        if len(groups) > 1:  # a family split between classes would leak its pictures
            raise ValueError(f"Emoji family {key!r} spans groups {sorted(groups)}.")
    return out


def make_rows(fams: dict, annotations: dict, languages: list[str], n_languages: int, seed: int) -> pd.DataFrame:
    """One row per (family, language): *n_languages* sampled languages, members cycled over them."""
    rng = np.random.default_rng(seed)
    rows = []
    for members in fams.values():
        order = [members[i] for i in rng.permutation(len(members))]
        named = {lang: [m for m in order if "name" in annotations[lang].get(src.annotation_key(m["emoji"]), {})]
                 for lang in languages}
        langs = [lang for lang in languages if named[lang]]
        if not langs:
            continue
        picked = rng.choice(langs, size=min(n_languages, len(langs)), replace=False)
        for k, lang in enumerate(picked):
            # Different languages of one item show different members (skin tones, genders) where it has them.
            member = named[lang][k % len(named[lang])]
            entry = annotations[lang][src.annotation_key(member["emoji"])]
            rows.append({
                "emoji": members[0]["emoji"], "member": member["emoji"], "lang": str(lang),
                "text": text_of(entry), "image": "images/" + image_name(member["emoji"]),
                "group": member["group"], "subgroup": member["subgroup"],
            })
    return pd.DataFrame(rows, columns=["emoji", "member", "lang", "text", "image", "group", "subgroup"])


def build(folder: Path, prefix: Path, *, image_size: int, n_languages: int, seed: int, verbose: int) -> None:
    """Write the cache *folder* atomically (a temporary sibling renamed at the end)."""
    emoji = src.read_emoji_test(prefix / src.EMOJI_TEST)
    emoji = [e for e in emoji if e["group"] != "Component"]
    render = make_renderer(prefix / src.FONT)
    images = {}
    for i, entry in enumerate(emoji):
        image = render(entry["emoji"])
        if image is not None:
            images[entry["emoji"]] = image
        if verbose and (i + 1) % 1000 == 0:
            print(f"[fetch_emoji] rendered {i + 1}/{len(emoji)} emoji", flush=True)
    fams = families(emoji, images)
    annotations = src.read_annotations(prefix)
    keys = {src.annotation_key(m["emoji"]) for members in fams.values() for m in members}
    languages = select_languages(annotations, keys)
    if not languages:
        raise ValueError(f"No CLDR locale under {prefix / src.CLDR_ANNOTATIONS} names {MIN_COVERAGE:.0%} "
                         f"of the {len(keys)} drawable emoji.")
    table = make_rows(fams, annotations, languages, n_languages, seed)
    tmp = folder.parent / f".tmp-{folder.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        (tmp / "images").mkdir(parents=True)
        for member in sorted(set(table["member"])):
            _square(images[member], image_size).save(tmp / "images" / image_name(member), format="PNG")
        table.to_csv(tmp / "index.csv", index=False, encoding="utf-8")
        versions = src.package_versions(prefix)
        meta = {
            "packages": {name: {"version": versions[name], "license": lic}
                         for name, (_, lic) in src.PACKAGES.items()},
            "source": str(prefix), "n_rows": len(table), "n_emoji": int(table["emoji"].nunique()),
            "n_images": int(table["member"].nunique()), "n_drawable": len(images),
            "n_fully_qualified": len(emoji), "languages": languages,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (folder / "index.csv").is_file():  # another process did not win the race
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if verbose:
        print(f"[fetch_emoji] built {folder}: {len(table)} rows, {meta['n_emoji']} emoji, "
              f"{meta['n_images']} pictures, {len(languages)} languages", flush=True)
