#!/usr/bin/env python3
"""Runs ember_bench (--benchmark_format=json) and the CPU peers in one go and prints one table:
workload, ember rate, peer rate, ratio, ember GFLOP/s, fraction of the measured fma_peak (one core, float32;
float64 rows are read against half of it, rows on n workers against n times it).

    /usr/bin/python3 bench/run_peers.py --bench build/bench/ember_bench [--min-time 1.0] [--runs 3] [--json out.json]

Every number is the median of --runs runs (ember_bench and each peer alike), taken in rounds: each round runs
ember_bench once and then every peer once, so that the shared machine's slow and fast minutes fall on both sides. Each peer runs with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (OpenBLAS picks its own kernel; the header
names it), twice: with glibc's default allocator and with GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:
glibc.malloc.trim_threshold=268435456 (large tensors stay in the heap instead of being mapped and unmapped per
call, which makes PyTorch's Langevin much faster on some machines). Both are printed; the ratio is against the
faster of the two.

Peers: bench/peers/torch_langevin.py and torch_train.py (PyTorch, autograd), the libtorch programs
ember_torch_langevin and ember_torch_train (C++; bench/peers/libtorch, built with -DEMBER_BUILD_TORCH_PEERS=ON;
looked for in --libtorch-dir, by default peers/libtorch beside ember_bench) and, when present,
bench/peers/sklearn_rbm.py
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
RATE_KEYS = ("chain_steps_per_s", "samples_per_s", "updates_per_s")
# The peers run with OpenBLAS choosing its own kernel, with the default allocator and with these tunables.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
ALLOCATORS = {"default": None,
              "tuned": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"}
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
    """(key, rate) of a record: its first rate key, or with cpu=True that rate by CPU time where given."""
    for key in RATE_KEYS:
        if key in record:
            cpu_key = key.replace("_per_s", "_per_cpu_s")
            if cpu and record.get(cpu_key) is not None:
                return cpu_key, float(record[cpu_key])
            return key, float(record[key])
    return None, None


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def median_records(runs):
    """One record per name: every numeric field the median over the runs that produced that name."""
    merged = {}
    for name in {name for run in runs for name in run}:
        records = [run[name] for run in runs if name in run]
        merged[name] = dict(records[-1])
        for key, value in records[-1].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                merged[name][key] = median([float(r[key]) for r in records if isinstance(r.get(key), (int, float))])
        merged[name]["runs"] = len(records)
    return merged


def peer_env(allocator):
    """The peers' environment: no OpenBLAS kernel or cache-size override; GLIBC_TUNABLES as `allocator` says."""
    env = {key: value for key, value in os.environ.items() if key not in OPENBLAS_OVERRIDES}
    env.pop("GLIBC_TUNABLES", None)
    if ALLOCATORS[allocator]:
        env["GLIBC_TUNABLES"] = ALLOCATORS[allocator]
    return env


