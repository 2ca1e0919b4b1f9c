"""Writing a fitted estimator's network as an ONNX file (torch's TorchScript-based exporter), with skmm's metadata."""

from __future__ import annotations

import copy
import json
import math
import os
import warnings

import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..encoders.pretrained import PretrainedEncoder
from ..estimators import BaseMultimodal
from .layout import SEQUENCES, STEP_AXIS, layout


class _FlatInputs(nn.Module):
    """The network with one tensor argument per graph input instead of a nested dict."""

    def __init__(self, network, layout):
        super().__init__()
        self.network = network
        self.layout = layout

    def forward(self, *flat):
        batch, i = {}, 0
        for name, parts in self.layout:
            batch[name] = dict(zip(parts, flat[i:i + len(parts)]))
            i += len(parts)
        return self.network(batch)


def _pool_matrix(n_in, n_out):
    """(n_out, n_in) averaging matrix of adaptive pooling (torch's window rule)."""
    matrix = torch.zeros(n_out, n_in)
    for i in range(n_out):
        start, end = (i * n_in) // n_out, math.ceil((i + 1) * n_in / n_out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


class _FixedAdaptiveAvgPool2d(nn.Module):
    """``AdaptiveAvgPool2d`` for one known input size, as two matrix products.

    The TorchScript exporter only translates adaptive pooling whose output
    size divides the input size; an image encoder sees one fixed size, so
    the pooling is a fixed linear map that any size exports as.
    """

    def __init__(self, in_size, out_size):
        super().__init__()
        self.register_buffer("rows", _pool_matrix(in_size[0], out_size[0]))
        self.register_buffer("cols", _pool_matrix(in_size[1], out_size[1]).T.contiguous())

    def forward(self, x):
        return self.rows @ x @ self.cols


def _exportable(network, infos, example):
    """A copy of ``network`` whose image encoders' adaptive pooling is fixed to their input size."""
    network = copy.deepcopy(network).cpu().eval()
    sizes, hooks = {}, []
    for name, info in infos.items():
        if info.kind != "image":
            continue  # sequences vary in length: their pooling must stay adaptive
        for path, module in network.encoders[name].named_modules():
            if isinstance(module, nn.AdaptiveAvgPool2d):
                key = (name, path)
                hooks.append(module.register_forward_pre_hook(
                    lambda m, args, key=key: sizes.__setitem__(key, tuple(args[0].shape[-2:]))))
    with torch.no_grad():
        _FlatInputs(network, layout(infos))(*example)
    for hook in hooks:
        hook.remove()
    for (name, path), in_size in sizes.items():
        parent_path, _, attr = path.rpartition(".")
        parent = network.encoders[name].get_submodule(parent_path)
        out_size = parent.get_submodule(attr).output_size
        out_size = tuple(out_size) if isinstance(out_size, (tuple, list)) else (out_size, out_size)
        out_size = tuple(o if o is not None else i for o, i in zip(out_size, in_size))
        setattr(parent, attr, _FixedAdaptiveAvgPool2d(in_size, out_size))
    return network


def _example(infos, n=2):
    """A small batch of the fitted shapes, every modality present."""
    flat = []
    for name, parts in layout(infos):
        info = infos[name]
        if info.kind in ("tokens", "tokenized"):
            x = torch.ones((n, *info.shape), dtype=torch.int64)
        else:
            x = torch.zeros((n, *info.shape), dtype=torch.float32)
        steps = x.shape[STEP_AXIS.get(info.kind, 1)]
        values = {"x": x, "lengths": torch.full((n,), steps, dtype=torch.int64),
                  "present": torch.ones(n, dtype=torch.bool)}
        flat += [values[part] for part in parts]
    return tuple(flat)


def _metadata(estimator):
    infos = {
        name: {"kind": info.kind, "shape": list(info.shape), "vocab_size": info.vocab_size}
        for name, info in estimator.modalities_.items()
    }
    meta = {"format": "skmm-onnx-1", "modalities": infos}
    if hasattr(estimator, "classes_"):
        classes = estimator.classes_ if isinstance(estimator.classes_, list) else [estimator.classes_]
        meta.update(kind="classifier", classes=[c.tolist() for c in classes],
                    class_dtypes=[c.dtype.str for c in classes],
                    several_targets=isinstance(estimator.classes_, list))
    else:
        meta.update(kind="regressor", y_mean=estimator.y_mean_.tolist(),
                    y_scale=estimator.y_scale_.tolist(), y_ndim=int(estimator.y_ndim_))
    try:
        return json.dumps(meta)
    except TypeError as exc:
        raise TypeError(f"the estimator's classes cannot be stored in the ONNX file as JSON ({exc}).") from None


def export_onnx(estimator: BaseMultimodal, path: str | os.PathLike, *, opset_version: int = 17) -> str:
    """Write a fitted estimator's network as an ONNX file.

    The file holds the network and the metadata :class:`OnnxModel` needs;
    it does not hold the preprocessing, which runs in Python (see
    :mod:`skmm.export`).

    Parameters
    ----------
    estimator : MultimodalClassifier or MultimodalRegressor
        Fitted.
    path : str or path
        Where to write the ``.onnx`` file.
    opset_version : int, default=17
        ONNX operator set.

    Returns
    -------
    path : str
        The path written.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skmm import ModalityDict, MultimodalClassifier
    >>> from skmm.export import OnnxModel, export_onnx
    >>> rng = np.random.RandomState(0)
    >>> X = ModalityDict(a=rng.normal(size=(40, 3)).astype("float32"))
    >>> clf = MultimodalClassifier(max_epochs=2, random_state=0, verbose=0).fit(X, X["a"][:, 0] > 0)
    >>> path = export_onnx(clf, os.path.join(tempfile.mkdtemp(), "clf.onnx"))
    >>> np.allclose(OnnxModel(path).predict_proba(X), clf.predict_proba(X), atol=1e-5)
    True
    """
    check_is_fitted(estimator, "net_")
    infos = estimator.modalities_
    order = layout(infos)
    names = [f"{name}.{part}" for name, parts in order for part in parts]
    dynamic = {}
    for name, parts in order:
        for part in parts:
            axes = {0: "batch"}
            if part == "x" and infos[name].kind in SEQUENCES:
                axes[STEP_AXIS[infos[name].kind]] = f"{name}_steps"
            dynamic[f"{name}.{part}"] = axes
    dynamic["output"] = {0: "batch"}
    example = _example(infos)
    # A copy: the estimator's own network is left as it is (device, mode, layers).
    wrapper = _FlatInputs(_exportable(estimator.net_.module_, infos, example), order)
    path = os.fspath(path)
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated upstream, and its tracer
        # flags the RNN's own shape checks; neither concerns the user.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", message=".*batch_size other than 1.*")
        if any(isinstance(module, PretrainedEncoder) for module in wrapper.modules()):
            # transformers looks its padding mask up by arange indices, which
            # are never negative, so the exporter's caution about its
            # advanced indexing does not apply (tested: same probabilities).
            warnings.filterwarnings("ignore", message="Exporting aten::index operator of advanced indexing")
        torch.onnx.export(
            wrapper, example, path, input_names=names, output_names=["output"],
            dynamic_axes=dynamic, opset_version=opset_version, dynamo=False,
        )
    import onnx

    model = onnx.load(path)
    entry = model.metadata_props.add()
    entry.key, entry.value = "skmm", _metadata(estimator)
    onnx.save(model, path)
    return path
