"""The estimators behind ``tests/persistence/saved_models/``: built the same way when the files were written and when
they are loaded (``load_params`` needs an estimator constructed with the saved parameters)."""

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from skmm import ModalityTransformer, MultimodalClassifier, MultimodalRegressor
from skmm.preprocessing import ImageLoader, TextSequencer

N_ROWS = 36
WORDS = ["red", "green", "blue"]
ESTIMATORS = {"classifier": MultimodalClassifier, "regressor": MultimodalRegressor}


def make_inputs(seed=0):
    """Text, 8x8 grey images and two numbers per row, each hinting at one of three classes."""
    rng = np.random.RandomState(seed)
    y = np.arange(N_ROWS) % 3
    rng.shuffle(y)
    text = np.array([" ".join(rng.permutation([WORDS[c], "a", "the", "maybe"])[: rng.randint(2, 5)]) + " " + WORDS[c]
                     for c in y])
    images = rng.randint(0, 60, size=(N_ROWS, 8, 8)).astype(np.uint8)
    for i, c in enumerate(y):
        images[i, :, 1 + 2 * c : 3 + 2 * c] = 220
    numbers = np.c_[y + rng.normal(0, 0.5, N_ROWS), rng.normal(0, 1, N_ROWS)]
    target = y + rng.normal(0, 0.1, N_ROWS)
    return {"text": text, "images": images, "numbers": numbers, "y": y, "target": target}


def as_frame(inputs):
    """The DataFrame the estimators read: an image array per cell."""
    return pd.DataFrame({
        "text": list(inputs["text"]),
        "image": list(inputs["images"]),
        "a": inputs["numbers"][:, 0],
        "b": inputs["numbers"][:, 1],
    })


def make_estimator(kind):
    """A tiny, seeded, single-threaded net over text, image and numbers."""
    preprocessor = ModalityTransformer([
        ("text", TextSequencer(max_len=6), "text"),
        ("image", ImageLoader(size=(8, 8)), "image"),
        ("number", StandardScaler(), ["a", "b"]),
    ])
    return ESTIMATORS[kind](
        preprocessor, hidden_size=8, max_epochs=2, batch_size=16, modality_dropout=0.1,
        n_threads=1, random_state=0, verbose=0,
        balance="none",  # the files were written when it was the default (load_params needs the saved parameters)
    )


def outputs(estimator, X):
    """What a saved model must give again: predictions, and probabilities for a classifier."""
    out = {"predict": np.asarray(estimator.predict(X))}
    if hasattr(estimator, "predict_proba"):
        out["predict_proba"] = np.asarray(estimator.predict_proba(X))
    return out