def openblas_kernel():
    """The kernel OpenBLAS picks in the peers' environment (openblas_get_corename of the library torch loads)."""
    code = ("import ctypes, torch; torch.ones(64, 64) @ torch.ones(64, 64);"
            "libs = [l.split()[-1] for l in open('/proc/self/maps') if 'openblas' in l.lower()];"
            "lib = ctypes.CDLL(libs[0]) if libs else None;"
            "f = getattr(lib, 'openblas_get_corename', None) if lib else None;"
            "f and setattr(f, 'restype', ctypes.c_char_p);"
            "print((f().decode() if f else 'unknown') + ' (' + (libs[0] if libs else 'no OpenBLAS') + ')')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=peer_env("default"))
    return out.stdout.strip() or "unknown"


def run_ember(bench, min_time, bench_filter):
    cmd = [bench, "--benchmark_format=json", f"--benchmark_min_time={min_time}"]
    if bench_filter:
        cmd.append(f"--benchmark_filter={bench_filter}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    # Drop Google Benchmark's option suffixes (/min_time:0.500, /real_time) so that names match the peers'.
    return {re.sub(r"/(min_time:[0-9.]+|real_time|manual_time)", "", b["name"]): b
            for b in json.loads(out)["benchmarks"]}


def run_peer(command, allocator):
    """The JSON records a peer prints (one per line), run in peer_env(allocator)."""
    out = subprocess.run(command, capture_output=True, text=True, env=peer_env(allocator))
    if out.returncode != 0:
        print(f"# {pathlib.Path(command[-1] if command[0] == sys.executable else command[0]).name} failed: "
              f"{out.stderr.strip()[-400:]}", file=sys.stderr)
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


def peer_commands(args):
    """(label, command) of every peer present."""
    commands = []
    for script, extra in (("torch_langevin.py", ["--min-time", str(args.min_time)]),
                          ("torch_train.py", ["--min-time", str(args.min_time)]),
                          ("sklearn_rbm.py", [])):
        if (HERE / "peers" / script).exists():
            commands.append((pathlib.Path(script).stem, [sys.executable, str(HERE / "peers" / script), *extra]))
    libtorch = pathlib.Path(args.libtorch_dir) if args.libtorch_dir else pathlib.Path(args.bench).parent / "peers" / "libtorch"
    for program in ("ember_torch_langevin", "ember_torch_train"):
        if (libtorch / program).exists():
            commands.append((program.replace("ember_torch_", "libtorch_"),
                             [str(libtorch / program), "--min-time", str(args.min_time)]))
    return commands


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", default="build/bench/ember_bench")
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3, help="runs of each side; every rate is their median")
    parser.add_argument("--filter", default="fma_peak|langevin_mlp|rbm|train_")
    parser.add_argument("--libtorch-dir", help="where ember_torch_langevin and ember_torch_train are")
    parser.add_argument("--json", help="also write every record to this file")
    parser.add_argument("--cpu-time", action="store_true",
                        help="rate one-worker rows by CPU time (ember and the peers) instead of wall time: "
                             "fair on a loaded machine; GFLOP/s are scaled alike")
    args = parser.parse_args()
    load_before = os.getloadavg()
    # Round by round: ember once, then each peer once with each allocator, so that a minute in which the shared
    # machine is slow (or fast) falls on both sides alike rather than on whichever side ran then.
    commands = peer_commands(args)
    ember_runs = []
    peer_runs = {(label, allocator): [] for label, _ in commands for allocator in ALLOCATORS}
    for _ in range(args.runs):
        ember_runs.append(run_ember(args.bench, args.min_time, args.filter))
        for label, command in commands:
            for allocator in ALLOCATORS:
                peer_runs[(label, allocator)].append(run_peer(command, allocator))
    ember = median_records(ember_runs)
    # peers[allocator][ember name] = record (with "peer": which program)
    peers = {allocator: {} for allocator in ALLOCATORS}
    for label, command in commands:
        for allocator in ALLOCATORS:
            runs = peer_runs[(label, allocator)]
            for name, record in median_records(runs).items():
                names = [name]
                for prefix, targets in ALIASES.items():
                    if name.startswith(prefix):
                        names = [target + name[len(prefix):] for target in targets]
                for target in names:
                    peers[allocator].setdefault(target, []).append(dict(record, peer=label))
    load_after = os.getloadavg()
    peak = ember.get("fma_peak/workers:1", {}).get("gflops")
    print(f"# {cpu_model()}, {os.cpu_count()} cores; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}; medians of {args.runs} runs")
    print(f"# BLAS of numpy/torch: {blas_info()}")
    print(f"# OpenBLAS kernel (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset): {openblas_kernel()}")
    print(f"# peers' allocator: default = glibc's defaults; tuned = GLIBC_TUNABLES={ALLOCATORS['tuned']}; "
          "ratio = ember / the faster of the two")
    if peak:
        print(f"# fma_peak/workers:1 = {peak:.1f} GFLOP/s")
    if args.cpu_time:
        print("# one-worker rows: rates by CPU time (--cpu-time); two-worker rows: wall clock")
    header = (f"{'workload':<58} {'peer':<16} {'ember /s':>10} {'default /s':>10} {'tuned /s':>10} {'ratio':>7} "
              f"{'GFLOP/s':>8} {'of peak':>8}")
    print(header)
    print("-" * len(header))
    for name, record in sorted(ember.items()):
        if name.startswith("fma_peak"):
            continue
        cpu = args.cpu_time and name.endswith("workers:1")
        key, rate = rate_of(record, cpu)
        if rate is None:
            continue
        gflops = record.get("gflops")
        if gflops and key.endswith("_per_cpu_s"):
            gflops *= rate / float(record[key.replace("_per_cpu_s", "_per_s")])
        labels = sorted({r["peer"] for allocator in ALLOCATORS for r in peers[allocator].get(name, [])}) or ["-"]
        for label in labels:
            rates = {}
            for allocator in ALLOCATORS:
                for r in peers[allocator].get(name, []):
                    if r["peer"] == label:
                        rates[allocator] = rate_of(r, cpu)[1]
            best = max(rates.values()) if rates else None
            cells = [f"{name:<58}", f"{label:<16}", f"{rate:>10.4g}"]
            cells += [f"{rates[a]:>10.4g}" if rates.get(a) else f"{'-':>10}" for a in ALLOCATORS]
            cells += [f"{rate / best:>7.2f}" if best else f"{'-':>7}",
                      f"{gflops:>8.2f}" if gflops else f"{'-':>8}",
                      f"{gflops / row_peak(name, peak):>8.0%}" if gflops and peak else f"{'-':>8}"]
            print(" ".join(cells))
    best_peers = {}
    for allocator in ALLOCATORS:
        for name, records in peers[allocator].items():
            for r in records:
                current = best_peers.get(name)
                if current is None or rate_of(r)[1] > rate_of(current)[1]:
                    best_peers[name] = r
    rbm_footer(ember, best_peers, peak)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"ember": ember, "peers": peers, "load": [load_before, load_after]}, out, indent=1)


if __name__ == "__main__":
    main()
