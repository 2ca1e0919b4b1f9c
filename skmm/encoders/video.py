"""Video encoder (CNNRecurrent): an image encoder on every frame, a recurrent encoder over frames."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import torch
from torch import Tensor

from .base import EncoderModule, EncoderSpec, register_encoder, resolve_encoder_choice
from .conv import CNN
from .recurrent import GRU


@register_encoder("cnn_recurrent")
class CNNRecurrent(EncoderSpec):
    """Videos: an image encoder on every frame, then a recurrent encoder over frames.

    Each real frame of a ``(n, T, C, H, W)`` video batch is encoded to a
    vector by ``frame`` (padded frames are skipped); the sequence of frame
    vectors is read by ``sequence`` as it reads audio frames, packed by the
    number of real frames. For cross-attention its steps are the recurrent
    encoder's per-frame states; ``fusion=Condition(source=..., target=<the
    video>)`` conditions the recurrent encoder.

    Parameters
    ----------
    frame : EncoderSpec, str or None, default=None
        The per-frame image encoder (an image kind: :class:`CNN`,
        :class:`Deconv`, or :class:`Custom` with ``kinds=("image",)``), or
        its name. None: ``CNN()``.
    sequence : EncoderSpec, str or None, default=None
        The encoder over frame vectors (:class:`RNN`, :class:`GRU`,
        :class:`LSTM`), or its name. None: ``GRU()``.

    Unset sizes and dropouts inside them take the estimator's.

    Examples
    --------
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.encoders import CNN, CNNRecurrent, GRU
    >>> spec = CNNRecurrent(frame=CNN(channels=(8,), hidden_size=16), sequence=GRU(pooling="last"))
    >>> clf = MultimodalClassifier(encoders={"clip": spec})
    >>> clf.set_params(encoders__clip__frame__channels=(4, 8)).encoders["clip"].frame.channels
    (4, 8)

    The module it builds for 6-frame videos of 1 x 16 x 16 frames:

    >>> from skmm.data.inputs import ModalityInfo
    >>> module = spec.build(ModalityInfo("video", (6, 1, 16, 16)), hidden_size=32, dropout=0.0)
    >>> module(torch.zeros(2, 6, 1, 16, 16), torch.tensor([6, 3])).shape
    torch.Size([2, 32])
    """

    kinds = ("video",)
    _parameter_constraints: ClassVar[dict] = {
        "frame": [EncoderSpec, str, None],
        "sequence": [EncoderSpec, str, None],
    }

    def __init__(self, *, frame: EncoderSpec | str | None = None, sequence: EncoderSpec | str | None = None) -> None:
        self.frame = frame
        self.sequence = sequence

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> VideoEncoder:
        frame = resolve_encoder_choice(CNN() if self.frame is None else self.frame, "frame")
        sequence = resolve_encoder_choice(GRU() if self.sequence is None else self.sequence, "sequence")
        for part, spec, kind in (("frame", frame, "image"), ("sequence", sequence, "frames")):
            if kind not in spec.kinds:
                raise ValueError(
                    f"CNNRecurrent: {part} must encode {kind}, but {type(spec).__name__} encodes "
                    f"{', '.join(spec.kinds)}."
                )
        steps, channels, height, width = info.shape
        # What each part sees: one frame as an image, the frame vectors as frames.
        frame_module = frame.build(
            replace(info, kind="image", shape=(channels, height, width)), hidden_size=hidden_size, dropout=dropout
        )
        sequence_module = sequence.build(
            replace(info, kind="frames", shape=(steps, frame_module.output_dim)),
            hidden_size=hidden_size, dropout=dropout,
        )
        return VideoEncoder(frame_module, sequence_module)


class VideoEncoder(EncoderModule):
    """The module of :class:`CNNRecurrent`: a frame encoder, then a sequence encoder.

    Only the real frames (the first ``lengths[i]`` of row ``i``) go through
    the frame encoder, so padding neither costs time nor enters batchnorm's
    statistics; their vectors form a sequence that the recurrent encoder
    reads packed by length, as it reads audio frames.

    Parameters
    ----------
    frame : EncoderModule
        Images ``(k, C, H, W)`` -> ``(k, frame.output_dim)``.
    sequence : EncoderModule
        Frames ``(n, T, frame.output_dim)`` and lengths -> ``(n,
        output_dim)``, with ``encode_steps`` (a :class:`RecurrentEncoder`).

    Attributes
    ----------
    output_dim, step_dim : int
        Those of ``sequence``: ``encode_steps`` gives one state per frame.
    takes_condition : bool
        Whether ``sequence`` does (a recurrent encoder); then
        ``init_shape`` and ``step_input_size`` are its, and
        ``fusion=Condition(target=<the video>)`` conditions it.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import ConvEncoder, RecurrentEncoder, VideoEncoder
    >>> encoder = VideoEncoder(ConvEncoder(3, 16, channels=(8,)), RecurrentEncoder(16, 8, pooling="last"))
    >>> videos = torch.randn(2, 5, 3, 12, 12)  # (n, T, C, H, W)
    >>> lengths = torch.tensor([5, 2])
    >>> encoder(videos, lengths).shape
    torch.Size([2, 8])
    >>> states, mask = encoder.encode_steps(videos, lengths)
    >>> states.shape, mask.sum(1).tolist()
    (torch.Size([2, 5, 8]), [5, 2])
    """

    def __init__(self, frame: EncoderModule, sequence: EncoderModule) -> None:
        super().__init__()
        self.frame = frame
        self.sequence = sequence
        self.output_dim = sequence.output_dim
        self.step_dim = sequence.step_dim
        self.takes_condition = getattr(sequence, "takes_condition", False)
        if self.takes_condition:
            self.init_shape = sequence.init_shape
            self.step_input_size = sequence.step_input_size

    def _frame_vectors(self, x: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor]:
        n, steps = x.shape[:2]
        if lengths is None:
            lengths = torch.full((n,), steps, dtype=torch.int64, device=x.device)
        real = torch.arange(steps, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        vectors = x.new_zeros(n, steps, self.frame.output_dim)
        if real.any():
            vectors[real] = self.frame(x[real]).to(vectors.dtype)
        return vectors, lengths

    def _condition(self, condition: dict[str, Tensor] | None) -> dict:
        return {"condition": condition} if condition else {}

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, condition: dict[str, Tensor] | None = None,
    ) -> Tensor:
        """One vector per video ``x`` ``(n, T, C, H, W)`` of ``lengths`` real frames."""
        vectors, lengths = self._frame_vectors(x, lengths)
        return self.sequence(vectors, lengths, **self._condition(condition))

    def encode_steps(
        self, x: Tensor, lengths: Tensor | None = None, condition: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Per-frame states ``(n, S, step_dim)`` and the mask of real frames."""
        vectors, lengths = self._frame_vectors(x, lengths)
        return self.sequence.encode_steps(vectors, lengths, **self._condition(condition))
