"""Deconvolution encoder over images: conv blocks down, transposed-conv blocks up."""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

from torch import Tensor, nn

from ..utils.docstrings import fill_doc
from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import EncoderModule, EncoderSpec, register_encoder
from .conv import conv_blocks, regions


@register_encoder("deconv")
@fill_doc
class Deconv(EncoderSpec):
    """Conv blocks that downsample, transposed-conv blocks that upsample, over images.

    Conv-batchnorm-ReLU-maxpool blocks (each halves the image), then
    ConvTranspose2d(kernel 2, stride 2)-batchnorm-ReLU blocks (each doubles
    the feature map), adaptive average pooling and a linear layer: the
    upsampling gives the linear layer (and cross-attention, which reads the
    regions of the last feature map) a finer, learned spatial map.

    Parameters
    ----------
    channels : tuple of int, default=(16, 32)
        Output channels of each downsampling block.
    deconv_channels : tuple of int, default=(16,)
        Output channels of each upsampling (transposed convolution) block.
    {output_layer_parameters}
    pooled : int, default=4
        Side of the adaptive average pooling grid before the output layer.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import Deconv
    >>> from skmm.data.inputs import ModalityInfo
    >>> spec = Deconv(channels=(8, 16), deconv_channels=(8,))
    >>> spec.get_params()["deconv_channels"]
    (8,)

    Two blocks halve a 28 x 28 image to 7 x 7, one transposed convolution
    doubles it to 14 x 14: 196 regions of 8 channels for cross-attention.

    >>> module = spec.build(ModalityInfo("image", (1, 28, 28)), hidden_size=32, dropout=0.0)
    >>> x = torch.zeros(2, 1, 28, 28)
    >>> module(x).shape
    torch.Size([2, 32])
    >>> module.encode_steps(x)[0].shape
    torch.Size([2, 196, 8])
    """

    kinds = ("image",)
    _parameter_constraints: ClassVar[dict] = {
        "channels": [tuple, list],
        "deconv_channels": [tuple, list],
        "hidden_size": [POSITIVE_INT, None],
        "dropout": [PROBABILITY, None],
        "pooled": [POSITIVE_INT],
    }

    def __init__(
        self, *, channels: Sequence[int] = (16, 32), deconv_channels: Sequence[int] = (16,),
        hidden_size: int | None = None, dropout: float | None = None, pooled: int = 4,
    ) -> None:
        self.channels = channels
        self.deconv_channels = deconv_channels
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.pooled = pooled

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> DeconvEncoder:
        return DeconvEncoder(
            info.features, or_default(self.hidden_size, hidden_size), channels=tuple(self.channels),
            deconv_channels=tuple(self.deconv_channels), pooled=self.pooled,
            dropout=or_default(self.dropout, dropout),
        )


class DeconvEncoder(EncoderModule):
    """The module of :class:`Deconv` (see there).

    Parameters
    ----------
    in_channels : int
    hidden_size : int
        Output size.
    channels, deconv_channels, pooled, dropout
        As :class:`Deconv`'s, resolved.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import DeconvEncoder
    >>> encoder = DeconvEncoder(1, 32, channels=(8, 16), deconv_channels=(8,))
    >>> x = torch.zeros(2, 1, 28, 28)
    >>> encoder(x).shape
    torch.Size([2, 32])
    >>> encoder.encode_steps(x)[0].shape
    torch.Size([2, 196, 8])
    """

    def __init__(
        self, in_channels: int, hidden_size: int, *, channels: Sequence[int] = (16, 32),
        deconv_channels: Sequence[int] = (16,), pooled: int = 4, dropout: float = 0.0,
    ) -> None:
        super().__init__()
        blocks, previous = conv_blocks(in_channels, channels)
        for out in deconv_channels:
            blocks += [
                nn.ConvTranspose2d(previous, out, kernel_size=2, stride=2, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
            ]
            previous = out
        self.features = nn.Sequential(*blocks)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(pooled), nn.Flatten())
        self.project = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(previous * pooled * pooled, hidden_size), nn.ReLU()
        )
        self.output_dim = hidden_size
        self.step_dim = previous

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.project(self.pool(self.features(x)))

    def encode_steps(self, x: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Regions of the last feature map: ``(n, h * w, step_dim)``, all real."""
        return regions(self.features(x))
