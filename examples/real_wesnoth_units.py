"""
A real set: baseline versus fusion on Wesnoth units
===================================================

.. note::

   **Not executed by the documentation build**: it needs
   :func:`~skmm.datasets.fetch_wesnoth_units`, whose cache (about 20 MB under
   ``~/skmm_data``, or ``$SKMM_DATA``) is built on first use from the Debian
   package ``wesnoth-1.16-data`` (a ~150 MB ``apt-get download``). The code
   below is shown without its output; run it yourself with
   ``python examples/real_wesnoth_units.py``. With the sizes written in it
   (5 languages per unit, 10 epochs) it trains 2 networks x 3 folds plus the
   refit: tens of minutes on 2 CPU cores. ``SKMM_DOCS_FAST=1`` makes it a
   quick check (2 languages per unit, 2 epochs) whose numbers mean nothing.

The task: a Battle for Wesnoth unit's race (10 classes) from one of its
sprite frames, its description in one of 45 languages and one of its sounds.
The classes are unbalanced (human has ten times the rows of orc), so the
models weight the classes (``class_weight="balanced"``) and the search scores
macro-F1. A classical baseline and the fusion network are candidates of one
:class:`~sklearn.model_selection.GridSearchCV`, on the same folds, grouped by
unit so that translations of one description never straddle a fold.
"""

# %%
import os

import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import fetch_wesnoth_units
from skmm.inspection import modality_importance
from skmm.plotting import plot_modality_importance
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

FAST = os.environ.get("SKMM_DOCS_FAST") == "1"  # a quick check, not results
# Languages kept per unit type (None keeps all 45: 4,278 training rows) and epochs.
LANGS_PER_UNIT, MAX_EPOCHS = (2, 2) if FAST else (5, 10)


def first_languages(X, y):
    """Keep the first LANGS_PER_UNIT rows (languages) of every unit type."""
    if LANGS_PER_UNIT is None:
        return X, y
    keep = (X.groupby("unit").cumcount() < LANGS_PER_UNIT).to_numpy()
    return X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)


X_train, y_train = first_languages(*fetch_wesnoth_units(split="train"))
X_test, y_test = first_languages(*fetch_wesnoth_units(split="test"))
print(f"{len(X_train)} training rows ({X_train['unit'].nunique()} unit types), "
      f"{len(X_test)} test rows ({X_test['unit'].nunique()} other unit types)")
print(y_train.value_counts().rename("training rows per race").to_frame().T.to_string())

# %%
# One search, two kinds of candidates
# -----------------------------------
# The network candidates vary the fusion; the baseline candidate (TF-IDF,
# pooled pixels and MFCC statistics into a logistic regression) replaces the
# preprocessing by ``"passthrough"``, since it featurises the raw columns
# itself. Both weight each class by the inverse of its frequency.
prep = ModalityTransformer([
    ("text", TextSequencer(max_len=96), "text"),
    ("image", ImageLoader(size=(32, 32)), "image"),
    ("audio", AudioFeaturizer(n_mels=40), "audio"),
])
net = MultimodalClassifier(class_weight="balanced", max_epochs=MAX_EPOCHS, random_state=0, verbose=0)
baseline = make_baseline(text="text", image="image", audio="audio",
                         estimator=LogisticRegression(max_iter=2000, class_weight="balanced"))
pipe = Pipeline([("prep", prep), ("model", net)])
grid = [
    {"model__fusion": ["concat", "low_rank"]},
    {"prep": ["passthrough"], "model": [baseline]},
]
search = GridSearchCV(pipe, grid, cv=GroupKFold(n_splits=3), scoring="f1_macro")
search.fit(X_train, y_train, groups=X_train["unit"])


def describe(params):
    if "model__fusion" in params:
        return f"net, fusion={params['model__fusion']}"
    return "baseline (TF-IDF, pixels, MFCC; logistic)"


results = pd.DataFrame({
    "candidate": [describe(p) for p in search.cv_results_["params"]],
    "cv macro-F1": search.cv_results_["mean_test_score"].round(3),
    "std": search.cv_results_["std_test_score"].round(3),
}).sort_values("cv macro-F1", ascending=False)
print(results.to_string(index=False))

# %%
# The winner on the held-out unit types
# -------------------------------------
# ``search`` was refitted on all training rows with the best candidate.
print(f"best: {describe(search.best_params_)}")
print(classification_report(y_test, search.predict(X_test), digits=3, zero_division=0))

# %%
# Which modality does the fusion network use?
# -------------------------------------------
# :func:`~skmm.inspection.modality_importance` shuffles one modality across
# the test rows and measures the drop in macro-F1. It needs a network, so the
# best network candidate is refitted here if the baseline won the search.
net_rows = [i for i, p in enumerate(search.cv_results_["params"]) if "model__fusion" in p]
best_net = max(net_rows, key=lambda i: search.cv_results_["mean_test_score"][i])
if "model__fusion" in search.best_params_:
    fusion_net = search.best_estimator_
else:
    fusion_net = clone(pipe).set_params(**search.cv_results_["params"][best_net]).fit(X_train, y_train)
importance = modality_importance(fusion_net, X_test, y_test, scoring="f1_macro", n_repeats=5, random_state=0)
print(f"macro-F1 of the fusion net on the test units: {importance.baseline_score:.3f}")
fig = plot_modality_importance(importance)

# %%
# Full-size numbers (every language, defaults, every single-modality model)
# come from ``benchmarks/real.py``; its table, with the machine's load, is in
# ``benchmarks/README.md``.
