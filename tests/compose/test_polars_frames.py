"""polars DataFrames and pyarrow Tables are taken as pandas frames are, media columns not copied.

ModalityTransformer and the estimators (fit, predict, predict_proba, score,
transform) give on a polars frame, or the pyarrow Table of it, what they
give on the pandas frame with the same cells; binary columns reach the
decoders as views onto Arrow's buffers, list columns as views onto its
values, Object columns as the very objects.
"""

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skmm import ModalityTransformer, MultimodalClassifier, MultimodalRegressor
from skmm.baselines import make_baseline
from skmm.compose._native_frames import to_pandas
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer, decode_cache

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

FAST = dict(max_epochs=3, batch_size=8, hidden_size=8, random_state=0, verbose=0)
N = 24


@pytest.fixture(autouse=True)
def _no_cache():
    with decode_cache.paused():
        yield


def _png(level):
    buffer = io.BytesIO()
    Image.fromarray(np.full((6, 6, 3), level, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _frames():
    """The same cells as a polars frame and as a pandas frame."""
    y = np.arange(N) % 2
    rng = np.random.RandomState(0)
    columns = {
        "text": [["red thing", "blue thing"][c] + f" {i}" for i, c in enumerate(y)],
        "photo": [_png(40 + 160 * c + rng.randint(20)) for c in y],                          # Binary
        "voice": [np.sin(np.arange(800) / (3.0 + c)).astype(np.float32) * 0.5 for c in y],   # List(Float32)
        "hf_image": [{"bytes": _png(90 * c + 30), "path": None} for c in y],                 # Struct{bytes, path}
        "price": (y * 2.0 + rng.normal(0, 0.1, N)),
    }
    frame = pl.DataFrame({
        **{k: v for k, v in columns.items() if k != "voice"},
        "voice": pl.Series(columns["voice"], dtype=pl.List(pl.Float32)),
    }).select(list(columns))
    return frame, pd.DataFrame(columns), y


def _prep():
    return ModalityTransformer([
        ("text", TextSequencer(max_len=4), "text"),
        ("photo", ImageLoader(size=(6, 6)), "photo"),
        ("hf", ImageLoader(size=(4, 4)), "hf_image"),
        ("voice", AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=128, hop_length=64), "voice"),
        ("price", "passthrough", ["price"]),
    ])


def _same(a, b):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_modality_transformer_takes_polars_and_pyarrow_as_pandas():
    polars, pandas, _ = _frames()
    expected = _prep().fit_transform(pandas)
    for frame in (polars, polars.to_arrow(), pa.table(polars)):
        prep = _prep()
        _same(prep.fit_transform(frame), expected)
        _same(prep.transform(frame), expected)
        assert list(prep.feature_names_in_) == list(pandas.columns)


def test_estimators_fit_predict_and_score_on_polars_as_on_pandas():
    polars, pandas, y = _frames()
    on_pandas = MultimodalClassifier(_prep(), **FAST).fit(pandas, y)
    on_polars = MultimodalClassifier(_prep(), **FAST).fit(polars, pl.Series("y", y))
    np.testing.assert_array_equal(on_polars.predict_proba(polars), on_pandas.predict_proba(pandas))
    np.testing.assert_array_equal(on_polars.predict(pa.table(polars)), on_pandas.predict(pandas))
    assert on_polars.score(polars, y) == on_pandas.score(pandas, y)
    np.testing.assert_array_equal(on_polars.transform(polars), on_pandas.transform(pandas))
    reg = MultimodalRegressor(**FAST).fit(polars.select("price"), y.astype(float))  # no preprocessor: numbers
    assert reg.predict(polars.select("price")).shape == (N,)
    assert list(reg.feature_names_in_) == ["price"]


def test_polars_frames_go_through_pipelines_cross_validation_and_baselines():
    polars, pandas, y = _frames()
    pipe = make_pipeline(_prep(), MultimodalClassifier(**FAST))
    assert pipe.fit(polars, y).predict(polars).shape == (N,)
    scores = cross_val_score(MultimodalClassifier(_prep(), **FAST), polars, y, cv=2)
    np.testing.assert_array_equal(scores, cross_val_score(MultimodalClassifier(_prep(), **FAST), pandas, y, cv=2))
    baseline = make_baseline(text="text", numeric=["price"]).fit(polars, y)
    np.testing.assert_array_equal(baseline.predict(polars), make_baseline(text="text", numeric=["price"]).fit(pandas, y).predict(pandas))


# -- no copy of media columns -------------------------------------------------------
def _inside(address, buffers):
    return any(b is not None and b.address <= address < b.address + b.size for b in buffers)


def test_binary_and_list_cells_are_views_onto_arrows_buffers():
    polars, _, _ = _frames()
    frame = to_pandas(polars)
    photos = pa.chunked_array(polars["photo"]).chunks[0].buffers()
    for cell, data in zip(frame["photo"], polars["photo"].to_list()):
        assert isinstance(cell, memoryview) and bytes(cell) == data
        assert _inside(np.frombuffer(cell, np.uint8).ctypes.data, photos)  # polars' own memory, not a copy
    values = pa.chunked_array(polars["voice"]).chunks[0].values.buffers()
    for cell in frame["voice"]:
        assert isinstance(cell, np.ndarray) and cell.dtype == np.float32
        assert _inside(cell.ctypes.data, values)
    struct = frame["hf_image"][3]
    assert set(struct) == {"bytes", "path"} and struct["path"] is None and isinstance(struct["bytes"], memoryview)


def test_object_columns_are_the_very_objects_and_nulls_are_missing():
    images = [Image.new("L", (5, 5), 10 * i) for i in range(4)]
    frame = pl.DataFrame({"img": pl.Series(images, dtype=pl.Object), "raw": [_png(1), None, _png(2), _png(3)]})
    converted = to_pandas(frame)
    assert all(a is b for a, b in zip(converted["img"], images))
    assert converted["raw"][1] is None
    out, present = ImageLoader(size=(5, 5), on_missing="mask").fit_transform_with_presence(converted["raw"])
    assert present.tolist() == [True, False, True, True]
    sliced = to_pandas(frame.slice(1, 3))  # an offset into Arrow's buffers
    assert converted["raw"][1] is None and bytes(sliced["raw"][1]) == _png(2)


def test_sliced_and_chunked_binary_columns_keep_their_cells():
    short, long = b"tiny", b"x" * 40  # binary_view keeps up to 12 bytes inline
    table = pa.concat_tables([pa.table({"b": pa.array([short, long, None], pa.binary_view())}),
                              pa.table({"b": pa.array([long, short], pa.large_binary())}).cast(pa.schema([("b", pa.binary_view())]))])
    cells = to_pandas(table.slice(1))["b"].tolist()
    assert [None if c is None else bytes(c) for c in cells] == [long, None, long, short]
    fixed = to_pandas(pa.table({"f": pa.array([b"abcd", b"efgh"], pa.binary(4))}))["f"]
    assert [bytes(c) for c in fixed] == [b"abcd", b"efgh"]


def test_errors_on_polars_frames_name_column_and_row():
    polars, _, y = _frames()
    bad = polars.with_columns(pl.Series("photo", [*polars["photo"][:3].to_list(), b"junk", *polars["photo"][4:].to_list()]))
    with pytest.raises(ValueError, match=r"column 'photo', row 3: cannot read image bytes \(4 bytes\)"):
        MultimodalClassifier(_prep(), **FAST).fit(bad, y)
    table = pa.table([pa.array([1.0, 2.0]), pa.array([3.0, 4.0])], names=["a", "a"])
    with pytest.raises(ValueError, match=r"X has 2 columns named 'a'"):
        ModalityTransformer([("x", "passthrough", ["a"])]).fit(table)
    with pytest.raises(TypeError, match=r"takes a pandas DataFrame, a polars DataFrame or a pyarrow Table"):
        ModalityTransformer([("x", "passthrough", ["a"])]).fit(42)
