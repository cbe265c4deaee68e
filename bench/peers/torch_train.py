#!/usr/bin/env python3
"""PyTorch (CPU) peer of bench/train.bench.cpp: the same training loop written plainly in PyTorch — the MLP energy
2 -> 128 -> 128 -> 1 (SiLU, float32, PyTorch's default init) plus the base |x|^2/(2*4^2), negatives by K = 10 ULA
steps x <- x - (eps/2) grad_x E + sqrt(eps) xi (eps = 0.01; grad_x by autograd), loss mean E(data) - mean E(neg),
its parameter gradient by autograd, torch.optim.Adam(lr = 1e-2), minibatches of 256 drawn with replacement from
20 000 points of 8gaussians (radius 2, sigma 0.2). Methods, as ember_bench names them:
  train_dcd  DCD with variance-preserving noise s = 0.2, a = sqrt(1 - s^2): x~ = a x + s eps, chains start at
             x~/a and sample the tethered posterior E(x) + |x~ - a x|^2/(2 s^2);
  train_cd   CD-10, chains start at the data;
  train_pcd  PCD-10 from a replay buffer of 10 000 chains (5 % reinitialised uniformly in [-4, 4]^2).
torch.set_num_threads(W) and the OpenBLAS pool limited to W threads (threadpoolctl; see torch_langevin.py).
Prints one JSON object per line: {"name", "updates_per_s" (wall clock), "updates_per_cpu_s" (this thread's
CPU time), "gflops" (the FLOP count of bench/train.bench.cpp), "updates", "seconds", "blas_threads", "finite"}.

    /usr/bin/python3 bench/peers/torch_train.py [--min-time 1.0] [--only NAME_SUBSTRING]
"""
import argparse
import json
import math
import time

import torch
from threadpoolctl import threadpool_info, threadpool_limits

WORKLOADS = [("train_dcd", 1), ("train_dcd", 2), ("train_cd", 1), ("train_cd", 2), ("train_pcd", 1),
             ("train_pcd", 2)]
D, H, BATCH, STEPS, STEP_SIZE, BASE_SCALE, NOISE = 2, 128, 256, 10, 0.01, 4.0, 0.2


def update_flops(d, h, batch, steps):
    # As bench/train.bench.cpp: the sampler's chain-steps and the parameter gradient at 2B points.
    chain_step = 4.0 * (d * h + h * h) + 2.0 * h
    parameter_gradient = 2.0 * (d * h + h * h + h) + 4.0 * h * h + 2.0 * h * d + 2.0 * h
    return steps * batch * chain_step + 2 * batch * parameter_gradient


def eight_gaussians(n, generator):
    k = torch.randint(0, 8, (n,), generator=generator)
    angle = k.float() * (2 * math.pi / 8)
    centres = 2.0 * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    return centres + 0.2 * torch.randn(n, 2, generator=generator)


class Energy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.SiLU(), torch.nn.Linear(H, H),
                                       torch.nn.SiLU(), torch.nn.Linear(H, 1))

    def forward(self, x):
        return self.net(x).squeeze(1) + x.square().sum(1) / (2 * BASE_SCALE ** 2)


def langevin(energy, x, steps, tether=None):
    """K ULA steps on E (or on the tethered posterior E(x) + |y - a x|^2/(2 s^2) when tether = (y, a, s))."""
    gradient_step, noise_scale = STEP_SIZE / 2, math.sqrt(STEP_SIZE)
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        e = energy(x)
        if tether is not None:
            y, a, s = tether
            e = e + (y - a * x).square().sum(1) / (2 * s * s)
        (grad,) = torch.autograd.grad(e.sum(), x)
        with torch.no_grad():
            x = x.detach().sub_(gradient_step * grad).add_(noise_scale * torch.randn_like(x))
    return x.detach()


def make_update(method, energy, optimizer, data):
    buffer = torch.empty(10000, D).uniform_(-4, 4)
    a = math.sqrt(1 - NOISE * NOISE)

    def update():
        batch = data[torch.randint(0, data.shape[0], (BATCH,))]
        if method == "train_dcd":
            noisy = a * batch + NOISE * torch.randn_like(batch)
            negatives = langevin(energy, noisy / a, STEPS, tether=(noisy, a, NOISE))
        elif method == "train_cd":
            negatives = langevin(energy, batch, STEPS)
        else:
            index = torch.randint(0, buffer.shape[0], (BATCH,))
            start = buffer[index]
            fresh = torch.rand(BATCH) < 0.05
            start[fresh] = torch.empty(int(fresh.sum()), D).uniform_(-4, 4)
            negatives = langevin(energy, start, STEPS)
            buffer[index] = negatives
        loss = energy(batch).mean() - energy(negatives).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss
    return update


def timed_run(method, workers, min_time):
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    data = eight_gaussians(20000, generator)
    energy = Energy()
    optimizer = torch.optim.Adam(energy.parameters(), lr=1e-2)
    update = make_update(method, energy, optimizer, data)
    for _ in range(20):  # warm-up
        update()
    updates, start, cpu_start = 0, time.perf_counter(), time.thread_time()
    while True:
        for _ in range(20):
            loss = update()
        updates += 20
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
    cpu = time.thread_time() - cpu_start
    rate = updates / elapsed
    return {"name": f"{method}/dim:{D}/hidden:{H}/batch:{BATCH}/steps:{STEPS}/workers:{workers}", "impl": "torch",
            "updates_per_s": rate, "updates_per_cpu_s": updates / cpu,
            "gflops": rate * update_flops(D, H, BATCH, STEPS) * 1e-9, "updates": updates, "seconds": elapsed,
            "finite": bool(torch.isfinite(loss))}


def run(method, workers, min_time):
    torch.set_num_threads(workers)
    with threadpool_limits(limits=workers, user_api="blas"):
        blas_threads = max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"),
                           default=None)
        return dict(timed_run(method, workers, min_time), blas_threads=blas_threads)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    for method, workers in WORKLOADS:
        name = f"{method}/dim:{D}/hidden:{H}/batch:{BATCH}/steps:{STEPS}/workers:{workers}"
        if args.only in name:
            print(json.dumps(run(method, workers, args.min_time)), flush=True)


if __name__ == "__main__":
    main()
