"""max_duration="auto" / max_len="auto": a cap on steps learned from the training rows' lengths."""

import numpy as np
import pytest

from skmm.preprocessing import AudioFeaturizer, SequencePadder


def _clips(n=300, long=(3,), rate=8000, seed=0):
    rng = np.random.RandomState(seed)
    seconds = rng.uniform(0.2, 0.5, n)
    seconds[list(long)] = 4.0
    return [rng.randn(int(s * rate)).astype(np.float32) for s in seconds]


def test_audio_cap_is_learned_from_the_training_clips(capsys):
    clips = _clips(long=(3, 50))
    featurizer = AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=200, hop_length=80, verbose=1)
    frames = featurizer.fit_transform(clips)
    whole = AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=200, hop_length=80, max_duration=None).fit(clips)
    assert whole.max_frames_ == 1 + len(clips[3]) // 80  # None: the longest clip
    assert featurizer.max_frames_ < 0.2 * whole.max_frames_  # the two 4 s clips do not set it
    assert featurizer.n_cut_ == 2 and frames.shape[1] == featurizer.max_frames_
    assert 0.45 < featurizer.max_duration_ < 0.55
    assert not np.isnan(frames[3]).any()  # the cut clip fills its row
    out = capsys.readouterr().out
    assert "[AudioFeaturizer] 2 of 300 training clips are longer than" in out and "99% quantile" in out
    # At transform, longer clips are cut to the learned length.
    assert featurizer.transform([clips[3]]).shape[1] == featurizer.max_frames_


def test_audio_cap_is_silent_at_verbose_0_and_keeps_small_sets_whole(capsys):
    clips = _clips(n=20, long=(3,))
    featurizer = AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=200, hop_length=80, verbose=0).fit(clips)
    # With fewer than 100 clips the 99th percentile is the longest one: nothing is cut.
    assert featurizer.n_cut_ == 0 and featurizer.max_frames_ == 1 + len(clips[3]) // 80
    featurizer.set_params(max_duration="auto").fit(_clips(long=(3, 50)))
    assert featurizer.n_cut_ == 2 and capsys.readouterr().out == ""


def test_a_number_still_caps_and_a_bad_value_is_refused():
    clips = _clips(n=20)
    capped = AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=200, hop_length=80, max_duration=0.1).fit(clips)
    assert capped.max_frames_ == 1 + 800 // 80
    with pytest.raises(ValueError, match="max_duration"):
        AudioFeaturizer(max_duration="longest").fit(clips)


def test_series_cap_is_learned_too():
    rng = np.random.RandomState(0)
    series = [rng.randn(int(t)) for t in rng.randint(5, 10, 300)]
    series[7] = rng.randn(500)
    padder = SequencePadder().fit(series)
    assert padder.max_len_ < 10 and padder.n_cut_ == 1
    assert SequencePadder(max_len=None).fit(series).max_len_ == 500
    with pytest.raises(ValueError, match="max_len"):
        SequencePadder(max_len="all").fit(series)


def test_a_tail_of_one_percent_does_not_set_the_cap():
    # 4 of 400 clips (1%) at 4 s: their own 99th percentile; the bound by the 95th cuts them.
    clips = _clips(n=400, long=(3, 50, 100, 200))
    featurizer = AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=200, hop_length=80, verbose=0).fit(clips)
    assert featurizer.n_cut_ == 4 and featurizer.max_duration_ < 1.1
