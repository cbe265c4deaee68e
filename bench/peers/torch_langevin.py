#!/usr/bin/env python3
"""PyTorch (CPU) peer of bench/mlp.bench.cpp: unadjusted Langevin x <- x - (eps/2) grad E(x) + sqrt(eps) xi on
the MLP energy d -> h -> h -> 1 (SiLU, float32), grad E by autograd, torch.set_num_threads(workers), the same
workloads and names as ember_bench's langevin_mlp/dim:D/hidden:H/batch:N/workers:W. torch.set_num_threads does
not reach the OpenBLAS thread pool that torch's matrix products run on (Debian's torch uses the system OpenBLAS,
pthread build, sized to the core count): without a limit a "one worker" run multiplied on two cores (730-765 k
instead of 566-600 k chain-steps/s at batch 1024 on the 2-core reference machine). So each workload also limits
the BLAS pool to W threads (threadpoolctl, as the scikit-learn peer does) and reports the BLAS thread count.
Each workload runs a warm-up, then timed loops until --min-time seconds have passed. Prints one JSON object per line:
{"name", "chain_steps_per_s" (wall clock), "chain_steps_per_cpu_s" (the calling thread's CPU time: the fair
figure for one thread on a loaded machine), "gflops", "steps", "seconds", "blas_threads"} with the FLOP count of
bench/mlp.bench.cpp.

    /usr/bin/python3 bench/peers/torch_langevin.py [--min-time 1.0] [--only NAME_SUBSTRING]
"""
import argparse
import json
import math
import time

import torch
from threadpoolctl import threadpool_info, threadpool_limits

WORKLOADS = [(2, 128, 64, 1), (2, 128, 64, 2), (2, 128, 1024, 1), (2, 128, 1024, 2), (2, 128, 8192, 1),
             (2, 128, 8192, 2), (32, 256, 1024, 1)]


def flops_per_chain_step(d, h):
    # As bench/mlp.bench.cpp: matrix products only, 2 FLOPs per multiply-add.
    return 4.0 * (d * h + h * h) + 2.0 * h


def make_model(d, h):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.SiLU(), torch.nn.Linear(h, h), torch.nn.SiLU(),
                                torch.nn.Linear(h, 1))
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def make_step(model, step_size):
    gradient_step, noise_scale = step_size / 2, math.sqrt(step_size)

    def step(x):
        x = x.detach().requires_grad_(True)
        energy = model(x).sum()
        (grad,) = torch.autograd.grad(energy, x)
        with torch.no_grad():
            return x.detach().sub_(gradient_step * grad).add_(noise_scale * torch.randn_like(x))
    return step


def run(d, h, n, workers, min_time):
    torch.set_num_threads(workers)
    with threadpool_limits(limits=workers, user_api="blas"):
        blas_threads = max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"),
                           default=None)
        return dict(timed_run(d, h, n, workers, min_time), blas_threads=blas_threads)


def timed_run(d, h, n, workers, min_time):
    model = make_model(d, h)
    step = make_step(model, 0.01)
    x = torch.randn(n, d)
    for _ in range(10):  # warm-up
        x = step(x)
    steps, start, cpu_start = 0, time.perf_counter(), time.thread_time()
    batch = 10
    while True:
        for _ in range(batch):
            x = step(x)
        steps += batch
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
    cpu = time.thread_time() - cpu_start
    rate = steps * n / elapsed
    return {"name": f"langevin_mlp/dim:{d}/hidden:{h}/batch:{n}/workers:{workers}", "impl": "torch",
            "chain_steps_per_s": rate, "chain_steps_per_cpu_s": steps * n / cpu, "gflops": rate * flops_per_chain_step(d, h) * 1e-9, "steps": steps,
            "seconds": elapsed, "finite": bool(torch.isfinite(x).all())}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    for d, h, n, workers in WORKLOADS:
        name = f"langevin_mlp/dim:{d}/hidden:{h}/batch:{n}/workers:{workers}"
        if args.only in name:
            print(json.dumps(run(d, h, n, workers, args.min_time)), flush=True)


if __name__ == "__main__":
    main()
