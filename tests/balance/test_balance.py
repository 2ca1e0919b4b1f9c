"""Balanced training (skmm.balance): every option with every fusion, masks, weights, saving, history."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skmm import ModalityDict, MultimodalClassifier, MultimodalRegressor
from skmm.balance import BALANCES, MLA, OGMGE, Staged, UnimodalEnsemble, UnimodalHeads, resolve_balance
from skmm.balance.base import Parts, masked_loss
from skmm.data.tensors import to_tensors
from skmm.fusion import FUSIONS, Condition
from skmm.nn.losses import CrossEntropy

OPTIONS = sorted(BALANCES)


def vectors(n=120, seed=0, absent=False):
    """Two vector modalities that each carry part of a 3-class label; ``absent`` hides some rows of "b"."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 3
    a = rng.normal(size=(n, 4)).astype("float32")
    b = rng.normal(size=(n, 3)).astype("float32")
    a[:, 0] += 2.0 * (y == 1)
    b[:, 0] += 2.0 * (y == 2)
    X = ModalityDict(a=a, b=b)
    if absent:
        X.present["b"] = np.arange(n) % 4 != 0
    return X, y


def sequences(n=60, seed=0):
    """A token and a frame modality (for the fusions that need steps: cross_attention, condition)."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    tokens = rng.randint(2, 20, size=(n, 6)).astype("int64")
    tokens[:, 0] = 20 + y
    frames = rng.normal(size=(n, 5, 3)).astype("float32")
    frames[:, :, 0] += y[:, None]
    return ModalityDict(text=tokens, audio=frames), y


def fusion_for(name):
    return Condition(source="audio", target="text") if name == "condition" else name


@pytest.mark.parametrize("balance", OPTIONS)
@pytest.mark.parametrize("fusion", sorted(FUSIONS))
def test_every_balance_trains_with_every_fusion(fusion, balance):
    X, y = sequences() if fusion in ("cross_attention", "condition") else vectors(absent=True)
    encoders = {"text": "gru", "audio": "gru"} if fusion == "condition" else None
    clf = MultimodalClassifier(fusion=fusion_for(fusion), balance=balance, encoders=encoders, max_epochs=2,
                               random_state=0, verbose=0, n_threads=1)
    clf.fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(y)))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), len(np.unique(y)))
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(1), 1)
    heads = [k for k in clf.history_[-1] if k.startswith("valid_acc_") and k != "valid_acc_best"]
    assert sorted(heads) == ([] if balance == "none" else [f"valid_acc_{n}" for n in sorted(X)])


def test_none_builds_the_network_without_heads():
    X, y = vectors()
    clf = MultimodalClassifier(balance="none", max_epochs=1, random_state=0, verbose=0).fit(X, y)
    assert clf.net_.module_.balance is None
    assert not any(k.startswith("balance.") for k in clf.net_.module_.state_dict())


def test_one_modality_has_nothing_to_balance():
    X, y = vectors()
    single = ModalityDict(a=X["a"])
    clf = MultimodalClassifier(balance="heads", max_epochs=1, random_state=0, verbose=0).fit(single, y)
    assert clf.net_.module_.balance is None


def test_heads_record_each_modality_every_epoch_and_see_the_weak_one():
    X, y = vectors(n=300)
    clf = MultimodalClassifier(balance="heads", max_epochs=20, lr=0.01, early_stopping=False, validation_fraction=0.2,
                               random_state=0, verbose=0).fit(X, y)
    a = clf.history_[:, "valid_acc_a"]
    b = clf.history_[:, "valid_acc_b"]
    assert len(a) == len(b) == 20
    # Each head alone sees one class: about 2/3 at best, above chance (1/3).
    assert 0.4 < a[-1] < 0.85 and 0.4 < b[-1] < 0.85


def test_heads_product_is_the_sum_of_log_probabilities():
    X, y = vectors()
    clf = MultimodalClassifier(balance=UnimodalHeads(predict="product"), max_epochs=2, random_state=0,
                               verbose=0).fit(X, y)
    network = clf.net_.module_.eval()
    with torch.no_grad():
        parts = network.parts(to_tensors(X, clf.modalities_))
    members = [parts.fused, *parts.unimodal.values()]
    expected = sum(torch.log_softmax(m, dim=1) for m in members)
    assert torch.allclose(parts.output, expected, atol=1e-5)
    assert np.allclose(clf.predict_proba(X), torch.softmax(expected, 1).detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("balance", [UnimodalHeads(predict="learned"), UnimodalEnsemble(rule="learned")])
def test_learned_member_weights_lower_the_held_out_loss_of_the_product(balance):
    from skorch.callbacks import Callback

    from skmm.balance.weights import fit_member_weights

    class Keep(Callback):
        def on_epoch_end(self, net, dataset_valid=None, **kwargs):
            self.valid = dataset_valid

    keep = Keep()
    X, y = vectors(n=240, absent=True)
    clf = MultimodalClassifier(balance=balance, max_epochs=8, lr=0.01, validation_fraction=0.25, callbacks=[keep],
                               random_state=0, verbose=0).fit(X, y)
    module = clf.net_.module_.balance
    fitted = module.member_weights.clone()
    assert not torch.allclose(fitted, torch.ones_like(fitted))

    def held_out_loss():
        clf.net_.module_.eval()
        with torch.no_grad():
            losses = [clf.net_.criterion_(clf.net_.infer(xi), yi) * len(xi["a"]["x"])
                      for xi, yi in clf.net_.get_iterator(keep.valid)]
            return float(sum(losses)) / len(keep.valid)

    learned = held_out_loss()
    module.member_weights.fill_(1.0)
    assert learned < held_out_loss()
    fit_member_weights(clf.net_, keep.valid)  # refitting finds the same weights
    assert torch.allclose(module.member_weights, fitted, atol=1e-4)


def test_ensemble_trains_no_fusion_and_predicts_the_product_of_its_members():
    X, y = vectors()
    clf = MultimodalClassifier(balance="ensemble", max_epochs=2, random_state=0, verbose=0).fit(X, y)
    network = clf.net_.module_.eval()
    # The fusion's head never gets a gradient (the optimizer never stepped it).
    assert all(p.grad is None for p in network.head.parameters())
    assert all(p not in clf.net_.optimizer_.state for p in network.head.parameters())
    with torch.no_grad():
        parts = network.parts(to_tensors(X, clf.modalities_))
    assert parts.fused is None
    expected = sum(torch.log_softmax(m, dim=1) for m in parts.unimodal.values())
    assert torch.allclose(parts.output, expected, atol=1e-5)


def test_masked_loss_leaves_out_samples_without_the_modality_and_keeps_weights():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    target = torch.tensor([0, 0, 1])
    weight = torch.tensor([1.0, 2.0, 3.0])
    present = torch.tensor([True, False, True])
    per = CrossEntropy().per_sample(logits, target)
    got = masked_loss(CrossEntropy(), logits, {"target": target, "weight": weight}, present)
    assert torch.isclose(got, (per[0] * 1 + per[2] * 3) / 4)
    nobody = masked_loss(CrossEntropy(), logits, target, torch.zeros(3, dtype=torch.bool))
    assert nobody.item() == 0.0


def test_ogm_ge_slows_the_modality_that_is_ahead_by_the_papers_rule():
    module = OGMGE(alpha=0.5, noise=False).build({"a": 2, "b": 2}, n_outputs=2, task_sizes=[2], hidden_size=4,
                                                 dropout=0.0)
    target = torch.tensor([0, 1, 0, 1])
    confident = torch.tensor([[4.0, -4.0], [-4.0, 4.0], [4.0, -4.0], [-4.0, 4.0]])
    unsure = torch.zeros(4, 2)
    parts = Parts(confident, confident, {"a": confident, "b": unsure}, None)
    coeffs = module.coefficients(parts, CrossEntropy(), target)
    s_a, s_b = torch.sigmoid(torch.tensor(8.0)).item(), 0.5
    rho = s_a / ((s_a + s_b) / 2)
    assert coeffs["b"] == 1.0
    assert coeffs["a"] == pytest.approx(1 - np.tanh(0.5 * rho), rel=1e-5)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoders = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 2), "b": torch.nn.Linear(2, 2)})

    net = Net()
    for p in net.parameters():
        p.grad = torch.ones_like(p)
    module.modulate(net, parts, CrossEntropy(), target)
    assert all(torch.allclose(p.grad, torch.full_like(p, coeffs["a"])) for p in net.encoders["a"].parameters())
    assert all(torch.equal(p.grad, torch.ones_like(p)) for p in net.encoders["b"].parameters())


def test_ogm_ge_records_its_factors_and_noise_follows_the_seed():
    X, y = vectors()
    fits = [MultimodalClassifier(balance="ogm_ge", max_epochs=2, random_state=0, verbose=0, n_threads=1).fit(X, y)
            for _ in range(2)]
    assert {"ogm_a", "ogm_b"} <= set(fits[0].history_[-1])
    assert all(0 < fits[0].history_[-1][k] <= 1 for k in ("ogm_a", "ogm_b"))
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))


def test_mla_steps_once_per_modality_and_once_for_the_fusion():
    X, y = vectors(n=64)
    clf = MultimodalClassifier(balance="mla", max_epochs=1, batch_size=16, early_stopping=False, random_state=0,
                               verbose=0).fit(X, y)
    assert clf.net_.module_.balance.passes() == ["a", "b", "<fused>"]
    state = clf.net_.optimizer_.state
    shared = clf.net_.module_.balance.shared[-1].weight
    fused_head = clf.net_.module_.head[0].weight
    # 4 batches; the shared head learns in both modality passes, the fused head in the fusion's.
    assert int(state[shared]["step"]) == 8
    assert int(state[fused_head]["step"]) == 4


@pytest.mark.parametrize("balance", ["heads", "ogm_ge", "mla", "ensemble"])
def test_saved_balanced_models_predict_identically(balance, tmp_path):
    X, y = vectors(absent=True)
    clf = MultimodalClassifier(balance=balance, max_epochs=2, random_state=0, verbose=0).fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    clf.save_params(tmp_path / "model.pt")
    loaded = MultimodalClassifier(balance=balance, verbose=0).load_params(tmp_path / "model.pt")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    with pytest.raises(ValueError, match="balance"):
        MultimodalClassifier(balance="none", verbose=0).load_params(tmp_path / "model.pt")


def test_balance_is_a_grid_searchable_nested_parameter():
    X, y = vectors()
    clf = MultimodalClassifier(max_epochs=1, random_state=0, verbose=0)
    assert clone(clf.set_params(balance="ogm_ge", balance__alpha=0.9)).balance.alpha == 0.9
    grid = GridSearchCV(MultimodalClassifier(max_epochs=1, random_state=0, verbose=0),
                        {"balance": ["none", "heads", UnimodalHeads(weight=0.5)]}, cv=2).fit(X, y)
    assert len(grid.cv_results_["params"]) == 3


def test_unknown_balance_is_named_at_fit():
    X, y = vectors()
    with pytest.raises(ValueError, match="unknown balance 'pareto'"):
        MultimodalClassifier(balance="pareto", verbose=0).fit(X, y)
    with pytest.raises(TypeError, match="balance must be"):
        resolve_balance(3)
    with pytest.raises(ValueError, match="alpha"):
        MultimodalClassifier(balance=OGMGE(alpha=-1), verbose=0, max_epochs=1).fit(X, y)


@pytest.mark.parametrize("balance", ["heads", "mla", "ensemble"])
def test_regressor_and_multi_task_heads_are_balanced_too(balance):
    X, y = vectors()
    reg = MultimodalRegressor(balance=balance, max_epochs=2, random_state=0, verbose=0).fit(X, y.astype(float))
    assert np.all(np.isfinite(reg.predict(X)))
    assert {"valid_loss_a", "valid_loss_b"} <= set(reg.history_[-1])
    targets = pd.DataFrame({"first": y, "second": (y > 0).astype(int)})
    clf = MultimodalClassifier(balance=balance, max_epochs=2, random_state=0, verbose=0).fit(X, targets)
    probas = clf.predict_proba(X)
    assert [p.shape[1] for p in probas] == [3, 2]
    assert all(np.allclose(p.sum(1), 1) for p in probas)
    assert 0 <= clf.history_[-1]["valid_acc_a"] <= 1


def test_partial_fit_continues_a_balanced_network():
    X, y = vectors()
    clf = MultimodalClassifier(balance="mla", random_state=0, verbose=0)
    clf.partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y)
    assert len(clf.history_) == 2
    assert isinstance(clf.net_.module_.balance.passes(), list)


def test_estimators_pickled_before_balance_load_as_none():
    X, y = vectors()
    clf = MultimodalClassifier(balance="none", max_epochs=1, random_state=0, verbose=0).fit(X, y)
    state = clf.__getstate__()
    del state["balance"]
    old = MultimodalClassifier.__new__(MultimodalClassifier)
    old.__setstate__(state)
    assert old.balance == "none"
    np.testing.assert_array_equal(old.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("spec", [UnimodalHeads(), OGMGE(), MLA(), UnimodalEnsemble(rule="learned")])
def test_options_are_clone_safe_parameter_objects(spec):
    assert clone(spec).get_params() == spec.get_params()


def test_staged_freezes_every_modality_at_its_best_then_trains_only_the_fusion():
    from skorch.callbacks import Callback

    class AtSwitch(Callback):
        """Snapshot the encoders when the fusion stage begins."""

        def on_epoch_end(self, net, **kwargs):
            if net.module_.balance.uses_fusion and not hasattr(self, "encoders"):
                self.epoch = len(net.history)
                self.encoders = {k: v.clone() for k, v in net.module_.encoders.state_dict().items()}

    switch = AtSwitch()
    X, y = vectors(n=300)
    clf = MultimodalClassifier(balance=Staged(patience=2), max_epochs=60, lr=0.01, callbacks=[switch],
                               random_state=0, verbose=0).fit(X, y)
    network = clf.net_.module_
    assert bool(network.balance.frozen.all())
    history = clf.history_
    # Each modality's own loss is watched until it stops; the fusion's only after the switch.
    fusion_epochs = [i + 1 for i, row in enumerate(history) if "valid_loss_fusion" in row]
    assert fusion_epochs and fusion_epochs[0] == switch.epoch + 1
    assert len(history) < 60  # the fusion stage stopped too
    for key, value in network.encoders.state_dict().items():
        assert torch.equal(value, switch.encoders[key])  # frozen through the fusion stage
    assert clf.score(X, y) > 0.65


def test_staged_gives_the_fusion_the_second_half_of_the_epochs_at_a_larger_step():
    X, y = vectors(n=300)
    # patience 50: no member would stop on its own within 10 epochs; the cap at half of max_epochs does it.
    clf = MultimodalClassifier(balance=Staged(patience=50, fusion_lr=0.04), max_epochs=10, lr=0.01,
                               lr_schedule=None, random_state=0, verbose=0).fit(X, y)
    fusion_epochs = [i + 1 for i, row in enumerate(clf.history_) if "valid_loss_fusion" in row]
    assert fusion_epochs == list(range(6, 11))
    groups = {group["member"]: group["lr"] for group in clf.net_.optimizer_.param_groups}
    assert groups["fusion"] == pytest.approx(0.04) and groups["a"] == pytest.approx(0.01)


def test_staged_member_stops_at_its_second_plateau():
    from skmm.balance.staged_stopping import StagedStopping

    class Net:  # what _track reads: the module's member parameters and the optimizer's groups
        module_ = type("M", (), {"wide": {}})()
        optimizer_ = type("O", (), {"param_groups": [{"member": "a", "lr": 1.0}]})()

    stop = StagedStopping(patience=4, max_epochs=100)
    stop.best_, stop.misses_, stop.flat_, stop.cuts_, stop.snapshots_ = {}, {}, {}, {}, {}
    import skmm.balance.staged_stopping as staged

    original = staged.member_parameters
    staged.member_parameters = lambda network, name: []
    original_modules, staged.member_modules = staged.member_modules, lambda network, name: []
    try:
        # Three bad epochs make a plateau (patience // 2 = 2 exceeded); a gain between two plateaus resets the
        # patience, which is never spent (4 bad epochs in a row), but the second plateau ends the member.
        ended = [stop.track(Net, "a", loss) for loss in [1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9]]
    finally:
        staged.member_parameters, staged.member_modules = original, original_modules
    assert Net.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01)
    assert ended == [False] * 7 + [True]


def test_staged_regressor_weighs_its_members_by_precision():
    X, y = vectors(n=300)
    target = X["a"][:, 1] + X["b"][:, 1]  # each of "a" and "b" holds half of it, "c" nothing
    noise = ModalityDict(a=X["a"], b=X["b"], c=np.random.RandomState(2).normal(size=(len(y), 3)).astype("float32"))
    reg = MultimodalRegressor(balance="staged", max_epochs=30, lr=0.01, random_state=0, verbose=0).fit(noise, target)
    balance = reg.net_.module_.balance
    weights = dict(zip(balance.member_names, balance.member_weights.tolist()))
    stop = dict(reg.net_.callbacks_)["staged"]
    for name in ["a", "b", "c"]:
        assert weights[name] == pytest.approx(1 / stop.best_[name], rel=1e-5)
    assert weights["c"] < min(weights["a"], weights["b"])  # the modality of pure noise weighs least


def test_staged_without_a_validation_split_switches_halfway():
    X, y = vectors()
    clf = MultimodalClassifier(balance="staged", early_stopping=False, max_epochs=6, random_state=0,
                               verbose=0).fit(X, y)
    assert len(clf.history_) == 6
    assert bool(clf.net_.module_.balance.frozen.all())
    learned = MultimodalClassifier(balance=Staged(weights="learned"), early_stopping=False, max_epochs=6,
                                   random_state=0, verbose=0).fit(X, y)
    assert torch.equal(learned.net_.module_.balance.member_weights, torch.ones(3))  # nothing held out to fit them


def test_staged_checkpoint_resumes_with_its_frozen_modalities(tmp_path):
    from skorch.callbacks import Callback

    class Interrupt(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 3:
                raise KeyboardInterrupt  # skorch ends the fit quietly, as on Ctrl-C

    X, y = vectors(n=200)
    params = dict(balance=Staged(patience=3), lr=0.02, max_epochs=30, random_state=0, verbose=0)
    full = MultimodalClassifier(**params).fit(X, y)
    MultimodalClassifier(checkpoint_dir=tmp_path, callbacks=[Interrupt()], **params).fit(X, y)
    resumed = MultimodalClassifier(checkpoint_dir=tmp_path, **params).fit(X, y)
    assert len(full.history_) > 6 and resumed.history_[3]["resumed_from_epoch"] == 3
    np.testing.assert_allclose(resumed.predict_proba(X), full.predict_proba(X), atol=1e-6)


def test_staged_keeps_the_texts_linear_part_beside_media_and_freezes_it_with_the_text():
    X, y = sequences(n=80)
    noisy = np.random.RandomState(1).rand(80) < 0.3
    X["text"][noisy, 0] = 20 + (1 - y[noisy])  # a clue that is wrong for 30% of rows: the text stops improving
    staged = MultimodalClassifier(balance=Staged(patience=2), max_epochs=60, random_state=0, verbose=0).fit(X, y)
    heads = MultimodalClassifier(balance="heads", max_epochs=1, random_state=0, verbose=0).fit(X, y)
    assert "text" in staged.net_.module_.wide and "text" not in heads.net_.module_.wide
    assert staged.net_.module_.balance.is_frozen("text")
    assert not any(p.requires_grad for p in staged.net_.module_.wide["text"].parameters())


def test_staged_residual_fusion_trains_on_the_prediction_and_learns_what_no_modality_has_alone():
    # The label is the XOR of two signs, one per modality: each modality alone and their product are at chance,
    # so all the prediction gets right comes from the fusion learning the interaction as a correction.
    rng = np.random.RandomState(0)
    n = 400
    s1, s2 = rng.rand(n) < 0.5, rng.rand(n) < 0.5
    a = rng.normal(scale=0.3, size=(n, 2)).astype("float32")
    b = rng.normal(scale=0.3, size=(n, 2)).astype("float32")
    a[:, 0] += np.where(s1, 1.0, -1.0)
    b[:, 0] += np.where(s2, 1.0, -1.0)
    X, y = ModalityDict(a=a, b=b), (s1 ^ s2).astype(int)
    clf = MultimodalClassifier(balance=Staged(patience=3, fusion_loss="residual"), max_epochs=60, lr=0.01,
                               random_state=0, verbose=0).fit(X, y)
    network = clf.net_.module_.eval()
    assert network.balance.residual and bool(network.balance.frozen.all())
    with torch.no_grad():
        parts = network.parts(to_tensors(X, clf.modalities_))
    hit = lambda out: float(np.mean(out.argmax(1).numpy() == y))  # noqa: E731
    assert max(hit(parts.unimodal["a"]), hit(parts.unimodal["b"])) < 0.65
    assert hit(parts.output) > 0.9
    # The stage-two loss is the prediction's, not the fused head's own.
    criterion = CrossEntropy()
    target = torch.as_tensor(y)
    assert float(network.balance.loss(parts, criterion, target)) == pytest.approx(float(criterion(parts.output, target)))
    own = MultimodalClassifier(balance="staged", max_epochs=2, random_state=0,  # "own" is the default
                               verbose=0).fit(X, y).net_.module_.balance
    assert not own.residual
    assert float(own.loss(parts, criterion, target)) == pytest.approx(float(criterion(parts.fused, target)))
    regressor = MultimodalRegressor(balance=Staged(fusion_loss="residual"), max_epochs=2, random_state=0,
                                    verbose=0).fit(X, a[:, 0])
    assert not regressor.net_.module_.balance.residual  # a regressor's fusion keeps its own loss


def test_staged_member_gets_back_its_best_epochs_batch_norm_statistics():
    from types import SimpleNamespace

    from skmm.balance.staged_stopping import StagedStopping

    encoder = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    network = SimpleNamespace(encoders={"a": encoder}, balance=SimpleNamespace(heads={"a": torch.nn.Linear(3, 2)}),
                              wide={})
    net = SimpleNamespace(module_=network, optimizer_=SimpleNamespace(param_groups=[]))
    stop = StagedStopping(patience=2, max_epochs=100, plateau=False)
    stop.best_, stop.misses_, stop.flat_, stop.cuts_, stop.snapshots_ = {}, {}, {}, {}, {}
    encoder.train()
    encoder(torch.randn(16, 2))
    best = {k: v.clone() for k, v in encoder.state_dict().items()}
    assert not stop.track(net, "a", 1.0)  # the best epoch
    for _ in range(2):  # two worse epochs move the weights and the running statistics on
        with torch.no_grad():
            encoder[0].weight.add_(1.0)
        encoder(torch.randn(16, 2) + 3)
        ended = stop.track(net, "a", 2.0)
    assert ended
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, best[key]), key


def test_staged_stage_one_leaves_the_fusion_twice_its_patience_and_at_least_half():
    from skmm.balance.staged_stopping import StagedStopping

    assert StagedStopping(patience=5, max_epochs=60).stage_one_epochs == 50
    assert StagedStopping(patience=50, max_epochs=10).stage_one_epochs == 5  # never less than half
    assert StagedStopping(patience=5, max_epochs=1).stage_one_epochs == 1
