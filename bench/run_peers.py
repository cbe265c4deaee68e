#!/usr/bin/env python3
"""Runs ember_bench (--benchmark_format=json) and the CPU peers in one go and prints one table:
workload, ember rate, peer rate, ratio, ember GFLOP/s, fraction of the measured fma_peak (one core, float32;
float64 rows are read against half of it, rows on n workers against n times it).

    /usr/bin/python3 bench/run_peers.py --bench build/bench/ember_bench [--min-time 1.0] [--json out.json]

Peers: bench/peers/torch_langevin.py (PyTorch, autograd) and, when present, bench/peers/sklearn_rbm.py
(scikit-learn's BernoulliRBM, float32 rows beside ember's rbm_cd1, float64 rows beside rbm_cd1_f64; a footer
gives issue #5's ratios ember float32 / sklearn float64 and / sklearn float32, and the rate 5 dense GEMMs per
step would allow at fma_peak). A peer prints JSON lines {"name": <ember benchmark name>, "chain_steps_per_s" or
"samples_per_s", ...}; rows are matched by name. The header states the CPU, the core count, the load
average (uptime) and which BLAS numpy and torch use.
"""
import argparse
import json
import os
import pathlib
import platform
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
RATE_KEYS = ("chain_steps_per_s", "samples_per_s")
# Peer names that differ from ember's: scikit-learn's RBM in float32 stands beside ember's float32 CD-1
# benchmark, in float64 beside the float64 one.
ALIASES = {"sklearn_rbm_f32/": ("rbm_cd1/",), "sklearn_rbm/": ("rbm_cd1_f64/",)}
RBM_SHAPE = "visible:784/hidden:500/batch:100"
RBM_FLOP_PER_SAMPLE = 5 * 2 * 784 * 500  # the 5 products of a CD-1 step as dense GEMMs, per sample


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown CPU"


