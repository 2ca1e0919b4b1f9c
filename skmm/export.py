"""Export a fitted network as ONNX, and predict from the file with onnxruntime.

``pip install skmm[export]`` installs ``onnx`` and ``onnxruntime``.

What the ``.onnx`` file holds:

* the network -- encoders, fusion and head -- with its trained weights, in
  evaluation mode (no dropout);
* one graph input per tensor the network reads, named
  ``"<modality>.<part>"``: ``x`` (token ids, frames, images or vectors),
  ``lengths`` (tokens and frames: steps per sample) and ``present`` (bool:
  the sample has the modality). The batch size and the sequence lengths are
  dynamic;
* one output, ``"output"``: class logits (the classifier; the targets'
  logits side by side when it has several) or standardised values (the
  regressor);
* under the metadata key ``"skmm"`` (JSON): the estimator kind, its classes
  or target scaling and each modality's kind and shape, which
  :class:`OnnxModel` reads to turn outputs into predictions.

What it does not hold: the preprocessing. Tokenising text with the fitted
vocabulary, decoding and resizing images, computing audio features and
scaling numbers run in Python with the fitted preprocessor
(``estimator.preprocessor_``) that you give :class:`OnnxModel`; keep it with
the ONNX file (``joblib.dump``, or the estimator's ``save_params`` file).

The export uses torch's TorchScript-based exporter (``dynamo=False``): the
recurrent encoders pack padded sequences, which it translates into ONNX's
RNN operators with per-sample lengths.
"""

from __future__ import annotations

import copy
import json
import math
import os
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .encoders.pretrained import PretrainedEncoder
from .data.inputs import as_modalities
from .data.kinds import ModalityInfo, check_matches
from .data.tensors import to_tensors

__all__ = ["OnnxModel", "export_onnx"]

_SEQUENCES = ("tokens", "tokenized", "frames")
# The axis of a sequence modality's x whose length varies (tokenized: (n, 2, steps)).
_STEP_AXIS = {"tokens": 1, "tokenized": 2, "frames": 1}


def _parts(info):
    """The tensors the network reads for one modality, in graph-input order."""
    # Tokenized text carries its attention mask in x: no lengths input.
    return ("x", "lengths", "present") if info.kind in ("tokens", "frames") else ("x", "present")


def _layout(infos):
    """``[(modality, parts)]`` in sorted-name order: the order of the graph inputs."""
    return [(name, _parts(infos[name])) for name in sorted(infos)]


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
        _FlatInputs(network, _layout(infos))(*example)
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
    for name, parts in _layout(infos):
        info = infos[name]
        if info.kind in ("tokens", "tokenized"):
            x = torch.ones((n, *info.shape), dtype=torch.int64)
        else:
            x = torch.zeros((n, *info.shape), dtype=torch.float32)
        steps = x.shape[_STEP_AXIS.get(info.kind, 1)]
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


def export_onnx(estimator, path, *, opset_version=17):
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
    layout = _layout(infos)
    names = [f"{name}.{part}" for name, parts in layout for part in parts]
    dynamic = {}
    for name, parts in layout:
        for part in parts:
            axes = {0: "batch"}
            if part == "x" and infos[name].kind in _SEQUENCES:
                axes[_STEP_AXIS[infos[name].kind]] = f"{name}_steps"
            dynamic[f"{name}.{part}"] = axes
    dynamic["output"] = {0: "batch"}
    example = _example(infos)
    # A copy: the estimator's own network is left as it is (device, mode, layers).
    wrapper = _FlatInputs(_exportable(estimator.net_.module_, infos, example), layout)
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


