"""
Which modality does the network rely on?
========================================

:func:`~skmm.inspection.modality_importance` shuffles one modality across the
test rows and measures the drop in accuracy; it also removes the modality
outright when the estimator supports missing modalities. We compare with
what a linear model gets from each modality alone.
"""

# %%
import os

import pandas as pd

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import make_av_digits
from skmm.inspection import modality_importance
from skmm.plotting import plot_modality_importance
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

FAST = os.environ.get("SKMM_DOCS_FAST") == "1"  # set by the docs build
# Fast mode: fewer samples, fewer epochs, a larger learning rate to make up for them.
N_SAMPLES, MAX_EPOCHS, LR = (800, 12, 3e-3) if FAST else (2000, 15, 1e-3)

X_train, X_test, y_train, y_test = make_av_digits(N_SAMPLES, split="unseen", random_state=0)
prep = ModalityTransformer([
    ("text", TextSequencer(max_len=16), "text"),
    ("image", ImageLoader(size=(28, 28)), "image"),
    ("audio", AudioFeaturizer(n_mels=40), "audio"),
])
clf = MultimodalClassifier(prep, max_epochs=MAX_EPOCHS, lr=LR, random_state=0, verbose=0).fit(X_train, y_train)

# %%
# Shuffle each modality
# ---------------------
# The media are decoded once; each of the ``3 x n_repeats`` shuffles only
# reruns the network.
result = modality_importance(clf, X_test, y_test, n_repeats=5, random_state=0)
print(f"accuracy on the unshuffled test set: {result.baseline_score:.3f}")
fig = plot_modality_importance(result)

# %%
# Next to single-modality baselines
# ---------------------------------
# A modality that is informative on its own is not necessarily the one the
# network leans on: the network learns what is easiest to use given the others.
baselines = {name: make_baseline(**{name: name}).fit(X_train, y_train).score(X_test, y_test)
             for name in result.modalities}
table = pd.DataFrame({
    "shuffled: drop in accuracy": result.importances_mean.round(3),
    "± std": result.importances_std.round(3),
    "baseline accuracy on this modality alone": [round(baselines[m], 3) for m in result.modalities],
}, index=result.modalities)
if "removal_importances_mean" in result:
    table.insert(2, "removed: drop in accuracy", result.removal_importances_mean.round(3))
table
