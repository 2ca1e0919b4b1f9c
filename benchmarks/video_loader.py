"""VideoLoader: decoding time and memory against converting every frame, and the decode cache.

Writes ``--videos`` H.264 clips (``--seconds`` long, 25 fps, 320 x 240) to a
temporary folder, then reads ``--frames`` evenly spread frames per clip, each
way in a fresh process (so its peak resident memory is its own):

* naive: decode with PyAV, convert every frame to an RGB array, keep the
  clip's frames in a list, then pick (what a loop over
  ``container.decode()`` does);
* VideoLoader, cold: demux once to count frames, decode, convert only the
  kept frames, resize them to 64 x 64 at once (decode cache cleared);
* VideoLoader, warm: the same call again in that process (decoded frames
  from the cache, as in the later candidates of a grid search or
  ``predict`` after ``fit``).

Memory is the growth of the process's peak resident set over its size
after imports (``ru_maxrss``).

    python benchmarks/video_loader.py [--videos 20] [--seconds 10] [--frames 8]
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import av
import numpy as np

from skmm.preprocessing import VideoLoader, decode_cache
from skmm.preprocessing._video_io import sample_indices


def write_clip(path, seconds, rng):
    with av.open(path, "w") as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        base = rng.randint(0, 255, (240, 320, 3)).astype(np.uint8)
        for i in range(int(seconds * 25)):
            frame = av.VideoFrame.from_ndarray(np.roll(base, 4 * i, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def naive(paths, n_frames):
    out = []
    for path in paths:
        with av.open(path) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        keep = sample_indices(np.arange(len(frames)), len(frames), n_frames, None)
        out.append(np.stack([frames[i] for i in keep]))
    return out


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(way, n_frames, paths):
    """Run one way in this process; print 'seconds growth_mib' per timed call."""
    base = _peak_mib()
    calls = [lambda: naive(paths, n_frames)]
    if way == "loader":
        loader = VideoLoader(n_frames=n_frames, size=(64, 64))
        decode_cache.clear()
        calls = [lambda: loader.fit_transform(paths), lambda: loader.transform(paths)]
    for call in calls:
        start = time.perf_counter()
        call()
        print(f"{time.perf_counter() - start:.3f} {_peak_mib() - base:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--child", choices=["naive", "loader"], help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.frames, args.paths)
    rng = np.random.RandomState(0)
    with tempfile.TemporaryDirectory() as folder:
        paths = [os.path.join(folder, f"{i}.mp4") for i in range(args.videos)]
        for path in paths:
            write_clip(path, args.seconds, rng)
        results = {}
        for way in ("naive", "loader"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", way, "--frames", str(args.frames), *paths],
                check=True, capture_output=True, text=True,
            ).stdout.split()
            results[way] = [(float(out[i]), float(out[i + 1])) for i in range(0, len(out), 2)]
    rows = [
        ("naive: every frame to an array, then pick", results["naive"][0]),
        ("VideoLoader, cold (cache cleared)", results["loader"][0]),
        ("VideoLoader, warm (decode cache)", results["loader"][1]),
    ]
    print(f"{args.videos} clips, {args.seconds:.0f} s at 25 fps, 320x240; {args.frames} frames kept per clip "
          "(VideoLoader resizes them to 64x64)\n")
    print("| reading | seconds | clips per second | peak memory growth (MiB) |")
    print("|---|---:|---:|---:|")
    for name, (seconds, growth) in rows:
        print(f"| {name} | {seconds:.2f} | {args.videos / seconds:.1f} | {growth:.0f} |")


if __name__ == "__main__":
    main()
