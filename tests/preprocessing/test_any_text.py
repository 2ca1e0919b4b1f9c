"""Any Python str is valid text: tokenised or repaired, never a crash, on every path text takes.

Lone surrogates (what a badly decoded file leaves), NUL bytes, control
characters, byte-order marks, direction marks, stacks of combining
characters and very long strings go through TextSequencer,
PretrainedTokenizer and the baselines' TF-IDF, survive the params file and
the ONNX export; cells that are not text are refused naming column and row.
"""

import io
import random

import numpy as np
import pandas as pd
import pytest

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.preprocessing import TextSequencer
from skmm.preprocessing._text_cells import as_text, valid_text

FAST = dict(max_epochs=2, batch_size=16, hidden_size=8, random_state=0, verbose=0)

ODD = [
    "bad \ud800 text",                 # a lone high surrogate
    "\udfff alone at the start",       # a lone low surrogate
    "joined \ud83d\ude00 pair",        # a surrogate pair: one emoji once joined
    "nul\x00inside\x00words",
    "bell\x07 escape \x1b[31mred\x1b[0m tab\tcr\r\n",
    "\ufeffbom at the start",
    "right\u200fto\u202eleft\u202c marks",
    "ze\u0301\u0301\u0301\u0301lgo e\u0300\u0316",
    "family \U0001F468\u200D\U0001F469\u200D\U0001F467 \U0010FFFF \uffff",
    "",
    " \t\n ",
    "日本語 テキスト Ελληνικά نص عربي",
]


def _series(values, name="text"):
    return pd.Series(values, name=name, dtype=object)  # pandas' str dtype cannot hold a lone surrogate


def _frame(n=36, seed=0):
    rng = random.Random(seed)
    y = np.arange(n) % 2
    tails = ["x", "y\ud800"]
    texts = [" ".join([["red", "blue"][c], ODD[i % len(ODD)], rng.choice(tails)]) for i, c in enumerate(y)]
    return pd.DataFrame({"text": _series(texts)}), y


def _utf8(token):
    token.encode("utf-8")  # raises for a surrogate left in
    return True


# -- the rule ------------------------------------------------------------------
def test_surrogates_are_repaired_and_nothing_else_changes():
    assert valid_text("bad \ud800 text") == "bad \ufffd text"
    assert valid_text("\udfff\ud800") == "\ufffd\ufffd"
    assert valid_text("a \ud83d\ude00 b") == "a \U0001F600 b"  # a pair is the character it encodes
    assert valid_text("\ufeffx") == "\ufeffx"  # a BOM in a str is the user's character: kept
    rng = random.Random(0)
    for _ in range(200):  # strings without surrogates come back as they are, the same object
        text = "".join(chr(rng.choice([rng.randrange(0, 0xD800), rng.randrange(0xE000, 0x110000)]))
                       for _ in range(rng.randrange(0, 40)))
        assert valid_text(text) is text


def test_bytes_are_utf8_text_and_other_bytes_are_refused_naming_the_row():
    assert as_text(b"caf\xc3\xa9") == "café"
    assert as_text(bytearray(b"\xef\xbb\xbfbom")) == "bom"  # an encoding mark, not text
    assert as_text(memoryview(b"mv")) == "mv"
    X = _series(["ok", b"\x89PNG\r\n\x1a\n\x00\x00"], name="review")
    with pytest.raises(TypeError, match=r"column 'review', row 1: expected a string, got 10 bytes that are not UTF-8 text"):
        TextSequencer().fit(X)


@pytest.mark.parametrize("value, shown", [(3.5, "float 3.5"), (["a", "b"], r"list \['a', 'b'\]"),
                                          ({"text": "x"}, "dict"), (np.int64(7), r"int64 np.int64\(7\)")])
def test_cells_that_are_not_text_are_refused_naming_column_and_row(value, shown):
    X = _series(["fine", "also fine", value])
    X.index = ["a", "b", "c"]
    with pytest.raises(TypeError, match=rf"column 'text', row 'c': expected a string, got {shown}"):
        TextSequencer().fit(X)


# -- TextSequencer -------------------------------------------------------------
@pytest.mark.parametrize("params", [{}, {"analyzer": "char", "subwords": None}, {"subwords": None, "lowercase": False}])
def test_text_sequencer_tokenises_any_string(params):
    X = _series(ODD)
    seq = TextSequencer(max_len=8, **params)
    out = seq.fit_transform(X)
    assert out.shape[:2] == (len(ODD), 8) and (out >= 0).all() and out.max() < seq.vocab_size_
    assert all(_utf8(t) for t in list(seq.vocabulary_) + list(seq.subword_vocabulary_))
    assert seq.transform_with_presence(X)[1].all()  # every odd string is a present text
    if params.get("analyzer") == "char":
        assert "\x00" in seq.vocabulary_ and "\ufffd" in seq.vocabulary_ and "\U0001F600" in seq.vocabulary_


