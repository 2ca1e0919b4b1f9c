#!/usr/bin/env bash
# Run the tests that reach scikit-learn's private names on the oldest scikit-learn pyproject.toml allows.
#
#   bash tools/test_oldest_sklearn.sh [PYTHON of the project's venv]
#
# A throwaway venv sees the project's venv's packages (a .pth file) but has the oldest scikit-learn
# installed in its own site-packages, which come first; the project's venv is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
OLDEST=$(sed -n 's/.*"scikit-learn>=\([0-9.]*\).*/\1/p' pyproject.toml)
VENV=${SKMM_OLDEST_VENV:-/tmp/skmm-sklearn-$OLDEST}
BASE_SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv --without-pip "$VENV"
fi
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "import site; site.addsitedir(\"$BASE_SITE\")" > "$SITE/skmm-base-venv.pth"
"$PY" -m pip install --quiet --no-deps --target "$SITE" "scikit-learn==$OLDEST"
"$VENV/bin/python" -c 'import sklearn; print("scikit-learn", sklearn.__version__, "from", sklearn.__file__)'
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1} "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
    skmm/utils skmm/compose skmm/preprocessing skmm/estimators \
    tests/cross_cutting/test_sklearn_checks.py tests/compose tests/cross_cutting/test_bad_input.py \
    tests/estimators/test_weights.py tests/estimators/test_estimators.py tests/persistence "${@:2}"
