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

The writing is :mod:`.writing` (:func:`export_onnx`), the predicting
:mod:`.runtime` (:class:`OnnxModel`); both read the graph inputs' layout from
:mod:`.layout`.
"""

from .runtime import OnnxModel
from .writing import export_onnx

__all__ = ["OnnxModel", "export_onnx"]
