import numpy as np
import pandas as pd
import pytest
from PIL import Image

from skmm.preprocessing import ImageLoader


def _save(tmp_path, name, img):
    path = tmp_path / name
    img.save(path)
    return str(path)


def test_paths_pil_and_arrays_of_any_size_and_mode(tmp_path):
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 0] = 255
    values = [
        _save(tmp_path, "gray.png", Image.fromarray(np.full((10, 10), 128, np.uint8), "L")),
        _save(tmp_path, "rgba.png", Image.new("RGBA", (7, 9), (0, 0, 0, 0))),
        _save(tmp_path, "deep.png", Image.fromarray(np.full((8, 8), 65535, np.uint16))),
        Image.fromarray(rgb),
        np.ones((5, 5), np.float32),
        Image.new("P", (6, 6)),
    ]
    out = ImageLoader(size=(12, 16), normalize=False).fit_transform(values)
    assert out.shape == (6, 3, 12, 16) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], 128 / 255, atol=1e-6)  # grey -> equal RGB
    np.testing.assert_allclose(out[1], 1.0, atol=1e-6)  # transparent -> white
    np.testing.assert_allclose(out[2], 1.0, atol=1e-6)  # 16-bit full scale
    np.testing.assert_allclose(out[3, 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(out[3, 1:], 0.0, atol=1e-6)


def test_channels_learned_from_training_images():
    gray = [np.zeros((4, 4), np.uint8)] * 2
    assert ImageLoader(size=(4, 4)).fit(gray).channels_ == 1
    assert ImageLoader(size=(4, 4)).fit(gray + [np.zeros((4, 4, 3), np.uint8)]).channels_ == 3
    # A colour image at transform is converted to the fitted single channel.
    loader = ImageLoader(size=(4, 4), normalize=False).fit(gray)
    colour = np.zeros((4, 4, 3), np.uint8)
    colour[..., 1] = 255
    np.testing.assert_allclose(loader.transform([colour]), 0.587, atol=1e-3)


def test_standardised_with_training_statistics():
    rng = np.random.RandomState(0)
    images = [rng.randint(0, 256, (6, 6)).astype(np.uint8) for _ in range(20)]
    loader = ImageLoader(size=(6, 6))
    out = loader.fit_transform(images)
    assert abs(out.mean()) < 1e-4 and abs(out.std() - 1) < 1e-3
    np.testing.assert_allclose(loader.transform(images), out, atol=1e-6)


def test_missing_file_names_column_row_and_path(tmp_path):
    X = pd.Series([str(tmp_path / "nope.png")], index=["r7"], name="photo")
    with pytest.raises(ValueError, match=r"column 'photo', row 'r7': image file .*nope.png' does not exist"):
        ImageLoader().fit(X)


def test_corrupt_file_names_path(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match=r"row 0: cannot read image file .*bad.png"):
        ImageLoader().fit(pd.Series([str(bad)], name="photo"))


def test_wrong_kind_in_column():
    with pytest.raises(TypeError, match=r"column 'photo', row 1: expected an image path, a PIL image or an array, got int"):
        ImageLoader().fit(pd.Series([np.zeros((3, 3)), 5], name="photo"))
    with pytest.raises(ValueError, match="row 0: image is missing"):
        ImageLoader().fit(pd.Series([None], name="photo"))


def test_bad_size_param():
    with pytest.raises(ValueError, match="size"):
        ImageLoader(size=(0, 3)).fit([np.zeros((3, 3))])
