#!/usr/bin/env python3
"""Fixtures for tests/loudness.rs: ISO 532-1 stationary loudness by MoSQITo.

Tool: MoSQITo (https://github.com/Eomys/MoSQITo), the versions recorded in
each JSON file under "tool" (written with mosqito 1.2.1, numpy 2.4.6,
scipy 1.17.1, Python 3.11). MoSQITo's stationary Zwicker loudness is
`_main_loudness` (core loudness) + `_calc_slopes` (upper slopes, total and
specific loudness), the two steps `loudness_zwst_freq` runs after its
third-octave synthesis; they are called directly here so that the input is
exactly the third-octave levels tipfit is given.

Run (from the repository root, in a virtual environment):

    python3 -m venv /tmp/loud-venv
    /tmp/loud-venv/bin/pip install mosqito==1.2.1 matplotlib
    /tmp/loud-venv/bin/python tests/data/loudness/make_fixtures.py

(matplotlib only because `import mosqito` imports it.)

Writes, next to this script:
- zwst.json: total loudness N (sone), the loudness level (phon, MoSQITo's
  `sone_to_phon`) and N'(z) on 0.1 ... 24 Bark for each third-octave spectrum;
  the ISO 532-1:2017 Annex B.2 test signal 1 also carries the standard's
  expected total (83.296 sone).
- partial.json: the partial loudness of a signal in noise by the
  specific-loudness subtraction model, max(0, N'(s+n) - N'(n)), from
  MoSQITo's N'(z), summed on the 0.1-Bark grid.
- penalty.json: worked listening penalties. Music (IEC 60268-1:1985 Table II
  spectrum) at 75 dBA through the reference tip, the gain another tip needs
  for the same (partial) loudness, found here by bisection on MoSQITo's
  loudness: in silence (total loudness) and in the subway preset's noise
  leaked through each tip (grid-summed partial loudness).

Silent bands are written as -100 dB SPL (MoSQITo takes no -inf); at that
level a band adds nothing.
"""

import json
import math
import platform
from importlib.metadata import version
from pathlib import Path

import numpy as np
from mosqito.sq_metrics.loudness.loudness_zwst._calc_slopes import _calc_slopes
from mosqito.sq_metrics.loudness.loudness_zwst._main_loudness import _main_loudness
from mosqito.sq_metrics.loudness.utils.sone_to_phon import sone_to_phon

HERE = Path(__file__).resolve().parent
SILENT = -100.0
CENTRES = [25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630,
           800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000,
           12500]
TOOL = {
    "mosqito": version("mosqito"),
    "numpy": version("numpy"),
    "scipy": version("scipy"),
    "python": platform.python_version(),
    "functions": "mosqito.sq_metrics.loudness.loudness_zwst._main_loudness + _calc_slopes",
}


def zwst(levels, field):
    nm = _main_loudness(np.asarray(levels, dtype=float), field)
    n, spec = _calc_slopes(nm)
    return float(n), [float(x) for x in spec]


def only(hz, level):
    out = [SILENT] * 28
    out[CENTRES.index(hz)] = level
    return out


def a_weight_db(f):
    """IEC 61672-1:2013 Annex E analytic A-weighting."""
    f2 = f * f
    r = (12194.0**2 * f2 * f2) / (
        (f2 + 20.6**2) * math.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2))
    return 20 * math.log10(r) + 2.0


EXACT = [1000 * 10 ** ((i - 16) / 10) for i in range(28)]
A = [a_weight_db(f) for f in EXACT]


def dba(levels):
    return 10 * math.log10(sum(10 ** ((l + a) / 10) for l, a in zip(levels, A)))


# IEC 60268-1:1985 Table II, simulated programme signal, 25 Hz ... 12.5 kHz.
PROGRAMME = [-10.2, -7.4, -5.2, -3.5, -2.3, -1.4, -0.9, -0.5, -0.2, -0.1, 0, 0, 0, 0,
             0, 0, -0.1, -0.3, -0.6, -1.0, -1.6, -2.5, -3.7, -5.1, -7.0, -9.4, -11.9,
             -14.8]


def scaled(rel, target_dba):
    k = target_dba - dba(rel)
    return [r + k for r in rel]


# The subway preset of src/analysis/listening.rs, octave bands 63 ... 8000 Hz,
# split into thirds (-10 lg 3 each); 25-40 Hz repeat the 50 Hz third and
# 12.5 kHz the 10 kHz third.
SUBWAY_OCTAVES = [85.0, 84.0, 80.0, 78.0, 76.0, 73.0, 68.0, 60.0]


def thirds_of(octaves):
    t = [None] * 28
    for k, level in enumerate(octaves):
        for j in range(3):
            t[3 + 3 * k + j] = level - 10 * math.log10(3)
    t[0] = t[1] = t[2] = t[3]
    t[27] = t[26]
    return t


def write(name, data):
    path = HERE / name
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    print("wrote", path)


