"""AV-Digits text: short noisy English phrases with partial clues about a digit."""

from __future__ import annotations

_WORDS = (
    "zero", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine", "ten",
)

_RHYMES = (
    ("hero", "nero"), ("sun", "fun", "run"), ("shoe", "blue", "zoo"),
    ("tree", "free", "sea"), ("door", "floor", "more"), ("hive", "dive", "drive"),
    ("sticks", "bricks", "kicks"), ("heaven", "devon"), ("gate", "late", "plate"),
    ("line", "wine", "mine"),
)
_PREFIXES = (
    "", "", "", "hmm", "i think", "pretty sure", "the number is", "it is", "ok so",
    "well", "guess:", "my digit is", "clue:", "so", "honestly", "i'd say",
)
_SUFFIXES = ("", "", "", "", "lol", "i guess", "maybe", "!", "...", "right?", "probably")
_JOINERS = (", ", " and ", ", also ", " but ", "; ", " - ")


def _clue(rng, d, kind):
    """One English clue of the given kind that is true for digit ``d``."""
    pick = lambda options: options[rng.randint(len(options))]  # noqa: E731
    if kind == "parity":
        if d % 2 == 0:
            return pick(("even", "an even number", "it's even", "an even digit",
                         "divisible by two", "not odd"))
        return pick(("odd", "an odd number", "it's odd", "an odd digit",
                     "not divisible by two", "not even"))
    if kind == "magnitude":
        if (rng.uniform() < 0.5 and d < 9) or d == 0:
            k = min(d + 1 + rng.randint(0, 4), 10)
            return f"{pick(('less than', 'smaller than', 'below', 'under'))} {_WORDS[k]}"
        k = max(d - 1 - rng.randint(0, 4), 0)
        return f"{pick(('more than', 'greater than', 'bigger than', 'above', 'over'))} {_WORDS[k]}"
    if kind == "size":
        if d < 5:
            return pick(("small", "a small number", "a low digit", "on the small side"))
        return pick(("big", "a big number", "a high digit", "on the large side"))
    if kind == "prime":
        if d in (2, 3, 5, 7):
            return pick(("prime", "a prime", "a prime number"))
        return pick(("not prime", "not a prime", "not a prime number"))
    if kind == "word":
        return pick(("it's {}", "{}", "looks like {}", "sounds like {}", "maybe {}")).format(
            _WORDS[d]
        )
    if kind == "rhyme":
        return f"{pick(('rhymes with', 'sounds a bit like'))} {pick(_RHYMES[d])}"
    raise AssertionError(kind)


def _typo(rng, word):
    if len(word) < 3:
        return word
    i = rng.randint(0, len(word) - 1)
    op = rng.randint(4)
    if op == 0:  # delete
        return word[:i] + word[i + 1 :]
    if op == 1:  # duplicate
        return word[:i] + word[i] + word[i:]
    if op == 2:  # swap
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + "abcdefghijklmnopqrstuvwxyz"[rng.randint(26)] + word[i + 1 :]


_WEAK_KINDS = ("parity", "magnitude", "size", "prime")
_WEAK_P = (0.3, 0.35, 0.15, 0.2)


def render_texts(rng, digits, noise):
    p_wrong = min(0.5, 0.05 * noise)
    p_typo = min(0.5, 0.04 * noise)
    texts = []
    for d in digits:
        d = int(d)
        n_weak = 1 + int(rng.uniform() < 0.8) + int(rng.uniform() < 0.45)
        kinds = list(rng.choice(_WEAK_KINDS, size=n_weak, replace=False, p=_WEAK_P))
        r = rng.uniform()
        if r < 0.22:
            kinds.append("word")
        elif r < 0.34:
            kinds.append("rhyme")
        rng.shuffle(kinds)
        clues = []
        for kind in kinds:
            truth = d
            if rng.uniform() < p_wrong:
                truth = (d + rng.randint(1, 10)) % 10
            clues.append(_clue(rng, truth, kind))
        text = clues[0]
        for c in clues[1:]:
            text += _JOINERS[rng.randint(len(_JOINERS))] + c
        if noise > 0:
            prefix = _PREFIXES[rng.randint(len(_PREFIXES))]
            suffix = _SUFFIXES[rng.randint(len(_SUFFIXES))]
            text = " ".join(t for t in (prefix, text, suffix) if t)
            words = text.split(" ")
            words = [_typo(rng, w) if rng.uniform() < p_typo else w for w in words]
            text = " ".join(words)
        texts.append(text)
    return texts
