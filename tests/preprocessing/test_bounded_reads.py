"""Every file skmm reads is bounded: regular files only, within a cap, named when refused.

Devices that never end (``/dev/zero``, ``/dev/urandom`` behind a symbolic
link), FIFOs that would block for ever, and regular files over the cap (a
small cap set through ``file_limits.override``, not gigabytes on disk) are
refused with a ValueError naming the file, before they are read.
"""

import io
import os
import signal
import wave
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer, VideoLoader, decode_cache, file_limits
from skmm.pretrained import files as _pretrained_files
from skmm.utils.bounded import FileTooLargeError, open_bounded, read_bounded

FAST = dict(max_epochs=1, batch_size=16, hidden_size=8, random_state=0, verbose=0)


@pytest.fixture(autouse=True)
def _no_cache():
    with decode_cache.paused():
        yield


@contextmanager
def _within(seconds=10):
    """Fail (rather than hang) if the block takes longer than ``seconds``: a FIFO must not block."""

    def expired(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _urandom_link(tmp_path, name):
    path = tmp_path / name
    os.symlink("/dev/urandom", path)
    return path


def _fifo(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    return path


def _frame(n=12):
    y = np.arange(n) % 2
    return pd.DataFrame({"text": [["red thing", "blue thing"][c] for c in y]}), y


def _fitted():
    X, y = _frame()
    prep = ModalityTransformer([("text", TextSequencer(max_len=3), "text")])
    return MultimodalClassifier(prep, **FAST).fit(X, y), prep


# -- params files --------------------------------------------------------------
SPECIALS = [
    (lambda p: _urandom_link(p, "urandom.pt"), r"params path '.*urandom.pt' is not a regular file \(a character device\)"),
    (lambda p: "/dev/zero", r"params path '/dev/zero' is not a regular file \(a character device\)"),
    (lambda p: _fifo(p, "pipe.pt"), r"params path '.*pipe.pt' is not a regular file \(a FIFO\)"),
    (lambda p: p, r"params path '.*' is a directory, not a file"),
]


@pytest.mark.parametrize("make, match", SPECIALS)
def test_load_params_refuses_devices_fifos_and_folders_at_once(tmp_path, make, match):
    _, prep = _fitted()
    target = MultimodalClassifier(prep, **FAST)
    with _within(), pytest.raises(ValueError, match=match + r"; nothing was loaded"):
        target.load_params(make(tmp_path))
    assert not hasattr(target, "net_")


def test_an_open_device_handed_as_a_file_object_is_refused(tmp_path):
    _, prep = _fitted()
    with open("/dev/zero", "rb") as f, _within(), pytest.raises(
        ValueError, match=r"the params file object is not a regular file \(a character device\)"
    ):
        MultimodalClassifier(prep, **FAST).load_params(f)


def test_a_params_file_over_the_cap_is_refused_before_it_is_read(tmp_path):
    clf, prep = _fitted()
    path = tmp_path / "clf.pt"
    clf.save_params(path)
    size = path.stat().st_size
    with file_limits.override(params=size - 1), pytest.raises(
        ValueError, match=rf"params file '.*clf.pt' is {size:,} bytes, over the {size - 1:,}-byte cap .*file_limits.params"
    ):
        MultimodalClassifier(prep, **FAST).load_params(path)
    with file_limits.override(params=size):  # at the cap: read
        loaded = MultimodalClassifier(prep, **FAST).load_params(path)
    X, _ = _frame()
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path):
    path = tmp_path / "growing.bin"
    path.write_bytes(b"x" * 100)
    with file_limits.override(data=150), pytest.raises(FileTooLargeError, match=r"growing.bin' holds more than the 150-byte cap"):
        with open_bounded(path, "data") as f:
            with open(path, "ab") as more:  # grows after the size check
                more.write(b"y" * 100)
            f.read()
    with file_limits.override(data=200):
        assert read_bounded(path, "data") == b"x" * 100 + b"y" * 100


def test_a_decoder_that_swallows_the_cap_error_still_gets_it(tmp_path):
    path = tmp_path / "growing.bin"
    path.write_bytes(b"x" * 10)
    with file_limits.override(data=20), pytest.raises(FileTooLargeError, match="growing.bin"):
        with open_bounded(path, "data") as f:
            path.write_bytes(b"x" * 50)
            try:
                f.read()
            except FileTooLargeError:
                pass  # as a C decoder's read callback would: taken for the end of the file


# -- checkpoints, pretrained weights, ONNX models -------------------------------
@pytest.mark.parametrize("make", [lambda p: _urandom_link(p, "checkpoint.pt"), lambda p: _fifo(p, "checkpoint.pt")])
def test_a_checkpoint_that_is_a_device_or_fifo_is_refused_naming_it(tmp_path, make):
    make(tmp_path)
    X, y = _frame()
    prep = ModalityTransformer([("text", TextSequencer(max_len=3), "text")])
    with _within(), pytest.raises(ValueError, match=r"checkpoint path '.*checkpoint.pt' is not a regular file .*delete"):
        MultimodalClassifier(prep, checkpoint_dir=tmp_path, **FAST).fit(X, y)


def test_a_checkpoint_over_its_cap_is_refused(tmp_path):
    X, y = _frame()
    prep = ModalityTransformer([("text", TextSequencer(max_len=3), "text")])
    MultimodalClassifier(prep, checkpoint_dir=tmp_path, **FAST).fit(X, y)
    with file_limits.override(checkpoint=100), pytest.raises(ValueError, match=r"checkpoint file '.*checkpoint.pt' is .* bytes, over the 100-byte cap"):
        MultimodalClassifier(prep, checkpoint_dir=tmp_path, **{**FAST, "max_epochs": 2}).fit(X, y)


@pytest.mark.parametrize("name", ["weights.pt", "weights.safetensors"])
def test_pretrained_weights_files_are_bounded(tmp_path, name):
    link = _urandom_link(tmp_path, name)
    with _within(), pytest.raises(ValueError, match=rf"weights path '.*{name}' is not a regular file"):
        _pretrained_files.read_weights(link)
    fifo = _fifo(tmp_path, "pipe-" + name)
    with _within(), pytest.raises(ValueError, match=r"is not a regular file \(a FIFO\)"):
        _pretrained_files.read_weights(fifo)


def test_pretrained_weights_read_within_the_cap(tmp_path):
    import torch

    torch.save({"w": torch.ones(3)}, tmp_path / "w.pt")
    assert torch.equal(_pretrained_files.read_weights(tmp_path / "w.pt")["w"], torch.ones(3))
    with file_limits.override(weights=10), pytest.raises(ValueError, match=r"weights file '.*w.pt' is .* over the 10-byte cap"):
        _pretrained_files.read_weights(tmp_path / "w.pt")


def test_an_onnx_model_path_is_bounded(tmp_path):
    pytest.importorskip("onnxruntime")
    from skmm.export import OnnxModel

    with _within(), pytest.raises(ValueError, match=r"ONNX model path '.*model.onnx' is not a regular file \(a FIFO\)"):
        OnnxModel(_fifo(tmp_path, "model.onnx"))
    (tmp_path / "big.onnx").write_bytes(b"\0" * 1000)
    with file_limits.override(model=999), pytest.raises(ValueError, match=r"ONNX model file '.*big.onnx' is 1,000 bytes"):
        OnnxModel(tmp_path / "big.onnx")


# -- media files ----------------------------------------------------------------
def _png(path):
    Image.new("RGB", (8, 8), (10, 200, 30)).save(path)
    return path


def _wav(path):
    sf.write(path, np.sin(np.arange(8000) / 7).astype(np.float32) * 0.3, 8000)
    return path


def _video(path):
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=8)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for i in range(4):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), 60 * i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


