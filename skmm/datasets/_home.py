"""Where skmm's data sets are cached."""

from __future__ import annotations

import os
from pathlib import Path


def get_data_home(data_home=None) -> Path:
    """The cache folder: ``data_home``, else ``$SKMM_DATA``, else ``~/skmm_data``."""
    if data_home is None:
        data_home = os.environ.get("SKMM_DATA") or os.path.join("~", "skmm_data")
    return Path(data_home).expanduser().resolve()
