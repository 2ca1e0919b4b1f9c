import os

import numpy as np
import pytest
from PIL import Image

from skmm.preprocessing import AudioFeaturizer, ImageLoader, decode_cache
from skmm.preprocessing.decode_cache import DecodeCache


@pytest.fixture(autouse=True)
def fresh_cache():
    budget = decode_cache.max_bytes
    decode_cache.clear()
    yield
    decode_cache.max_bytes = budget
    decode_cache.clear()


def test_each_file_is_decoded_once_across_refits(frame):
    X, _ = frame
    n = len(X)
    for size in [(8, 8), (12, 12), (8, 8)]:  # candidates that differ after decoding
        ImageLoader(size=size).fit(X["image"]).transform(X["image"])
    assert decode_cache.stats()["decodes"] == n
    assert decode_cache.stats()["hits"] == 5 * n
    AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=128, hop_length=64).fit(X["audio"])
    AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128).fit(X["audio"])
    assert decode_cache.stats()["decodes"] == 2 * n  # one more per audio file, shared by both
    AudioFeaturizer(sample_rate=16000, n_mels=8).fit(X["audio"])
    assert decode_cache.stats()["decodes"] == 3 * n  # another rate is another decoding


def test_cached_and_uncached_outputs_are_equal(frame):
    X, _ = frame
    cold = ImageLoader(size=(10, 10)).fit_transform(X["image"])
    warm = ImageLoader(size=(10, 10)).fit_transform(X["image"])
    decode_cache.max_bytes = 0
    off = ImageLoader(size=(10, 10)).fit_transform(X["image"])
    np.testing.assert_array_equal(cold, warm)
    np.testing.assert_array_equal(cold, off)


def test_an_edited_file_is_decoded_again(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
    first = ImageLoader(size=(4, 4), normalize=False).fit_transform([str(path)])
    Image.fromarray(np.full((4, 4), 255, np.uint8)).save(path)
    os.utime(path, ns=(1, 10**18))  # a different modification time, whatever the clock
    second = ImageLoader(size=(4, 4), normalize=False).fit_transform([str(path)])
    assert first.max() == 0 and second.min() == 1
    assert decode_cache.stats()["decodes"] == 2


def test_budget_evicts_least_recently_used():
    cache = DecodeCache(max_bytes=2 * 8 * 10)
    decode = lambda path, setting: np.zeros(10)  # 80 bytes each
    here = os.path.abspath(__file__)
    # Settings 1, 2, 1, 3: setting 2 is the least recently used when 3 arrives.
    cache.get(here, decode, 1)
    cache.get(here, decode, 2)
    cache.get(here, decode, 1)
    cache.get(here, decode, 3)
    stats = cache.stats()
    assert stats == {"decodes": 3, "hits": 1, "entries": 2, "bytes": 160}
    cache.get(here, decode, 2)  # evicted: decoded again
    assert cache.stats()["decodes"] == 4
    out = cache.get(here, decode, 2)
    assert not out.flags.writeable  # shared arrays are read-only


def test_values_that_are_not_files_are_not_kept():
    cache = DecodeCache(max_bytes=10**6)
    cache.get(np.ones(3), lambda v: v * 2)
    cache.get("/no/such/file.png", lambda v: np.zeros(1))
    assert cache.stats() == {"decodes": 2, "hits": 0, "entries": 0, "bytes": 0}
