"""skmm's Adam/AdamW: large embedding tables train by the rows a batch used."""

import numpy as np
import pandas as pd
import pytest
import torch

from skmm import MultimodalClassifier
from skmm.nn import optim
from skmm.nn.optim import Adam, AdamW, RowEmbedding, use_sparse_rows


def _table(rows=40, dim=3, seed=0):
    torch.manual_seed(seed)
    table = RowEmbedding(rows, dim, padding_idx=0)
    return table


def _steps(table, optimizer, batches):
    for ids in batches:
        optimizer.zero_grad()
        (table(ids) ** 2).sum().backward()
        optimizer.step()


BATCHES = [torch.tensor([[1, 4, 4, 0]]), torch.tensor([[2, 4, 9, 0]]), torch.tensor([[1, 2, 3, 3]])]


def test_rows_follow_torchs_sparse_adam(monkeypatch):
    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 10)
    ours, reference = _table(), _table()
    assert use_sparse_rows(ours, True) == [ours.weight]
    reference.sparse = True
    _steps(ours, Adam(ours.parameters(), lr=0.05, weight_decay=0.0), BATCHES)
    _steps(reference, torch.optim.SparseAdam(list(reference.parameters()), lr=0.05), BATCHES)
    torch.testing.assert_close(ours.weight, reference.weight, atol=1e-6, rtol=1e-5)
    assert not torch.equal(ours.weight, _table().weight)


@pytest.mark.parametrize("cls, decay", [(Adam, 0.1), (AdamW, 0.1)])
def test_only_used_rows_move_and_dense_parameters_match_torch(monkeypatch, cls, decay):
    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 10)
    torch.manual_seed(1)
    table, linear = _table(), torch.nn.Linear(3, 2)
    twin = torch.nn.Linear(3, 2)
    twin.load_state_dict(linear.state_dict())
    use_sparse_rows(table, True)
    before = table.weight.detach().clone()
    ours = cls([*table.parameters(), *linear.parameters()], lr=0.05, weight_decay=decay)
    base = {Adam: torch.optim.Adam, AdamW: torch.optim.AdamW}[cls]
    reference = base(twin.parameters(), lr=0.05, weight_decay=decay)
    x = torch.randn(4, 3)
    for ids in BATCHES:
        ours.zero_grad(), reference.zero_grad()
        (table(ids).sum() + linear(x).pow(2).sum()).backward()
        twin(x).pow(2).sum().backward()
        ours.step(), reference.step()
    used = sorted({int(i) for ids in BATCHES for i in ids.flatten() if i})
    moved = (table.weight != before).any(1).nonzero().flatten().tolist()
    assert moved == used  # padding (0) and unused rows untouched, weight decay included
    for mine, theirs in zip(linear.parameters(), twin.parameters()):
        torch.testing.assert_close(mine, theirs, atol=0, rtol=0)
    assert int(ours.state[table.weight]["step"]) == len(BATCHES)


def test_small_tables_and_other_optimizers_stay_dense(monkeypatch):
    table = _table(rows=40)
    assert use_sparse_rows(table, True) == [] and not table.sparse  # under SPARSE_MIN_ROWS
    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 10)
    assert use_sparse_rows(table, False) == [] and not table.sparse
    plain = torch.nn.Embedding(40, 3)
    assert use_sparse_rows(plain, True) == [] and not plain.sparse  # not skmm's table (e.g. a pretrained model)


def test_amsgrad_with_row_training_says_what_to_do(monkeypatch):
    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 10)
    table = _table()
    use_sparse_rows(table, True)
    opt = AdamW(table.parameters(), amsgrad=True)
    table(BATCHES[0]).sum().backward()
    with pytest.raises(ValueError, match="amsgrad"):
        opt.step()


def _many_words(n=120, seed=0):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}x{j}" for i in range(3) for j in range(60)]
    texts = [" ".join(rng.choice(vocab[60 * (i % 3): 60 * (i % 3 + 1)], 6)) for i in range(n)]
    return pd.DataFrame({"text": texts}), pd.Series(np.arange(n) % 3)


def test_estimator_trains_large_tables_by_rows_end_to_end(monkeypatch, tmp_path):
    from skmm import ModalityTransformer
    from skmm.preprocessing import TextSequencer

    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 50)
    X, y = _many_words()

    def model(**kw):
        prep = ModalityTransformer([("text", TextSequencer(max_len=6), "text")])
        return MultimodalClassifier(prep, max_epochs=4, random_state=0, verbose=0, **kw)

    clf = model().fit(X, y)
    table = clf.net_.module_.encoders["text"].embedding
    assert table.num_embeddings > 50 and table.sparse
    assert type(clf.net_.optimizer_) is AdamW
    assert clf.score(X, y) > 0.6
    # Reproducible, and a saved model predicts identically.
    np.testing.assert_array_equal(model().fit(X, y).predict_proba(X), clf.predict_proba(X))
    clf.save_params(tmp_path / "m.pt")
    loaded = model()
    loaded.load_params(tmp_path / "m.pt")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    # A torch optimizer class: the same table trains densely.
    dense = model(optimizer=torch.optim.AdamW).fit(X, y)
    assert not dense.net_.module_.encoders["text"].embedding.sparse
    assert dense.score(X, y) > 0.6