def test_very_long_strings_are_truncated_not_a_crash():
    long_words = "word " * 200_000 + "end"
    one_token = "x" * 2_000_000
    out = TextSequencer(max_len=5).fit_transform(_series([long_words, one_token, "short"]))
    assert out.shape[:2] == (3, 5) and (out[0, :, 0] > 0).all() and (out[1, 1:, 0] == 0).all()


# -- PretrainedTokenizer -------------------------------------------------------
def test_pretrained_tokenizer_takes_any_string(tmp_path):
    transformers = pytest.importorskip("transformers")
    from skmm.preprocessing import PretrainedTokenizer

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "bad", "text", "red"])}
    transformers.BertTokenizerFast(vocab=vocab).save_pretrained(tmp_path)
    tok = PretrainedTokenizer(str(tmp_path), max_len=12)
    out = tok.fit_transform(_series(ODD + [b"bad text"]))
    assert out.shape == (len(ODD) + 1, 2, 12)
    assert out[0, 0, 1] == vocab["bad"] and out[-1, 0, 1:3].tolist() == [vocab["bad"], vocab["text"]]
    assert (out[:, 1, 0] == 1).all()  # every row starts with [CLS], attended


# -- the baselines' TF-IDF -----------------------------------------------------
def test_baseline_tfidf_takes_any_string_and_names_bad_cells():
    X, y = _frame()
    model = make_baseline(text="text").fit(X, y)
    assert model.predict(X).shape == (len(X),)
    assert model.score(X, y) > 0.9  # red/blue still decide
    bad = X.copy()
    bad.loc[4, "text"] = 12
    with pytest.raises(TypeError, match=r"column 'text', row 4: expected a string, got int 12"):
        model.predict(bad)
    bad.loc[4, "text"] = None
    with pytest.raises(ValueError, match=r"column 'text', row 4: text is missing"):
        make_baseline(text="text").fit(bad, y)


# -- the params file and the ONNX export -----------------------------------------
def _prep(**params):
    return ModalityTransformer([("text", TextSequencer(max_len=10, **params), "text")])


@pytest.mark.parametrize("params", [{}, {"analyzer": "char", "subwords": None}])
def test_odd_vocabularies_round_trip_through_the_params_file(params):
    X, y = _frame()
    clf = MultimodalClassifier(_prep(**params), **FAST).fit(X, y)
    vocabulary = clf.preprocessor_.named_transformers_["text"].vocabulary_
    odd = {"\ufffd", "\x00", "\u200f", "\U0001F600"} if params else {"日本語", "ελληνικά", "nul"}
    assert odd <= set(vocabulary), odd - set(vocabulary)
    buffer = io.BytesIO()
    clf.save_params(buffer)
    buffer.seek(0)
    loaded = MultimodalClassifier(_prep(**params), **FAST).load_params(buffer)
    assert loaded.preprocessor_.named_transformers_["text"].vocabulary_ == vocabulary
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_odd_text_and_odd_labels_go_through_the_onnx_export(tmp_path):
    pytest.importorskip("onnxruntime")
    from skmm.export import OnnxModel, export_onnx

    X, y = _frame()
    labels = np.array(["bad \ud800 label", "nul\x00\u200f label"], dtype=object)[y]
    clf = MultimodalClassifier(_prep(analyzer="char", subwords=None), **FAST).fit(X, labels)
    model = OnnxModel(export_onnx(clf, tmp_path / "odd.onnx"), clf.preprocessor_)
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), atol=1e-5)
    assert list(model.predict(X)) == list(clf.predict(X))


@pytest.mark.parametrize("analyzer, pattern, lowercase", [
    ("word", r"(?u)\b\w+\b", True), ("word", r"(?u)\b\w\w+\b", False), ("word", r"#(\w+)", True), ("char", None, True),
])
def test_transform_streams_the_tokens_the_analyzer_lists(analyzer, pattern, lowercase):
    from sklearn.feature_extraction.text import CountVectorizer

    from skmm.preprocessing._token_stream import token_stream

    analyze = CountVectorizer(lowercase=lowercase, analyzer=analyzer, token_pattern=pattern).build_analyzer()
    stream = token_stream(lowercase, analyzer, pattern)
    for text in [valid_text(t) for t in ODD] + ["#Tag and #more  \n\n spaces", "A  B\t\tC"]:
        assert list(stream(text)) == analyze(text)


def test_a_long_text_costs_its_first_tokens_at_transform():
    import tracemalloc

    seq = TextSequencer(max_len=16).fit(_series(["lorem a", "dolor b"]))
    tracemalloc.start()
    out = seq.transform(_series(["lorem ipsum dolor " * 1_000_000]))  # 18 MB, 3 million tokens
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (out[0, :, 0] > 0).all()
    assert peak < 64 * 2**20, peak  # listing every token took > 300 MiB