LOADERS = [
    ("image", lambda: ImageLoader(size=(8, 8)), _png, "photo.png"),
    ("audio", lambda: AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=128, hop_length=64), _wav, "voice.wav"),
    ("video", lambda: VideoLoader(n_frames=2, size=(8, 8)), _video, "clip.mp4"),
]


@pytest.mark.parametrize("kind, make_loader, write, name", LOADERS)
@pytest.mark.parametrize("special", ["urandom", "fifo"])
def test_media_devices_and_fifos_are_refused_naming_column_and_row(tmp_path, kind, make_loader, write, name, special):
    good = write(tmp_path / name)
    bad = _urandom_link(tmp_path, "bad-" + name) if special == "urandom" else _fifo(tmp_path, "bad-" + name)
    X = pd.Series([str(good), str(bad)], index=["ok", "bad"], name="media")
    kind_of = r"a character device" if special == "urandom" else r"a FIFO"
    for on_missing in ("error", "mask"):
        with _within(), pytest.raises(ValueError, match=rf"column 'media', row 'bad': {kind} path .*bad-{name}' is not a regular file \({kind_of}\)"):
            make_loader().set_params(on_missing=on_missing).fit(X)


@pytest.mark.parametrize("kind, make_loader, write, name", LOADERS)
def test_media_files_over_the_cap_are_refused_and_within_it_read(tmp_path, kind, make_loader, write, name):
    path = write(tmp_path / name)
    size = path.stat().st_size
    X = pd.Series([str(path)], index=["r"], name="media")
    with file_limits.override(**{kind: size - 1}), pytest.raises(
        ValueError, match=rf"column 'media', row 'r': {kind} file '.*{name}' is {size:,} bytes, over the {size - 1:,}-byte cap"
    ):
        make_loader().fit(X)
    with file_limits.override(**{kind: size}):
        assert np.isfinite(make_loader().fit_transform(X)).any()


