#!/usr/bin/env python3
"""PyTorch peer of bench/cuda/langevin_mlp.bench.cu, eager and torch.compile, fp32, on one GPU:
  langevin  ULA on the MLP energy 2 -> 128 -> 128 -> 1 (SiLU), batches 2^min .. 2^max
  mala      MALA on the same MLP (one energy and gradient per step; the current one carried over)
  gibbs     block Gibbs on a Bernoulli RBM 784 x 256, batches 2^(min-4) .. 2^(max-4)
Prints one JSON object per line with the same keys as ember_bench_cuda (workload, impl, batch,
chain_steps_per_s, gflops, fraction_of_fp32_peak). TF32 is off, as in ember's cuBLAS calls. The fp32 peak
needs the SM clock, which recent PyTorch no longer reports: bench/cuda/run_vs_torch.sh recomputes the fraction
from ember_bench_cuda's peak.

    python3 bench/peers/torch_langevin_gpu.py [--workload all] [--min-log2 16] [--max-log2 20] [--steps 50]
"""
import argparse
import json
import sys

import torch


def fp32_peak_flops(device):
    prop = torch.cuda.get_device_properties(device)
    lanes = 64 if (prop.major, prop.minor) == (8, 0) or prop.major < 8 else 128
    clock_hz = getattr(prop, "clock_rate", 0) * 1e3  # kHz; absent in some builds
    return 2.0 * prop.multi_processor_count * lanes * clock_hz


def make_step(model, gradient_step, noise_scale):
    def step(x):
        x = x.detach().requires_grad_(True)
        energy = model(x).sum()
        (grad,) = torch.autograd.grad(energy, x)
        return (x - gradient_step * grad + noise_scale * torch.randn_like(x)).detach()
    return step


def make_mala_step(model, step_size):
    half, root = step_size / 2, step_size ** 0.5

    def energy_and_gradient(x):
        x = x.detach().requires_grad_(True)
        e = model(x).squeeze(-1)
        (g,) = torch.autograd.grad(e.sum(), x)
        return e.detach(), g.detach()

    def step(state):
        x, e, g = state
        xi = torch.randn_like(x)
        y = x - half * g + root * xi
        ey, gy = energy_and_gradient(y)
        reverse = ((x - y + half * gy) ** 2).sum(-1)
        # the forward term ‖y − x + (ε/2)∇E(x)‖² is ε‖ξ‖², as in ember::Mala
        log_ratio = e - ey - (reverse - step_size * (xi ** 2).sum(-1)) / (2 * step_size)
        accept = torch.log(torch.rand_like(e)) < log_ratio
        return (torch.where(accept[:, None], y, x), torch.where(accept, ey, e), torch.where(accept[:, None], gy, g))

    return energy_and_gradient, step


def make_gibbs_step(w, b, c):
    def step(v):
        h = torch.bernoulli(torch.sigmoid(v @ w + c))
        return torch.bernoulli(torch.sigmoid(h @ w.t() + b))
    return step


def timed(step, state, steps):
    for _ in range(3):  # warm-up (and compilation)
        state = step(state)
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(steps):
        state = step(state)
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) * 1e-3


def compiled(fn, name):
    try:
        return torch.compile(fn)
    except Exception as error:  # torch.compile needs a working inductor/triton toolchain
        print(json.dumps({"impl": name, "error": str(error)}), file=sys.stderr)
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", choices=["all", "langevin", "mala", "gibbs"], default="all")
    parser.add_argument("--min-log2", type=int, default=16)
    parser.add_argument("--max-log2", type=int, default=20)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--width", type=int, default=128)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device"}))
        return 77
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda")
    gpu = torch.cuda.get_device_name(device)
    peak = fp32_peak_flops(device)
    torch.manual_seed(1)
    w = args.width
    model = torch.nn.Sequential(torch.nn.Linear(2, w), torch.nn.SiLU(), torch.nn.Linear(w, w), torch.nn.SiLU(),
                                torch.nn.Linear(w, 1)).to(device)
    for p in model.parameters():
        p.requires_grad_(False)
    mlp_flops = 2.0 * (2 * w + w * w + w) + 2.0 * (w * w + w * 2)
    wanted = lambda name: args.workload in ("all", name)

    def report(workload, impl, n, seconds, flops):
        rate = n * args.steps / seconds
        print(json.dumps({
            "workload": workload, "impl": impl, "gpu": gpu, "batch": n, "steps": args.steps,
            "chain_steps_per_s": rate, "gflops": rate * flops * 1e-9,
            "fraction_of_fp32_peak": rate * flops / peak if peak > 0 else None,
            "peak_tflops": peak * 1e-12 if peak > 0 else None}), flush=True)

    def run(workload, variants, make_state, sizes, flops):
        for impl, step in variants:
            if step is None:
                continue
            for log2 in sizes:
                n = 1 << log2
                try:
                    seconds = timed(step, make_state(n), args.steps)
                except Exception as error:
                    print(json.dumps({"workload": workload, "impl": impl, "batch": n, "error": str(error)[:300]}),
                          flush=True)
                    break
                report(workload, impl, n, seconds, flops)

    sizes = range(args.min_log2, args.max_log2 + 1)
    if wanted("langevin"):
        eager = make_step(model, 0.01, 0.005)
        run("langevin", [("torch-eager", eager), ("torch-compile", compiled(eager, "torch-compile"))],
            lambda n: torch.randn(n, 2, device=device), sizes, mlp_flops)
    if wanted("mala"):
        energy_and_gradient, eager = make_mala_step(model, 0.01)

        def mala_state(n):
            x = torch.randn(n, 2, device=device)
            return (x,) + energy_and_gradient(x)
        run("mala", [("torch-eager", eager), ("torch-compile", compiled(eager, "torch-compile"))], mala_state, sizes,
            mlp_flops)
    if wanted("gibbs"):
        visible, hidden = 784, 256
        weights = 0.01 * torch.randn(visible, hidden, device=device)
        b, c = torch.zeros(visible, device=device), torch.zeros(hidden, device=device)
        eager = make_gibbs_step(weights, b, c)
        run("gibbs", [("torch-eager", eager), ("torch-compile", compiled(eager, "torch-compile"))],
            lambda n: torch.bernoulli(torch.full((n, visible), 0.5, device=device)),
            range(max(args.min_log2 - 4, 8), args.max_log2 - 4 + 1), 4.0 * visible * hidden)
    return 0


if __name__ == "__main__":
    sys.exit(main())
