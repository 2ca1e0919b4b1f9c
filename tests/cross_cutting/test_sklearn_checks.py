"""scikit-learn's estimator checks on every public estimator and transformer."""

import pytest
from sklearn.utils import estimator_checks as ec
from sklearn.utils._tags import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmm import (
    ModalityTransformer,
    MultimodalClassifier,
    MultimodalEmbedder,
    MultimodalRegressor,
    MultipleChoiceClassifier,
)
from skmm.baselines import LinearRetrieval, MFCCStats, PooledPixels, TfidfChoice
from skmm.preprocessing import AudioFeaturizer, ImageLoader, SequencePadder, TextSequencer, VideoLoader

# Float32 networks: predicting a subset of rows changes BLAS blocking, so
# outputs can differ from the full batch's in the 7th digit; sklearn compares
# at rtol=1e-7. (It passes on some machines, hence not strict.)
SUBSET = {"check_methods_subset_invariance": "float32 network: batch-size dependent BLAS rounding (~1e-7)"}


# Mini-batch training: zero weights are not the same as dropped rows, nor
# integer weights as repeated rows, because the batches (and the shuffle)
# differ; all-ones weights equal no weights exactly (checked by sklearn's
# check_sample_weights_invariance and by tests/estimators/test_weights.py).
WEIGHTS = {
    "check_sample_weight_equivalence_on_dense_data": "mini-batches of kept vs dropped rows differ",
    "check_sample_weight_equivalence_on_sparse_data": "mini-batches of kept vs dropped rows differ",
}


def _expected(estimator):
    return {**SUBSET, **WEIGHTS}


@parametrize_with_checks(
    [
        # lr=0.01: check_class_weight_classifiers gives 20 epochs of one
        # 50-row batch to move predictions to the heavily weighted class.
        MultimodalClassifier(max_epochs=20, lr=0.01, hidden_size=16, random_state=0, verbose=0),
        # A regression net needs more steps than the default budget to reach
        # sklearn's R^2 > 0.5 on its 200-row check data.
        MultimodalRegressor(max_epochs=30, lr=0.01, hidden_size=16, random_state=0, verbose=0),
        # A 2-D array is one modality: both towers read it (each with its own
        # encoder), as a transformer to query embeddings; y, when given, groups rows.
        MultimodalEmbedder(max_epochs=5, lr=0.01, hidden_size=16, embedding_dim=8, random_state=0, verbose=0),
    ],
    expected_failed_checks=_expected,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# The transformers read one column of text or media (a Series), not a numeric
# matrix, and say so in their tags; sklearn then runs none of its data checks
# on them. These API checks need no data; data-dependent invariants
# (fit_transform == fit().transform, pickling, input not modified) are tested
# with real columns in the preprocessing tests.
ONE_COLUMN = [
    TextSequencer(), ImageLoader(), AudioFeaturizer(), VideoLoader(), SequencePadder(), PooledPixels(), MFCCStats(),
]
API_CHECKS = [
    ec.check_no_attributes_set_in_init,
    ec.check_parameters_default_constructible,
    ec.check_get_params_invariance,
    ec.check_set_params,
    ec.check_estimator_cloneable,
    ec.check_estimator_repr,
    ec.check_estimator_tags_renamed,
    ec.check_valid_tag_types,
    ec.check_mixin_order,
]


@pytest.mark.parametrize("estimator", ONE_COLUMN + [ModalityTransformer([("t", TextSequencer(), "t")])],
                         ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
def test_transformer_api_checks(estimator, check):
    check(type(estimator).__name__, estimator)


# MultipleChoiceClassifier's (and TfidfChoice's) X names its candidate columns and y is the index
# of a row's right candidate: sklearn's generated data (a numeric matrix, y
# any labels) has neither, so only the checks that need no data apply; its
# behaviour on data (fit, predict_proba, pickling, clone, grid search, seeds)
# is tested in tests/estimators/test_multiple_choice.py.
@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator", [
    MultipleChoiceClassifier(choices=["a", "b"], question="q"), TfidfChoice(["a", "b"], question="q"),
    # Named columns of each side (and recall@1 as score): no generated matrix has them.
    LinearRetrieval({"a": "numeric"}, {"b": "text"}),
], ids=lambda e: type(e).__name__)
def test_named_column_estimators_api_checks(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "estimator", [TextSequencer(), ImageLoader(), AudioFeaturizer(), VideoLoader(), SequencePadder()],
    ids=lambda e: type(e).__name__,
)
def test_one_column_tags_are_honest(estimator):
    tags = get_tags(estimator)
    # Media columns hold paths (strings); a series column holds arrays.
    assert tags.input_tags.string == (not isinstance(estimator, SequencePadder))
    assert tags.input_tags.one_d_array and not tags.input_tags.two_d_array
    assert not tags.input_tags.allow_nan
    assert get_tags(estimator.set_params(on_missing="mask")).input_tags.allow_nan


def test_network_tags():
    tags = get_tags(MultimodalClassifier())
    assert tags.input_tags.dict and tags.input_tags.sparse and not tags.input_tags.string
    assert not tags.non_deterministic
    assert get_tags(MultimodalClassifier(ModalityTransformer([("t", TextSequencer(), "t")]))).input_tags.string
    assert get_tags(MultimodalClassifier(device="cuda")).non_deterministic
    assert get_tags(MultimodalRegressor()).target_tags.multi_output
    assert not get_tags(MultimodalEmbedder()).target_tags.required
