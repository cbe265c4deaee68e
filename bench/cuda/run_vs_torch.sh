#!/usr/bin/env bash
# The one command for the GPU run of issue #21, from the repository root on a machine with nvcc and a GPU:
#   bench/cuda/run_vs_torch.sh [table.md]
# 1. configures and builds the CUDA tests and ember_bench_cuda (nvcc; -j16; EMBER_CUDA_ARCHITECTURES defaults
#    to the GPU in the machine, "native");
# 2. runs the CUDA tests (ctest -L cuda: the CPU-side tests of the device arithmetic and the device tests);
# 3. runs ember_bench_cuda: MLP 2→128→128→1 Langevin and MALA at batches 2^16..2^20, RBM 784×256 Gibbs;
# 4. runs the PyTorch peer (eager and torch.compile) on the same GPU when python3 can import torch;
# 5. writes a markdown table (chain-steps/s, GFLOP/s, fraction of fp32 peak, speed-up over PyTorch eager) to
#    the path given, else to $OUT/cuda_vs_torch.md when $OUT is set, else to build-cuda-run/cuda_vs_torch.md.
# fp32 peak = 2 FLOP (an FMA) × SMs × FP32 lanes per SM (64 on sm_80, 128 on sm_86 and later, H100/H200
# included) × the maximum SM clock; ember_bench_cuda reads SMs and clock with cudaGetDeviceProperties and
# cudaDevAttrClockRate, and this script prints nvidia-smi's maximum SM clock beside it.
# Every phase has its own time limit; the whole script is meant to finish in about 5 minutes.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build-cuda-run}
out_dir=${OUT:-$build}
mkdir -p "$out_dir"
table=${1:-$out_dir/cuda_vs_torch.md}
log=$out_dir/run_vs_torch.log
raw=$out_dir/run_vs_torch.jsonl
: > "$raw"
exec > >(tee "$log") 2>&1
t0=$(date +%s)
phase() { echo "=== [$(( $(date +%s) - t0 )) s] $*"; }
status=0

phase "GPU"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,driver_version --format=csv || echo "nvidia-smi failed"

phase "configure (nvcc, EMBER_CUDA_ARCHITECTURES=${EMBER_CUDA_ARCHITECTURES:-native})"
timeout 180 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_TESTS=ON -DEMBER_BUILD_BENCHMARKS=ON \
  -DEMBER_BUILD_EXAMPLES=OFF -DEMBER_ENABLE_CUDA=ON -DEMBER_CUDA_ARCHITECTURES="${EMBER_CUDA_ARCHITECTURES:-native}" \
  > "$out_dir/configure.log" 2>&1 || { echo "configure failed (see configure.log)"; tail -20 "$out_dir/configure.log"; exit 1; }

phase "build (-j16)"
targets="ember_bench_cuda ember_test_cuda_host ember_test_cuda_nvcc_host ember_test_cuda_random ember_test_cuda_sampling ember_test_cuda_gibbs"
# shellcheck disable=SC2086
timeout 300 cmake --build "$build" -j16 --target $targets > "$out_dir/build.log" 2>&1 \
  || { echo "build failed (see build.log)"; grep -E "error|Error" "$out_dir/build.log" | head -30; status=1; }

phase "CUDA tests (ctest -L cuda)"
timeout 180 ctest --test-dir "$build" -L cuda --output-on-failure -j4 > "$out_dir/ctest.log" 2>&1 || status=1
tail -25 "$out_dir/ctest.log"

phase "ember_bench_cuda"
if [ -x "$build/bench/cuda/ember_bench_cuda" ]; then
  timeout 150 "$build/bench/cuda/ember_bench_cuda" --workload all --min-log2 16 --max-log2 20 --steps 50 | tee -a "$raw" \
    || status=1
else
  echo "ember_bench_cuda was not built"
  status=1
fi

phase "PyTorch peer"
if python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  timeout 240 python3 bench/peers/torch_langevin_gpu.py --workload all --min-log2 16 --max-log2 20 --steps 50 \
    | tee -a "$raw" || echo "the PyTorch peer failed or timed out (its lines so far are kept)"
else
  echo "PyTorch with CUDA is not available here (python3 cannot import torch, or torch sees no GPU): no peer numbers"
fi

phase "table"
python3 - "$raw" "$table" <<'PY'
import json, sys
raw, table = sys.argv[1], sys.argv[2]
rows = []
for line in open(raw):
    line = line.strip()
    if line.startswith("{"):
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass
failed = [r for r in rows if "error" in r]
rows = [r for r in rows if "chain_steps_per_s" in r]
peak = max((r.get("peak_tflops") or 0 for r in rows if r["impl"].startswith("ember")), default=0)
gpu = next((r["gpu"] for r in rows if "gpu" in r), "unknown GPU")
eager = {(r.get("workload", "langevin"), r["batch"]): r["chain_steps_per_s"] for r in rows if r["impl"] == "torch-eager"}
out = [f"GPU: {gpu}; fp32 peak {peak:.1f} TFLOP/s (2 × SMs × FP32 lanes/SM × max SM clock)", "",
       "| workload | implementation | chains | chain-steps/s | GFLOP/s | % of fp32 peak | × PyTorch eager |",
       "|---|---|---:|---:|---:|---:|---:|"]
for r in sorted(rows, key=lambda r: (r.get("workload", "langevin"), r["impl"], r["batch"])):
    w = r.get("workload", "langevin")
    gflops = r.get("gflops") or 0
    frac = 100 * gflops / (peak * 1e3) if peak else float("nan")
    base = eager.get((w, r["batch"]))
    speed = f"{r['chain_steps_per_s'] / base:.2f}" if base else "–"
    out.append(f"| {w} | {r['impl']} | 2^{r['batch'].bit_length() - 1} | {r['chain_steps_per_s']:.3e} | "
               f"{gflops:.0f} | {frac:.1f} | {speed} |")
for r in failed:
    out.append(f"\nNot measured: {r.get('workload', '')} {r.get('impl', '')} {r.get('batch', '')}: {r['error']}")
open(table, "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
phase "done (status $status); table: $table, log: $log"
exit $status
