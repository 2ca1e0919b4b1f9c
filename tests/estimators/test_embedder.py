"""MultimodalEmbedder: two towers trained with a contrastive loss for retrieval."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV

from skmm import ModalityDict, MultimodalClassifier, MultimodalEmbedder
from skmm.estimators.embedder import resolve_sides
from skmm.metrics import recall_at_k, recall_scorer
from skmm.nn.towers import SymmetricInfoNCE

FAST = dict(embedding_dim=8, hidden_size=16, max_epochs=15, batch_size=32, lr=5e-3, random_state=0, verbose=0)


def paired(n=120, seed=0):
    """Two views of one latent per row: ``a`` linear, ``b`` non-linear."""
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, 4)).astype("float32")
    return ModalityDict(
        a=(z @ rng.normal(size=(4, 6))).astype("float32"),
        b=np.tanh(z @ rng.normal(size=(4, 5))).astype("float32"),
    )


@pytest.fixture(scope="module")
def fitted():
    X = paired()
    return MultimodalEmbedder(query="a", target="b", **{**FAST, "max_epochs": 40, "early_stopping": False}).fit(X), X


def test_embeddings_are_unit_vectors_of_each_side(fitted):
    emb, X = fitted
    q, t = emb.embed(X, side="query"), emb.embed(X, side="target")
    assert q.shape == t.shape == (len(X["a"]), 8) and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(emb.transform(X), q)
    assert not np.allclose(q, t)
    assert emb.query_ == ["a"] and emb.target_ == ["b"]
    assert list(emb.get_feature_names_out()[:2]) == ["multimodalembedder0", "multimodalembedder1"]
    with pytest.raises(ValueError, match="side"):
        emb.embed(X, side="gallery")


def test_retrieval_finds_the_matching_row_far_above_chance(fitted):
    emb, X = fitted
    ranked = emb.retrieve(X, X, k=5)
    assert ranked.shape == (120, 5) and ranked.dtype.kind == "i"
    np.testing.assert_array_equal(emb.retrieve(X, k=5), ranked)  # the gallery defaults to X
    similarity = emb.similarity(X)
    np.testing.assert_array_equal(ranked[:, 0], similarity.argmax(axis=1))
    assert emb.score(X) == recall_at_k(None, ranked, k=1)
    assert emb.score(X) > 0.1 and recall_at_k(None, ranked, k=5) > 0.4  # chance: 1/120 and 5/120
    assert emb.retrieve(X[:4], X[:10], k=None).shape == (4, 10)


def test_training_lowers_the_contrastive_loss(fitted):
    emb, _ = fitted
    losses = emb.history_[:, "train_loss"]
    assert losses[-1] < 0.7 * losses[0]


def test_labels_make_rows_of_a_label_positives():
    X = paired(90)
    y = np.arange(90) % 3
    loss = SymmetricInfoNCE()
    q = torch.nn.functional.normalize(torch.randn(6, 4), dim=1)
    present = torch.ones(6, dtype=torch.bool)
    groups = torch.tensor([0, 0, 1, 1, 2, 2])
    # Two positives per row: the loss is their mean negative log-probability, per direction.
    logits = 10 * q @ q.T
    expected = -(torch.log_softmax(logits, 1) * (groups[:, None] == groups)).sum(1) / 2
    got = loss.per_sample((q, q, torch.tensor(10.0), present, present), groups)
    torch.testing.assert_close(got, expected)
    emb = MultimodalEmbedder(query="a", target="b", **FAST).fit(X, y)
    assert emb.score(X, y) >= emb.score(X)  # any row of the label counts


def test_rows_lacking_a_side_take_no_part_in_the_loss():
    loss = SymmetricInfoNCE()
    q = torch.nn.functional.normalize(torch.randn(5, 3), dim=1)
    t = torch.nn.functional.normalize(torch.randn(5, 3), dim=1)
    present = torch.tensor([True, True, False, True, True])
    all_there = torch.ones(5, dtype=torch.bool)
    scale = torch.tensor(5.0)
    per_row = loss.per_sample((q, t, scale, present, all_there), torch.arange(5))
    assert per_row[2] == 0
    kept = [0, 1, 3, 4]
    alone = loss.per_sample((q[kept], t[kept], scale, all_there[:4], all_there[:4]), torch.arange(4))
    torch.testing.assert_close(per_row[kept], alone)


def test_masked_rows_embed_and_train(media_frame):
    from skmm import ModalityTransformer
    from skmm.preprocessing import ImageLoader, TextSequencer

    X, _ = media_frame
    X = X.copy()
    X.loc[[1, 5], "image"] = None
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=6), "text"),
        ("image", ImageLoader(size=(14, 14), on_missing="mask"), "image"),
    ])
    emb = MultimodalEmbedder(prep, query="text", target="image", **FAST)
    emb.set_params(max_epochs=2).fit(X)
    assert emb.embed(X, side="target").shape == (len(X), 8)
    assert np.isfinite(emb.history_[-1, "train_loss"])


def test_seeded_fits_repeat_and_learn_temperature():
    X = paired(64)
    one = MultimodalEmbedder(query="a", target="b", **{**FAST, "max_epochs": 3}).fit(X)
    two = MultimodalEmbedder(query="a", target="b", **{**FAST, "max_epochs": 3}).fit(X)
    np.testing.assert_array_equal(one.transform(X), two.transform(X))
    fixed = one.net_.module_.log_scale.item()
    assert fixed == pytest.approx(np.log(1 / 0.07))
    learned = MultimodalEmbedder(query="a", target="b", learn_temperature=True, **{**FAST, "max_epochs": 3}).fit(X)
    assert learned.net_.module_.log_scale.item() != pytest.approx(fixed)


def test_clone_grid_search_and_scorers():
    X = paired(90)
    emb = MultimodalEmbedder(query="a", target="b", **{**FAST, "max_epochs": 3})
    assert clone(emb).get_params() == emb.get_params()
    assert "balance" not in emb.get_params() and "query" in emb.get_params()
    search = GridSearchCV(emb, {"embedding_dim": [4, 8]}, cv=2).fit(X)
    assert set(search.cv_results_["param_embedding_dim"]) == {4, 8}
    fitted = search.best_estimator_
    assert recall_scorer(5)(fitted, X) == recall_at_k(None, fitted.retrieve(X, X, k=5), k=5)
    made = make_scorer(recall_at_k, response_method=["retrieve"], k=5)
    assert made(fitted, X, None) == recall_scorer(5)(fitted, X)
    multi = GridSearchCV(emb, {"lr": [5e-3]}, cv=2, scoring={"r1": recall_scorer(1), "r5": recall_scorer(5)},
                         refit="r5").fit(X)
    assert multi.cv_results_["mean_test_r5"][0] >= multi.cv_results_["mean_test_r1"][0]


def test_pickle_and_params_file_round_trip(fitted, tmp_path):
    emb, X = fitted
    again = pickle.loads(pickle.dumps(emb))
    np.testing.assert_array_equal(again.embed(X, "target"), emb.embed(X, "target"))
    emb.save_params(tmp_path / "emb.pt")
    loaded = MultimodalEmbedder(query="a", target="b", **FAST, early_stopping=False).load_params(tmp_path / "emb.pt")
    np.testing.assert_array_equal(loaded.similarity(X), emb.similarity(X))
    with pytest.raises(ValueError, match="embedding_dim"):
        MultimodalEmbedder(query="a", target="b", **{**FAST, "embedding_dim": 4}).load_params(tmp_path / "emb.pt")


def test_checkpoint_resume_gives_the_finished_fit(tmp_path):
    X = paired(64)
    params = {**FAST, "max_epochs": 3, "checkpoint_dir": tmp_path}
    first = MultimodalEmbedder(query="a", target="b", **params).fit(X)
    assert (tmp_path / "checkpoint.pt").exists()
    again = MultimodalEmbedder(query="a", target="b", **params).fit(X)
    np.testing.assert_array_equal(again.transform(X), first.transform(X))


def test_warm_start_from_a_classifier_copies_its_encoders():
    X = paired(64)
    clf = MultimodalClassifier(hidden_size=16, max_epochs=2, balance="none", random_state=0, verbose=0)
    clf.fit(X, X["a"][:, 0] > 0)
    emb = MultimodalEmbedder(query="a", target="b", warm_start_from=clf, **{**FAST, "max_epochs": 1})
    emb.fit(X)
    assert emb.warm_start_report_["loaded"] == ["query.encoders.a", "target.encoders.b"]


def test_one_modality_serves_both_sides_and_ambiguity_is_refused():
    X = np.random.RandomState(0).normal(size=(40, 3)).astype("float32")
    emb = MultimodalEmbedder(**{**FAST, "max_epochs": 2}).fit(X)
    assert emb.query_ == emb.target_ == ["x"]
    assert resolve_sides("a", None, {"a": 0, "b": 0, "c": 0}) == (["a"], ["b", "c"])
    with pytest.raises(ValueError, match="name the query"):
        resolve_sides(None, None, {"a": 0, "b": 0})
    with pytest.raises(ValueError, match="does not have"):
        resolve_sides("z", None, {"a": 0, "b": 0})
    with pytest.raises(TypeError, match="balance"):
        MultimodalEmbedder(balance="none")
