"""AV-Digits motion: each digit's pen trajectory and a video of it being drawn.

Both start from the sample's source image (the 8x8 scikit-learn digit behind
its image column): the inked pixels are visited in a greedy nearest-neighbour
order from the top (a crude, deterministic stroke order; jumps longer than a
diagonal step lift the pen), placed on a 28x28 canvas in the style of the
sample's writer (slant, rotation, size, speed, start side) and resampled at
the writer's speed. From that clean path:

* the **trajectory** is the path as a tablet would record it: drift, jitter,
  tremor, lost chunks, a late start or early stop, flipped pen flags;
* the **video** shows the path drawn progressively while the canvas moves,
  with pixel noise, flicker, frozen frames and a moving occluder.

The two share the writer and the source (like the image) but are corrupted
independently. Everything is drawn from generators seeded by
``(seed, _STREAM, part)``, separate from the streams of the image, audio and text,
which therefore stay exactly as they were.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._av_media import IMAGE_SIZE, N_WRITERS, _digit_images

N_FRAMES = 12
VIDEO_RATE = 12  # frames per second: every video lasts 1 s
_STREAM = 0x6D6F74  # "mot": the motion generator's own stream
_INK = 0.3  # an 8x8 pixel above this (of 1) is part of a stroke
_SUBDIV = 4  # splatted points per trajectory step when rendering frames
_CHUNK = 256  # samples rendered at once (bounds memory)


def motion_rng(seed, part):
    """Stream ``part`` (0 paths, 1 trajectories, 2 videos) of the motion generator."""
    return np.random.default_rng([int(seed), _STREAM, int(part)])


def _writer_motion(rng):
    """Per-writer pen habits (kept at ``noise=0``: they are not corruption)."""
    return {
        "start_right": rng.random(N_WRITERS) < 0.3,
        "step": rng.uniform(1.4, 2.6, N_WRITERS),  # canvas pixels per time step
        "rotation": np.deg2rad(rng.uniform(-15, 15, N_WRITERS)),
        "shear": rng.uniform(-0.3, 0.3, N_WRITERS),
        "scale": rng.uniform(0.85, 1.1, N_WRITERS),
        "tremor": rng.uniform(0.0, 0.5, N_WRITERS),
    }


@functools.lru_cache(maxsize=4096)
def _stroke_order(source, start_right):
    """Inked pixels of source image ``source`` as (x, y) in drawing order, pen-down per move."""
    rows, cols = np.nonzero(_digit_images()[0][source] > _INK)
    if len(rows) == 0:  # pragma: no cover - every sklearn digit has ink
        rows, cols = np.array([3]), np.array([3])
    pts = np.stack([cols, rows], axis=1).astype(np.float64)
    key = rows * 16 + (15 - cols if start_right else cols)
    left = np.ones(len(pts), dtype=bool)
    order = [int(np.argmin(key))]
    left[order[0]] = False
    for _ in range(len(pts) - 1):
        d = np.sum((pts - pts[order[-1]]) ** 2, axis=1)
        d[~left] = np.inf
        order.append(int(np.argmin(d)))
        left[order[-1]] = False
    pts = pts[order]
    pen = np.sum(np.diff(pts, axis=0) ** 2, axis=1) <= 2.0 + 1e-9
    return pts, pen


def _resample(pts, pen, step):
    """Points every ``step`` along the polyline; pen flag 0 on pen-up jumps."""
    seg = np.sqrt(np.sum(np.diff(pts, axis=0) ** 2, axis=1))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    length = cum[-1]
    n = int(np.clip(round(length / step) + 1, 12, 96))
    u = np.linspace(0.0, length, n)
    if len(seg) == 0 or length == 0:
        return np.repeat(pts[:1], n, axis=0), np.ones(n)
    x = np.interp(u, cum, pts[:, 0])
    y = np.interp(u, cum, pts[:, 1])
    i = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(seg) - 1)
    at_vertex = np.isclose(u, cum[i]) | np.isclose(u, cum[i + 1])
    down = np.where(at_vertex, 1.0, pen[i].astype(np.float64))
    return np.stack([x, y], axis=1), down


def clean_paths(rng, sources, writers):
    """Each sample's pen path on the 28x28 canvas: list of (xy (T, 2), pen (T,))."""
    style = _writer_motion(rng)
    n = len(sources)
    rot = style["rotation"][writers] + np.deg2rad(rng.uniform(-5, 5, n))
    scale = style["scale"][writers] * rng.uniform(0.95, 1.05, n)
    shift = rng.uniform(-2.0, 2.0, (n, 2))
    step = style["step"][writers] * rng.uniform(0.9, 1.1, n)
    centre = (IMAGE_SIZE - 1) / 2.0
    paths = []
    for i in range(n):
        pts, pen = _stroke_order(int(sources[i]), bool(style["start_right"][writers[i]]))
        pts = pts + rng.uniform(-0.3, 0.3, pts.shape)  # hand-placed, not on a grid
        cos, sin = math.cos(rot[i]), math.sin(rot[i])
        shear = style["shear"][writers[i]]
        forward = 2.5 * scale[i] * np.array([[cos, -sin], [sin, cos]]) @ np.array(
            [[1.0, shear], [0.0, 1.0]]
        )
        xy = (pts - 3.5) @ forward.T + centre + shift[i]
        xy, down = _resample(xy, pen, step[i])
        phase = rng.uniform(0, 2 * math.pi)
        t = np.arange(len(xy))
        xy = xy + style["tremor"][writers[i]] * np.stack(
            [np.sin(0.9 * t + phase), np.cos(1.3 * t + phase)], axis=1
        )
        paths.append((xy, down))
    return paths


