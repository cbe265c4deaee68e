// ember_bench_cuda: device Langevin (ULA) on the MLP energy 2 → 128 → 128 → 1 (SiLU), fp32, at batches
// 2^16 .. 2^20 chains. Reports chain-steps/s, the GFLOP/s of the dense layers and that rate as a fraction of
// the GPU's fp32 peak (SMs × FP32 lanes per SM × 2 × boost clock), one JSON object per line, so that
// bench/peers/torch_langevin_gpu.py (PyTorch eager and torch.compile on the same GPU) prints comparable lines.
//
//   ember_bench_cuda [--min-log2 16] [--max-log2 20] [--steps 50] [--width 128] [--path blas|fused|automatic]
#include "ember/cuda/ember_cuda.cuh"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ember/core/random.hpp"

namespace {

int fp32_lanes_per_sm(int major, int minor) {
  if (major == 8 && minor == 0) return 64;  // A100
  if (major < 8) return 64;
  return 128;  // 8.6, 8.9, 9.0 (H100/H200), 10.x, 12.x
}

const char* arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using ember::Index;
  const int min_log2 = std::atoi(arg(argc, argv, "--min-log2", "16"));
  const int max_log2 = std::atoi(arg(argc, argv, "--max-log2", "20"));
  const Index steps = std::atoi(arg(argc, argv, "--steps", "50"));
  const Index width = std::atoi(arg(argc, argv, "--width", "128"));
  const std::string path_name = arg(argc, argv, "--path", "automatic");
  const auto path = path_name == "fused" ? ember::cuda::MlpPath::fused
                    : path_name == "blas" ? ember::cuda::MlpPath::blas
                                          : ember::cuda::MlpPath::automatic;

  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("{\"error\": \"no CUDA device\"}\n");
    return 77;
  }
  cudaDeviceProp prop{};
  ember::cuda::detail::check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  int clock_khz = 0;
  ember::cuda::detail::check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0), "cudaDeviceGetAttribute");
  const double peak_flops = 2.0 * prop.multiProcessorCount * fp32_lanes_per_sm(prop.major, prop.minor) * clock_khz * 1e3;

  const std::vector<Index> widths{2, width, width};
  Index count = 0;
  for (std::size_t l = 1; l < widths.size(); ++l) count += widths[l] * widths[l - 1] + widths[l];
  count += widths.back() + 1;
  ember::Philox init(1);
  ember::Batch<float> theta(count, 1);
  init.normal(theta);
  theta *= 0.1f;
  ember::cuda::DeviceMlp<float, ember::cuda::Silu> mlp(widths, theta.col(0), 0.0f, path);
  // Dense-layer FLOPs per chain-step: forward 2(d h + h h + h), input gradient 2(h h + h d).
  const double flops_per_step = 2.0 * (2 * width + width * width + width) + 2.0 * (width * width + width * 2);

  for (int log2 = min_log2; log2 <= max_log2; ++log2) {
    const Index n = Index{1} << log2;
    ember::Batch<float> x0(n, 2);
    init.normal(x0);
    ember::cuda::DeviceBatch<float> x(x0);
    ember::cuda::Langevin<float> kernel = ember::cuda::Langevin<float>::decoupled(0.01f, 0.005f);
    ember::Philox rng(2);
    kernel.run(mlp, x, rng, 3);  // warm-up: workspaces, cuBLAS heuristics
    cudaEvent_t start, stop;
    ember::cuda::detail::check(cudaEventCreate(&start), "cudaEventCreate");
    ember::cuda::detail::check(cudaEventCreate(&stop), "cudaEventCreate");
    ember::cuda::detail::check(cudaEventRecord(start), "cudaEventRecord");
    kernel.run(mlp, x, rng, steps);
    ember::cuda::detail::check(cudaEventRecord(stop), "cudaEventRecord");
    ember::cuda::detail::check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0;
    ember::cuda::detail::check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    const double rate = static_cast<double>(n) * static_cast<double>(steps) / (ms * 1e-3);
    std::printf("{\"impl\": \"ember-cuda-%s\", \"gpu\": \"%s\", \"batch\": %lld, \"steps\": %lld, "
                "\"chain_steps_per_s\": %.6e, \"gflops\": %.1f, \"fraction_of_fp32_peak\": %.4f, \"peak_tflops\": %.1f}\n",
                mlp.fused() ? "fused" : "blas", prop.name, static_cast<long long>(n), static_cast<long long>(steps),
                rate, rate * flops_per_step * 1e-9, rate * flops_per_step / peak_flops, peak_flops * 1e-12);
    std::fflush(stdout);
  }
  return 0;
}
