"""
Grid search over fusion, with a baseline
========================================

The fusion method is a parameter like any other, and a classical baseline
can be a candidate of the same search: one :class:`~sklearn.model_selection.GridSearchCV`
compares them on the same folds.
"""

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

FAST = os.environ.get("SKMM_DOCS_FAST") == "1"  # set by the docs build
# Fast mode: fewer samples, fewer epochs, a larger learning rate to make up for them.
N_SAMPLES, MAX_EPOCHS, LR = (800, 10, 3e-3) if FAST else (2000, 15, 1e-3)

X_train, X_test, y_train, y_test = make_av_digits(N_SAMPLES, split="unseen", random_state=0)

# %%
# One pipeline, two kinds of candidates
# -------------------------------------
# The network candidates vary the fusion; the baseline candidate replaces the
# preprocessing step by ``"passthrough"`` (it featurises the raw columns itself)
# and the model by :func:`~skmm.baselines.make_baseline`. ``memory`` caches the
# fitted preprocessing, so each fold's media are decoded once for all fusions.
prep = ModalityTransformer([
    ("text", TextSequencer(max_len=16), "text"),
    ("image", ImageLoader(size=(28, 28)), "image"),
    ("audio", AudioFeaturizer(n_mels=40), "audio"),
])
net = MultimodalClassifier(max_epochs=MAX_EPOCHS, lr=LR, random_state=0, verbose=0)
grid = [
    {"model__fusion": ["concat", "late", "attention"]},
    {"prep": ["passthrough"], "model": [make_baseline(text="text", image="image", audio="audio")]},
]
with tempfile.TemporaryDirectory() as cache:
    pipe = Pipeline([("prep", prep), ("model", net)], memory=cache)
    search = GridSearchCV(pipe, grid, cv=2).fit(X_train, y_train)
    test_accuracy = search.score(X_test, y_test)

# %%
# Results
# -------
def describe(params):
    if "model__fusion" in params:
        return f"net, fusion={params['model__fusion']}"
    return "baseline (TF-IDF, pixels, MFCC)"


results = pd.DataFrame({
    "candidate": [describe(p) for p in search.cv_results_["params"]],
    "cv accuracy": search.cv_results_["mean_test_score"],
    "std": search.cv_results_["std_test_score"],
})
print(f"best: {describe(search.best_params_)}; test accuracy {test_accuracy:.3f}")
results.round(3)

# %%
# What these numbers are: the docs build runs this page in its fast mode
# (600 training rows, 2-fold, 10 epochs), a size at which the linear baseline
# can beat every network; they show how to compare, not which model wins.
# Fit times are left out: the build runs on shared machines, where they mean
# little. Measured comparisons, each with its machine's load, are in
# ``benchmarks/README.md``: ``benchmarks/fusion.py`` (every fusion on
# AV-Digits at full size, 3 seeds) and ``benchmarks/defaults.py`` (the
# default fusion against the baselines on AV-Digits and on a real set, the
# Wesnoth units; see also the example on them). Searching both kinds on the
# same folds is what makes the comparison fair.
fig, ax = plt.subplots(figsize=(6, 2.8))
order = np.argsort(results["cv accuracy"].to_numpy())
ax.barh(results["candidate"].iloc[order], results["cv accuracy"].iloc[order],
        xerr=results["std"].iloc[order], capsize=4, color="tab:blue")
ax.set_xlabel("cross-validated accuracy")
ax.set_title("Fusion methods and a baseline, same folds")
fig.tight_layout()
