"""The text encoder's linear part: TF-IDF scores of the word and n-gram bag beside the embedding bag."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.preprocessing import normalize

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.data.kinds import ModalityInfo, describe, doc_freq
from skmm.encoders import NGram, SparseLinearEncoder
from skmm.encoders.bag_linear import TokenBagLinear
from skmm.preprocessing import TextSequencer


def _texts(n, seed):
    """Class = which of two sets of cue words a text holds, among noise words."""
    rng = np.random.RandomState(seed)
    cues = [[f"cue{c}w{i}" for i in range(6)] for c in range(2)]
    y = rng.randint(0, 2, n)
    texts = [" ".join(rng.permutation(list(rng.choice([f"noise{i}" for i in range(80)], 5))
                                      + list(rng.choice(cues[label], 2)))) for label in y]
    return pd.DataFrame({"text": texts}), y


def _prep(**kwargs):
    return ModalityTransformer([("text", TextSequencer(max_len=12, **kwargs), "text")])


def test_default_text_net_has_the_linear_part_and_wide_false_drops_it():
    X, y = _texts(60, 0)
    clf = MultimodalClassifier(_prep(), max_epochs=1, random_state=0, verbose=0).fit(X, y)
    assert isinstance(clf.net_.module_.wide["text"], TokenBagLinear)
    assert "text" in clf.net_.module_.encoders  # the embedding bag is still there
    off = MultimodalClassifier(_prep(), encoders={"text": NGram(wide=False)}, max_epochs=1, random_state=0,
                               verbose=0).fit(X, y)
    assert "text" not in off.net_.module_.wide
    # The wide part is set by a nested parameter like any other.
    grid_style = MultimodalClassifier(_prep(), encoders={"text": NGram()}, verbose=0).set_params(
        encoders__text__wide=False)
    assert grid_style.encoders["text"].wide is False


def test_doc_freq_counts_each_id_once_per_row_and_skips_padding():
    ids = np.array([[[3, 4, 0], [3, 5, 0]], [[4, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]])
    assert doc_freq(ids, 6).tolist() == pytest.approx([0, 0, 0, 1 / 3, 2 / 3, 1 / 3])
    info = describe({"text": ids})["text"]
    assert info.kind == "tokens" and info.doc_freq.shape == (info.vocab_size,)
    # Equality (and so checks of predict-time data against fit) ignores the frequencies.
    assert info == ModalityInfo("tokens", (2, 3), info.vocab_size)


def test_scores_are_a_linear_model_on_two_l2_normalised_tfidf_blocks():
    rng = np.random.default_rng(0)
    vocab, n_out = 12, 3
    df = rng.uniform(0.05, 1.0, vocab).astype(np.float32)
    part = TokenBagLinear(vocab, n_out, doc_freq=df)
    with torch.no_grad():
        part.weight.copy_(torch.randn(vocab, n_out))
        part.bias.copy_(torch.randn(n_out))
    ids = torch.tensor([[[2, 5, 6], [3, 7, 0], [2, 5, 6]], [[9, 0, 0], [0, 0, 0], [0, 0, 0]]])
    idf = 1 - np.log(df)
    expected = []
    for row in ids.numpy():
        blocks = []
        for block in (row[:, :1], row[:, 1:]):  # words, then their n-grams
            counts = np.bincount(block.ravel(), minlength=vocab).astype(float)
            counts[0] = 0  # padding
            tf = np.where(counts > 0, 1 + np.log(np.maximum(counts, 1)), 0)  # sublinear, as TfidfVectorizer's
            blocks.append(normalize((tf * idf)[None])[0] if counts.any() else counts)
        features = (blocks[0] + blocks[1]) / np.sqrt(2)
        expected.append(features @ part.weight.detach().numpy() + part.bias.detach().numpy())
    np.testing.assert_allclose(part(ids).detach().numpy(), np.array(expected), rtol=1e-5, atol=1e-5)


def test_padding_and_steps_past_lengths_change_nothing():
    part = TokenBagLinear(10, 2, doc_freq=np.full(10, 0.5, dtype=np.float32))
    with torch.no_grad():
        part.weight.normal_()
    ids = torch.tensor([[[2, 5], [3, 7], [0, 0]]])
    longer = torch.tensor([[[2, 5], [3, 7], [8, 9]]])
    torch.testing.assert_close(part(ids), part(longer, lengths=torch.tensor([2])))
    assert torch.equal(part(torch.zeros(1, 3, 2, dtype=torch.long)), part.bias.detach().unsqueeze(0))


def test_each_batch_runs_forward_once_with_a_wide_part_beside_the_network():
    # skorch hands every optimizer the step as a closure; with the wide part's SGD beside the
    # network's optimizer, each batch used to run forward and backward twice.
    X, y = _texts(96, 1)
    clf = MultimodalClassifier(_prep(), batch_size=32, max_epochs=1, early_stopping=False, random_state=0,
                               verbose=0)
    clf.fit(X.iloc[:32], y[:32])  # built; now count one epoch's training passes
    calls = []
    clf.net_.module_.register_forward_pre_hook(lambda module, args: calls.append(module.training))
    clf.set_params(warm_start=True).fit(X, y)
    assert hasattr(clf.net_, "wide_optimizer_")
    assert sum(calls) == 3  # 96 rows, batches of 32


def test_learns_a_linear_text_task_and_reloads_identically():
    X, y = _texts(200, 2)
    X_test, y_test = _texts(100, 3)
    clf = MultimodalClassifier(_prep(), encoders={"text": NGram()}, random_state=0, verbose=0).fit(X, y)
    assert np.mean(clf.predict(X_test) == y_test) > 0.9
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X_test), clf.predict_proba(X_test))


def test_sparse_wide_encoder_is_still_a_whole_modality():
    from sklearn.feature_extraction.text import TfidfVectorizer

    X, y = _texts(60, 4)
    prep = ModalityTransformer([("tfidf", TfidfVectorizer(), "text"), ("text", TextSequencer(max_len=12), "text")])
    clf = MultimodalClassifier(prep, max_epochs=1, random_state=0, verbose=0).fit(X, y)
    assert isinstance(clf.net_.module_.wide["tfidf"], SparseLinearEncoder)
    assert "tfidf" not in clf.net_.module_.encoders
    assert isinstance(clf.net_.module_.wide["text"], TokenBagLinear)


def test_auto_leaves_the_linear_part_out_beside_media_encoders(frame, make_prep):
    X, y = frame
    y = (y > y.median()).astype(int)
    # Trained jointly ("none"), the linear part would starve the media encoders: "auto" leaves it out.
    media = MultimodalClassifier(make_prep(), balance="none", max_epochs=1, random_state=0, verbose=0).fit(X, y)
    assert "text" in media.net_.module_.encoders and "text" not in media.net_.module_.wide
    # The default ("staged") trains each modality alone first, where the linear part starves nothing.
    staged = MultimodalClassifier(make_prep(), max_epochs=1, random_state=0, verbose=0).fit(X, y)
    assert isinstance(staged.net_.module_.wide["text"], TokenBagLinear)
    forced = MultimodalClassifier(make_prep(), encoders={"text": NGram(wide=True)}, max_epochs=1, random_state=0,
                                  verbose=0).fit(X, y)
    assert isinstance(forced.net_.module_.wide["text"], TokenBagLinear)
    # Beside numbers only, "auto" adds it.
    from sklearn.preprocessing import StandardScaler

    prep = ModalityTransformer([("text", TextSequencer(max_len=6), "text"), ("number", StandardScaler(), ["number"])])
    tabular = MultimodalClassifier(prep, max_epochs=1, random_state=0, verbose=0).fit(X, y)
    assert isinstance(tabular.net_.module_.wide["text"], TokenBagLinear)


def test_wide_must_be_a_bool_or_auto():
    X, y = _texts(40, 5)
    clf = MultimodalClassifier(_prep(), encoders={"text": NGram(wide="yes")}, max_epochs=1, verbose=0)
    with pytest.raises(ValueError, match="wide"):
        clf.fit(X, y)


def test_packed_pairs_give_the_per_position_scores_and_gradients():
    # Training reads each row's distinct (block, id) pairs; export and the reference read every position.
    from skmm.encoders.bag_linear import _exported_bag

    rng = np.random.default_rng(1)
    vocab = 30
    part = TokenBagLinear(vocab, 4, doc_freq=rng.uniform(0.01, 1.0, vocab).astype(np.float32))
    with torch.no_grad():
        part.weight.normal_()
    ids = torch.as_tensor(rng.integers(0, vocab, (5, 7, 3)) * (rng.random((5, 7, 3)) < 0.6))
    ids[2] = 0  # an empty text
    expected = sum(_exported_bag(b, part.weight, part.idf) for b in (ids[..., :1], ids[..., 1:])) / np.sqrt(2)
    torch.testing.assert_close(part(ids), expected + part.bias)
    torch.testing.assert_close(part(ids)[2], part.bias)
    flat = ids[..., 0]  # words only: one block
    torch.testing.assert_close(part(flat), _exported_bag(flat, part.weight, part.idf) + part.bias)
    part.sparse = True
    part(ids).pow(2).sum().backward()
    sparse_grad = part.weight.grad.to_dense()
    part.weight.grad, part.sparse = None, False
    part(ids).pow(2).sum().backward()
    torch.testing.assert_close(sparse_grad, part.weight.grad)
