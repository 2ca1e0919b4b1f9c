"""Decode one image cell (path, encoded bytes, PIL image, array...) with Pillow."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..compose._columns import MediaError, MediaTypeError
from ..utils.bounded import FileTooLargeError
from ._media_cells import Encoded, media_cell, open_media

# Float images are taken to be in [0, 1]; beyond this slack they are refused.
_FLOAT_SLACK = 1e-3


def _check_float_range(arr, what):
    """Refuse floats outside [0, 1] (e.g. 0..255 values held as floats)."""
    if arr.size == 0:
        return
    low, high = float(arr.min()), float(arr.max())
    if low < -_FLOAT_SLACK or high > 1 + _FLOAT_SLACK:
        raise MediaError(
            f"{what} holds floats from {low:g} to {high:g}, but float images must be in [0, 1]; "
            "divide 0..255 values by 255 (or pass uint8 arrays)"
        )

# ITU-R 601 luma, as Pillow's own "RGB" -> "L" conversion.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _pil_to_float(img):
    """PIL image -> float32 (H, W, C) in [0, 1], C in (1, 3)."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return (np.asarray(img, dtype=np.float32) / 65535.0)[..., None]
    if mode == "I":
        # 32-bit integer images come from 16-bit files in some Pillow versions.
        arr = np.asarray(img, dtype=np.float32)
        return (arr / (65535.0 if arr.max(initial=0) > 255 else 255.0))[..., None]
    if mode == "F":
        arr = np.asarray(img, dtype=np.float32)
        _check_float_range(arr, "the float image")
        return arr[..., None]
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        # Transparent pixels are shown on white, as an image viewer does.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba).convert("RGB")
    elif mode == "1":
        img = img.convert("L")
    elif mode not in ("L", "RGB"):  # converting to its own mode would only copy
        img = img.convert("RGB")
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return arr if arr.ndim == 3 else arr[..., None]


def _array_to_float(arr):
    """Array (H, W) or (H, W, C) -> float32 (H, W, C) in [0, 1]."""
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4):
        raise MediaError(
            f"an image array must have shape (H, W) or (H, W, C) with C in "
            f"1, 3, 4; got shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise MediaError(f"the image array is empty (shape {arr.shape})")
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        arr = arr.astype(np.float32) / 65535.0
    elif arr.dtype == np.bool_:
        arr = arr.astype(np.float32)
    elif np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float32)
        if not np.isfinite(arr).all():
            raise MediaError("the image array holds NaN or infinite values")
        _check_float_range(arr, "the image array")
    else:
        raise MediaError(
            f"image arrays must be uint8, uint16, bool or float in [0, 1]; got {arr.dtype}"
        )
    if arr.shape[-1] == 4:
        alpha = arr[..., 3:]
        arr = arr[..., :3] * alpha + (1.0 - alpha)
    return arr


def decode_image(value):
    """Decode an image cell (see :mod:`._media_cells`) to float32 (H, W, C) in [0, 1].

    Files and encoded bytes are read under the image cap
    (:data:`~skmm.preprocessing.file_limits`) and decoded with Pillow.

    Raises
    ------
    MediaError
        With a message that names the file or the problem.
    """
    value = media_cell(value, "image")
    if isinstance(value, (str, Encoded)):
        with open_media(value, "image") as (f, what):
            return _decode_encoded(f, what)
    if isinstance(value, Image.Image):
        return _pil_to_float(value)
    if isinstance(value, np.ndarray):
        return _array_to_float(value)
    raise MediaTypeError(
        f"expected an image path, a PIL image or an array, got {type(value).__name__} "
        "(encoded image bytes and {'bytes', 'path'} dicts are taken too)"
    )


def _decode_encoded(f, what):
    """Pillow on an open binary file of an encoded image; ``what`` names it in errors."""
    try:
        with Image.open(f) as img:
            img.load()
            return _pil_to_float(img)
    except FileTooLargeError:
        raise
    except MediaError as exc:
        raise MediaError(f"{what}: {exc}") from None
    except Image.DecompressionBombError as exc:
        raise MediaError(
            f"{what} is too large to decode safely ({exc}); raise "
            "PIL.Image.MAX_IMAGE_PIXELS if you trust it"
        ) from None
    except MemoryError:
        raise MediaError(f"{what} is too large to decode in memory") from None
    except Image.UnidentifiedImageError:  # its own message names a BytesIO for bytes
        raise MediaError(f"cannot read {what} (UnidentifiedImageError: not an image format Pillow reads)") from None
    except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise many types on bad files
        raise MediaError(f"cannot read {what} ({type(exc).__name__}: {exc})") from None


def resize(image, size):
    """Resize float (H, W, C) to ``size`` = (height, width), channel by channel.

    Pillow's "F" mode keeps float precision and its resize antialiases when
    shrinking.
    """
    height, width = size
    if image.shape[:2] == (height, width):
        return image
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(image[..., c])).resize(
                (width, height), Image.BILINEAR
            )
        )
        for c in range(image.shape[-1])
    ]
    return np.stack(channels, axis=-1)


def to_channels(image, channels):
    """Convert float (H, W, C) to ``channels`` (1 or 3) channels."""
    have = image.shape[-1]
    if have == channels:
        return image
    if channels == 1:
        return image @ _LUMA[:, None]
    return np.repeat(image, 3, axis=-1)
