"""Build-time script: synthesise the spoken-digit bank shipped with skmm.

This script is **not** used at run time. It produced the file
``skmm/datasets/data/spoken_digits.npz`` that :func:`skmm.datasets.make_av_digits`
reads; users never need ``espeak-ng``. It was run from the repository root as::

    apt-get install -y espeak-ng        # eSpeak NG 1.51 (Debian package)
    python tools/make_spoken_digits.py

(with the project virtualenv, which has numpy, soundfile and librosa).

What it does
------------
A *speaker* is a combination of

* an English eSpeak NG voice (``espeak-ng --voices=en``: ``en``, ``en-us``,
  ``en-gb-scotland``, ``en-gb-x-rp``, ``en-029``, ...),
* a voice variant (``espeak-ng --voices=variant``: ``m1``..``m8``,
  ``f2``..``f5``, ``klatt``..``klatt6`` and 30 named ones; see ``VARIANTS``),
* a pitch (``-p``), a speaking rate in words per minute (``-s``) and an
  amplitude (``-a``).

``N_SPEAKERS`` (48) speakers are drawn with a fixed seed (``SEED``); each says
"zero" .. "nine" twice (``N_TAKES``), the second take at a slightly different
rate and pitch. Each clip is written by ``espeak-ng -w``, resampled from
22050 Hz to 8000 Hz with :func:`librosa.resample`, trimmed of leading and
trailing silence, peak-normalised to the speaker's amplitude and stored as
int16 rounded to multiples of 16 (about 12 significant bits, which keeps the
compressed file under 5 MB; the quantisation noise is > 50 dB below the speech,
far below the noise :func:`make_av_digits` adds).

The output ``.npz`` (``np.savez_compressed``) holds

``waves``          int16, all clips concatenated
``offsets``        int64, clip ``i`` is ``waves[offsets[i]:offsets[i + 1]]``
``digits``         int64 digit label of each clip
``speakers``       int64 speaker id of each clip (index into the arrays below)
``takes``          int64 take number (0 or 1) of each clip
``sample_rate``    int64 scalar, 8000
``speaker_voice``, ``speaker_variant``  str arrays, one entry per speaker
``speaker_pitch``, ``speaker_rate``, ``speaker_amplitude``  int arrays
``espeak_version`` str scalar
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SEED = 20240611
N_SPEAKERS = 48
N_TAKES = 2
SAMPLE_RATE = 8000
QUANT_STEP = 16
DIGIT_WORDS = (
    "zero", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine",
)
# Non-MBROLA English voices shipped with Debian's espeak-ng-data.
VOICES = (
    "en", "en-us", "en-gb-scotland", "en-gb-x-gbclan",
    "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en-us-nyc",
)
# Human-sounding variants. Left out: whisper, robot and novelty variants, and
# those whose digits a model trained on the others mostly gets wrong (e.g.
# Alicia, Lee, norbert, travis, shelby, zac, kaukovalta): they sound unlike
# every other voice rather than like another speaker.
VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
    "f2", "f3", "f4", "f5",
    "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6",
    "Andy", "Annie", "belinda", "linda", "victor", "michel", "Alex", "Denis",
    "ed", "pedro", "Mike", "max", "paul", "quincy", "rob", "robert", "john",
    "adam", "caleb", "benjamin", "edward", "aunty", "grandpa", "Gene",
    "Michael", "antonio", "sandro", "pablo", "Hugo", "Mario",
)
OUTPUT = Path(__file__).resolve().parents[1] / "skmm" / "datasets" / "data" / "spoken_digits.npz"


def _espeak_version():
    out = subprocess.run(
        ["espeak-ng", "--version"], check=True, capture_output=True, text=True
    ).stdout
    return out.strip()


def _draw_speakers(rng):
    """Return a list of (voice, variant, pitch, rate, amplitude) tuples."""
    speakers = []
    seen = set()
    voices = [VOICES[i % len(VOICES)] for i in range(N_SPEAKERS)]
    rng.shuffle(voices)
    variants = list(rng.permutation(VARIANTS))
    for voice in voices:
        # walk through the shuffled variants so each is used about equally often
        for j, variant in enumerate(variants):  # noqa: B007 - j, where the loop broke, is used below
            if (voice, variant) not in seen:
                break
        variant = str(variants.pop(j))
        if not variants:
            variants = list(rng.permutation(VARIANTS))
        seen.add((voice, variant))
        pitch = int(rng.integers(30, 76))
        rate = int(rng.integers(130, 211))
        amplitude = int(rng.integers(60, 161))
        speakers.append((voice, variant, pitch, rate, amplitude))
    return speakers


def _synth(word, voice, variant, pitch, rate, amplitude, tmpdir):
    import soundfile as sf

    path = os.path.join(tmpdir, "clip.wav")
    subprocess.run(
        [
            "espeak-ng", "-v", f"{voice}+{variant}", "-p", str(pitch),
            "-s", str(rate), "-a", str(amplitude), "-w", path, word,
        ],
        check=True,
        capture_output=True,
    )
    wave, sr = sf.read(path, dtype="float32")
    if wave.ndim > 1:
        wave = wave.mean(axis=1)
    return wave, sr


def _process(wave, sr, amplitude):
    import librosa

    wave = librosa.resample(wave, orig_sr=sr, target_sr=SAMPLE_RATE)
    wave, _ = librosa.effects.trim(wave, top_db=35, frame_length=256, hop_length=64)
    peak = float(np.max(np.abs(wave))) or 1.0
    # Peak-normalise then keep the speaker's loudness (amplitude 100 ~ -6 dBFS).
    wave = wave / peak * 0.5 * min(amplitude / 100.0, 1.9)
    # Quantise to multiples of QUANT_STEP (~12-bit precision, > 50 dB SNR, far
    # cleaner than the noise added at run time) so the bank compresses well.
    wave = np.round(wave * 32767 / QUANT_STEP) * QUANT_STEP
    return np.clip(wave, -32768, 32767).astype(np.int16)


def main(output=OUTPUT):
    rng = np.random.default_rng(SEED)
    speakers = _draw_speakers(rng)
    waves, digits, spk_ids, takes = [], [], [], []
    with tempfile.TemporaryDirectory() as tmpdir:
        for s, (voice, variant, pitch, rate, amplitude) in enumerate(speakers):
            for take in range(N_TAKES):
                if take == 0:
                    t_rate, t_pitch = rate, pitch
                else:
                    t_rate = int(round(rate * rng.uniform(0.88, 1.12)))
                    t_pitch = int(np.clip(pitch + rng.integers(-6, 7), 0, 99))
                for d, word in enumerate(DIGIT_WORDS):
                    wave, sr = _synth(
                        word, voice, variant, t_pitch, t_rate, amplitude, tmpdir
                    )
                    waves.append(_process(wave, sr, amplitude))
                    digits.append(d)
                    spk_ids.append(s)
                    takes.append(take)
            print(f"speaker {s:2d}: {voice}+{variant} p={pitch} s={rate} a={amplitude}",
                  file=sys.stderr)
    lengths = np.array([len(w) for w in waves], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        output,
        waves=np.concatenate(waves).astype(np.int16),
        offsets=offsets,
        digits=np.asarray(digits, dtype=np.int64),
        speakers=np.asarray(spk_ids, dtype=np.int64),
        takes=np.asarray(takes, dtype=np.int64),
        sample_rate=np.int64(SAMPLE_RATE),
        speaker_voice=np.array([s[0] for s in speakers]),
        speaker_variant=np.array([s[1] for s in speakers]),
        speaker_pitch=np.array([s[2] for s in speakers], dtype=np.int64),
        speaker_rate=np.array([s[3] for s in speakers], dtype=np.int64),
        speaker_amplitude=np.array([s[4] for s in speakers], dtype=np.int64),
        espeak_version=np.array(_espeak_version()),
    )
    dur = lengths / SAMPLE_RATE
    print(
        f"wrote {output} ({output.stat().st_size / 1e6:.2f} MB): {len(waves)} clips, "
        f"duration {dur.min():.2f}-{dur.max():.2f} s (mean {dur.mean():.2f})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
