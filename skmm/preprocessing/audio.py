"""Audio column -> log-mel frames."""

from __future__ import annotations

from functools import partial
from typing import ClassVar, Literal

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..compose._columns import Column, one_column_tags
from ..utils.sklearn_compat import StrOptions, _fit_context
from ..utils.spec_params import NON_NEGATIVE_INT, ON_MISSING, POSITIVE_INT, POSITIVE_REAL
from ..utils.threads import call_verbosity
from ..utils.types import ColumnLike
from ._audio_io import decode_audio
from ._frames import feature_stats, learned_cap, pad_frames, report_cut
from ._prefetch import prefetched, stack_rows
from .logmel import LogMel
from .presence import PresenceMixin, presence


class AudioFeaturizer(PresenceMixin, TransformerMixin, BaseEstimator):
    """Turn audio (file paths or waveforms) into log-mel frames.

    Files are read with soundfile, downmixed to mono and resampled to
    ``sample_rate``; log-mel frames are computed with librosa's mel filter
    bank and ``torch.stft`` in batches, then standardised per mel band with
    statistics learned in ``fit``.

    Clips differ in length: the output is padded to ``max_frames_`` and the
    padded frames are NaN, so a row's length is its number of leading
    non-NaN frames (skmm's networks read it that way).

    Parameters
    ----------
    sample_rate : int, default=16000
        Rate every clip is resampled to. Bare waveform arrays are taken to
        be at this rate; pass ``(waveform, rate)`` pairs otherwise.
    n_mels : int, default=40
        Mel bands.
    n_fft : int, default=400
        FFT window (25 ms at 16 kHz).
    hop_length : int, default=160
        Hop between frames (10 ms at 16 kHz).
    fmin, fmax : float, default=0.0, None
        Frequency range of the filter bank (None: half the sample rate).
    max_duration : float, "auto" or None, default="auto"
        Truncate clips to this many seconds. "auto" learns the cap in
        ``fit``: the 99th percentile of the training clips' lengths, at most
        twice the 95th (a few long clips would otherwise set the padded
        length, and so the cost, of every row); ``verbose`` says how many clips it cuts. None keeps
        up to the longest training clip. Longer clips at transform are cut
        to ``max_frames_``.
    normalize : bool, default=True
        Standardise each mel band with the training mean and std.
    on_missing : {"error", "mask"}, default="error"
        A missing value (None/NaN, or a file that does not exist) raises a ValueError naming the
        row, or with "mask" gives an all-NaN row (reported absent by
        ``transform_with_presence``), so the network treats the
        sample as lacking this modality.
    n_jobs : int or None, default=None
        Threads, or for long work processes, that decode clips and compute their log-mel
        frames; None uses the cores skmm may use (1 inside joblib or Dask workers). The output
        does not depend on it.
    verbose : int or None, default=None
        1 shows a progress bar when decoding takes more than a second; None
        follows the estimator that runs this transformer (silent on its own).

    Attributes
    ----------
    max_frames_ : int
        Frames per output row.
    max_duration_ : float
        Seconds of audio those frames cover.
    n_cut_ : int
        Training clips longer than that, which were cut.
    mean_, std_ : ndarray of shape (n_mels,)
        Per-band statistics of the training frames.
    n_features_in_ : int
        Always 1 (one audio column).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import AudioFeaturizer
    >>> t = np.arange(8000) / 16000
    >>> clips = [np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t[:4000])]
    >>> frames = AudioFeaturizer(n_mels=20).fit_transform(clips)
    >>> frames.shape, int(np.isnan(frames[1, :, 0]).sum())
    ((2, 51, 20), 25)
    """

    modality = "audio"
    output_kind = "frames"
    _parameter_constraints: ClassVar[dict] = {
        "sample_rate": [POSITIVE_INT],
        "n_mels": [POSITIVE_INT],
        "n_fft": [POSITIVE_INT],
        "hop_length": [POSITIVE_INT],
        "fmin": "no_validation",  # LogMel checks the band against the sample rate
        "fmax": "no_validation",
        "max_duration": [POSITIVE_REAL, StrOptions({"auto"}), None],
        "normalize": ["boolean"],
        "on_missing": [ON_MISSING],
        "n_jobs": [POSITIVE_INT, None],
        "verbose": [NON_NEGATIVE_INT, None],
    }

    def __init__(
        self,
        sample_rate: int = 16000,
        n_mels: int = 40,
        *,
        n_fft: int = 400,
        hop_length: int = 160,
        fmin: float = 0.0,
        fmax: float | None = None,
        max_duration: float | Literal["auto"] | None = "auto",
        normalize: bool = True,
        on_missing: Literal["error", "mask"] = "error",
        n_jobs: int | None = None,
        verbose: int | None = None,
    ) -> None:
        self.sample_rate = sample_rate
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.fmin = fmin
        self.fmax = fmax
        self.max_duration = max_duration
        self.normalize = normalize
        self.on_missing = on_missing
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        return one_column_tags(super().__sklearn_tags__(), self)


    def _logmel(self):
        return LogMel(
            self.sample_rate, self.n_fft, self.hop_length, self.n_mels, self.fmin, self.fmax
        )

    def _samples(self, frames):
        """Samples of audio that ``frames`` frames cover (the last window reaches ``n_fft`` past its start)."""
        return (frames - 1) * self.hop_length + self.n_fft

    def _seconds(self, frames):
        return self._samples(frames) / self.sample_rate

    def _max_samples(self):
        """Samples worth reading: ``max_duration``, else (after fit) what the fitted frames use."""
        if self.max_duration not in (None, "auto"):
            return int(self.max_duration * self.sample_rate)
        if hasattr(self, "max_frames_"):
            return self._samples(self.max_frames_)
        return None

    def _frames(self, X, padded=False):
        """Decode and featurise every clip: (column, list of (T_i, n_mels) or None, stacked).

        With ``padded`` (fitted) the workers pad and standardise each clip's
        frames too, and write them into ``stacked``.
        """
        column = Column(X, type(self).__name__)
        rate, limit = self.sample_rate, self._max_samples()
        featurize, stack_as = self._logmel(), None
        if padded:
            featurize = partial(_padded, logmel=featurize, max_len=self.max_frames_, mean=self.mean_, std=self.std_)
            stack_as = ((self.max_frames_, self.n_mels), np.float32)
        # Clips are cut while read, before resampling and the STFT, so memory
        # follows max_duration rather than the longest file. The workers that
        # decode a chunk of clips compute its log-mel frames too.
        decode = prefetched(
            column.values, decode_audio, (rate, limit), self.n_jobs, self.verbose, column.where_all(),
            featurize=featurize, stack_as=stack_as,
        )
        return column, column.decode(decode, "audio", self.on_missing), decode.stacked

    def fit(self, X: ColumnLike, y: object = None) -> AudioFeaturizer:
        """Learn the padded length and per-band statistics.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list
            Audio file paths, waveforms (1-D or (channels, samples)), or
            ``(waveform, rate)`` pairs.
        y : ignored

        Returns
        -------
        self : AudioFeaturizer
        """
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform_with_presence(self, X: ColumnLike, y: object = None) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`fit_transform`, with the bool mask of the rows present (see :class:`PresenceMixin`)."""
        self.__dict__.pop("max_frames_", None)  # a refit reads clips whole again
        column, frames, _ = self._frames(X)
        column.check_not_empty()
        column.check_some_present(frames, "audio clip")
        lengths = [len(f) for f in frames if f is not None]
        longest, self.n_cut_ = max(lengths), 0
        if self.max_duration == "auto":
            longest, self.n_cut_ = learned_cap(lengths)
            report_cut(self, self.n_cut_, len(lengths), "clips", f"{self._seconds(longest):.2f} s",
                       call_verbosity.get() if self.verbose is None else self.verbose)
        elif self.max_duration is not None:
            longest = min(longest, 1 + int(self.max_duration * self.sample_rate) // self.hop_length)
        self.max_frames_ = longest
        self.max_duration_ = self._seconds(longest)
        self.mean_, self.std_ = feature_stats(frames, longest, self.n_mels, self.normalize)
        column.record_input(self)
        return pad_frames(frames, self.max_frames_, self.mean_, self.std_), presence(frames)

    def transform(self, X: ColumnLike) -> np.ndarray:
        """Compute standardised log-mel frames.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list
            Audio file paths, waveforms or ``(waveform, rate)`` pairs.

        Returns
        -------
        frames : ndarray of shape (n_samples, max_frames_, n_mels), float32
            NaN in the frames after each clip's end.
        """
        return self.transform_with_presence(X)[0]

    def transform_with_presence(self, X: ColumnLike) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`transform`, with the bool mask of the rows present (see :class:`PresenceMixin`)."""
        check_is_fitted(self, "max_frames_")
        _, rows, stacked = self._frames(X, padded=True)
        return stack_rows(rows, stacked, (self.max_frames_, self.n_mels)), presence(rows)


def _padded(waves, logmel, max_len, mean, std):
    """Waveforms -> log-mel frames padded (NaN) or cut to ``max_len`` and standardised, stacked."""
    return pad_frames(logmel(waves), max_len, mean, std)
