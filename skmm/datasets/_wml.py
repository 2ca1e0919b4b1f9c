"""Read the few facts :mod:`skmm.datasets.wesnoth_units` needs from Wesnoth unit files.

Wesnoth's WML is normally run through the game's C++ preprocessor (macros,
``#ifdef``); no Python library reads it without the game binary. The unit files
are regular enough that a line reader suffices for what we need: the top-level
keys of ``[unit_type]`` (``id``, ``race``, ``description``) and the file names of
the sprites and sounds the file mentions, with ``{SOUND_LIST:...}`` macros
expanded from their ``#define`` lines. Nothing here evaluates WML.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["expand_ranges", "read_sound_lists", "read_unit_types"]

# "[+tag]" amends the previous [tag] and is closed by "[/tag]".
_TAG = re.compile(r"^\s*\[(/?)\+?([A-Za-z_]+)\]")
_KEY = re.compile(r"^\s*([A-Za-z_]+)\s*=\s*(.*)$")
_TEXTDOMAIN = re.compile(r"^#textdomain\s+(\S+)")
# "units/elves-wood/archer-bow-attack[1~4].png" -> four frames; "~CROP(...)" etc. stop the match.
_IMAGE = re.compile(r"units/[\w\-/]+?(?:\[\d+~\d+\])?[\w\-]*\.png")
_SOUND = re.compile(r"[\w\-]+(?:\[\d+~\d+\])?[\w\-]*\.(?:ogg|wav)")
_SOUND_MACRO = re.compile(r"\{SOUND_LIST:([A-Z_]+)\}")
_RANGE = re.compile(r"\[(\d+)~(\d+)\]")
_DEFINE = re.compile(r"#define\s+SOUND_LIST:([A-Z_]+)\s*\n(.*?)#enddef", re.S)
# Argument-free file-local macros, e.g. "#define PATH_TEMP\nunits/dunefolk/#enddef".
_LOCAL_DEFINE = re.compile(r"^#define\s+(\w+)[ \t]*\n(.*?)#enddef", re.S | re.M)


def expand_ranges(name: str) -> list[str]:
    """Expand WML's ``[a~b]`` ranges: ``"hit-[1~3].ogg"`` -> three names."""
    match = _RANGE.search(name)
    if match is None:
        return [name]
    lo, hi = int(match.group(1)), int(match.group(2))
    out = []
    for i in range(lo, hi + 1):
        out.extend(expand_ranges(name[: match.start()] + str(i) + name[match.end():]))
    return out


def read_sound_lists(macro_dir: Path) -> dict[str, list[str]]:
    """``{name: [sound file, ...]}`` for every ``#define SOUND_LIST:name`` under *macro_dir*."""
    lists: dict[str, list[str]] = {}
    for path in sorted(Path(macro_dir).rglob("*.cfg")):
        for name, body in _DEFINE.findall(path.read_text(encoding="utf-8")):
            lists[name] = [s for ref in _SOUND.findall(body) for s in expand_ranges(ref)]
    return lists


def _unquote(value: str) -> str:
    """The text of a WML string value (``_`` marker dropped, doubled quotes undone)."""
    value = value.strip()
    if value.startswith("_"):
        value = value[1:].lstrip()
    if value.startswith('"'):
        end = value.rfind('"')
        value = value[1:end] if end > 0 else value[1:]
        return value.replace('""', '"')
    return value.split("#", 1)[0].strip()


def _open_quote(value: str) -> bool:
    return value.replace('""', "").count('"') % 2 == 1


def _top_level_keys(lines: list[str], path: Path) -> list[dict[str, str]]:
    units: list[dict[str, str]] = []
    stack: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        tag = _TAG.match(line)
        if tag:
            closing, name = tag.groups()
            if not closing:
                stack.append(name)
                if stack == ["unit_type"]:
                    units.append({})
            elif stack and stack[-1] == name:
                stack.pop()
            else:
                raise ValueError(f"{path}:{i}: [/{name}] closes [{stack[-1] if stack else ''}].")
            continue
        key = _KEY.match(line) if stack == ["unit_type"] else None
        if key is None:
            continue
        value = key.group(2)
        # A translatable string may run over several lines until its closing quote.
        while _open_quote(value) and i < len(lines):
            value += "\n" + lines[i]
            i += 1
        units[-1].setdefault(key.group(1), _unquote(value))
    return units


def read_unit_types(path: Path, sound_lists: dict[str, list[str]]) -> list[dict]:
    """The ``[unit_type]`` blocks of one ``.cfg`` file.

    Returns one dict per unit type with keys ``id``, ``race``, ``description``
    (the English msgid, or ``""``), ``textdomain``, ``images`` (sprite paths
    relative to ``images/``) and ``sounds`` (file names relative to ``sounds/``),
    both in order of first mention. Raises ``ValueError`` naming the file and
    line on unbalanced tags.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    for name, body in _LOCAL_DEFINE.findall(text):
        text = text.replace("{" + name + "}", body.strip())
    lines = text.splitlines()
    domain = next((m.group(1) for m in map(_TEXTDOMAIN.match, lines) if m), "")
    # Comment lines would otherwise feed the key reader (and the macro #define lines hold no units).
    keys = _top_level_keys([ln for ln in lines if not ln.lstrip().startswith("#")], path)
    images = [f for ref in _IMAGE.findall(text) for f in expand_ranges(ref)]
    sounds = [f for ref in _SOUND.findall(text) for f in expand_ranges(ref)]
    for macro in _SOUND_MACRO.findall(text):
        sounds.extend(sound_lists.get(macro, []))
    units = []
    for unit in keys:
        if "id" not in unit or "race" not in unit:
            continue
        units.append({
            "id": unit["id"],
            "race": unit["race"],
            "description": unit.get("description", ""),
            "textdomain": domain,
            "images": list(dict.fromkeys(images)),
            "sounds": list(dict.fromkeys(sounds)),
        })
    return units