def blas_info():
    """Which BLAS shared library numpy and torch load (read from /proc/self/maps after a matmul)."""
    code = ("import numpy, torch; numpy.ones((64,64)) @ numpy.ones((64,64)); torch.ones(64,64) @ torch.ones(64,64);"
            "libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() or 'mkl' in l.lower()});"
            "print(', '.join(libs))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def rate_of(record, cpu=False):
    if cpu and record.get("chain_steps_per_cpu_s") is not None:
        return "chain_steps_per_cpu_s", float(record["chain_steps_per_cpu_s"])
    for key in RATE_KEYS:
        if key in record:
            return key, float(record[key])
    return None, None


def run_ember(bench, min_time, bench_filter):
    cmd = [bench, "--benchmark_format=json", f"--benchmark_min_time={min_time}"]
    if bench_filter:
        cmd.append(f"--benchmark_filter={bench_filter}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    # Drop Google Benchmark's option suffixes (/min_time:0.500, /real_time) so that names match the peers'.
    return {re.sub(r"/(min_time:[0-9.]+|real_time|manual_time)", "", b["name"]): b
            for b in json.loads(out)["benchmarks"]}


def run_peer(script, extra_args):
    if not script.exists():
        return {}
    out = subprocess.run([sys.executable, str(script), *extra_args], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"# {script.name} failed: {out.stderr.strip()[-400:]}", file=sys.stderr)
    records = {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            record = json.loads(line)
            if "name" in record:
                records[record["name"]] = record
    return records


def row_peak(name, peak):
    """The peak a row is read against: fma_peak is one core's float32 FMA rate; a float64 row ("_f64") gets
    half of it (half the lanes), and a row on n workers n times it."""
    workers = int(re.search(r"workers:(\d+)", name).group(1)) if re.search(r"workers:(\d+)", name) else 1
    return peak * workers / (2 if "_f64" in name else 1)


def rbm_footer(ember, peers, peak):
    """Issue #5 compares ember float32 with scikit-learn and asks for 4x: against sklearn's default float64 and
    against its float32 path. The GEMM ceiling is what any implementation doing the 5 products of a CD-1 step
    as dense GEMMs (sklearn does) could reach at fma_peak; ember's table-lookup products are not bound by it."""
    for workers in (1, 2):
        mine = ember.get(f"rbm_cd1/{RBM_SHAPE}/workers:{workers}")
        if not mine:
            continue
        rate = rate_of(mine)[1]
        for label, key in (("float64", "rbm_cd1_f64"), ("float32", "rbm_cd1")):
            theirs = peers.get(f"{key}/{RBM_SHAPE}/workers:{workers}")
            if not theirs:
                continue
            peer_rate = rate_of(theirs)[1]
            line = (f"# issue #5, workers:{workers}: ember float32 {rate:.4g}/s vs sklearn {label} {peer_rate:.4g}/s = "
                    f"{rate / peer_rate:.2f}x (target 4x)")
            if peak:
                ceiling = workers * peak * 1e9 / RBM_FLOP_PER_SAMPLE
                line += f"; dense-GEMM ceiling (5 GEMMs at {workers} x fma_peak): {ceiling:.4g}/s"
            print(line)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", default="build/bench/ember_bench")
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--filter", default="fma_peak|langevin_mlp|rbm")
    parser.add_argument("--json", help="also write every record to this file")
    parser.add_argument("--cpu-time", action="store_true",
                        help="rate one-worker Langevin rows by CPU time (ember and torch) instead of wall time: "
                             "fair on a loaded machine; GFLOP/s are scaled alike")
    args = parser.parse_args()
    load_before = os.getloadavg()
    ember = run_ember(args.bench, args.min_time, args.filter)
    peers = {}
    for script, extra in ((HERE / "peers" / "torch_langevin.py", ["--min-time", str(args.min_time)]),
                          (HERE / "peers" / "sklearn_rbm.py", [])):
        for name, record in run_peer(script, extra).items():
            names = [name]
            for prefix, targets in ALIASES.items():
                if name.startswith(prefix):
                    names = [target + name[len(prefix):] for target in targets]
            for target in names:
                peers[target] = dict(record, peer=script.stem)
    load_after = os.getloadavg()
    peak = ember.get("fma_peak/workers:1", {}).get("gflops")
    print(f"# {cpu_model()}, {os.cpu_count()} cores; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}")
    print(f"# BLAS of numpy/torch: {blas_info()}")
    if peak:
        print(f"# fma_peak/workers:1 = {peak:.1f} GFLOP/s")
    if args.cpu_time:
        print("# one-worker rows: rates by CPU time (--cpu-time); two-worker rows: wall clock")
    header = f"{'workload':<56} {'ember /s':>12} {'peer /s':>12} {'ratio':>7} {'GFLOP/s':>8} {'of peak':>8}"
    print(header)
    print("-" * len(header))
    for name, record in ember.items():
        if name.startswith("fma_peak"):
            continue
        cpu = args.cpu_time and name.endswith("workers:1")
        key, rate = rate_of(record, cpu)
        if rate is None:
            continue
        peer = peers.get(name)
        peer_rate = rate_of(peer, cpu)[1] if peer else None
        gflops = record.get("gflops")
        if gflops and key == "chain_steps_per_cpu_s":
            gflops *= rate / float(record["chain_steps_per_s"])
        cells = [f"{name:<56}", f"{rate:>12.4g}",
                 f"{peer_rate:>12.4g}" if peer_rate else f"{'-':>12}",
                 f"{rate / peer_rate:>7.2f}" if peer_rate else f"{'-':>7}",
                 f"{gflops:>8.2f}" if gflops else f"{'-':>8}",
                 f"{gflops / row_peak(name, peak):>8.0%}" if gflops and peak else f"{'-':>8}"]
        print(" ".join(cells))
    rbm_footer(ember, peers, peak)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"ember": ember, "peers": peers, "load": [load_before, load_after]}, out, indent=1)


if __name__ == "__main__":
    main()