def zwst_cases():
    rng = np.random.default_rng(532)
    pink = lambda overall: [overall - 10 * math.log10(28)] * 28
    spectra = [
        ("iso_532_1_annex_b2_test_signal_1",
         [-60, -60, 78, 79, 89, 72, 80, 89, 75, 87, 85, 79, 86, 80, 71, 70, 72, 71, 72,
          74, 69, 65, 67, 77, 68, 58, 45, 30.0]),
        ("pink_60_db", pink(60.0)),
        ("pink_80_db", pink(80.0)),
        ("band_1k_60_db", only(1000, 60.0)),
        ("band_250_80_db", only(250, 80.0)),
        ("band_4k_40_db", only(4000, 40.0)),
        ("band_63_70_db", only(63, 70.0)),
        ("band_12k5_50_db", only(12500, 50.0)),
        ("near_threshold_all_10_db", [10.0] * 28),
        ("near_threshold_all_5_db", [5.0] * 28),
        ("near_threshold_1k_5_db", only(1000, 5.0)),
        ("programme_75_dba", scaled(PROGRAMME, 75.0)),
        ("programme_95_dba", scaled(PROGRAMME, 95.0)),
        ("subway_thirds", thirds_of(SUBWAY_OCTAVES)),
        ("loud_all_100_db", [100.0] * 28),
    ]
    for k in range(6):
        spectra.append((f"random_{k}", [float(x) for x in rng.uniform(0, 100, 28)]))
    cases = []
    for name, levels in spectra:
        for field in ("free", "diffuse"):
            n, spec = zwst(levels, field)
            case = {
                "name": name,
                "field": field,
                "levels_db": [float(x) for x in levels],
                "total_sone": n,
                "level_phon": float(sone_to_phon(n)),
                "specific_sone_per_bark": spec,
            }
            if name.startswith("iso_532_1") and field == "free":
                case["iso_expected_total_sone"] = 83.296
            cases.append(case)
    write("zwst.json", {"tool": TOOL, "silent_db": SILENT, "centres_hz": CENTRES,
                        "cases": cases})


def partial_grid(signal, noise, field):
    both = [10 * math.log10(10 ** (s / 10) + 10 ** (n / 10)) for s, n in zip(signal, noise)]
    _, with_noise = zwst(both, field)
    _, noise_only = zwst(noise, field)
    spec = [max(0.0, a - b) for a, b in zip(with_noise, noise_only)]
    return 0.1 * sum(spec), spec


FOAM = [18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
        37, 38, 38, 38, 38, 37, 36, 35, 34.0]
SILICONE = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 20, 22, 24, 26, 28,
            30, 30, 30, 30, 29, 28, 27, 26.0]
# A leaky seal's bass loss (about a first-order high-pass near 250 Hz),
# 0 dB from 500 Hz up.
BASS_CUT = [-20, -18, -16, -14, -12, -10, -8.5, -7, -5.5, -4, -3, -2, -1, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0]


def partial_cases():
    subway = thirds_of(SUBWAY_OCTAVES)
    music = scaled(PROGRAMME, 75.0)
    pairs = [
        ("music_in_subway_through_foam", music, [a - i for a, i in zip(subway, FOAM)]),
        ("music_in_subway_through_silicone", music,
         [a - i for a, i in zip(subway, SILICONE)]),
        ("music_in_open_subway", music, subway),
        ("pink_50_in_pink_40", [50.0] * 28, [40.0] * 28),
        ("tone_1k_60_in_pink_50", only(1000, 60.0), [50.0] * 28),
        ("pink_40_in_silence", [40.0] * 28, [SILENT] * 28),
    ]
    cases = []
    for name, s, n in pairs:
        for field in ("free", "diffuse"):
            total, spec = partial_grid(s, n, field)
            cases.append({"name": name, "field": field, "signal_db": s, "noise_db": n,
                          "partial_grid_sone": total, "specific_sone_per_bark": spec})
    write("partial.json", {"tool": TOOL, "model": "max(0, N'(s+n) - N'(n)) summed x 0.1 Bark",
                           "cases": cases})


def bisect(f, lo=-40.0, hi=40.0):
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def penalty_cases():
    field = "diffuse"
    ref_dba = 75.0
    subway = thirds_of(SUBWAY_OCTAVES)
    flat = [0.0] * 28
    # The responses are normalised to a 0 dB mean over 500-2000 Hz; these are.
    music_ref = scaled(PROGRAMME, ref_dba)
    cases = []
    # In silence: total loudness matched.
    target = zwst(music_ref, field)[0]
    for name, resp in (("same_as_reference", flat), ("bass_cut", BASS_CUT)):
        g = bisect(lambda g: zwst([m + r + g for m, r in zip(music_ref, resp)], field)[0] - target)
        cases.append({"name": f"silence_{name}", "ambient_db": [SILENT] * 28,
                      "reference": {"response_db": flat, "isolation_db": FOAM},
                      "tip": {"response_db": resp, "isolation_db": FOAM},
                      "gain_db": g,
                      "eardrum_dba": dba([m + r + g for m, r in zip(music_ref, resp)])})
    # In the subway: partial loudness in the noise each tip lets through.
    for name, resp, iso in (("silicone_flat", flat, SILICONE),
                            ("silicone_bass_cut", BASS_CUT, SILICONE)):
        leak_ref = [a - i for a, i in zip(subway, FOAM)]
        leak = [a - i for a, i in zip(subway, iso)]
        target = partial_grid(music_ref, leak_ref, field)[0]
        g = bisect(lambda g: partial_grid([m + r + g for m, r in zip(music_ref, resp)], leak,
                                          field)[0] - target)
        cases.append({"name": f"subway_{name}", "ambient_db": subway,
                      "reference": {"response_db": flat, "isolation_db": FOAM},
                      "tip": {"response_db": resp, "isolation_db": iso},
                      "gain_db": g,
                      "eardrum_dba": dba([m + r + g for m, r in zip(music_ref, resp)])})
    write("penalty.json", {
        "tool": TOOL, "field": field, "reference_dba": ref_dba,
        "music_relative_db": PROGRAMME,
        "note": "music = Table II + K + response, K so that the reference tip's music is "
                "75 dBA (IEC 61672-1 A-weighting at the exact band centres); gain by "
                "bisection on MoSQITo loudness (silence: total; subway: grid-summed "
                "partial loudness)",
        "cases": cases})


if __name__ == "__main__":
    zwst_cases()
    partial_cases()
    penalty_cases()
