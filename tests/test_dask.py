"""Scaling out on Dask: grid search through joblib's backend, batch inference."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import MultimodalClassifier

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

FAST = dict(max_epochs=3, batch_size=16, hidden_size=8, random_state=0, verbose=0)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=40,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_grid_search_on_a_local_cluster_equals_the_serial_one(frame, make_prep, client):
    X, y = frame
    pipe = Pipeline([("prep", make_prep()), ("net", MultimodalClassifier(**FAST))])
    grid = {"net__fusion": ["concat", "gated"], "prep__text__max_len": [3, 6]}
    serial = GridSearchCV(pipe, grid, cv=2, n_jobs=1).fit(X, y)
    with joblib.parallel_backend("dask"):
        clustered = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    np.testing.assert_allclose(
        clustered.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])
    assert clustered.best_params_ == serial.best_params_


def test_predict_dask_partition_by_partition(frame, make_prep, client):
    from skmm.dask import predict_dask

    X, y = frame
    clf = MultimodalClassifier(make_prep(), **FAST).fit(X, y)
    ddf = dd.from_pandas(X, npartitions=4)
    labels = predict_dask(clf, ddf).compute()
    np.testing.assert_array_equal(labels["prediction"].to_numpy(), clf.predict(X))
    proba = predict_dask(clf, ddf, method="predict_proba").compute()
    assert list(proba.columns) == ["0", "1", "2"]
    np.testing.assert_allclose(proba.to_numpy(), clf.predict_proba(X), rtol=1e-6, atol=1e-9)


def test_core_install_imports_no_dask():
    import subprocess
    import sys

    code = "import sys, skmm, skmm.preprocessing, skmm.baselines; print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
