"""Write ``tests/persistence/saved_models/``: fitted estimators saved by the code of the day, for the loading tests.

Run once, before a change that could break loading what users saved (moving modules renames what pickles
name); the files are then kept as they are, so the tests check that models saved by the older code still
load and predict identically::

    OMP_NUM_THREADS=1 python tools/write_saved_models.py --overwrite

Writes, for ``classifier`` and ``regressor``: ``<kind>.pkl`` (pickle), ``<kind>.params`` (``save_params``) and
``<kind>_outputs.npz`` (what they predicted), and ``inputs.npz``, the rows they were fitted on and predict.
"""

import importlib.util
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "tests" / "persistence" / "saved_models"


def _builders():
    spec = importlib.util.spec_from_file_location("saved_models", ROOT / "tests" / "persistence" / "saved_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    if FOLDER.exists() and "--overwrite" not in sys.argv[1:]:
        # The files test loading what *older* code saved: rewriting them with today's code tests nothing.
        sys.exit(f"{FOLDER} exists; pass --overwrite to write it again with the code of today")
    models = _builders()
    FOLDER.mkdir(parents=True, exist_ok=True)
    inputs = models.make_inputs()
    np.savez_compressed(FOLDER / "inputs.npz", **inputs)
    X = models.as_frame(inputs)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    for kind in models.ESTIMATORS:
        estimator = models.make_estimator(kind).fit(X, inputs["y"] if kind == "classifier" else inputs["target"])
        with open(FOLDER / f"{kind}.pkl", "wb") as f:
            pickle.dump(estimator, f)
        estimator.save_params(FOLDER / f"{kind}.params")
        np.savez_compressed(FOLDER / f"{kind}_outputs.npz", **models.outputs(estimator, X))
    (FOLDER / "WRITTEN_BY").write_text(f"tools/write_saved_models.py at commit {commit}\n")
    for path in sorted(FOLDER.iterdir()):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
