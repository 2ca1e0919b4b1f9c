"""
A first fit, with training curves
=================================

Fit a fusion network on a DataFrame of text, image paths and audio paths,
watch its training and validation curves, and look at its errors.
"""

# %%
# Data
# ----
# :func:`~skmm.datasets.make_av_digits` writes the images and audio clips to
# files (cached under ``~/skmm_data``) and returns DataFrames whose columns hold
# the text and the media paths. With ``split="unseen"`` the test rows come from
# writers and speakers never seen in training.
import os

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.datasets import make_av_digits
from skmm.plotting import plot_confusion_matrix, plot_history
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

FAST = os.environ.get("SKMM_DOCS_FAST") == "1"  # set by the docs build
# Fast mode: fewer samples, fewer epochs, a larger learning rate to make up for them.
N_SAMPLES, MAX_EPOCHS, LR = (800, 12, 3e-3) if FAST else (2000, 15, 1e-3)

X_train, X_test, y_train, y_test = make_av_digits(N_SAMPLES, split="unseen", random_state=0)
print(X_train.shape, X_test.shape)
print(X_train["text"].head(3).tolist(), y_train.head(3).tolist())

# %%
# The estimator
# -------------
# A :class:`~skmm.ModalityTransformer` turns each column into an array (token
# ids, images, log-mel frames); the classifier takes it as its first argument
# and fits a clone of it. ``validation_fraction`` holds out part of the
# training rows to report validation loss and accuracy each epoch.
prep = ModalityTransformer([
    ("text", TextSequencer(max_len=16), "text"),
    ("image", ImageLoader(size=(28, 28)), "image"),
    ("audio", AudioFeaturizer(n_mels=40), "audio"),
])
clf = MultimodalClassifier(prep, fusion="concat", max_epochs=MAX_EPOCHS, lr=LR,
                           validation_fraction=0.2, random_state=0, verbose=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Training curves
# ---------------
# :func:`~skmm.plotting.plot_history` reads skorch's history (``clf.history_``):
# the losses on the left axis, the validation accuracy on the right one.
fig = plot_history(clf)

# %%
# Errors on unseen writers and speakers
# -------------------------------------
fig = plot_confusion_matrix(clf, X_test, y_test, normalize="true", values_format=".1f",
                            colorbar=False)
