#!/usr/bin/env python3
"""scikit-learn peer of bench/rbm.bench.cpp: BernoulliRBM (n_components=500, batch_size=100) fitted on random
binary data of shape (N, 784), pinned to one core (OPENBLAS_NUM_THREADS=1 and threadpoolctl). Each fit runs
n_iter epochs of PCD-1 minibatch updates (the same GEMM work per sample as one CD-1 step); the timing covers
fit() only. samples_per_s uses the process's CPU time (one core; Google Benchmark's rates also use CPU time,
so the two compare fairly on a loaded machine), samples_per_s_wall the wall time.
Prints one JSON line: {"name", "samples_per_s", "samples_per_s_wall", "samples", "cpu_seconds", "seconds", "dtype"}.

    /usr/bin/python3 bench/peers/sklearn_rbm.py [--samples 2000] [--n-iter 3] [--dtype float64|float32]
"""
import argparse
import json
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.neural_network import BernoulliRBM  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--n-iter", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    data = (rng.random((args.samples, 784)) < 0.5).astype(args.dtype)
    with threadpool_limits(limits=1):
        BernoulliRBM(n_components=500, batch_size=100, n_iter=1, learning_rate=0.01, random_state=0).fit(data[:200])
        model = BernoulliRBM(n_components=500, batch_size=100, n_iter=args.n_iter, learning_rate=0.01, random_state=0)
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(data)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    samples = args.samples * args.n_iter
    print(json.dumps({"name": "sklearn_rbm/visible:784/hidden:500/batch:100/workers:1", "samples_per_s": samples / cpu_seconds,
                      "samples_per_s_wall": samples / seconds, "samples": samples, "cpu_seconds": cpu_seconds,
                      "seconds": seconds, "dtype": args.dtype}))


if __name__ == "__main__":
    main()
