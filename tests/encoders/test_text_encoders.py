"""Subword token ids and the text encoders that read them (ngram, char_cnn)."""

import numpy as np
import pytest
import torch

from skmm import MultimodalClassifier
from skmm.data.inputs import ModalityInfo, describe, to_tensors
from skmm.encoders import ConvTextEncoder, NGram, NGramBagEncoder, resolve_encoder
from skmm.encoders.tokens import TokenEmbedding
from skmm.preprocessing import TextSequencer


def test_sequencer_emits_each_words_subwords_and_unseen_words_keep_known_ngrams():
    seq = TextSequencer(max_len=3, subwords=(2, 3)).fit(["network cable", "networks"])
    ids = seq.transform(["netwerk", "cable cable cable cable", ""])
    assert ids.shape == (3, 3, 1 + seq.max_subwords)
    inverse = {i: g for g, i in seq.subword_vocabulary_.items()}
    # "netwerk" is unseen (word id 1) but shares n-grams with "network".
    assert ids[0, 0, 0] == 1
    grams = {inverse[i] for i in ids[0, 0, 1:] if i}
    assert {" n", "ne", "net", "rk "} <= grams and "wer" not in grams
    # Padding is whole zero rows; truncation keeps max_len tokens.
    assert (ids[0, 1:] == 0).all() and (ids[1, :, 0] > 1).all() and (ids[2] == 0).all()
    assert seq.vocab_size_ == 2 + len(seq.vocabulary_) + len(seq.subword_vocabulary_)
    assert min(seq.subword_vocabulary_.values()) == 2 + len(seq.vocabulary_)


def test_subwords_are_off_for_characters_and_checked():
    assert TextSequencer(analyzer="char", max_len=5).fit_transform(["abc"]).shape == (1, 5)
    with pytest.raises(ValueError, match="subwords"):
        TextSequencer(subwords=(3, 2)).fit(["a b"])


def test_subword_tokens_become_one_tokens_modality_with_word_lengths():
    ids = TextSequencer(max_len=4).fit_transform(["a b c", "d", ""])
    info = describe({"text": ids})["text"]
    assert info.kind == "tokens" and info.shape == (4, ids.shape[2])
    tensors = to_tensors({"text": ids}, {"text": info})["text"]
    assert tensors["lengths"].tolist() == [3, 1, 0]
    assert tensors["present"].tolist() == [True, True, False]


@pytest.mark.parametrize("make", [
    lambda: NGramBagEncoder(50, 8),
    lambda: ConvTextEncoder(50, 8, embedding_dim=6, channels=4, kernel_sizes=(2, 3)),
])
@pytest.mark.parametrize("subwords", [False, True])
def test_text_encoders_ignore_padding(make, subwords):
    torch.manual_seed(0)
    encoder = make().eval()
    shape = (4, 5, 3) if subwords else (4, 5)
    ids = torch.randint(1, 50, shape)
    lengths = torch.tensor([5, 3, 1, 2])
    positions = torch.arange(5)[None, :, None] if subwords else torch.arange(5)[None, :]
    keep = positions < lengths.reshape(-1, *([1] * (len(shape) - 1)))
    ids = ids * keep
    longer = torch.cat([ids, torch.zeros_like(ids)], dim=1)  # more padding
    out = encoder(ids, lengths)
    assert torch.allclose(out, encoder(longer, lengths), atol=1e-6)
    # Ids past a sample's length are padding even when non-zero.
    noisy = ids + (~keep) * 7
    assert torch.allclose(out, encoder(noisy, lengths), atol=1e-6)
    states, mask = encoder.encode_steps(ids, lengths)
    assert mask.sum(1).tolist() == lengths.tolist()
    assert states[~mask].abs().sum() == 0


def test_an_unseen_word_is_read_through_its_ngrams():
    seq = TextSequencer(max_len=2, subwords=(2, 4)).fit(["television", "radio"])
    ids = torch.as_tensor(seq.transform(["televisions", "zzz", "television"]))
    embed = TokenEmbedding(seq.vocab_size_, 8)
    vectors = embed(ids)[:, 0]
    # The unseen "televisions" lands nearer "television" than an unseen word with no known n-gram.
    near = torch.cosine_similarity(vectors[0], vectors[2], dim=0)
    far = torch.cosine_similarity(vectors[1], vectors[2], dim=0)
    assert near > far + 0.3


def test_ngram_is_the_default_for_tokens_and_learns_from_subwords():
    assert isinstance(resolve_encoder(None, "text", ModalityInfo("tokens", (4,), vocab_size=9)), NGram)
    rng = np.random.RandomState(0)
    stems = ["brightlamp", "darkstone"]
    # Test words are unseen spellings: only shared n-grams carry the class.
    train = [stems[c] + rng.choice(["a", "b", "c"]) for c in np.arange(120) % 2]
    test = [stems[c] + rng.choice(["x", "y", "z"]) for c in np.arange(40) % 2]
    seq = TextSequencer(max_len=2).fit(train)
    clf = MultimodalClassifier(max_epochs=15, random_state=0, verbose=0, early_stopping=False)
    clf.fit({"text": seq.transform(train)}, np.arange(120) % 2)
    assert clf.score({"text": seq.transform(test)}, np.arange(40) % 2) == 1.0
    assert (seq.transform(test)[:, 0, 0] == 1).all()  # every test word unknown


@pytest.mark.parametrize("encoder", ["gru", "char_cnn", "ngram"])
def test_text_encoders_fit_subword_and_char_ids(encoder, frame):
    X, y = frame
    for seq in (TextSequencer(max_len=6), TextSequencer(analyzer="char", max_len=24)):
        ids = seq.fit_transform(X["text"])
        clf = MultimodalClassifier(encoders={"text": encoder}, max_epochs=2, random_state=0, verbose=0)
        proba = clf.fit({"text": ids}, y).predict_proba({"text": ids})
        assert proba.shape == (len(X), 3) and np.isfinite(proba).all()
