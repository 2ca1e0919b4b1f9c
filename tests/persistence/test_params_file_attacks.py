"""Hostile and broken params files: each is refused, runs nothing, changes nothing."""

import io
import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

import skmm.encoders
import skmm.fusion
from skmm import ModalityTransformer, MultimodalClassifier, MultimodalRegressor
from skmm.persistence import params_file as persistence
from skmm.preprocessing import TextSequencer

FAST = dict(max_epochs=2, batch_size=16, hidden_size=16, random_state=0, verbose=0)
WORDS = np.array(["red", "green", "blue"])


def _frame(n=40, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 3
    X = pd.DataFrame({
        "text": [f"{WORDS[c]} thing {rng.randint(5)}" for c in y],
        "num": y + rng.normal(0, 0.2, n),
        "cat": WORDS[(y + rng.randint(2, size=n)) % 3],
    })
    return X, y


def _prep(number=None):
    number = StandardScaler() if number is None else number
    return ModalityTransformer([("text", TextSequencer(max_len=4), "text"), ("num", number, ["num"])])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    X, y = _frame()
    clf = MultimodalClassifier(_prep(), **FAST).fit(X, y)
    path = tmp_path_factory.mktemp("params") / "clf.pt"
    clf.save_params(path)
    return clf, path, X


def _state(path):
    return torch.load(path, weights_only=True)


def _write(state, tmp_path):
    path = tmp_path / "crafted.pt"
    torch.save(state, path)
    torch.load(path, weights_only=True)  # valid for torch's safe unpickler
    return path


def _refused(path, match, estimator=None):
    clf = estimator or MultimodalClassifier(_prep(), **FAST)
    before = dict(vars(clf))
    with pytest.raises(ValueError, match=match):
        clf.load_params(path)
    assert vars(clf).keys() == before.keys() and all(vars(clf)[k] is v for k, v in before.items())


def _evil(name, params):
    return {"__estimator__": name, "params": params, "fitted": {}}


@pytest.mark.parametrize("name, params", [
    ("os.system", {"command": "touch {marker}"}),
    ("subprocess.Popen", {"args": ["touch", "{marker}"]}),
    ("sklearn.datasets.dump_svmlight_file", {"X": [[1.0]], "y": [1.0], "f": "{marker}"}),
    ("sklearn.utils._testing.create_memmap_backed_data", {"data": [1.0], "mmap_mode": "w+"}),
    ("builtins.exec", {"source": "open('{marker}', 'w')"}),
    ("sklearn.preprocessing.FunctionTransformer", {"func": "{marker}"}),
    ("sklearn.preprocessing._data.StandardScaler", {}),  # a real class, but not by a registry name
    ("skmm._persistence.importlib.import_module", {"name": "os"}),
])
def test_files_naming_functions_or_unlisted_classes_are_refused_and_run_nothing(saved, tmp_path, name, params):
    marker = tmp_path / "pwned"
    params = {k: (v.format(marker=marker) if isinstance(v, str) else
                  [x.format(marker=marker) if isinstance(x, str) else x for x in v] if isinstance(v, list) else v)
              for k, v in params.items()}
    state = _state(saved[1])
    state["fitted"]["preprocessor_"] = _evil(name, params)
    _refused(_write(state, tmp_path), rf"refusing to rebuild '{name}': not in the allow-list")
    assert not marker.exists()


def test_a_nested_transformer_in_a_plain_parameter_is_refused(saved, tmp_path):
    state = _state(saved[1])
    entry = state["fitted"]["preprocessor_"]["fitted"]["transformers_"][0]["__tuple__"]
    entry[1]["params"]["token_pattern"] = _evil("sklearn.StandardScaler", {})
    _refused(_write(state, tmp_path), r"token_pattern: a transformer \('sklearn.StandardScaler'\) is not allowed here")


def test_a_nested_transformer_in_a_fitted_attribute_is_refused(saved, tmp_path):
    state = _state(saved[1])
    scaler = state["fitted"]["preprocessor_"]["fitted"]["transformers_"][1]["__tuple__"][1]
    scaler["fitted"]["mean_"] = _evil("sklearn.StandardScaler", {})
    _refused(_write(state, tmp_path), r"mean_: a transformer .* is not allowed here")


@pytest.mark.parametrize("value, match", [
    ({"__dtype__": "object", "instance": False}, r"dtype 'object' is not in the allow-list"),
    ({"__dtype__": "float64", "instance": False}, r"a dtype is only allowed as a dtype parameter"),
    ({"__ndarray__": [{"a": 1}], "dtype": "|O", "shape": [1]}, r"an array may hold only numbers"),
    ({"__ndarray__": [1], "dtype": "<M8[ns]", "shape": [1]}, r"array dtype '<M8\[ns\]' is not allowed"),
    ({"__ndarray__": [1, 2], "dtype": "<f8", "shape": [5]}, r"2 values do not fill shape \(5,\)"),
    ({"__tuple__": "abc"}, r"a tuple must hold a list"),
    ({"__ndarray__": [1], "dtype": "<f8", "shape": [1], "extra": 1}, r"expected exactly the keys"),
    ({"__reduce__": "os.system"}, r"dict key '__reduce__' is not allowed"),
])
def test_values_outside_plain_data_are_refused(saved, tmp_path, value, match):
    state = _state(saved[1])
    scaler = state["fitted"]["preprocessor_"]["fitted"]["transformers_"][1]["__tuple__"][1]
    scaler["params"]["with_mean"] = value
    _refused(_write(state, tmp_path), match)


@pytest.mark.parametrize("where, name", [
    ("scaler", "transform"),      # would shadow a method
    ("scaler", "__class__"),
    ("scaler", "with_mean"),      # a parameter, set behind the constructor's back
    ("top", "history_"),          # a property of the estimator
    ("top", "net_"),
    ("top", "_private"),
    ("top", "predict"),
])
def test_attribute_names_that_would_shadow_code_are_refused(saved, tmp_path, where, name):
    state = _state(saved[1])
    target = state["fitted"] if where == "top" else (
        state["fitted"]["preprocessor_"]["fitted"]["transformers_"][1]["__tuple__"][1]["fitted"])
    target[name] = "x"
    _refused(_write(state, tmp_path), rf"attribute name '{name}' is not allowed")


def test_a_parameter_the_class_does_not_have_is_refused(saved, tmp_path):
    state = _state(saved[1])
    scaler = state["fitted"]["preprocessor_"]["fitted"]["transformers_"][1]["__tuple__"][1]
    scaler["params"]["__init__"] = "x"
    _refused(_write(state, tmp_path), r"'__init__' is not a parameter of StandardScaler")


def test_a_pipeline_that_would_cache_to_a_path_is_refused(tmp_path):
    X, y = _frame()
    clf = MultimodalClassifier(_prep(make_pipeline(SimpleImputer(), StandardScaler())), **FAST).fit(X, y)
    clf.save_params(tmp_path / "ok.pt")
    state = _state(tmp_path / "ok.pt")
    pipe = state["fitted"]["preprocessor_"]["fitted"]["transformers_"][1]["__tuple__"][1]
    pipe["params"]["memory"] = str(tmp_path / "cache")
    _refused(_write(state, tmp_path), r"memory must be None",
             MultimodalClassifier(_prep(make_pipeline(SimpleImputer(), StandardScaler())), **FAST))
    assert not (tmp_path / "cache").exists()


def test_a_pickle_that_runs_a_command_is_refused_by_torch_and_by_skmm(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"format": persistence.FORMAT, "fitted": Evil()}))
    # A bare pickle is not the zip archive torch.save writes: refused before
    # torch reads it (no warning about its protocol, only skmm's error).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _refused(path, r"cannot be read safely \(ValueError: not the zip archive")
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04broken zip"])
def test_garbage_and_truncated_files_are_refused(saved, tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    _refused(path, r"cannot be read safely")
    path.write_bytes(saved[1].read_bytes()[:1000])
    _refused(path, r"cannot be read safely")


def test_a_huge_claimed_size_is_refused_before_allocating(saved, tmp_path):
    state = _state(saved[1])
    state["fitted"]["modalities_"]["text"]["__modality__"]["vocab_size"] = 10**12
    _refused(_write(state, tmp_path), r"weights do not fit the network .*encoders.text")


def test_too_deep_nesting_is_refused(saved, tmp_path):
    state = _state(saved[1])
    deep = "leaf"
    for _ in range(100):
        deep = [deep]
    state["fitted"]["extra_"] = deep
    _refused(_write(state, tmp_path), r"nested more than 32 levels deep")


def test_weights_that_are_not_plain_tensors_are_refused(saved, tmp_path):
    state = _state(saved[1])
    key = next(iter(state["module"]))
    state["module"][key] = "not a tensor"
    _refused(_write(state, tmp_path), r"dict of names to dense tensors")


def test_inconsistent_fitted_attributes_are_refused(saved, tmp_path):
    state = _state(saved[1])
    state["fitted"]["task_sizes_"] = [7]
    _refused(_write(state, tmp_path), r"classes_ does not match task_sizes_")


# -- all or nothing, and the recorded configuration -----------------------
def test_a_failed_load_leaves_a_fitted_estimator_untouched(saved, tmp_path):
    clf, path, X = saved
    other_X, other_y = _frame(seed=1)
    target = MultimodalClassifier(_prep(), **FAST).fit(other_X.assign(text="other words only"), other_y)
    expected = target.predict_proba(X)
    preprocessor = target.preprocessor_
    state = _state(path)
    key = sorted(state["module"])[-1]
    state["module"][key] = torch.zeros(3, 3)  # the file's last weight is broken
    _refused(_write(state, tmp_path), r"weights do not fit the network", target)
    assert target.preprocessor_ is preprocessor
    np.testing.assert_array_equal(target.predict_proba(X), expected)


@pytest.mark.parametrize("change, match", [
    ({"hidden_size": 8}, r"hidden_size=16, but this one has hidden_size=8"),
    ({"fusion": skmm.fusion.LowRank(rank=3)}, r"fusion='Concat', but this one has fusion='LowRank'"),
    ({"encoders": {"num": skmm.encoders.MLP(num_layers=2)}}, r"encoders=None, but this one has encoders=\{'num'"),
    ({"dropout": 0.5}, r"dropout=0.1, but this one has dropout=0.5"),
    ({"preprocessor": _prep(MinMaxScaler())}, r"preprocessor.transformers\[1\]\[1\]='StandardScaler'.*'MinMaxScaler'"),
])
def test_loading_into_another_configuration_names_the_parameter(saved, change, match):
    _refused(saved[1], match, MultimodalClassifier(**{"preprocessor": _prep(), **FAST, **change}))


def test_nested_fusion_parameters_are_compared(tmp_path):
    X, y = _frame()
    MultimodalClassifier(_prep(), fusion="low_rank", **FAST).set_params(fusion__rank=4).fit(X, y).save_params(tmp_path / "a.pt")
    _refused(tmp_path / "a.pt", r"fusion.rank=4, but this one has fusion.rank=8",
             MultimodalClassifier(_prep(), fusion=skmm.fusion.LowRank(rank=8), **FAST))
    # The same choice by name or by object loads.
    loaded = MultimodalClassifier(_prep(), fusion=skmm.fusion.LowRank(rank=4), **FAST).load_params(tmp_path / "a.pt")
    assert loaded.predict(X).shape == (len(X),)


@pytest.mark.parametrize("number", [
    StandardScaler(), MinMaxScaler(), RobustScaler(), PCA(n_components=1), QuantileTransformer(n_quantiles=10),
    PowerTransformer(), make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()),
])
def test_allow_listed_transformers_round_trip(tmp_path, number):
    X, y = _frame()
    X.loc[3, "num"] = np.nan if isinstance(number, type(make_pipeline())) else X.loc[3, "num"]
    clf = MultimodalClassifier(_prep(number), **FAST).fit(X, y)
    clf.save_params(tmp_path / "p.pt")
    loaded = MultimodalClassifier(_prep(number), **FAST).load_params(tmp_path / "p.pt")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("step", [OneHotEncoder(handle_unknown="ignore"), OrdinalEncoder(), TfidfVectorizer()])
