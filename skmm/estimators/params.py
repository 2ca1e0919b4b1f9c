"""The estimators' parameters: declared constraints, the checks they cannot say, nested routing.

The constraints are scikit-learn's (``Interval``, ``StrOptions``,
``HasMethods``), checked by ``BaseEstimator._validate_params`` when ``fit``
starts (``sklearn.base._fit_context``); a violation raises
``InvalidParameterError``, a ValueError and a TypeError at once, naming the
parameter and the estimator.
"""

from __future__ import annotations

import inspect
import os
from numbers import Real

import torch

from ..balance import resolve_balance
from ..encoders import resolve_encoder_choice
from ..fusion import resolve_fusion
from ..nn import optim
from ..persistence.config import configuration, describe
from ..utils.sklearn_compat import HasMethods, Interval, StrOptions
from ..utils.spec_params import NON_NEGATIVE_INT, POSITIVE_INT, POSITIVE_REAL

#: The named optimizers. skmm's Adam and AdamW are torch's, except that large
#: embedding tables train by the rows a batch used (skmm.nn.optim).
OPTIMIZERS = {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": torch.optim.SGD}
_FRACTION_BELOW_ONE = Interval(Real, 0, 1, closed="left")

PARAMETER_CONSTRAINTS = {
    "preprocessor": [HasMethods(["fit_transform"]), None],
    "encoders": [dict, None],
    "fusion": "no_validation",  # a name or an object: resolve_fusion names what it cannot use
    "balance": "no_validation",  # a name or an object: resolve_balance names what it cannot use
    "hidden_size": [POSITIVE_INT],
    "dropout": [_FRACTION_BELOW_ONE],
    "max_epochs": [POSITIVE_INT],
    "batch_size": [POSITIVE_INT],
    "lr": [POSITIVE_REAL],
    "optimizer": [StrOptions(set(OPTIMIZERS)), type],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
    "early_stopping": ["boolean"],
    "n_iter_no_change": [POSITIVE_INT],
    "lr_schedule": [StrOptions({"cosine", "plateau"}), None],
    "modality_dropout": [_FRACTION_BELOW_ONE],
    "augment": "no_validation",  # resolve_augment names what it cannot use
    "task_weights": [dict, "array-like", None],  # checked against the targets in fit
    "lazy": ["boolean"],
    "lazy_fit_rows": [POSITIVE_INT],
    "num_workers": [NON_NEGATIVE_INT],
    "length_aware_batching": ["boolean"],
    "callbacks": [list, tuple, None],
    "checkpoint_dir": [str, os.PathLike, None],
    "warm_start": ["boolean"],
    "warm_start_from": "no_validation",  # a fitted estimator or a path: _warm_start names what it cannot use
    "device": [str, torch.device],
    "n_threads": [POSITIVE_INT, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

def check_params(estimator) -> None:
    """What the declared constraints cannot say: optimizer classes, lazy's needs."""
    optimizer = estimator.optimizer
    if isinstance(optimizer, type) and not issubclass(optimizer, torch.optim.Optimizer):
        raise ValueError(
            f"optimizer must be one of {sorted(OPTIMIZERS)} or a torch.optim.Optimizer class, got {optimizer!r}."
        )
    if estimator.lazy and estimator.preprocessor is None:
        raise ValueError(
            "lazy=True needs the preprocessor inside the estimator "
            "(MultimodalClassifier(ModalityTransformer([...]), lazy=True)): it "
            "preprocesses each batch when the batch is fetched."
        )


def split_nested(params: dict) -> tuple[dict, dict, dict]:
    """``(fusion's, {modality: encoder's}, the estimator's own)`` parameters of a ``set_params`` call."""
    nested_fusion, nested_encoders, plain = {}, {}, {}
    for key, value in params.items():
        if key.startswith("fusion__"):
            nested_fusion[key[len("fusion__"):]] = value
        elif key.startswith("encoders__"):
            name, _, param = key[len("encoders__"):].partition("__")
            if not param:
                raise ValueError(f"{key!r}: use encoders__<modality>__<parameter>.")
            nested_encoders.setdefault(name, {})[param] = value
        else:
            plain[key] = value
    return nested_fusion, nested_encoders, plain


def with_encoder_params(encoders: dict | None, params: dict) -> dict:
    """A copy of ``encoders`` whose named choices are objects with ``params[modality]`` set."""
    encoders = dict(encoders or {})
    for name, sub_params in params.items():
        choice = encoders.get(name)
        if choice is None:
            raise ValueError(
                f"encoders__{name}__...: choose modality {name!r}'s encoder first "
                f"(e.g. encoders={{{name!r}: 'gru'}})."
            )
        encoders[name] = resolve_encoder_choice(choice, name)
        encoders[name].set_params(**sub_params)
    return encoders


def configuration_of(estimator, names=None) -> dict:
    """Plain-data configuration recorded in checkpoints and params files.

    Fusion and encoders are described as resolved objects, so
    ``fusion="low_rank"`` and ``fusion=LowRank()`` agree.
    """
    config = configuration(estimator, names)
    if "fusion" in config:
        config["fusion"] = describe(resolve_fusion(estimator.fusion))
    if "balance" in config:
        config["balance"] = describe(resolve_balance(estimator.balance))
    if "encoders" in config and isinstance(estimator.encoders, dict):
        config["encoders"] = describe(
            {name: resolve_encoder_choice(choice, name) for name, choice in estimator.encoders.items()}
        )
    return config


def with_keyword(init, name, default, after, like=None):
    """``init``'s signature with one more keyword-only parameter (placed after ``after``).

    With ``like`` (the function that takes the parameter), the parameter has its annotation.
    """
    signature = inspect.signature(init)
    parameters = list(signature.parameters.values())
    at = [p.name for p in parameters].index(after) + 1
    annotation = inspect.Parameter.empty if like is None else inspect.signature(like).parameters[name].annotation
    extra = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
    return inspect.Signature(parameters[:at] + [extra] + parameters[at:], return_annotation=signature.return_annotation)


def derived_signature(base_init, own_init, drop=()):
    """``own_init``'s explicit parameters, then ``base_init``'s keyword-only ones (less ``drop``).

    For an estimator whose ``__init__`` takes ``**params`` on to the shared
    base: ``get_params``, ``clone`` and the docs then see every parameter.
    """
    own = inspect.signature(own_init)
    explicit = [p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    names = {p.name for p in explicit} | set(drop)
    inherited = [
        p for p in inspect.signature(base_init).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in names
    ]
    return own.replace(parameters=explicit + inherited)


def refuse_dropped(estimator, params: dict, dropped) -> None:
    """A TypeError for a shared parameter this estimator does not take."""
    given = sorted(set(params) & set(dropped))
    if given:
        raise TypeError(f"{type(estimator).__name__} got unexpected keyword argument(s) {given}.")
