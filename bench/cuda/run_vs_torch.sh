#!/bin/sh
# The one command for the GPU comparison: builds ember_bench_cuda, then runs it and the PyTorch peer
# (eager and torch.compile) on the same GPU in the same run; every line is a JSON object with chain_steps_per_s.
#   bench/cuda/run_vs_torch.sh [build-dir]        (from the repository root; needs nvcc, a GPU, python3-torch)
set -eu
build=${1:-build-cuda-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_EXAMPLES=OFF \
      -DEMBER_BUILD_BENCHMARKS=ON -DEMBER_ENABLE_CUDA=ON
cmake --build "$build" -j2 --target ember_bench_cuda
"$build"/bench/cuda/ember_bench_cuda --path automatic --min-log2 16 --max-log2 20 --steps 50
python3 bench/peers/torch_langevin_gpu.py --min-log2 16 --max-log2 20 --steps 50
