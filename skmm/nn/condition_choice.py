"""Which modality conditions which, when ``fusion="condition"`` is picked by name."""

from __future__ import annotations

SEQUENCE_KINDS = ("tokens", "frames")
RECURRENT_DEFAULTS = {"tokens": "gru", "frames": "lstm"}
_RECURRENT_NAMES = ("rnn", "gru", "lstm")


def _is_recurrent(choice):
    if isinstance(choice, str):
        return choice in _RECURRENT_NAMES
    return bool(getattr(type(choice), "cell", ""))


def choose_condition(infos, choices, source=None, target=None):
    """Fill in a Condition's missing source and target from the data.

    The target is the first sequence modality (tokens or frames, by name)
    whose encoder is recurrent, or else the first whose encoder is left to
    the default, which then becomes recurrent (GRU for tokens, LSTM for
    frames): only a recurrent encoder takes a condition. The source is the
    first other modality that is not a sequence (an image or a vector), or
    else any other modality. Sparse modalities (the wide part) take no part.

    Parameters
    ----------
    infos : dict of str -> ModalityInfo
    choices : dict
        The estimator's ``encoders`` (modality -> name or object).
    source, target : str or None
        The user's choices; only missing ones are filled.

    Returns
    -------
    source, target : str or None
        None where the data allow no choice (the fusion then says why).
    choices : dict
        ``choices`` plus a recurrent encoder for a target left to the default.

    Examples
    --------
    >>> from skmm.nn.condition_choice import choose_condition
    >>> from skmm.data.inputs import ModalityInfo
    >>> infos = {"audio": ModalityInfo("frames", (50, 40)), "photo": ModalityInfo("image", (1, 8, 8)),
    ...          "text": ModalityInfo("tokens", (6,), vocab_size=20)}
    >>> choose_condition(infos, {})
    ('photo', 'audio', {'audio': 'lstm'})
    >>> choose_condition(infos, {"text": "gru"})
    ('photo', 'text', {'text': 'gru'})
    """
    names = sorted(name for name, info in infos.items() if info.kind != "sparse")
    choices = dict(choices)
    if target is None:
        sequences = [n for n in names if infos[n].kind in SEQUENCE_KINDS and n != source]
        recurrent = [n for n in sequences if _is_recurrent(choices.get(n))]
        unset = [n for n in sequences if choices.get(n) is None]
        target = (recurrent or unset or [None])[0]
    if target in infos and choices.get(target) is None and infos[target].kind in SEQUENCE_KINDS:
        choices[target] = RECURRENT_DEFAULTS[infos[target].kind]
    if source is None:
        others = [n for n in names if n != target]
        flat = [n for n in others if infos[n].kind not in SEQUENCE_KINDS]
        source = (flat or others or [None])[0]
    return source, target, choices