def test_allow_listed_categorical_and_text_transformers_round_trip(tmp_path, step):
    X, y = _frame()
    column = "text" if isinstance(step, TfidfVectorizer) else ["cat"]
    prep = lambda: ModalityTransformer([("words", step, column), ("num", StandardScaler(), ["num"])])  # noqa: E731
    reg = MultimodalRegressor(prep(), **FAST).fit(X, y.astype(float))
    buffer = io.BytesIO()
    reg.save_params(buffer)
    buffer.seek(0)
    loaded = MultimodalRegressor(prep(), **FAST).load_params(buffer)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_a_transformer_outside_the_allow_list_is_refused_at_save(tmp_path):
    from sklearn.preprocessing import FunctionTransformer

    X, y = _frame()
    prep = ModalityTransformer([("num", FunctionTransformer(np.log1p), ["num"])])
    clf = MultimodalClassifier(prep, **FAST).fit(X.assign(num=X["num"].abs()), y)
    with pytest.raises(TypeError, match="FunctionTransformer, which the safe format does not store"):
        clf.save_params(tmp_path / "x.pt")


def test_a_fitted_preprocessor_smuggled_into_a_file_without_one_is_refused(saved, tmp_path):
    X, y = _frame()
    data = _prep().fit_transform(X)
    MultimodalClassifier(**FAST).fit(data, y).save_params(tmp_path / "plain.pt")
    state = _state(tmp_path / "plain.pt")
    state["fitted"]["preprocessor_"] = _state(saved[1])["fitted"]["preprocessor_"]
    _refused(_write(state, tmp_path), r"preprocessor_ in the file does not match", MultimodalClassifier(**FAST))


@pytest.mark.parametrize("attr, value", [
    ("vocabulary_", {"red": "not an id"}),
    ("vocabulary_", {"red": 10**9}),
    ("vocab_size_", 10**12),
])
def test_fitted_attributes_of_skmm_preprocessors_are_type_checked(saved, tmp_path, attr, value):
    state = _state(saved[1])
    text = state["fitted"]["preprocessor_"]["fitted"]["transformers_"][0]["__tuple__"][1]
    text["fitted"][attr] = value
    _refused(_write(state, tmp_path), r"\(TextSequencer\): vocabulary_ must map tokens to ids")
