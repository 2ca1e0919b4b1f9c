"""What a params file may name: the allow-listed classes, dtypes and fitted state.

The schema :mod:`skmm.persistence.params_file` writes and :mod:`skmm.persistence.decoder`
reads: :data:`REGISTRY`, the only classes a file can rebuild (and where they
may hold other transformers), :data:`DTYPES`, the only numpy dtypes it can
name, and :func:`check_fitted`, the checks on an skmm preprocessor's fitted
attributes that reach array allocations at ``transform``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    Binarizer,
    KBinsDiscretizer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from ..compose import ModalityTransformer
from ..preprocessing import (
    AudioFeaturizer,
    ImageLoader,
    PretrainedTokenizer,
    SequencePadder,
    TextSequencer,
    VideoLoader,
)
from ..utils.spec_params import parameter_problem

MAX_DEPTH = 32

@dataclass(frozen=True)
class Entry:
    """One allow-listed class and where it may hold other transformers."""

    cls: type
    estimator_params: frozenset = frozenset()
    estimator_attrs: frozenset = frozenset()
    # Parameters that must keep their default (a path or object that would act).
    fixed_params: tuple = ()


def _entries(*entries):
    return {f"{e.cls.__module__.split('.')[0]}.{e.cls.__name__}": e for e in entries}


#: The classes a params file may name, by the name it uses. Nothing else loads.
REGISTRY = _entries(
    Entry(ModalityTransformer, frozenset({"transformers"}), frozenset({"transformers_"})),
    Entry(TextSequencer),
    Entry(ImageLoader),
    Entry(AudioFeaturizer),
    Entry(VideoLoader),
    Entry(SequencePadder),
    # Its name_or_path is part of the configuration a params file must agree on.
    Entry(PretrainedTokenizer),
    Entry(StandardScaler), Entry(MinMaxScaler), Entry(RobustScaler), Entry(MaxAbsScaler),
    Entry(Normalizer), Entry(Binarizer), Entry(OneHotEncoder), Entry(OrdinalEncoder),
    Entry(KBinsDiscretizer), Entry(PolynomialFeatures), Entry(QuantileTransformer),
    Entry(PowerTransformer, estimator_attrs=frozenset({"_scaler"})),
    Entry(SimpleImputer, estimator_attrs=frozenset({"indicator_"})), Entry(MissingIndicator),
    Entry(CountVectorizer), Entry(TfidfTransformer),
    Entry(TfidfVectorizer, estimator_attrs=frozenset({"_tfidf"})),
    Entry(PCA), Entry(TruncatedSVD),
    Entry(Pipeline, frozenset({"steps"}), fixed_params=(("memory", None), ("transform_input", None))),
)
NAMES = {entry.cls: name for name, entry in REGISTRY.items()}

#: numpy dtypes a file may name (as a dtype parameter or an array's dtype).
DTYPES = {
    name: getattr(np, name)
    for name in (
        "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64",
    )
}
ARRAY_KINDS = "biufUO"
MARKERS = ("__ndarray__", "__tuple__", "__modality__", "__dtype__", "__estimator__")


class UnsafeFileError(ValueError):
    """A params file holds something the safe format does not allow."""


def _is_int(value, low=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _is_vector(value, length):
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.shape == (length,)


def check_fitted(est):
    """What is wrong with an skmm preprocessor's fitted attributes (None if fine).

    Their values reach array allocations and lookups at ``transform``, so
    their types and sizes are checked like the rest of the file.
    """
    state = vars(est)
    if isinstance(est, TextSequencer) and "vocabulary_" in state:
        vocab, size = state["vocabulary_"], state.get("vocab_size_")
        subwords = state.get("subword_vocabulary_", {})
        if not (isinstance(vocab, dict) and isinstance(subwords, dict) and _is_int(size, 2)
                and size == len(vocab) + len(subwords) + 2
                and all(isinstance(t, str) and _is_int(i, 2) and i < size
                        for t, i in (*vocab.items(), *subwords.items()))):
            return "vocabulary_ must map tokens to ids 2..vocab_size_-1 (subword_vocabulary_ too)"
    if isinstance(est, ImageLoader) and "channels_" in state:
        channels = state["channels_"]
        if channels not in (1, 3) or isinstance(channels, bool) or not all(
            _is_vector(state.get(k), channels) for k in ("mean_", "std_")
        ):
            return "channels_ must be 1 or 3, with mean_ and std_ of that length"
    if isinstance(est, AudioFeaturizer) and "max_frames_" in state:
        if not _is_int(state["max_frames_"], 1) or not all(
            _is_vector(state.get(k), est.n_mels) for k in ("mean_", "std_")
        ):
            return "max_frames_ must be a positive int, with mean_ and std_ of length n_mels"
    if isinstance(est, SequencePadder) and "max_len_" in state:
        width = state.get("n_step_features_")
        if not (_is_int(state["max_len_"], 1) and _is_int(width, 1)) or not all(
            _is_vector(state.get(k), width) for k in ("mean_", "std_")
        ):
            return "max_len_ and n_step_features_ must be positive ints, with mean_ and std_ of that length"
    if isinstance(est, (VideoLoader, SequencePadder)):
        problem = parameter_problem(est)  # their parameters size the arrays transform allocates
        if problem is not None:
            return problem
    return None

