import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV

from skmm import MultimodalClassifier
from skmm.baselines import MFCCStats, PooledPixels, make_baseline


@pytest.mark.parametrize("columns", [
    {"text": "text"}, {"image": "image"}, {"audio": "audio"}, {"numeric": "number"},
    {"text": "text", "image": "image", "audio": "audio", "numeric": ["number"]},
])
def test_each_modality_alone_and_together_beat_chance(frame, columns):
    X, y = frame
    model = make_baseline(**columns).fit(X[::2], y[::2])
    assert model.score(X[1::2], y[1::2]) > 0.6


def test_featurisers_shapes(frame):
    X, _ = frame
    assert PooledPixels(grid=(4, 4)).fit_transform(X["image"]).shape == (len(X), 16)
    stats = MFCCStats(n_mfcc=8, sample_rate=8000, n_mels=16).fit(X["audio"]).transform(X["audio"][:5])
    assert stats.shape == (5, 16) and np.isfinite(stats).all()


def test_regression_estimator_and_errors(frame):
    X, y = frame
    reg = make_baseline(numeric="number", estimator=Ridge()).fit(X, y.astype(float))
    assert reg.score(X, y.astype(float)) > 0.5
    with pytest.raises(ValueError, match="at least one"):
        make_baseline()
    with pytest.raises(TypeError, match="one column name"):
        make_baseline(text=["a", "b"])
    with pytest.raises(ValueError, match="n_mfcc"):
        MFCCStats(n_mfcc=50).fit(X["audio"])


def test_baseline_and_fusion_net_in_one_grid_search(frame, make_prep):
    X, y = frame
    search = GridSearchCV(
        make_baseline(text="text", numeric="number"),
        [
            {"model": [MultimodalClassifier(make_prep(), max_epochs=4, batch_size=16, random_state=0, verbose=0)],
             "features": ["passthrough"]},
            {"model__C": [0.1, 1.0]},
        ],
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 3
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
