#!/usr/bin/env python3
"""PyTorch peer of bench/cuda/langevin_mlp.bench.cu: ULA on the MLP energy 2 -> 128 -> 128 -> 1 (SiLU), fp32,
batches 2^16 .. 2^20 on one GPU, eager and torch.compile. Prints one JSON object per line with the same keys as
ember_bench_cuda (chain_steps_per_s, gflops, fraction_of_fp32_peak). TF32 is off, as in ember's cuBLAS calls.

    python3 bench/peers/torch_langevin_gpu.py [--min-log2 16] [--max-log2 20] [--steps 50] [--width 128]
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


def main():
    parser = argparse.ArgumentParser()
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
    torch.manual_seed(1)
    w = args.width
    model = torch.nn.Sequential(torch.nn.Linear(2, w), torch.nn.SiLU(), torch.nn.Linear(w, w), torch.nn.SiLU(),
                                torch.nn.Linear(w, 1)).to(device)
    for p in model.parameters():
        p.requires_grad_(False)
    flops_per_step = 2.0 * (2 * w + w * w + w) + 2.0 * (w * w + w * 2)
    peak = fp32_peak_flops(device)
    eager = make_step(model, 0.01, 0.005)
    variants = [("torch-eager", eager)]
    try:
        variants.append(("torch-compile", torch.compile(eager)))
    except Exception as error:  # torch.compile needs a working inductor/triton toolchain
        print(json.dumps({"impl": "torch-compile", "error": str(error)}), file=sys.stderr)
    for name, step in variants:
        for log2 in range(args.min_log2, args.max_log2 + 1):
            n = 1 << log2
            x = torch.randn(n, 2, device=device)
            try:
                for _ in range(3):  # warm-up (and compilation)
                    x = step(x)
                torch.cuda.synchronize()
                start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(args.steps):
                    x = step(x)
                stop.record()
                torch.cuda.synchronize()
            except Exception as error:
                print(json.dumps({"impl": name, "batch": n, "error": str(error)}))
                break
            seconds = start.elapsed_time(stop) * 1e-3
            rate = n * args.steps / seconds
            print(json.dumps({
                "impl": name, "gpu": torch.cuda.get_device_name(device), "batch": n, "steps": args.steps,
                "chain_steps_per_s": rate, "gflops": rate * flops_per_step * 1e-9,
                "fraction_of_fp32_peak": rate * flops_per_step / peak if peak > 0 else None,
                "peak_tflops": peak * 1e-12}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
