"""Media cells as the ecosystem hands them out decode as the file they hold would.

Paths, encoded bytes (as in an Arrow/parquet binary column, also as
bytearray or memoryview), Hugging Face ``datasets`` cells (``{"bytes",
"path"}``, ``{"array", "sampling_rate"}``, torchcodec's AudioDecoder),
PIL images, numpy arrays and torch tensors: ImageLoader, AudioFeaturizer and
VideoLoader give the same rows for each form of the same content, through
the same bounded, cached decoding, with errors naming column and row.
"""

import io
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from PIL import Image

from skmm.preprocessing import AudioFeaturizer, ImageLoader, VideoLoader, decode_cache
from skmm.preprocessing.decode_cache import DecodeCache


@pytest.fixture(autouse=True)
def _no_cache():
    with decode_cache.paused():
        yield


def _rows(values, name="media"):
    cells = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):  # a tuple, dict or array stays one cell
        cells[i] = value
    return pd.Series(cells, name=name)


# -- images ----------------------------------------------------------------------
def _picture():
    rng = np.random.RandomState(0)
    return (rng.rand(12, 10, 3) * 255).astype(np.uint8)


@pytest.fixture
def image_files(tmp_path):
    pixels = _picture()
    Image.fromarray(pixels).save(tmp_path / "a.png")
    Image.fromarray(pixels).save(tmp_path / "a.jpg", quality=90)
    return pixels, tmp_path / "a.png", tmp_path / "a.jpg"


def test_every_image_cell_form_decodes_as_the_file(image_files):
    pixels, png, jpg = image_files
    data = png.read_bytes()
    forms = [
        str(png), png, data, bytearray(data), memoryview(data), {"bytes": data, "path": None},
        {"bytes": None, "path": str(png)}, {"bytes": data, "path": "ignored-name.png"}, {"path": png},
        Image.open(png), pixels, torch.from_numpy(pixels),
    ]
    loader = ImageLoader(size=(12, 10), normalize=False)
    out = loader.fit_transform(_rows(forms))
    for i in range(1, len(forms)):
        np.testing.assert_array_equal(out[i], out[0], err_msg=f"form {i}: {type(forms[i]).__name__}")
    jpegs = loader.transform(_rows([str(jpg), jpg.read_bytes(), {"bytes": jpg.read_bytes(), "path": "x.jpg"}]))
    np.testing.assert_array_equal(jpegs[1], jpegs[0])
    np.testing.assert_array_equal(jpegs[2], jpegs[0])


def test_a_hugging_face_image_cell_with_neither_bytes_nor_path_is_missing(image_files):
    _, png, _ = image_files
    X = _rows([str(png), {"bytes": None, "path": None}, {"bytes": None, "path": str(png.parent / "gone.png")}])
    X.index = ["ok", "empty", "gone"]
    out, present = ImageLoader(size=(4, 4), on_missing="mask").fit_transform_with_presence(X)
    assert present.tolist() == [True, False, False] and np.isnan(out[1:]).all()
    with pytest.raises(ValueError, match=r"column 'media', row 'empty': the dict image cell holds neither bytes nor a path"):
        ImageLoader().fit(X)


@pytest.mark.parametrize("cell, error, match", [
    (b"\x89PNG\r\n\x1a\nbroken", ValueError, r"row 'b': cannot read image bytes \(14 bytes\) \(UnidentifiedImageError: not an image format Pillow reads\)"),
    ({"bytes": b"GIF89a??", "path": "cat.gif"}, ValueError, r"row 'b': cannot read image bytes of 'cat.gif' \(8 bytes\)"),
    ({"bytes": 12, "path": None}, TypeError, r"row 'b': the 'bytes' of a dict image cell must be bytes, got int"),
    ({"pixels": 1}, TypeError, r"row 'b': expected an image path, encoded bytes or a Hugging Face cell, got a dict with the keys \['pixels'\]"),
    (12.5, TypeError, r"row 'b': expected an image path, a PIL image or an array, got float"),
])
def test_bad_image_cells_name_column_and_row(image_files, cell, error, match):
    X = _rows([str(image_files[1]), cell], name="photo")
    X.index = ["a", "b"]
    with pytest.raises(error, match=r"column 'photo', " + match):
        ImageLoader().fit(X)


# -- audio -----------------------------------------------------------------------
def _pcm():
    t = np.arange(6000)
    return (np.sin(t / 9.0) * 12000).astype(np.int16)


@pytest.fixture
def audio_files(tmp_path):
    pcm = _pcm()
    sf.write(tmp_path / "a.wav", pcm, 8000, subtype="PCM_16")
    sf.write(tmp_path / "a.flac", pcm, 8000, subtype="PCM_16")
    sf.write(tmp_path / "a.ogg", pcm, 8000)
    return pcm, tmp_path


class _FakeAudioDecoder:
    """What torchcodec's AudioDecoder (Hugging Face datasets >= 4) exposes: get_all_samples()."""

    def __init__(self, wave, rate):
        self._samples = SimpleNamespace(data=torch.from_numpy(wave[None, :]), sample_rate=rate)

    def get_all_samples(self):
        return self._samples


