"""VideoLoader: decoding with PyAV, frame sampling, padding, missing and bad videos."""

import pickle

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image
from sklearn.base import clone

from skmm.preprocessing import ImageLoader, VideoLoader, decode_cache
from skmm.preprocessing._video_io import sample_indices

av = pytest.importorskip("av")


def write_video(path, n=10, rate=10, size=16, codec="mpeg4", gray=False, level=lambda i: 20 * i):
    """A tiny video whose frame i is uniformly ``level(i)`` (grey or reddish)."""
    pix_fmt = "gray" if gray else ("yuv444p" if codec == "ffv1" else "yuv420p")
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width = stream.height = size
        stream.pix_fmt = pix_fmt
        for i in range(n):
            image = np.full((size, size, 3), level(i), np.uint8)
            if not gray:
                image[..., 2] //= 2  # colour: blue at half the level
            frame = av.VideoFrame.from_ndarray(image[..., 0] if gray else image, format="gray" if gray else "rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


def first_pixel(out):
    """Value of each frame's first pixel in channel 0, in [0, 255] (normalize=False)."""
    return out[:, :, 0, 0, 0] * 255


@pytest.mark.parametrize("codec", ["mpeg4", "libx264", "ffv1"])
def test_frames_spread_evenly_and_short_videos_padded(tmp_path, codec):
    if codec not in av.codecs_available:
        pytest.skip(f"{codec} encoder not in this PyAV build")
    ext = "mkv" if codec == "ffv1" else "mp4"
    long = write_video(tmp_path / f"long.{ext}", n=10, codec=codec)
    short = write_video(tmp_path / f"short.{ext}", n=5, codec=codec)
    out = VideoLoader(n_frames=4, size=(8, 8), normalize=False).fit_transform([long, short])
    assert out.shape == (2, 4, 3, 8, 8) and out.dtype == np.float32
    # Middle frames of 4 equal segments of 10: 1, 3, 6, 8 (frame i is 20 * i).
    np.testing.assert_allclose(first_pixel(out)[0], [20, 60, 120, 160], atol=4)
    out = VideoLoader(n_frames=8, size=(8, 8), normalize=False).fit_transform([long, short])
    # The 5-frame video: all its frames, then NaN frames (every pixel).
    np.testing.assert_allclose(first_pixel(out)[1, :5], [0, 20, 40, 60, 80], atol=4)
    assert np.isnan(out[1, 5:]).all() and not np.isnan(out[1, :5]).any() and not np.isnan(out[0]).any()


def test_fps_sampling_repeats_or_skips_frames_and_pads_the_end(tmp_path):
    clip = write_video(tmp_path / "clip.mkv", n=10, rate=10, codec="ffv1")  # 1 second
    out = VideoLoader(n_frames=8, size=(4, 4), fps=5, normalize=False).fit_transform([clip])
    np.testing.assert_allclose(first_pixel(out)[0, :5], [0, 40, 80, 120, 160], atol=4)
    assert np.isnan(out[0, 5:]).all()  # the video ends after 1 s = 5 frames at 5 fps
    out = VideoLoader(n_frames=4, size=(4, 4), fps=20, normalize=False).fit_transform([clip])
    np.testing.assert_allclose(first_pixel(out)[0], [0, 0, 20, 20], atol=4)


def test_raw_stream_without_timestamps_uses_the_stream_rate(tmp_path):
    if "libx264" not in av.codecs_available:
        pytest.skip("libx264 encoder not in this PyAV build")
    path = str(tmp_path / "raw.h264")
    with av.open(path, "w", format="h264") as container:  # an elementary stream: no timestamps
        stream = container.add_stream("libx264", rate=10)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), 20 * i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    out = VideoLoader(n_frames=8, size=(4, 4), fps=5, normalize=False).fit_transform([path])
    np.testing.assert_allclose(first_pixel(out)[0, :5], [0, 40, 80, 120, 160], atol=4)
    assert np.isnan(out[0, 5:]).all()


