"""Video column -> fixed-length stacks of frames of one size and channel count."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..compose._columns import Column
from ..utils.sklearn_compat import _fit_context
from ..utils.spec_params import POSITIVE_INT, POSITIVE_REAL
from ..utils.types import ColumnLike
from ._image_io import resize
from ._prefetch import prefetched
from ._video_io import decode_video, frames_to_float
from .image import ImageLoader
from .presence import presence


def read_video(value, n_frames, fps, size):
    """One video's sampled frames, as floats of ``size`` (a module-level decoder: the cache key, picklable)."""
    # Resized now, so only frames of the output size are held for the
    # whole column (resizing and channel conversion commute: both linear).
    frames = [resize(frame, size) for frame in frames_to_float(decode_video(value, n_frames, fps))]
    return np.stack(frames) if frames else np.empty((0,), np.float32)  # the cache holds one array


class VideoLoader(ImageLoader):
    """Load videos (file paths or frame arrays) as fixed-length frame stacks.

    Files are decoded with PyAV (``pip install 'skmm[video]'``). ``n_frames``
    frames are kept per video: spread evenly over it, or sampled at ``fps``
    frames per second from its start. Every frame then goes through
    :class:`ImageLoader`'s steps: converted to ``channels`` channels,
    resized to ``size`` and standardised with the per-channel mean and
    standard deviation of the training frames.

    A video with fewer frames than wanted (or that ends before
    ``n_frames / fps`` seconds) is padded with all-NaN frames at the end, so
    a row's length is its number of leading non-NaN frames, as for
    :class:`AudioFeaturizer`'s frames.

    Parameters
    ----------
    n_frames : int, default=8
        Frames per output row.
    size : tuple of int, default=(32, 32)
        Output (height, width) of every frame.
    fps : float or None, default=None
        None spreads ``n_frames`` frames evenly over each video (the middle
        frame of ``n_frames`` equal segments; every frame of a shorter
        video). A rate takes the frame shown at ``0, 1/fps, 2/fps, ...``
        seconds. Bare frame arrays are taken to be at this rate; pass
        ``(frames, rate)`` pairs otherwise.
    channels, normalize, on_missing, verbose
        As in :class:`ImageLoader`, with the training videos' frames for
        its training images (an absent video under ``on_missing="mask"``
        gives an all-NaN row, reported absent by
        ``transform_with_presence``).
    n_jobs : int or None, default=None
        Threads that decode videos (FFmpeg's decoders release the GIL);
        None uses the cores skmm may use (1 inside joblib or Dask workers).
        The output does not depend on it.

    Attributes
    ----------
    channels_ : int
        Channels of the output.
    mean_, std_ : ndarray of shape (channels_,)
        Per-channel statistics of the training frames (after resizing;
        padding left out).
    n_features_in_ : int
        Always 1 (one video column).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import VideoLoader
    >>> long_clip = np.zeros((30, 24, 24, 3), dtype=np.uint8)  # (T, H, W, C)
    >>> short_clip = np.full((5, 10, 10), 255, dtype=np.uint8)  # grey
    >>> frames = VideoLoader(n_frames=8, size=(16, 16)).fit_transform([long_clip, short_clip])
    >>> frames.shape
    (2, 8, 3, 16, 16)
    >>> np.isnan(frames[:, :, 0, 0, 0]).sum(axis=1)  # the short clip's padding
    array([0, 3])
    """

    modality = "video"
    output_kind = "video"
    _parameter_constraints: ClassVar[dict] = {
        **ImageLoader._parameter_constraints,
        "n_frames": [POSITIVE_INT],
        "fps": [POSITIVE_REAL, None],
    }

    def __init__(
        self, n_frames: int = 8, size: tuple[int, int] | list[int] = (32, 32), *, fps: float | None = None,
        channels: Literal[1, 3] | None = None, normalize: bool = True, on_missing: Literal["error", "mask"] = "error",
        n_jobs: int | None = None, verbose: int | None = None,
    ) -> None:
        self.n_frames = n_frames
        self.size = size
        self.fps = fps
        self.channels = channels
        self.normalize = normalize
        self.on_missing = on_missing
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _decode(self, X):
        """(column, videos, images): every video's frames, then all frames flat.

        The flat list has ``n_frames`` entries per row, None where the video
        is absent or has ended, which ImageLoader's steps turn into NaN.
        """
        column = Column(X, type(self).__name__)
        decode = prefetched(
            column.values, read_video, (self.n_frames, self.fps, tuple(self.size)),
            self.n_jobs, self.verbose, column.where_all(),
        )
        videos = column.decode(decode, "video", self.on_missing)
        images = []
        for frames in videos:
            frames = [] if frames is None else list(frames)
            images += frames + [None] * (self.n_frames - len(frames))
        return column, videos, images

    def _unflatten(self, stacked):
        return stacked.reshape(-1, self.n_frames, *stacked.shape[1:])

    def fit(self, X: ColumnLike, y: object = None) -> VideoLoader:
        """Learn channels and per-channel statistics.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list
            Video file paths, frame arrays ((T, H, W) or (T, H, W, C);
            uint8, uint16, or float in [0, 1]) or ``(frames, rate)`` pairs.
        y : ignored

        Returns
        -------
        self : VideoLoader
        """
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform_with_presence(self, X: ColumnLike, y: object = None) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`fit_transform`, with the bool mask of the rows present (see :class:`PresenceMixin`)."""
        column, videos, images = self._decode(X)
        column.check_not_empty()
        column.check_some_present(videos, "video")
        return self._unflatten(self._scale(self._fit_decoded(column, images))), presence(videos)

    def transform(self, X: ColumnLike) -> np.ndarray:
        """Load, sample, resize and standardise videos.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list
            Video file paths, frame arrays or ``(frames, rate)`` pairs.

        Returns
        -------
        frames : ndarray of shape (n_samples, n_frames, channels_, height, width), float32
            NaN in the frames after each video's end, and in every frame of
            an absent video.
        """
        return self.transform_with_presence(X)[0]

    def transform_with_presence(self, X: ColumnLike) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`transform`, with the bool mask of the rows present (see :class:`PresenceMixin`)."""
        check_is_fitted(self, "channels_")
        _, videos, images = self._decode(X)
        return self._unflatten(self._scale(self._stack(images, self.channels_))), presence(videos)