def test_ngram_bag_by_used_rows_equals_the_dense_bag(monkeypatch):
    from skmm.encoders import NGramBagEncoder

    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 10)
    torch.manual_seed(0)
    sparse, dense = NGramBagEncoder(30, 4), NGramBagEncoder(30, 4)
    dense.load_state_dict(sparse.state_dict())
    use_sparse_rows(sparse, True)
    ids = torch.tensor([[[2, 5, 5], [7, 0, 0]], [[0, 0, 0], [0, 0, 0]], [[5, 9, 2], [2, 2, 0]]])
    out_sparse, out_dense = sparse(ids), dense(ids)
    torch.testing.assert_close(out_sparse, out_dense)
    assert out_sparse[1].eq(0).all()  # an empty text stays a zero vector
    out_sparse.pow(2).sum().backward(), out_dense.pow(2).sum().backward()
    grad = sparse.embedding.weight.grad
    assert grad.is_sparse
    torch.testing.assert_close(grad.to_dense(), dense.embedding.weight.grad)


@pytest.mark.parametrize("how", ["lazy", "partial_fit", "warm_start", "accelerate", "checkpoint"])
def test_row_training_works_with_the_other_ways_to_fit(monkeypatch, tmp_path, how):
    from skmm import ModalityTransformer
    from skmm.preprocessing import TextSequencer

    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 50)
    X, y = _many_words()
    prep = ModalityTransformer([("text", TextSequencer(max_len=6), "text")])
    params = dict(max_epochs=3, random_state=0, verbose=0)
    if how == "accelerate":
        accelerate = pytest.importorskip("skmm.accelerate")
        clf = accelerate.AcceleratedMultimodalClassifier(prep, **params).fit(X, y)
    elif how == "checkpoint":
        clf = MultimodalClassifier(prep, checkpoint_dir=tmp_path / "ckpt", **params).fit(X, y)
    else:
        clf = MultimodalClassifier(prep, lazy=how == "lazy", warm_start=how == "warm_start", **params).fit(X, y)
        if how == "partial_fit":
            clf.partial_fit(X, y)
        elif how == "warm_start":
            clf.fit(X, y)
    assert clf.net_.module_.encoders["text"].embedding.sparse
    assert clf.score(X, y) > 0.6


def test_sgd_on_sparse_rows_takes_torchs_dense_steps():
    # The text's linear part: a sparse gradient, the same heavy-ball steps as torch's SGD on the dense one.
    torch.manual_seed(0)
    start = torch.randn(40, 3)
    ours, reference = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    sgd, torch_sgd = optim.SGD([ours], lr=0.3, momentum=0.9), torch.optim.SGD([reference], lr=0.3, momentum=0.9)
    for ids in BATCHES:
        rows = torch.nn.functional.embedding(ids.flatten().unique(), ours, sparse=True)
        sgd.zero_grad(), (rows ** 2).sum().backward(), sgd.step()
        torch_sgd.zero_grad(), (reference[ids.flatten().unique()] ** 2).sum().backward(), torch_sgd.step()
        assert ours.grad is None or ours.grad.is_sparse
    torch.testing.assert_close(ours, reference)
    # Rows no batch used moved with their velocity in neither; row 4's moved in both.
    assert torch.equal(ours[5], start[5]) and not torch.equal(ours[4], start[4])
    torch.testing.assert_close(sgd.state_dict()["state"][0]["momentum_buffer"],
                               torch_sgd.state_dict()["state"][0]["momentum_buffer"])


def test_sgd_refuses_sparse_rows_with_weight_decay():
    w = torch.nn.Parameter(torch.zeros(5, 2))
    opt = optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.01)
    w.grad = torch.sparse_coo_tensor([[1]], torch.ones(1, 2), (5, 2), check_invariants=True)
    with pytest.raises(ValueError, match="weight decay"):
        opt.step()


def test_estimator_trains_the_text_linear_part_by_rows(monkeypatch):
    from skmm import ModalityTransformer
    from skmm.encoders import NGram
    from skmm.encoders.bag_linear import TokenBagLinear
    from skmm.preprocessing import TextSequencer

    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 50)
    X, y = _many_words()

    def model(**kw):
        prep = ModalityTransformer([("text", TextSequencer(max_len=6), "text")])
        return MultimodalClassifier(prep, encoders={"text": NGram(wide=True)}, max_epochs=4, random_state=0,
                                    verbose=0, **kw)

    clf = model().fit(X, y)
    part = clf.net_.module_.wide["text"]
    assert isinstance(part, TokenBagLinear) and part.sparse
    assert type(clf.net_.wide_optimizer_) is optim.SGD
    assert clf.score(X, y) > 0.6
    # Trained densely (a torch optimizer for the rest leaves the linear part by rows: its SGD is skmm's).
    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 10**9)
    dense = model().fit(X, y)
    assert not dense.net_.module_.wide["text"].sparse
    np.testing.assert_allclose(dense.predict_proba(X), clf.predict_proba(X), atol=1e-4)
