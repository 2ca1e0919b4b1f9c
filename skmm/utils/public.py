"""The public modules: one list, read by the API reference (``docs/conf.py``)
and by the docstring checks (``tests/cross_cutting/test_public_docstrings.py``)."""

PUBLIC_MODULES = (
    "skmm",
    "skmm.preprocessing",
    "skmm.encoders",
    "skmm.augment",
    "skmm.fusion",
    "skmm.balance",
    "skmm.nn",
    "skmm.nn.optim",
    "skmm.baselines",
    "skmm.datasets",
    "skmm.inspection",
    "skmm.plotting",
    "skmm.dask",
    "skmm.accelerate",
    "skmm.export",
)
