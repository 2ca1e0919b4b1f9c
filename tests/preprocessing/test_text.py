import numpy as np
import pandas as pd
import pytest

from skmm.preprocessing import TextSequencer


def test_vocabulary_is_most_frequent_first_then_alphabetical():
    seq = TextSequencer(subwords=None).fit(["b a", "a c", "a b"])
    assert seq.vocabulary_ == {"a": 2, "b": 3, "c": 4}
    assert seq.vocab_size_ == 5


def test_padding_truncation_and_unknown():
    seq = TextSequencer(max_len=3, subwords=None).fit(["red fish", "blue fish"])
    out = seq.transform(["red", "blue green fish fish", ""])
    fish, blue, red = seq.vocabulary_["fish"], seq.vocabulary_["blue"], seq.vocabulary_["red"]
    assert out.dtype == np.int64 and out.shape == (3, 3)
    assert out.tolist() == [[red, 0, 0], [blue, 1, fish], [0, 0, 0]]


def test_ignore_unknown_drops_tokens():
    seq = TextSequencer(max_len=3, handle_unknown="ignore", subwords=None).fit(["red fish"])
    assert seq.transform(["green red"]).tolist() == [[seq.vocabulary_["red"], 0, 0]]


def test_min_freq_and_max_vocab():
    texts = ["a a a b b c"]
    assert set(TextSequencer(min_freq=2).fit(texts).vocabulary_) == {"a", "b"}
    assert set(TextSequencer(max_vocab=1).fit(texts).vocabulary_) == {"a"}


def test_char_analyzer_and_non_ascii():
    seq = TextSequencer(analyzer="char", max_len=4).fit(["été", "ça"])
    out = seq.transform(["çé"])
    assert out[0, 0] == seq.vocabulary_["ç"] and out[0, 1] == seq.vocabulary_["é"]
    words = TextSequencer().fit(["Grüße aus Köln", "日本 語"])
    assert "grüße" in words.vocabulary_ and "日本" in words.vocabulary_


def test_lowercase_option():
    assert "Cat" in TextSequencer(lowercase=False).fit(["Cat cat"]).vocabulary_


def test_missing_text_names_column_and_row():
    X = pd.Series(["ok", None], index=[10, 11], name="review")
    with pytest.raises(ValueError, match=r"column 'review', row 11: text is missing"):
        TextSequencer().fit(X)


def test_wrong_type_names_column_and_row():
    X = pd.Series(["ok", 3.5], name="review")
    with pytest.raises(TypeError, match=r"column 'review', row 1: expected a string, got float"):
        TextSequencer().fit(X)


def test_one_column_dataframe_is_accepted_and_two_rejected():
    X = pd.DataFrame({"t": ["a b", "b"]})
    assert TextSequencer(max_len=2, subwords=None).fit_transform(X).shape == (2, 2)
    with pytest.raises(ValueError, match="exactly one column"):
        TextSequencer().fit(pd.DataFrame({"a": ["x"], "b": ["y"]}))


@pytest.mark.parametrize("params, match", [
    ({"max_len": 0}, "max_len"), ({"max_vocab": -1}, "max_vocab"),
    ({"analyzer": "bpe"}, "analyzer"), ({"handle_unknown": "x"}, "handle_unknown"),
])
def test_bad_params_raise_at_fit(params, match):
    seq = TextSequencer(**params)  # __init__ only stores
    with pytest.raises(ValueError, match=match):
        seq.fit(["a"])


def test_empty_column_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        TextSequencer().fit(pd.Series([], dtype=object, name="t"))