def test_every_audio_cell_form_decodes_as_the_file(audio_files):
    pcm, folder = audio_files
    wav, flac = (folder / "a.wav").read_bytes(), (folder / "a.flac").read_bytes()
    wave = pcm.astype(np.float32) / 2**15
    forms = [
        str(folder / "a.wav"), folder / "a.wav", wav, bytearray(wav), memoryview(wav), flac, str(folder / "a.flac"),
        {"bytes": wav, "path": None}, {"bytes": None, "path": str(folder / "a.wav")}, {"bytes": flac, "path": "a.flac"},
        {"array": wave.astype(np.float64), "sampling_rate": 8000},
        {"path": "a.wav", "array": wave, "sampling_rate": np.int64(8000)},  # decoded: the array wins
        (wave, 8000), torch.from_numpy(wave), _FakeAudioDecoder(wave, 8000), pcm,
    ]
    out = AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128).fit_transform(_rows(forms))
    for i in range(1, len(forms)):
        np.testing.assert_allclose(out[i], out[0], atol=1e-5, err_msg=f"form {i}: {type(forms[i]).__name__}")


def test_audio_bytes_at_another_rate_are_resampled_as_the_file_is(audio_files):
    _, folder = audio_files
    ogg = (folder / "a.ogg").read_bytes()
    featurizer = AudioFeaturizer(sample_rate=16000, n_mels=16)
    out = featurizer.fit_transform(_rows([str(folder / "a.ogg"), ogg, {"bytes": ogg, "path": "a.ogg"}]))
    np.testing.assert_array_equal(out[1], out[0])
    np.testing.assert_array_equal(out[2], out[0])
    assert featurizer.max_frames_ == 1 + 12000 // 160  # 0.75 s at 16 kHz


@pytest.mark.parametrize("cell, error, match", [
    (b"RIFF\x00\x00\x00\x00WAVEjunk", ValueError, r"row 1: cannot read audio bytes \(16 bytes\)"),
    ({"array": np.zeros(10)}, TypeError, r"row 1: a dict audio cell with 'array' needs 'sampling_rate'"),
    ({"array": np.zeros(100), "sampling_rate": 3}, ValueError, r"row 1: the rate of a \(waveform, rate\) pair declares a sample rate of 3 Hz"),
    ({"wave": 1}, TypeError, r"row 1: expected an audio path, .*got a dict with the keys \['wave'\].*'array' and 'sampling_rate'"),
])
def test_bad_audio_cells_name_column_and_row(cell, error, match):
    with pytest.raises(error, match=r"column 'voice', " + match):
        AudioFeaturizer().fit(_rows([np.zeros(400, np.float32), cell], name="voice"))


# -- video -----------------------------------------------------------------------
@pytest.fixture
def video_file(tmp_path):
    av = pytest.importorskip("av")
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=8)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
        for i in range(6):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), 40 * i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_every_video_cell_form_decodes_as_the_file(video_file):
    data = video_file.read_bytes()
    forms = [str(video_file), video_file, data, memoryview(data), {"bytes": data, "path": None},
             {"bytes": None, "path": str(video_file)}, {"bytes": data, "path": "clip.mp4"}]
    loader = VideoLoader(n_frames=3, size=(8, 8), normalize=False)
    out = loader.fit_transform(_rows(forms))
    assert np.isfinite(out[0]).all() and out[0].std() > 0  # the frames differ in brightness
    for i in range(1, len(forms)):
        np.testing.assert_array_equal(out[i], out[0], err_msg=f"form {i}: {type(forms[i]).__name__}")
    with pytest.raises(ValueError, match=r"column 'media', row 1: cannot read video bytes \(9 bytes\)"):
        loader.transform(_rows([str(video_file), b"not video"]))


# -- the decode cache keys bytes by their content --------------------------------
def test_bytes_cells_are_cached_by_content(image_files, monkeypatch):
    _, png, jpg = image_files
    cache = DecodeCache(max_bytes=10_000_000)
    monkeypatch.setattr("skmm.preprocessing._prefetch.decode_cache", cache)
    data = png.read_bytes()
    same = [data, bytearray(data), {"bytes": data, "path": "name.png"}, memoryview(data)]
    X = _rows(same + [jpg.read_bytes()])
    ImageLoader(size=(4, 4), n_jobs=1).fit(X)
    assert cache.stats()["entries"] == 2  # one per distinct content, whatever the form
    assert cache.stats()["decodes"] == 2 and cache.stats()["hits"] == 3
    ImageLoader(size=(6, 6), n_jobs=1).fit(X)  # another candidate: no decoding
    assert cache.stats()["decodes"] == 2


def _aac_in_mp4(freq=440, rate=16000):
    av = pytest.importorskip("av")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=rate)
        t = np.arange(rate) / rate
        frame = av.AudioFrame.from_ndarray((np.sin(2 * np.pi * freq * t) * 0.3).astype(np.float32)[None], format="flt", layout="mono")
        frame.rate = rate
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return buffer.getvalue()


def test_audio_formats_libsndfile_lacks_are_read_with_pyav(tmp_path):
    from skmm.preprocessing._audio_io import decode_audio

    data = _aac_in_mp4()
    (tmp_path / "tone.m4a").write_bytes(data)
    for cell in (data, {"bytes": data, "path": "tone.m4a"}, str(tmp_path / "tone.m4a")):
        wave = decode_audio(cell, 8000)  # resampled to 8 kHz, as any file
        assert abs(len(wave) - 8000) < 1200  # AAC adds a priming delay
        spectrum = np.abs(np.fft.rfft(wave[1000:7000]))
        assert abs(np.argmax(spectrum) * 8000 / 6000 - 440) < 5
    assert len(decode_audio(data, 8000, max_samples=2000)) == 2000
    with pytest.raises(ValueError, match=r"column 'voice', row 0: cannot read audio bytes \(20 bytes\)"):
        AudioFeaturizer().fit(_rows([b"definitely not sound"], name="voice"))
