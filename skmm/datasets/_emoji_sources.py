"""Read the three Debian packages behind :func:`skmm.datasets.fetch_emoji`.

* ``unicode-data``: ``emoji-test.txt``, every emoji sequence with its group,
  subgroup and qualification status;
* ``unicode-cldr-core``: the CLDR annotations, each emoji's short name
  (``type="tts"``) and keywords in about a hundred languages;
* ``fonts-noto-color-emoji``: the Noto Color Emoji font the pictures are
  rendered from.

Everything here is plain parsing (no rendering), so it is tested on small
fake files.
"""

from __future__ import annotations

import gzip
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

#: Debian package -> (file or folder it must ship, licence of what we use from it).
PACKAGES = {
    "fonts-noto-color-emoji": (
        Path("usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
        "SIL OFL 1.1 (font), Apache-2.0 (tools and images)",
    ),
    "unicode-cldr-core": (Path("usr/share/unicode/cldr/common/annotations"), "Unicode-DFS-2016"),
    "unicode-data": (Path("usr/share/unicode/emoji/emoji-test.txt"), "Unicode terms of use"),
}
FONT, CLDR_ANNOTATIONS, EMOJI_TEST = (path for path, _ in PACKAGES.values())
CLDR_DERIVED = CLDR_ANNOTATIONS.parent / "annotationsDerived"

SKIN_TONES = frozenset(range(0x1F3FB, 0x1F400))
VS16, ZWJ = 0xFE0F, 0x200D
GENDER_SIGNS = frozenset((0x2640, 0x2642))
#: Gendered forms of one person, drawn alike: mapped to the neutral form so
#: that "man technologist", "woman technologist" and "technologist" are one item.
NEUTRAL = {
    0x1F468: 0x1F9D1, 0x1F469: 0x1F9D1,  # man, woman -> person
    0x1F474: 0x1F9D3, 0x1F475: 0x1F9D3,  # old man, old woman -> older person
    0x1F466: 0x1F9D2, 0x1F467: 0x1F9D2,  # boy, girl -> child
    0x1F934: 0x1FAC5, 0x1F478: 0x1FAC5,  # prince, princess -> person with crown
}
#: CLDR's draft levels below "contributed" are not used by CLDR's own releases.
UNAPPROVED = frozenset(("unconfirmed", "provisional"))


def _hint(packages) -> str:
    names = " ".join(packages)
    return (f"Install {'it' if len(packages) == 1 else 'them'} with `apt-get install {names}`, or "
            f"without root: `apt-get download {names}`, then `dpkg-deb -x` each .deb into one "
            f"folder DIR and pass source='DIR'.")


APT_HINT = _hint(PACKAGES)


def missing_packages(prefix: Path) -> list[str]:
    """The packages whose files are absent under *prefix* (``/`` for the installed ones)."""
    return [name for name, (path, _) in PACKAGES.items() if not (prefix / path).exists()]


def find_source(source, data_home: Path, download_if_missing: bool, verbose: int) -> Path:
    """The folder the packages' ``usr/share`` files lie under: *source*, ``/``, or a download."""
    if source is not None:
        source = Path(source).expanduser()
        missing = missing_packages(source)
        if missing:
            files = ", ".join(str(PACKAGES[name][0]) for name in missing)
            raise FileNotFoundError(
                f"source={str(source)!r} lacks {files} (from {', '.join(missing)}); it must be a "
                f"folder the Debian packages are unpacked into ('/' once installed). {_hint(missing)}"
            )
        return source
    extracted = data_home / "debs" / "emoji"
    for candidate in (Path("/"), extracted):
        if not missing_packages(candidate):
            return candidate
    missing = missing_packages(Path("/"))
    if not download_if_missing:
        raise FileNotFoundError(
            f"The emoji data is not installed ({', '.join(missing)} missing) and "
            f"download_if_missing=False. {_hint(missing)}"
        )
    return _apt_download(extracted, verbose)


def _apt_download(dest: Path, verbose: int) -> Path:
    """``apt-get download`` the three packages and unpack them into *dest* (no root needed)."""
    dest.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"[fetch_emoji] apt-get download {' '.join(PACKAGES)} (about 60 MB) into {dest}", flush=True)
    try:
        subprocess.run(["apt-get", "download", *PACKAGES], cwd=dest, check=True, capture_output=not verbose)
        for name in PACKAGES:
            deb = next(dest.glob(f"{name}_*.deb"))
            subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
            deb.unlink()
    except (OSError, subprocess.CalledProcessError, StopIteration) as exc:
        raise FileNotFoundError(f"Could not fetch the emoji packages with apt-get ({exc}). {APT_HINT}") from exc
    return dest


