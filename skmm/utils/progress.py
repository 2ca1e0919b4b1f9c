"""What training shows at ``verbose >= 1``: an epoch table, and a progress bar over batches.

skorch's epoch table colours each epoch's best scores with ANSI escape
codes, which a log file or a notebook shows as raw ``\\x1b[36m``; the table
here keeps the colours on a terminal only. The batch progress bar (skorch's,
drawn with tqdm) is shown on a terminal or in a notebook, where it redraws
in place, and left out of files, which would keep every redraw.
"""

from __future__ import annotations

import re
import sys

from skorch.callbacks import PrintLog, ProgressBar

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class EpochTable(PrintLog):
    """skorch's per-epoch table, with colour codes only when stdout is a terminal."""

    def table(self, row):
        text = super().table(row)
        return text if _is_terminal(sys.stdout) else _ANSI.sub("", text)


class BatchProgressBar(ProgressBar):
    """skorch's per-epoch progress bar, drawn on a terminal or in a notebook only."""

    def _shown(self):
        return self._use_notebook() or _is_terminal(sys.stderr)

    def on_epoch_begin(self, net, **kwargs):
        self.pbar_ = None
        if self._shown():
            super().on_epoch_begin(net, **kwargs)

    def on_batch_end(self, net, **kwargs):
        if self.pbar_ is not None:
            super().on_batch_end(net, **kwargs)

    def on_epoch_end(self, net, **kwargs):
        if self.pbar_ is not None:
            super().on_epoch_end(net, **kwargs)
