"""One thread count in force for overlapping calls: the smallest asked for; the caller's back at the end."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import torch
from threadpoolctl import ThreadpoolController


class _Scope:
    """The process-wide state of overlapping :func:`thread_limit` blocks.

    The count in force is the smallest of the active blocks' counts; when
    the last block ends, the caller's settings come back.
    """

    def __init__(self):
        self._controller = None
        self.lock = threading.RLock()
        self.requests = []  # one [count] per active block, in entry order
        self.current = None
        self.saved = None
        self.limiter = None

    @property
    def depth(self):
        return len(self.requests)

    @property
    def controller(self):
        # Scanning the loaded libraries costs ~1 ms: once per process (torch and
        # numpy, which bring the OpenMP and BLAS libraries, are imported by then).
        if self._controller is None:
            self._controller = ThreadpoolController()
        return self._controller

    def _apply(self, n):
        if n != self.current:
            self.controller.limit(limits=n)  # restored by the outermost limiter
            torch.set_num_threads(n)
            self.current = n

    def _least(self):
        return min(count for count, in self.requests)

    def enter(self, n):
        """Start a block asking for ``n`` threads; returns its token for :meth:`exit`."""
        token = [n]
        with self.lock:
            if not self.requests:
                self.saved = torch.get_num_threads()
                self.limiter = self.controller.limit(limits=n)
                torch.set_num_threads(n)
                self.current = n
            self.requests.append(token)
            self._apply(self._least())
        return token

    def retune(self, n):
        """Change the count mid-call; only when no other block overlaps this one."""
        with self.lock:
            if len(self.requests) == 1:
                self.requests[0][0] = n
                self._apply(n)

    def exit(self, token):
        with self.lock:
            self.requests = [t for t in self.requests if t is not token]
            if self.requests:
                self._apply(self._least())
                return
            # BLAS/OpenMP first: torch's own setter also writes OpenMP's count.
            self.limiter.restore_original_limits()
            torch.set_num_threads(self.saved)
            self.limiter = self.saved = self.current = None


_scope = _Scope()


@contextmanager
def thread_limit(n):
    """Run the block with ``n`` torch and BLAS/OpenMP threads, then restore the caller's.

    Parameters
    ----------
    n : int
        Threads (>= 1).

    Examples
    --------
    >>> import torch
    >>> from skmm.utils.threads import thread_limit
    >>> before = torch.get_num_threads()
    >>> with thread_limit(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    n = int(n)
    token = _scope.enter(n)
    try:
        yield n
    finally:
        _scope.exit(token)