def package_versions(prefix: Path) -> dict[str, str]:
    """Each package's Debian version, from its changelog ("unknown" where there is none)."""
    out = {}
    for name in PACKAGES:
        try:
            with gzip.open(prefix / "usr/share/doc" / name / "changelog.Debian.gz", "rt", encoding="utf-8") as fh:
                out[name] = fh.readline().split("(", 1)[1].split(")", 1)[0]
        except (OSError, IndexError, EOFError):
            out[name] = "unknown"
    return out


def read_emoji_test(path: Path) -> list[dict]:
    """The fully-qualified sequences of ``emoji-test.txt``, in file order.

    Each is ``{"emoji", "group", "subgroup", "name"}``; the other statuses
    (unqualified, minimally-qualified, component) are other spellings of the
    same pictures or bare skin-tone swatches.
    """
    out, group, subgroup = [], None, None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
        elif line.startswith("# subgroup:"):
            subgroup = line.split(":", 1)[1].strip()
        elif line.strip() and not line.startswith("#"):
            try:
                points, rest = line.split(";", 1)
                status, comment = rest.split("#", 1)
                emoji = "".join(chr(int(p, 16)) for p in points.split())
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not an emoji-test line: {line!r}") from exc
            if group is None or subgroup is None:
                raise ValueError(f"{path}:{number}: sequence before any '# group:' / '# subgroup:' line.")
            if status.strip() == "fully-qualified":
                # The comment is "<emoji> E<version> <name>".
                name = comment.strip().split(" ", 2)[-1]
                out.append({"emoji": emoji, "group": group, "subgroup": subgroup, "name": name})
    return out


def family_key(emoji: str) -> str:
    """The emoji without skin tones, gender signs or gendered persons: near-duplicates share it."""
    points = [ord(c) for c in emoji if ord(c) != VS16 and ord(c) not in SKIN_TONES]
    out, i = [], 0
    while i < len(points):
        if points[i] == ZWJ and i + 1 < len(points) and points[i + 1] in GENDER_SIGNS:
            i += 2  # "person running" + ZWJ + female sign = "woman running"
            continue
        out.append(NEUTRAL.get(points[i], points[i]))
        i += 1
    return "".join(chr(p) for p in out)


def annotation_key(emoji: str) -> str:
    """The CLDR key of the emoji's name without its skin tone (CLDR drops U+FE0F from keys)."""
    return "".join(c for c in emoji if ord(c) != VS16 and ord(c) not in SKIN_TONES)


def _read_annotation_file(path: Path, into: dict) -> None:
    data = path.read_bytes()
    # CLDR files declare no entities; refusing any keeps entity-expansion bombs out
    # (ElementTree never fetches the external DTD the files name).
    if b"<!ENTITY" in data:
        raise ValueError(f"CLDR annotation file {path} declares XML entities; refusing to parse it.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"Cannot parse CLDR annotation file {path}: {exc}") from exc
    for node in root.iter("annotation"):
        text, cp = (node.text or "").strip(), node.get("cp")
        # "↑↑↑" marks a value inherited from the parent locale: not a name of its own.
        if not cp or not text or text == "↑↑↑" or node.get("draft") in UNAPPROVED:
            continue
        entry = into.setdefault(cp, {})
        if node.get("type") == "tts":
            entry["name"] = " ".join(text.split())
        else:
            entry["keywords"] = [" ".join(k.split()) for k in text.split("|") if k.strip()]


def read_annotations(prefix: Path) -> dict[str, dict[str, dict]]:
    """locale -> CLDR key -> ``{"name": str, "keywords": [str]}`` (either may be absent).

    Merges ``annotations/`` (single characters) with ``annotationsDerived/``
    (sequences: ZWJ, keycaps, flags, skin tones). ``root`` is not a language.
    """
    out = {}
    for folder in (prefix / CLDR_ANNOTATIONS, prefix / CLDR_DERIVED):
        for path in sorted(folder.glob("*.xml")) if folder.is_dir() else ():
            if path.stem != "root":
                _read_annotation_file(path, out.setdefault(path.stem, {}))
    return out