def test_animated_gif_still_image_and_audio_file(tmp_path):
    frames = [Image.fromarray(np.full((10, 10), 40 * i, np.uint8)) for i in range(4)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    Image.fromarray(np.full((10, 10, 3), 200, np.uint8)).save(tmp_path / "still.png")
    paths = [str(tmp_path / "anim.gif"), str(tmp_path / "still.png")]
    out = VideoLoader(n_frames=4, size=(4, 4), normalize=False).fit_transform(paths)
    np.testing.assert_allclose(first_pixel(out)[0], [0, 40, 80, 120], atol=1)
    np.testing.assert_allclose(first_pixel(out)[1, :1], [200], atol=1)  # a still image: one frame
    assert np.isnan(out[1, 1:]).all()
    sf.write(tmp_path / "sound.wav", np.zeros(800, np.float32), 8000)
    with pytest.raises(ValueError, match=r"column 'clip', row 0: video file .*sound.wav' has no video stream"):
        VideoLoader().fit(pd.Series([str(tmp_path / "sound.wav")], name="clip"))


def test_sample_indices():
    times = np.arange(10) / 10
    assert sample_indices(times, 1.0, 4, None).tolist() == [1, 3, 6, 8]
    assert sample_indices(times, 1.0, 12, None).tolist() == list(range(10))
    assert sample_indices(times, 1.0, 8, 5).tolist() == [0, 2, 4, 6, 8]
    assert sample_indices(times, 1.0, 3, 2.5).tolist() == [0, 4, 8]


def test_arrays_and_rate_pairs_and_channels(tmp_path):
    grey = np.stack([np.full((6, 6), 10 * i, np.uint8) for i in range(10)])  # (T, H, W)
    colour = np.zeros((3, 6, 6, 3), np.float32)
    colour[..., 1] = 1.0
    loader = VideoLoader(n_frames=5, size=(6, 6), fps=5, normalize=False)
    out = loader.fit_transform([grey, (grey, 10), colour])
    assert loader.channels_ == 3 and out.shape == (3, 5, 3, 6, 6)
    # A bare array is at fps already; a (frames, 10) pair is resampled to 5 fps.
    np.testing.assert_allclose(first_pixel(out)[0], [0, 10, 20, 30, 40], atol=1e-3)
    np.testing.assert_allclose(first_pixel(out)[1], [0, 20, 40, 60, 80], atol=1e-3)
    assert np.isnan(out[2, 3:]).all() and np.allclose(out[2, :3, 1], 1.0)
    grey_only = VideoLoader(n_frames=2, size=(6, 6)).fit([grey])
    assert grey_only.channels_ == 1
    assert grey_only.transform([colour]).shape == (1, 2, 1, 6, 6)
    gray_file = write_video(tmp_path / "grey.mkv", n=4, codec="ffv1", gray=True)
    assert VideoLoader(n_frames=2, size=(6, 6)).fit([gray_file]).channels_ == 1


def test_standardised_per_channel_over_real_frames_only(tmp_path):
    rng = np.random.RandomState(0)
    videos = [rng.randint(0, 256, (t, 8, 8, 3)).astype(np.uint8) for t in (6, 3, 8)]
    loader = VideoLoader(n_frames=6, size=(8, 8))
    out = loader.fit_transform(videos)
    real = out[~np.isnan(out[:, :, 0, 0, 0])]  # (frames, C, H, W)
    np.testing.assert_allclose(real.mean(axis=(0, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(real.std(axis=(0, 2, 3)), 1, atol=1e-3)
    np.testing.assert_allclose(loader.transform(videos), out, atol=1e-6, equal_nan=True)


def test_missing_videos_absent_under_mask_else_named(tmp_path):
    clip = write_video(tmp_path / "clip.mp4", n=4)
    X = pd.Series([clip, None, str(tmp_path / "gone.mp4")], index=["a", "b", "c"], name="clip")
    out = VideoLoader(n_frames=3, size=(4, 4), on_missing="mask").fit_transform(X)
    assert not np.isnan(out[0]).any() and np.isnan(out[1:]).all()
    with pytest.raises(ValueError, match=r"column 'clip', row 'b': video is missing"):
        VideoLoader().fit(X)
    with pytest.raises(ValueError, match=r"column 'clip', row 'c': video file .*gone.mp4' does not exist"):
        VideoLoader().fit(X.drop("b"))
    with pytest.raises(ValueError, match=r"column 'clip': every video is missing"):
        VideoLoader(on_missing="mask").fit(X.iloc[1:])


def test_bad_values_named_with_column_row_and_file(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    with pytest.raises(ValueError, match=r"column 'clip', row 7: cannot read video file .*bad.mp4"):
        VideoLoader().fit(pd.Series([str(bad)], index=[7], name="clip"))
    image_file = tmp_path / "still.txt"
    image_file.write_text("hello")
    with pytest.raises(ValueError, match=r"row 0: cannot read video file .*still.txt"):
        VideoLoader(on_missing="mask").fit(pd.Series([str(image_file)], name="clip"))
    with pytest.raises(TypeError, match=r"column 'clip', row 1: expected a video path, a frames array .* got int"):
        VideoLoader().fit(pd.Series([np.zeros((2, 3, 3)), 5], name="clip"))
    with pytest.raises(ValueError, match=r"row 0: video frames must have shape \(frames, H, W\)"):
        VideoLoader().fit(pd.Series([np.zeros((3, 3))], name="clip"))
    with pytest.raises(ValueError, match=r"row 0: video frame 1: the image array holds NaN"):
        VideoLoader(n_frames=2).fit(pd.Series([np.array([np.zeros((3, 3)), np.full((3, 3), np.nan)])], name="clip"))
    with pytest.raises(ValueError, match=r"rate of a \(frames, rate\) pair"):
        VideoLoader().fit(pd.Series([(np.zeros((2, 3, 3)), 0)], name="clip"))


@pytest.mark.parametrize("params, match", [
    ({"n_frames": 0}, "n_frames"), ({"fps": -1}, "fps"), ({"size": (4,)}, "size"), ({"on_missing": "x"}, "on_missing"),
])
def test_bad_params_raise_in_fit(params, match):
    loader = VideoLoader(**params)  # stored, not checked
    with pytest.raises(ValueError, match=match):
        loader.fit([np.zeros((2, 3, 3))])


def test_decoded_once_through_the_cache_and_frame_unchanged(tmp_path):
    decode_cache.clear()
    X = pd.DataFrame({"clip": [write_video(tmp_path / f"{i}.mp4", n=6) for i in range(3)]})
    before = X.copy()
    loader = VideoLoader(n_frames=4, size=(8, 8))
    out = loader.fit_transform(X["clip"])
    np.testing.assert_array_equal(loader.transform(X["clip"]), out)
    assert decode_cache.stats()["decodes"] == 3 and decode_cache.stats()["hits"] == 3
    pd.testing.assert_frame_equal(X, before)


def test_threads_give_the_serial_output(tmp_path):
    paths = [write_video(tmp_path / f"{i}.mp4", n=4 + i) for i in range(5)] + [None]
    decode_cache.clear()
    serial = VideoLoader(n_frames=6, size=(8, 8), on_missing="mask", n_jobs=1).fit_transform(paths)
    decode_cache.clear()
    threaded = VideoLoader(n_frames=6, size=(8, 8), on_missing="mask", n_jobs=3).fit_transform(paths)
    np.testing.assert_array_equal(threaded, serial)
    with pytest.raises(ValueError, match="n_jobs"):
        VideoLoader(n_jobs=0).fit(paths)


def test_clone_and_pickle_round_trip():
    videos = [np.random.RandomState(i).randint(0, 255, (5, 6, 6, 3)).astype(np.uint8) for i in range(3)]
    loader = VideoLoader(n_frames=3, size=(4, 4), fps=12.5).fit(videos)
    assert clone(loader).get_params() == loader.get_params()
    assert not hasattr(clone(loader), "mean_")
    again = pickle.loads(pickle.dumps(loader))
    np.testing.assert_array_equal(again.transform(videos), loader.transform(videos))


def test_is_an_image_loader_of_frames():
    # One frame per video gives ImageLoader's output exactly.
    rng = np.random.RandomState(0)
    images = [rng.randint(0, 255, (7, 9, 3)).astype(np.uint8) for _ in range(4)]
    video = VideoLoader(n_frames=1, size=(5, 5)).fit_transform([im[None] for im in images])
    np.testing.assert_allclose(video[:, 0], ImageLoader(size=(5, 5)).fit_transform(images), atol=1e-6)


def test_safe_format_checks_what_it_rebuilds():
    from skmm.persistence import params_file as persistence

    videos = [np.zeros((3, 4, 4), np.uint8), np.ones((2, 4, 4), np.uint8)]
    plain = persistence.to_plain(VideoLoader(n_frames=2, size=(4, 4)).fit(videos))
    loaded = persistence.from_plain(plain)
    np.testing.assert_array_equal(loaded.transform(videos), VideoLoader(n_frames=2, size=(4, 4)).fit_transform(videos))
    bad_param = {**plain, "params": {**plain["params"], "n_frames": 0}}
    with pytest.raises(persistence.UnsafeFileError, match=r"'n_frames' parameter of VideoLoader must be an int in the range \[1, inf\)"):
        persistence.from_plain(bad_param)
    bad_channels = {**plain, "fitted": {**plain["fitted"], "channels_": 2}}
    with pytest.raises(persistence.UnsafeFileError, match="channels_ must be 1 or 3"):
        persistence.from_plain(bad_channels)
