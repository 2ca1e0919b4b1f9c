"""Hold out whole items, stratified by class: shared by the real data set fetchers."""

from __future__ import annotations

import numpy as np
import pandas as pd


def held_out_items(table: pd.DataFrame, item: str, label: str, test_size: float, random_state: int) -> set:
    """The items (values of column *item*) of the test side: each class keeps items on both sides.

    A class with a single item stays on the training side.
    """
    rng = np.random.default_rng(random_state)
    held = set()
    items = table.drop_duplicates(item)[[item, label]]
    for _, group in items.groupby(label, sort=True):
        names = sorted(group[item])
        n_test = min(max(1, round(test_size * len(names))), len(names) - 1)
        held.update(rng.choice(names, size=n_test, replace=False).tolist())
    return held
