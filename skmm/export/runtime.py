"""Predicting from an exported ONNX file with onnxruntime, the preprocessing run in Python."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import torch

from ..compose._columns import MediaError
from ..data.inputs import as_modalities
from ..data.kinds import ModalityInfo, check_matches
from ..data.tensors import to_tensors
from ..utils.bounded import read_bounded
from ..utils.types import Estimator, ModalityInput
from .layout import layout

if TYPE_CHECKING:
    import onnxruntime


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

    def __init__(
        self, path: str | os.PathLike, preprocessor: Estimator | None = None, *, providers: Sequence[str] | None = None,
        session_options: onnxruntime.SessionOptions | None = None,
    ) -> None:
        import onnxruntime

        self.path = os.fspath(path)
        self.preprocessor = preprocessor
        try:  # read under the "model" cap: a device or an endless file is refused, naming it
            model = read_bounded(self.path, "model", "ONNX model")
        except MediaError as exc:
            raise ValueError(f"{exc}.") from None
        self.session_ = onnxruntime.InferenceSession(
            model, sess_options=session_options, providers=providers or ["CPUExecutionProvider"]
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
            classes = [
                np.array(c, dtype=np.dtype(t)) for c, t in zip(self.meta_["classes"], self.meta_["class_dtypes"])
            ]
            self.classes_ = classes if self.meta_["several_targets"] else classes[0]

    def _outputs(self, X):
        data = as_modalities(self.preprocessor.transform(X) if self.preprocessor is not None else X)
        check_matches(data, self.modalities_)
        tensors = to_tensors(data, self.modalities_)
        feed = {
            f"{name}.{part}": tensors[name][part].numpy()
            for name, parts in layout(self.modalities_) for part in parts
        }
        return self.session_.run(["output"], feed)[0].astype(np.float64)

    def predict_proba(self, X: ModalityInput) -> np.ndarray | list[np.ndarray]:
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
        blocks = np.split(logits, np.cumsum(sizes)[:-1], axis=1)
        parts = [torch.softmax(torch.from_numpy(p), dim=1).numpy() for p in blocks]
        return parts if self.meta_["several_targets"] else parts[0]

    def predict(self, X: ModalityInput) -> np.ndarray:
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
                return self.classes_[cast(np.ndarray, proba).argmax(axis=1)]  # one target: one array
            return np.column_stack([c[p.argmax(axis=1)] for c, p in zip(self.classes_, proba)])
        out = self._outputs(X) * np.asarray(self.meta_["y_scale"]) + np.asarray(self.meta_["y_mean"])
        return out[:, 0] if self.meta_["y_ndim"] == 1 else out
