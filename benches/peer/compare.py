#!/usr/bin/env python3
"""Whole-process comparison of tipfit with the numpy peer (issue 17).

  compare.py TIPFIT PYTHON [--runs N] [--before OLD_TIPFIT]

Makes the peer's test recordings in a temporary folder, then runs, N times
interleaved: `tipfit analyze rec.wav --reference ref.wav --json` against
`ess_peer.py analyze rec.wav`; `tipfit analyze batch --reference ref.wav
--json` against `ess_peer.py batch batch` (20 recordings); and
`tipfit demo`. Prints the medians of wall time and of peak RSS (from
wait4), and the ratios, all from this one run. With --before, another
tipfit build (e.g. the last commit's) runs the same three jobs in the same
interleaved loop, for before/after figures from one run.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent


def run(cmd, cwd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({code}):\n{err}")
    return wall, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tipfit")
    ap.add_argument("python")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--before", help="another tipfit build to time alongside")
    a = ap.parse_args()
    tipfit = str(pathlib.Path(a.tipfit).resolve())
    peer = str(HERE / "ess_peer.py")
    maker = str(HERE / "make_test_recording.py")
    with tempfile.TemporaryDirectory(prefix="tipfit-bench-") as d:
        subprocess.run([a.python, maker, "rec.wav"], cwd=d, check=True)
        subprocess.run([a.python, maker, "--count", "20", "batch"], cwd=d,
                       check=True)
        subprocess.run([a.python, peer, "sweep", "ref.wav"], cwd=d,
                       check=True)
        for j in pathlib.Path(d, "batch").glob("*.json"):
            j.unlink()
        jobs = {
            "tipfit analyze (1 file)": [tipfit, "analyze", "rec.wav",
                                        "--reference", "ref.wav", "--json"],
            "peer analyze (1 file)": [a.python, peer, "analyze", "rec.wav"],
            "tipfit analyze (20 files)": [tipfit, "analyze", "batch",
                                          "--reference", "ref.wav", "--json"],
            "peer batch (20 files)": [a.python, peer, "batch", "batch"],
            "tipfit demo": [tipfit, "demo", "--out", "demo"],
        }
        if a.before:
            old = str(pathlib.Path(a.before).resolve())
            jobs["before: analyze (1 file)"] = [
                old, "analyze", "rec.wav", "--reference", "ref.wav", "--json"]
            jobs["before: analyze (20 files)"] = [
                old, "analyze", "batch", "--reference", "ref.wav", "--json"]
            jobs["before: demo"] = [old, "demo", "--out", "demo-before"]
        times = {k: [] for k in jobs}
        for _ in range(a.runs):
            for k, cmd in jobs.items():
                times[k].append(run(cmd, d))
        med = {k: (statistics.median(w for w, _ in v),
                   statistics.median(r for _, r in v))
               for k, v in times.items()}
    print(f"medians of {a.runs} interleaved runs, whole processes")
    for k, (w, r) in med.items():
        print(f"  {k:28s} {w * 1e3:8.1f} ms  {r:6.1f} MiB peak RSS")
    one = med["peer analyze (1 file)"][0] / med["tipfit analyze (1 file)"][0]
    per_t = med["tipfit analyze (20 files)"][0] / 20
    per_p = med["peer batch (20 files)"][0] / 20
    print(f"  one file: tipfit {one:.1f}x the peer's speed")
    print(f"  batch: {per_t * 1e3:.1f} ms per file against the peer's "
          f"{per_p * 1e3:.1f} ms: {per_p / per_t:.1f}x")
    if a.before:
        one_b = med["peer analyze (1 file)"][0] / med["before: analyze (1 file)"][0]
        per_b = med["before: analyze (20 files)"][0] / 20
        print(f"  before: one file {one_b:.1f}x the peer's speed; batch "
              f"{per_b * 1e3:.1f} ms per file, {per_p / per_b:.1f}x")


if __name__ == "__main__":
    main()
