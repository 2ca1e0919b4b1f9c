"""Image column -> float arrays of one size and channel count."""

from __future__ import annotations

from functools import partial
from numbers import Integral
from typing import ClassVar, Literal

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..compose._columns import Column, one_column_tags
from ..utils.sklearn_compat import Options, _fit_context
from ..utils.spec_params import NON_NEGATIVE_INT, ON_MISSING, POSITIVE_INT, SIZE
from ..utils.types import ColumnLike
from ._image_io import decode_image, resize, to_channels
from ._prefetch import prefetched, stack_rows
from .presence import PresenceMixin, presence


class ImageLoader(PresenceMixin, TransformerMixin, BaseEstimator):
    """Load images (file paths, arrays or PIL images) as float arrays.

    Every image is decoded with Pillow, converted to ``channels`` channels,
    resized to ``size`` and standardised with the per-channel mean and
    standard deviation learned in ``fit``. Any mode is accepted: 1-bit, 8- and
    16-bit grey, palette, RGB, RGBA (shown on white), CMYK.

    Parameters
    ----------
    size : tuple of int, default=(32, 32)
        Output (height, width).
    channels : {None, 1, 3}, default=None
        Output channels. None learns it in ``fit``: 3 if any training image
        has colour, else 1.
    normalize : bool, default=True
        Standardise each channel with the training mean and std; otherwise
        keep values in [0, 1].
    on_missing : {"error", "mask"}, default="error"
        A missing value (None/NaN, or a file that does not exist) raises a ValueError naming the
        row, or with "mask" gives an all-NaN image (reported absent by
        ``transform_with_presence``), so the network treats the
        sample as lacking this modality.
    n_jobs : int or None, default=None
        Threads, or for long work processes, that decode, resize and standardise rows; None
        uses the cores skmm may use (1 inside joblib or Dask workers). The output does not
        depend on it.
    verbose : int or None, default=None
        1 shows a progress bar when decoding takes more than a second; None
        follows the estimator that runs this transformer (silent on its own).

    Attributes
    ----------
    channels_ : int
        Channels of the output.
    mean_, std_ : ndarray of shape (channels_,)
        Per-channel statistics of the training images (after resizing).
    n_features_in_ : int
        Always 1 (one image column).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import ImageLoader
    >>> images = [np.zeros((10, 12), dtype=np.uint8), np.full((8, 8, 3), 255, np.uint8)]
    >>> ImageLoader(size=(16, 16)).fit_transform(images).shape
    (2, 3, 16, 16)
    """

    modality = "image"
    output_kind = "image"
    _parameter_constraints: ClassVar[dict] = {
        "size": [SIZE],
        "channels": [Options(Integral, {1, 3}), None],
        "normalize": ["boolean"],
        "on_missing": [ON_MISSING],
        "n_jobs": [POSITIVE_INT, None],
        "verbose": [NON_NEGATIVE_INT, None],
    }

    def __init__(
        self, size: tuple[int, int] | list[int] = (32, 32), *, channels: Literal[1, 3] | None = None,
        normalize: bool = True, on_missing: Literal["error", "mask"] = "error", n_jobs: int | None = None,
        verbose: int | None = None,
    ) -> None:
        self.size = size
        self.channels = channels
        self.normalize = normalize
        self.on_missing = on_missing
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        return one_column_tags(super().__sklearn_tags__(), self)

    def _decode(self, X, channels=None, scaled=False):
        """(column, images, stacked): images shaped (channels, *size) by the workers.

        ``channels`` None keeps each image's own (1 or 3; a grey row broadcast
        over 3 channels equals the grey image converted, then resized). With
        ``channels`` known, the workers write the rows (``scaled``: standardised
        too) into ``stacked``.
        """
        column = Column(X, type(self).__name__)
        size = tuple(self.size)
        featurize, stack_as = partial(_shaped, channels=channels, size=size), None
        if channels is not None:
            if scaled:
                featurize = partial(_scaled, featurize=featurize, mean=self.mean_, std=self.std_)
            stack_as = ((channels, *size), np.float32)
        decode = prefetched(
            column.values, decode_image, (), self.n_jobs, self.verbose, column.where_all(), featurize=featurize,
            stack_as=stack_as,
        )
        return column, column.decode(decode, "image", self.on_missing), decode.stacked

    def _stack(self, images, channels, stacked=None, shaped=False):
        """Images decoded (H, W, C), or ``shaped`` (C, *size), as one array of ``channels`` channels."""
        size = tuple(self.size)
        if not shaped:
            images = [None if image is None else _shaped([image], channels, size)[0] for image in images]
        return stack_rows(images, stacked, (channels, *size))

    def _fit_decoded(self, column, images, stacked=None, shaped=False):
        column.check_not_empty()
        column.check_some_present(images, "image")
        if self.channels is None:
            axis = 0 if shaped else -1
            self.channels_ = 3 if any(im is not None and im.shape[axis] == 3 for im in images) else 1
        else:
            self.channels_ = self.channels
        stacked = self._stack(images, self.channels_, stacked, shaped)
        if self.normalize:
            present = stacked[[im is not None for im in images]]
            self.mean_ = present.mean(axis=(0, 2, 3))
            # A constant channel would divide by zero; leave its scale alone.
            std = present.std(axis=(0, 2, 3))
            self.std_ = np.where(std > 1e-6, std, 1.0).astype(np.float32)
        else:
            self.mean_ = np.zeros(self.channels_, dtype=np.float32)
            self.std_ = np.ones(self.channels_, dtype=np.float32)
        column.record_input(self)
        return stacked

    def _scale(self, stacked):
        return _standardised(stacked, self.mean_, self.std_)

    def fit(self, X: ColumnLike, y: object = None) -> ImageLoader:
        """Learn channels and per-channel statistics.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list
            Image paths, PIL images or arrays ((H, W) or (H, W, C); uint8,
            uint16, or float in [0, 1]).
        y : ignored

        Returns
        -------
        self : ImageLoader
        """
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform_with_presence(self, X: ColumnLike, y: object = None) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`fit_transform`, with the bool mask of the rows present (see :class:`PresenceMixin`)."""
        column, images, stacked = self._decode(X, self.channels)
        return self._scale(self._fit_decoded(column, images, stacked, shaped=True)), presence(images)

    def transform(self, X: ColumnLike) -> np.ndarray:
        """Load, resize and standardise images.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list
            Image paths, PIL images or arrays.

        Returns
        -------
        images : ndarray of shape (n_samples, channels_, height, width), float32
            NaN in every pixel of an absent image.
        """
        return self.transform_with_presence(X)[0]

    def transform_with_presence(self, X: ColumnLike) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`transform`, with the bool mask of the rows present (see :class:`PresenceMixin`)."""
        check_is_fitted(self, "channels_")
        # The workers shape and standardise each image (the same float32 operations as on the stack).
        _, images, stacked = self._decode(X, self.channels_, scaled=True)
        return self._stack(images, self.channels_, stacked, shaped=True), presence(images)


def _shaped(images, channels, size):
    """Decoded (H, W, C) images -> float32 (channels, *size), one each; ``channels`` None: their own."""
    return [
        resize(image if channels is None else to_channels(image, channels), size).transpose(2, 0, 1)
        for image in images
    ]


def _standardised(stacked, mean, std):
    """(n, channels, H, W) standardised per channel, in place."""
    stacked -= mean[None, :, None, None]
    stacked /= std[None, :, None, None]
    return stacked


def _scaled(images, featurize, mean, std):
    """Decoded images -> shaped (``featurize``) and standardised, stacked."""
    return _standardised(np.stack(featurize(images)), mean, std)