def trajectories(rng, paths, noise):
    """The recorded trajectories: float32 arrays (T, 3) of x, y (canvas pixels), pen."""
    out = []
    for xy, down in paths:
        xy, down = xy.copy(), down.copy()
        n = len(xy)
        if noise > 0:
            drift = np.cumsum(rng.normal(0, 0.35 * noise, (n, 2)), axis=0)
            xy += drift - drift.mean(axis=0) + rng.normal(0, 0.6 * noise, (n, 2))
            xy = (xy - 13.5) * rng.uniform(1 - 0.15 * noise, 1 + 0.15 * noise) + 13.5
            xy += rng.uniform(-2.5, 2.5, 2) * noise
            flip = rng.random(n) < 0.05 * noise
            down[flip] = 1 - down[flip]
            keep = np.ones(n, dtype=bool)
            if rng.random() < min(1.0, 0.35 * noise):  # the tablet lost a chunk
                size = int(rng.uniform(0.15, 0.35) * n)
                start = rng.integers(0, n - size + 1)
                keep[start : start + size] = False
            if rng.random() < min(1.0, 0.3 * noise):  # started late or stopped early
                cut = int(rng.uniform(0.1, 0.25) * n)
                if rng.random() < 0.5:
                    keep[:cut] = False
                else:
                    keep[n - cut :] = False
            if keep.sum() >= 4:
                xy, down = xy[keep], down[keep]
        out.append(np.column_stack([xy, down]).astype(np.float32))
    return out