@pytest.mark.parametrize("kind, make_loader, write, name", LOADERS)
def test_encoded_bytes_cells_are_held_to_the_same_cap(tmp_path, kind, make_loader, write, name):
    data = write(tmp_path / name).read_bytes()
    X = pd.Series([data], name="media")
    with file_limits.override(**{kind: len(data) - 1}), pytest.raises(
        ValueError, match=rf"column 'media', row 0: {kind} bytes \({len(data):,} bytes\) is {len(data):,} bytes, over"
    ):
        make_loader().fit(X)


def test_a_decompression_bomb_in_bytes_names_column_and_row(tmp_path, monkeypatch):
    buffer = io.BytesIO()
    Image.new("L", (200, 200)).save(buffer, format="PNG")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match=r"column 'photo', row 'r': image bytes \(.* bytes\) is too large to decode safely .*MAX_IMAGE_PIXELS"):
        ImageLoader().fit(pd.Series([buffer.getvalue()], index=["r"], name="photo"))


def test_a_wav_header_claiming_more_than_the_file_holds_is_read_safely(tmp_path):
    path = tmp_path / "liar.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(800, np.int16).tobytes())
    data = bytearray(path.read_bytes())
    data[40:44] = (2**31 - 1).to_bytes(4, "little")  # the data chunk claims 2 GiB
    path.write_bytes(bytes(data))
    out = AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=128, hop_length=64).fit_transform([str(path)])
    assert out.shape[1] <= 1 + 800 // 64 + 1  # what the file holds, not what it claims


def test_warm_start_from_a_device_is_refused_naming_it(tmp_path):
    X, y = _frame()
    prep = ModalityTransformer([("text", TextSequencer(max_len=3), "text")])
    link = _urandom_link(tmp_path, "source.pt")
    with _within(), pytest.raises(ValueError, match=r"params path '.*source.pt' is not a regular file \(a character device\)"):
        MultimodalClassifier(prep, warm_start_from=str(link), **FAST).fit(X, y)


@pytest.mark.parametrize("kind, name, gib", [("image", "huge.png", 1), ("params", "huge.pt", 5)])
def test_the_default_caps_refuse_a_huge_sparse_file_without_reading_it(tmp_path, kind, name, gib):
    path = tmp_path / name
    with open(path, "wb") as f:
        f.truncate(gib * 2**30)  # sparse: no disk used, but stat says gib GiB
    if kind == "image":
        with _within(), pytest.raises(ValueError, match=rf"row 0: image file '.*{name}' is {gib * 2**30:,} bytes, over the {256 * 2**20:,}-byte cap"):
            ImageLoader().fit(pd.Series([str(path)], name="photo"))
    else:
        _, prep = _fitted()
        with _within(), pytest.raises(ValueError, match=rf"params file '.*{name}' is {gib * 2**30:,} bytes, over the {4 * 2**30:,}-byte cap"):
            MultimodalClassifier(prep, **FAST).load_params(path)
