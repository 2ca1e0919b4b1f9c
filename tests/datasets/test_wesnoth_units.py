"""fetch_wesnoth_units on a tiny fake Wesnoth tree (same layout as wesnoth-1.16-data); nothing downloads."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import polib
import pytest
import soundfile as sf
from PIL import Image

from skmm.datasets import _wesnoth_build, fetch_wesnoth_units
from skmm.datasets._wml import expand_ranges, read_sound_lists, read_unit_types

MACROS = """#define SOUND_LIST:ELF_HIT
elf-hit-[1~2].ogg #enddef
"""

UNIT = """#textdomain wesnoth-units
#define PATH_TEMP
units/{folder}/#enddef
[unit_type]
    id={uid}
    name= _ "{uid}"
    race={race}
    image="{{PATH_TEMP}}{stem}.png"
    description= _ "The {uid} is ""{race}""-born.
Second line."
    [attack]
        name=sword
        description=_"sword"
    [/attack]
    [+attack]
    [/attack]
    {{DEFENSE_ANIM "units/{folder}/{stem}-defend[1~2].png" "units/{folder}/{stem}.png" {sounds} }}
[/unit_type]
"""

RACES = {"elf": ["Archer", "Shaman", "Scout"], "orc": ["Grunt", "Slayer", "Troll Whelp"], "bats": ["Vampire Bat"]}


def _description(uid, race):
    return f'The {uid} is "{race}"-born.\nSecond line.'


def _write_image(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(len(str(path))).integers(0, 255, (size[1], size[0], 4), dtype=np.uint8)
    Image.fromarray(pixels, "RGBA").save(path)


@pytest.fixture
def source(tmp_path):
    """A fake game data folder: 7 unit types of 3 races, sprites, sounds, fr/de translations."""
    root = tmp_path / "wesnoth"
    core = root / "data" / "core"
    (core / "macros").mkdir(parents=True)
    (core / "macros" / "sound-utils.cfg").write_text(MACROS)
    sounds = core / "sounds"
    sounds.mkdir()
    t = np.linspace(0, 3, 3 * 22050, endpoint=False)
    for name in ("elf-hit-1.ogg", "elf-hit-2.ogg", "sword.ogg"):
        sf.write(sounds / name, np.stack([np.sin(440 * t), np.sin(220 * t)], 1) * 0.3, 22050)
    sf.write(sounds / "club.wav", np.sin(300 * t[:8000]) * 0.3, 8000)
    catalog = {"fr": polib.POFile(), "de": polib.POFile()}
    for race, uids in RACES.items():
        folder = f"{race}s"
        for k, uid in enumerate(uids):
            stem = uid.lower().replace(" ", "-")
            sound = ["{SOUND_LIST:ELF_HIT}", "{SOUND:HIT_AND_MISS sword.ogg club.wav -100}", ""][k]
            cfg = core / "units" / folder / f"{stem}.cfg"
            cfg.parent.mkdir(parents=True, exist_ok=True)
            cfg.write_text(UNIT.format(uid=uid, race=race, folder=folder, stem=stem, sounds=sound))
            for suffix, size in (("", (72, 72)), ("-defend1", (90, 60)), ("-defend2", (40, 40))):
                _write_image(core / "images" / "units" / folder / f"{stem}{suffix}.png", size)
            msgid = _description(uid, race)
            catalog["fr"].append(polib.POEntry(msgid=msgid, msgstr=f"Le {uid} ({race})"))
            # German translates only the first unit of each race; the rest fall back to English.
            catalog["de"].append(polib.POEntry(msgid=msgid, msgstr=f"Der {uid}" if k == 0 else ""))
    for lang, po in catalog.items():
        out = root / "locale" / lang / "LC_MESSAGES"
        out.mkdir(parents=True)
        po.save_as_mofile(str(out / "wesnoth-units.mo"))
    return root


def _fetch(tmp_path, source, **kw):
    kw = {"min_units": 3, "image_size": 16, "verbose": 0, **kw}
    return fetch_wesnoth_units(tmp_path / "cache", source=source, **kw)


def test_rows_columns_and_media(tmp_path, source):
    X, y = _fetch(tmp_path, source)
    assert X.columns.tolist() == ["text", "image", "audio", "lang", "unit"]
    assert y.name == "race"
    assert X.attrs["package"] == "wesnoth-1.16-data" and X.attrs["license"].startswith("GPL-2+")
    assert X.attrs["version"] == "unknown" and X.attrs["n_rows"] == len(X)  # no Debian changelog here
    # bats has 1 unit type < min_units; each kept unit: en + fr, and de for the first of each race.
    assert set(y) == {"elf", "orc"}
    assert len(X) == 6 * 2 + 2
    assert sorted(X.loc[X["lang"] == "de", "unit"]) == ["Archer", "Grunt"]
    archer = X[X["unit"] == "Archer"].set_index("lang")["text"]
    assert archer["en"] == 'The Archer is "elf"-born. Second line.'  # nested [attack] description ignored
    assert archer["fr"] == "Le Archer (elf)"
    # The rows of one unit show different sprite frames (3 frames, 3 languages).
    assert X.loc[X["unit"] == "Archer", "image"].nunique() == 3
    for path in X["image"]:
        with Image.open(path) as im:
            assert im.mode == "RGB" and im.size == (16, 16)
    assert X.loc[X["unit"].isin(["Scout", "Troll Whelp"]), "audio"].isna().all()
    audio = X["audio"].dropna()
    assert len(audio) == len(X) - 4  # Scout and Troll Whelp: en + fr rows without sound
    assert {p.rsplit("/", 1)[1] for p in X.loc[X["unit"] == "Shaman", "audio"]} <= {"sword.wav", "club.wav"}
    for path in audio:
        info = sf.info(path)
        assert info.samplerate == 16000 and info.channels == 1 and info.duration <= 2.0


def test_split_by_unit_never_leaks(tmp_path, source):
    X, y = _fetch(tmp_path, source)
    X_train, y_train = _fetch(tmp_path, source, split="train")
    X_test, y_test = _fetch(tmp_path, source, split="test")
    assert not set(X_train["unit"]) & set(X_test["unit"])
    assert len(X_train) + len(X_test) == len(X)
    assert set(y_train) == set(y_test) == {"elf", "orc"}  # stratified: every race on both sides
    again, _ = _fetch(tmp_path, source, split="test")
    pd.testing.assert_frame_equal(X_test, again)
    other = {tuple(sorted(set(_fetch(tmp_path, source, split="test", random_state=s)[0]["unit"])))
             for s in range(6)}
    assert len(other) > 1


def test_cache_is_reused_without_the_source(tmp_path, source):
    X, _ = _fetch(tmp_path, source)
    for path in sorted(source.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    again, _ = _fetch(tmp_path, None, download_if_missing=False)
    pd.testing.assert_frame_equal(X, again)


def test_missing_source_names_the_apt_command(tmp_path, monkeypatch):
    monkeypatch.setattr(_wesnoth_build, "GAME_DIR", _wesnoth_build.GAME_DIR / "absent-in-tests")
    with pytest.raises(FileNotFoundError, match="apt-get install wesnoth-1.16-data"):
        _fetch(tmp_path, None, download_if_missing=False)
    with pytest.raises(FileNotFoundError, match="holds no data/core/units"):
        _fetch(tmp_path, tmp_path)

    def no_apt(*args, **kwargs):
        raise FileNotFoundError("apt-get")

    monkeypatch.setattr(subprocess, "run", no_apt)
    with pytest.raises(FileNotFoundError, match="Could not fetch wesnoth-1.16-data with apt-get"):
        _fetch(tmp_path, None)
    assert not (tmp_path / "cache" / "wesnoth_units-1-min3-px16").exists()


@pytest.mark.parametrize("kw, match", [
    ({"split": "unseen"}, "split must be"),
    ({"test_size": 1.0}, "test_size"),
    ({"min_units": 0}, "min_units"),
    ({"image_size": True}, "image_size"),
])
def test_bad_parameters(tmp_path, source, kw, match):
    with pytest.raises(ValueError, match=match):
        _fetch(tmp_path, source, **kw)


def test_wml_reader(tmp_path, source):
    lists = read_sound_lists(source / "data" / "core" / "macros")
    assert lists == {"ELF_HIT": ["elf-hit-1.ogg", "elf-hit-2.ogg"]}
    assert expand_ranges("a-[1~2]-[3~4].png") == ["a-1-3.png", "a-1-4.png", "a-2-3.png", "a-2-4.png"]
    (unit,) = read_unit_types(source / "data" / "core" / "units" / "elfs" / "archer.cfg", lists)
    assert unit["images"] == ["units/elfs/archer.png", "units/elfs/archer-defend1.png",
                              "units/elfs/archer-defend2.png"]
    assert unit["sounds"] == ["elf-hit-1.ogg", "elf-hit-2.ogg"]
    assert unit["textdomain"] == "wesnoth-units"
    bad = tmp_path / "bad.cfg"
    bad.write_text("[unit_type]\n  id=x\n[/attack]\n")
    with pytest.raises(ValueError, match=r"bad.cfg:3: \[/attack\] closes \[unit_type\]"):
        read_unit_types(bad, lists)


def test_builds_are_reproducible(tmp_path, source):
    """Two builds from the same source pick the same frames and sounds for every row."""
    first, y1 = fetch_wesnoth_units(tmp_path / "a", source=source, min_units=3, image_size=16, verbose=0)
    second, y2 = fetch_wesnoth_units(tmp_path / "b", source=source, min_units=3, image_size=16, verbose=0)
    for column in ("image", "audio"):
        first[column] = first[column].str.replace(str(tmp_path / "a"), "", regex=False)
        second[column] = second[column].str.replace(str(tmp_path / "b"), "", regex=False)
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_series_equal(y1, y2)
