"""The default budget: a stratified validation split, early stopping that restores the best epoch."""

import copy

import numpy as np
from skorch.callbacks import Callback

from skmm import MultimodalClassifier
from skmm.estimators.data import predict_dataset
from skmm.estimators.training import can_hold_out


class Snapshots(Callback):
    """The module's weights after every epoch."""

    def initialize(self):
        self.states = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.states.append(copy.deepcopy(net.module_.state_dict()))


def _noisy(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 20)).astype(np.float32)
    y = (X[:, 0] + rng.normal(scale=1.5, size=n) > 0).astype(int)  # overfits soon
    return X, y


def test_defaults_hold_out_a_stratified_tenth_and_restore_the_best_epoch():
    X, y = _noisy(300, 0)
    snapshots = Snapshots()
    clf = MultimodalClassifier(hidden_size=64, callbacks=[("snap", snapshots)], random_state=0, verbose=0)
    clf.fit(X, y)
    losses = np.array(clf.history_[:, "valid_loss"])
    assert clf.max_epochs > len(losses)  # stopped early
    best = int(np.argmin(losses))
    assert best < len(losses) - 1
    final = clf.net_.module_.state_dict()
    for key, value in final.items():
        np.testing.assert_array_equal(value.numpy(), snapshots.states[best][key].numpy())
    # A stratified 10%: both classes in the validation split, 30 rows.
    split = clf.net_.train_split
    _, valid = split(predict_dataset(clf, X), y)
    assert len(valid) == 30 and set(np.unique(y[valid.indices])) == {0, 1}
    # The learning rate fell on the plateau before the stop.
    assert clf.net_.optimizer_.param_groups[0]["lr"] < clf.lr


def test_tiny_data_trains_on_all_rows_and_stops_on_the_training_loss():
    X = np.random.RandomState(0).normal(size=(6, 3))
    y = np.array([0, 0, 1, 1, 2, 2])
    assert not can_hold_out(y, 0.1, stratified=True)
    clf = MultimodalClassifier(max_epochs=3, random_state=0, verbose=0).fit(X, y)
    assert clf.net_.train_split is None and "valid_loss" not in clf.history_[-1]
