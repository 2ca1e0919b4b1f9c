import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from skmm.preprocessing import AudioFeaturizer
from skmm.preprocessing.logmel import LOG_FLOOR


def _clips(rng, n=5):
    return [rng.normal(0, 0.3, rng.randint(1200, 5000)).astype(np.float32) for _ in range(n)]


def test_batched_logmel_equals_librosa_clip_by_clip():
    rng = np.random.RandomState(0)
    clips = _clips(rng)
    featurizer = AudioFeaturizer(sample_rate=8000, n_mels=24, n_fft=256, hop_length=80, normalize=False)
    out = featurizer.fit_transform(clips)
    for i, clip in enumerate(clips):
        mel = librosa.feature.melspectrogram(
            y=clip, sr=8000, n_fft=256, hop_length=80, n_mels=24, center=True, pad_mode="constant"
        )
        expected = np.log(mel + LOG_FLOOR).T
        got = out[i, : len(expected)]
        np.testing.assert_allclose(got, expected, atol=1e-3)
        assert np.isnan(out[i, len(expected):]).all()


def test_files_are_resampled_and_downmixed(tmp_path):
    t = np.arange(4000) / 8000
    tone = (0.4 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    sf.write(tmp_path / "mono8k.wav", tone, 8000)
    up = librosa.resample(tone, orig_sr=8000, target_sr=16000, res_type="soxr_hq")
    sf.write(tmp_path / "stereo16k.flac", np.stack([up, up], axis=1), 16000)
    featurizer = AudioFeaturizer(sample_rate=16000, n_mels=20, normalize=False)
    out = featurizer.fit_transform([str(tmp_path / "mono8k.wav"), str(tmp_path / "stereo16k.flac"), (tone, 8000)])
    # One clip, three encodings (8 kHz file, 16 kHz stereo FLAC, an 8 kHz pair): the same frames.
    np.testing.assert_allclose(out[0], out[2], atol=5e-3)  # 16-bit PCM rounding
    np.testing.assert_allclose(out[0], out[1], atol=0.05)


def test_padding_is_nan_and_lengths_follow_duration():
    clips = [np.zeros(16000, np.float32) + 0.1, np.zeros(8000, np.float32) + 0.1]
    out = AudioFeaturizer().fit_transform(clips)
    assert out.shape == (2, 101, 40)
    assert not np.isnan(out[0]).any()
    assert np.isnan(out[1, 51:]).all() and not np.isnan(out[1, :51]).any()


def test_max_duration_truncates_and_transform_uses_fitted_length():
    clips = [np.ones(16000, np.float32) * 0.1]
    featurizer = AudioFeaturizer(max_duration=0.5).fit(clips)
    assert featurizer.max_frames_ == 51
    assert featurizer.transform([np.ones(48000, np.float32)]).shape == (1, 51, 40)


def test_statistics_standardise_training_frames():
    rng = np.random.RandomState(1)
    out = AudioFeaturizer(sample_rate=8000, n_mels=10, n_fft=128, hop_length=64).fit_transform(_clips(rng, 8))
    valid = out[~np.isnan(out[..., 0])]
    np.testing.assert_allclose(valid.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(valid.std(axis=0), 1, atol=1e-3)


def test_missing_corrupt_and_empty_files(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"RIFF0000WAVEjunk")
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 8000)
    cases = {
        "nope.wav": r"column 'voice', row 0: audio file .*nope.wav' does not exist",
        "bad.wav": r"column 'voice', row 0: cannot read audio file .*bad.wav",
        "empty.wav": r"column 'voice', row 0: audio file .*empty.wav' is empty",
    }
    for name, match in cases.items():
        with pytest.raises(ValueError, match=match):
            AudioFeaturizer().fit(pd.Series([str(tmp_path / name)], name="voice"))


def test_wrong_kind_in_column():
    with pytest.raises(TypeError, match=r"column 'voice', row 1: expected an audio path"):
        AudioFeaturizer().fit(pd.Series([np.zeros(100), {"a": 1}], name="voice"))
    with pytest.raises(TypeError, match=r"row 0: audio waveform must hold numbers"):
        AudioFeaturizer().fit(pd.Series([np.array(["a", "b"])], name="voice"))