def _splat(frames, sample, frame, xy, weight):
    """Add ``weight`` at sub-pixel points ``xy`` (bilinear) into frames (n, F, H, W)."""
    size = frames.shape[-1]
    x0, y0 = np.floor(xy[:, 0]), np.floor(xy[:, 1])
    fx, fy = xy[:, 0] - x0, xy[:, 1] - y0
    base = (sample * frames.shape[1] + frame) * size * size
    flat = frames.reshape(-1)
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                      (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        x, y = x0.astype(np.int64) + dx, y0.astype(np.int64) + dy
        inside = (x >= 0) & (x < size) & (y >= 0) & (y < size)
        idx = base[inside] + y[inside] * size + x[inside]
        flat += np.bincount(idx, weights=(weight * w)[inside], minlength=flat.size)


def _render_chunk(rng, paths, noise):
    from scipy import ndimage

    n, size = len(paths), IMAGE_SIZE
    frames = np.zeros((n, N_FRAMES, size, size))  # float64: bincount's sums
    # A fast writer finishes before the clip ends; the canvas drifts throughout.
    finish = rng.uniform(0.7, 1.0, n)
    velocity = rng.uniform(-0.8, 0.8, (n, 2))
    k = np.arange(N_FRAMES)
    parts = []
    for i, (xy, down) in enumerate(paths):
        # dense points along pen-down moves, each with the time it is drawn
        m = len(xy)
        u = np.arange((m - 1) * _SUBDIV + 1) / _SUBDIV
        j = np.minimum(u.astype(np.int64), m - 2) if m > 1 else np.zeros(len(u), np.int64)
        dense = np.column_stack([np.interp(u, np.arange(m), xy[:, c]) for c in (0, 1)])
        ink = (down[j] > 0) & (down[np.minimum(j + 1, m - 1)] > 0)
        t = u / max(m - 1, 1) * finish[i]
        drawn = t[None, :] <= (k[:, None] + 1) / N_FRAMES  # (F, points)
        f_idx, p_idx = np.nonzero(drawn & ink[None, :])
        shift = velocity[i] * (f_idx[:, None] - (N_FRAMES - 1) / 2.0)
        parts.append((np.full(len(f_idx), i), f_idx, dense[p_idx] + shift))
    sample, frame, pts = (np.concatenate(p) for p in zip(*parts))
    _splat(frames, sample, frame, pts, np.ones(len(pts)))
    frames = np.minimum(ndimage.gaussian_filter(frames, (0, 0, 0.7, 0.7)) * 1.6, 1.0).astype(np.float32)
    if noise > 0:
        frozen = rng.random((n, N_FRAMES)) < 0.1 * noise  # a frame repeats the previous one
        frozen[:, 0] = False
        for f in range(1, N_FRAMES):
            frames[frozen[:, f], f] = frames[frozen[:, f], f - 1]
        frames *= rng.uniform(1 - 0.3 * min(noise, 1.0), 1.0, (n, N_FRAMES, 1, 1))
        occl = rng.random(n) < min(1.0, 0.5 * noise)
        box = rng.integers(6, 13, (n, 2))
        start = rng.uniform(0, size, (n, 2))
        move = rng.uniform(-2.0, 2.0, (n, 2))
        fill = rng.choice(np.float32([0.0, 1.0, 0.5]), size=n, p=[0.5, 0.3, 0.2])
        # a box sliding across the frames, wrapping around the edges
        corner = (start[:, None] + move[:, None] * k[None, :, None] - box[:, None] / 2) % size
        grid = np.arange(size)
        inside_c = (grid - corner[..., 0, None]) % size < box[:, None, 0, None]  # (n, F, W)
        inside_r = (grid - corner[..., 1, None]) % size < box[:, None, 1, None]  # (n, F, H)
        covered = occl[:, None, None, None] & inside_r[..., :, None] & inside_c[..., None, :]
        frames = np.where(covered, fill[:, None, None, None], frames)
        frames += rng.uniform(0, 0.2, (n, 1, 1, 1)) * noise
        sigma = rng.uniform(0.1, 0.35, (n, 1, 1, 1)) * noise
        frames += sigma * rng.standard_normal(frames.shape, dtype=np.float32)
    return np.round(np.clip(frames, 0.0, 1.0) * 255).astype(np.uint8)


def render_videos(rng, paths, noise):
    """uint8 frames (n, N_FRAMES, 28, 28) of each path drawn progressively."""
    return np.concatenate(
        [_render_chunk(rng, paths[s : s + _CHUNK], noise) for s in range(0, len(paths), _CHUNK)]
    )


def synthesise(meta, seed, noise, *, video):
    """Trajectories (list of (T, 3) float32) and, if ``video``, frames (n, F, 28, 28)."""
    paths = clean_paths(
        motion_rng(seed, 0),
        np.asarray(meta["source_image"], dtype=np.int64),
        np.asarray(meta["writer"], dtype=np.int64),
    )
    trajs = trajectories(motion_rng(seed, 1), paths, noise)
    frames = render_videos(motion_rng(seed, 2), paths, noise) if video else None
    return trajs, frames