class OnnxModel:
    """Predictions from an exported ONNX network and the fitted preprocessor.

    ``predict`` and ``predict_proba`` take the same input as the estimator's:
    the preprocessor runs in Python, then onnxruntime runs the network.

    Parameters
    ----------
    path : str or path
        A file written by :func:`export_onnx`.
    preprocessor : fitted transformer or None, default=None
        The estimator's ``preprocessor_`` (or the fitted transformer before it
        in a Pipeline); None when the estimator took modality arrays.
    providers : list of str or None, default=None
        onnxruntime execution providers (None: the CPU).
    session_options : onnxruntime.SessionOptions or None, default=None
        E.g. its ``intra_op_num_threads`` (None: onnxruntime's defaults).

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        The classifier's classes (classifiers only).
    modalities_ : dict
        Modality name -> :class:`~skmm.data.inputs.ModalityInfo`, as fitted.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skmm import ModalityDict, MultimodalRegressor
    >>> from skmm.export import OnnxModel, export_onnx
    >>> X = ModalityDict(a=np.linspace(0, 1, 30, dtype="float32")[:, None])
    >>> reg = MultimodalRegressor(max_epochs=2, random_state=0, verbose=0).fit(X, 2 * X["a"][:, 0])
    >>> model = OnnxModel(export_onnx(reg, os.path.join(tempfile.mkdtemp(), "reg.onnx")))
    >>> np.allclose(model.predict(X), reg.predict(X), atol=1e-5)
    True
    """

    def __init__(self, path, preprocessor=None, *, providers=None, session_options=None):
        import onnxruntime

        self.path = os.fspath(path)
        self.preprocessor = preprocessor
        self.session_ = onnxruntime.InferenceSession(
            self.path, sess_options=session_options, providers=providers or ["CPUExecutionProvider"]
        )
        meta = self.session_.get_modelmeta().custom_metadata_map.get("skmm")
        if meta is None:
            raise ValueError(f"{self.path!r} was not written by skmm.export.export_onnx (no 'skmm' metadata).")
        self.meta_ = json.loads(meta)
        self.modalities_ = {
            name: ModalityInfo(info["kind"], tuple(info["shape"]), info["vocab_size"])
            for name, info in self.meta_["modalities"].items()
        }
        if self.meta_["kind"] == "classifier":
            classes = [np.array(c, dtype=np.dtype(t)) for c, t in zip(self.meta_["classes"], self.meta_["class_dtypes"])]
            self.classes_ = classes if self.meta_["several_targets"] else classes[0]

    def _outputs(self, X):
        data = as_modalities(self.preprocessor.transform(X) if self.preprocessor is not None else X)
        check_matches(data, self.modalities_)
        tensors = to_tensors(data, self.modalities_)
        feed = {
            f"{name}.{part}": tensors[name][part].numpy()
            for name, parts in _layout(self.modalities_) for part in parts
        }
        return self.session_.run(["output"], feed)[0].astype(np.float64)

    def predict_proba(self, X):
        """Class probabilities, as the classifier's ``predict_proba``.

        Parameters
        ----------
        X : DataFrame, ModalityDict or array
            As the estimator's ``predict_proba`` takes it.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or a list of them
            (one per target)
        """
        if self.meta_["kind"] != "classifier":
            raise AttributeError("predict_proba is for an exported classifier; this one is a regressor.")
        logits = self._outputs(X)
        sizes = [len(c) for c in self.meta_["classes"]]
        parts = [torch.softmax(torch.from_numpy(p), dim=1).numpy() for p in np.split(logits, np.cumsum(sizes)[:-1], axis=1)]
        return parts if self.meta_["several_targets"] else parts[0]

    def predict(self, X):
        """Predicted classes or values, as the estimator's ``predict``.

        Parameters
        ----------
        X : DataFrame, ModalityDict or array
            As the estimator's ``predict`` takes it.

        Returns
        -------
        y : ndarray
        """
        if self.meta_["kind"] == "classifier":
            proba = self.predict_proba(X)
            if not self.meta_["several_targets"]:
                return self.classes_[proba.argmax(axis=1)]
            return np.column_stack([c[p.argmax(axis=1)] for c, p in zip(self.classes_, proba)])
        out = self._outputs(X) * np.asarray(self.meta_["y_scale"]) + np.asarray(self.meta_["y_mean"])
        return out[:, 0] if self.meta_["y_ndim"] == 1 else out
