#!/usr/bin/env python3
"""scikit-learn peer of bench/rbm.bench.cpp: BernoulliRBM (n_components=500, batch_size=100) fitted on random
binary data of shape (N, 784), in float64 (sklearn's default) and float32 (BernoulliRBM.fit keeps float32 input
since scikit-learn 1.2), on one and on two BLAS threads (threadpoolctl; OpenBLAS). Each fit runs n_iter epochs
of PCD-1 minibatch updates (5 GEMMs of 100 x 784 x 500 per minibatch; ember's CD-1 step does 6); the timing
covers fit() only. One-thread rows rate by the process's CPU time (Google Benchmark's one-worker rates also
use CPU time, so the two compare fairly on a loaded machine), two-thread rows by wall time (as ember's
workers:2 rows); samples_per_s_wall and samples_per_cpu_s are always given.
Prints one JSON line per (dtype, workers): {"name", "samples_per_s", "samples_per_s_wall", "samples_per_cpu_s",
"samples", "cpu_seconds", "seconds", "dtype", "workers", "blas_threads"}. Names: sklearn_rbm/... (float64) and
sklearn_rbm_f32/... (float32), each ending in /workers:<n>.

    /usr/bin/python3 bench/peers/sklearn_rbm.py [--samples 2000] [--n-iter 3] [--dtype float64 float32]
                                                [--workers 1 2]
"""
import argparse
import json
import os
import sys

# OpenBLAS sizes its thread pool when it loads: allow the most threads asked for, then limit per run.
_workers_arg = [a for a in sys.argv[sys.argv.index("--workers") + 1:] if a.isdigit()] if "--workers" in sys.argv else []
_max_threads = str(max([1, 2] if not _workers_arg else [int(a) for a in _workers_arg]))
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _max_threads)

import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.neural_network import BernoulliRBM  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402


def measure(data, n_iter, workers):
    with threadpool_limits(limits=workers, user_api="blas"):
        blas_threads = max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"),
                           default=None)
        BernoulliRBM(n_components=500, batch_size=100, n_iter=1, learning_rate=0.01, random_state=0).fit(data[:200])
        model = BernoulliRBM(n_components=500, batch_size=100, n_iter=n_iter, learning_rate=0.01, random_state=0)
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(data)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    assert model.components_.dtype == data.dtype, "BernoulliRBM changed the dtype"
    return seconds, cpu_seconds, blas_threads


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--n-iter", type=int, default=3)
    parser.add_argument("--dtype", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    for dtype in args.dtype:
        data = (rng.random((args.samples, 784)) < 0.5).astype(dtype)
        prefix = "sklearn_rbm" if dtype == "float64" else "sklearn_rbm_f32"
        for workers in args.workers:
            seconds, cpu_seconds, blas_threads = measure(data, args.n_iter, workers)
            samples = args.samples * args.n_iter
            wall_rate, cpu_rate = samples / seconds, samples / cpu_seconds
            print(json.dumps({"name": f"{prefix}/visible:784/hidden:500/batch:100/workers:{workers}",
                              "samples_per_s": cpu_rate if workers == 1 else wall_rate,
                              "samples_per_s_wall": wall_rate, "samples_per_cpu_s": cpu_rate, "samples": samples,
                              "cpu_seconds": cpu_seconds, "seconds": seconds, "dtype": dtype, "workers": workers,
                              "blas_threads": blas_threads}), flush=True)


if __name__ == "__main__":
    main()
