"""Old module paths of skmm, answered by the modules that now hold their names (for unpickling).

A pickle names every class and function it holds by the module that defined
it when it was written (``skmm._threads.RetuneThreads``,
``skmm.nn.kinds.ModalityInfo``). Those modules moved into sub-packages by
concern, so :func:`install` (run by ``import skmm``) appends a finder to
``sys.meta_path`` that answers an old path, and nothing else, with a
read-only stand-in: each name read from it is looked up in its new home(s).
No file is left at the old place, and a stand-in exists only once something
imports the old path (as ``pickle.load`` does); new code imports the new
paths.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types

#: Old module path -> the modules that now hold its names, searched in order.
MOVED: dict[str, tuple[str, ...]] = {
    "skmm._checkpoint": ("skmm.persistence.checkpoint",),
    "skmm._config": ("skmm.persistence.config",),
    "skmm._params_decoder": ("skmm.persistence.decoder",),
    "skmm._params_registry": ("skmm.persistence.schema",),
    "skmm._persistence": ("skmm.persistence.params_file",),
    "skmm._torch_files": ("skmm.persistence.torch_files",),
    "skmm._pretrained_loading": ("skmm.pretrained.loading",),
    "skmm._pretrained_backbone": ("skmm.pretrained.backbone",),
    "skmm._pretrained_files": ("skmm.pretrained.files",),
    "skmm._feature_cache": ("skmm.pretrained.feature_cache",),
    "skmm._columns": ("skmm.compose._columns",),
    "skmm._frame_columns": ("skmm.compose._frame_columns",),
    "skmm._modality_output": ("skmm.compose._modality_output",),
    "skmm.modality_dict": ("skmm.compose.modality_dict",),
    "skmm._skorch_net": ("skmm.estimators.skorch_net",),
    "skmm._seeding": ("skmm.estimators.seeding",),
    "skmm._weights": ("skmm.estimators.weights",),
    "skmm._warm_start": ("skmm.estimators.warm_start",),
    "skmm._threads": ("skmm.utils.threads",),
    "skmm._progress": ("skmm.utils.progress",),
    "skmm._docstrings": ("skmm.utils.docstrings",),
    "skmm._registration": ("skmm.utils.registration",),
    "skmm._spec_params": ("skmm.utils.spec_params",),
    "skmm._public": ("skmm.utils.public",),
    "skmm.nn.inputs": ("skmm.data.inputs",),
    "skmm.nn.kinds": ("skmm.data.kinds",),
    "skmm.nn.tensors": ("skmm.data.tensors",),
    "skmm.nn.batches": ("skmm.data.batches",),
    "skmm.nn.lazy": ("skmm.data.lazy",),
    "skmm.nn.sparse": ("skmm.data.sparse",),
    "skmm.nn.training": ("skmm.estimators.training",),
    "skmm.nn.condition_choice": ("skmm.fusion.condition",),
    "skmm.nn.augment": ("skmm.augment.image", "skmm.augment.frames", "skmm.augment.tokens"),
}


class MovedModule(types.ModuleType):
    """Stands in for an old module path: a name read from it comes from the module(s) holding it now.

    Nothing is copied, so the names are the same objects as at their new
    homes (``isinstance`` and ``is`` hold) and a change there shows here.
    """

    def __init__(self, name: str, homes: tuple[str, ...]):
        super().__init__(name, f"Moved: {name} is now {', '.join(homes)}.")
        self.homes = homes

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)  # no __path__, __all__...: not a package, no star import
        for home in self.homes:
            module = importlib.import_module(home)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} (moved to {', '.join(self.homes)}) has no attribute {attr!r}")

    def __dir__(self):
        return sorted({name for home in self.homes for name in dir(importlib.import_module(home))})


class MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The ``sys.meta_path`` entry that answers the old paths in :data:`MOVED` (and only those)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return MovedModule(spec.name, MOVED[spec.name])

    def exec_module(self, module):
        pass  # nothing to run: the names are read from the new homes when asked for


def install() -> None:
    """Append the finder to ``sys.meta_path`` once (after the real finders: a real module always wins)."""
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedFinder())
