// ember_bench_cuda: fp32 sampling rates on the device, one JSON object per line, so that
// bench/peers/torch_langevin_gpu.py (PyTorch eager and torch.compile on the same GPU) prints comparable lines.
// Workloads:
//   langevin  device Langevin (ULA) on the MLP energy 2 → 128 → 128 → 1 (SiLU) at batches 2^min .. 2^max chains
//   mala      device MALA on the same MLP (one energy and gradient per step, plus the accept kernel)
//   gibbs     block Gibbs on a Bernoulli RBM 784 × 256 (two GEMMs and two sampling kernels per sweep)
// Each line reports chain-steps/s, the GFLOP/s of the dense layers and that rate as a fraction of the GPU's
// fp32 peak = 2 × SMs × FP32 lanes per SM × the SM clock (cudaDevAttrClockRate, the maximum clock).
//
//   ember_bench_cuda [--workload all|langevin|mala|gibbs] [--min-log2 16] [--max-log2 20] [--steps 50]
//                    [--width 128] [--path blas|fused|automatic]
#include "ember/cuda/ember_cuda.cuh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/energy/rbm.hpp"

namespace {

int fp32_lanes_per_sm(int major, int minor) {
  if (major == 8 && minor == 0) return 64;  // A100
  if (major < 8) return 64;
  return 128;  // 8.6, 8.9, 9.0 (H100/H200), 10.x, 12.x
}

// Milliseconds of `steps` calls of `step` on the default stream, after `warm_up` calls (workspaces, cuBLAS).
template <class Step>
double time_ms(Step&& step, int warm_up, ember::Index steps) {
  for (int s = 0; s < warm_up; ++s) step();
  cudaEvent_t start, stop;
  ember::cuda::detail::check(cudaEventCreate(&start), "cudaEventCreate");
  ember::cuda::detail::check(cudaEventCreate(&stop), "cudaEventCreate");
  ember::cuda::detail::check(cudaEventRecord(start), "cudaEventRecord");
  for (ember::Index s = 0; s < steps; ++s) step();
  ember::cuda::detail::check(cudaEventRecord(stop), "cudaEventRecord");
  ember::cuda::detail::check(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0;
  ember::cuda::detail::check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms;
}

struct Report {
  const char* gpu;
  double peak_flops;
  void line(const std::string& workload, const std::string& impl, ember::Index n, ember::Index steps, double ms,
            double flops_per_step) const {
    const double rate = static_cast<double>(n) * static_cast<double>(steps) / (ms * 1e-3);
    std::printf("{\"workload\": \"%s\", \"impl\": \"%s\", \"gpu\": \"%s\", \"batch\": %lld, \"steps\": %lld, "
                "\"chain_steps_per_s\": %.6e, \"gflops\": %.1f, \"fraction_of_fp32_peak\": %.4f, \"peak_tflops\": %.1f}\n",
                workload.c_str(), impl.c_str(), gpu, static_cast<long long>(n), static_cast<long long>(steps), rate,
                rate * flops_per_step * 1e-9, rate * flops_per_step / peak_flops, peak_flops * 1e-12);
    std::fflush(stdout);
  }
};

const char* arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using ember::Index;
  const std::string workload = arg(argc, argv, "--workload", "all");
  const int min_log2 = std::atoi(arg(argc, argv, "--min-log2", "16"));
  const int max_log2 = std::atoi(arg(argc, argv, "--max-log2", "20"));
  const Index steps = std::atoi(arg(argc, argv, "--steps", "50"));
  const Index width = std::atoi(arg(argc, argv, "--width", "128"));
  const std::string path_name = arg(argc, argv, "--path", "automatic");
  const auto path = path_name == "fused" ? ember::cuda::MlpPath::fused
                    : path_name == "blas" ? ember::cuda::MlpPath::blas
                                          : ember::cuda::MlpPath::automatic;
  const auto wanted = [&](const char* name) { return workload == "all" || workload == name; };

  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("{\"error\": \"no CUDA device\"}\n");
    return 77;
  }
  cudaDeviceProp prop{};
  ember::cuda::detail::check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  int clock_khz = 0;
  ember::cuda::detail::check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0), "cudaDeviceGetAttribute");
  const Report report{prop.name,
                      2.0 * prop.multiProcessorCount * fp32_lanes_per_sm(prop.major, prop.minor) * clock_khz * 1e3};

  const std::vector<Index> widths{2, width, width};
  Index count = 0;
  for (std::size_t l = 1; l < widths.size(); ++l) count += widths[l] * widths[l - 1] + widths[l];
  count += widths.back() + 1;
  ember::Philox init(1);
  ember::Batch<float> theta(count, 1);
  init.normal(theta);
  theta *= 0.1f;
  ember::cuda::DeviceMlp<float, ember::cuda::Silu> mlp(widths, theta.col(0), 0.0f, path);
  const std::string mlp_impl = std::string("ember-cuda-") + (mlp.fused() ? "fused" : "blas");
  // Dense-layer FLOPs per chain-step: forward 2(d h + h h + h), input gradient 2(h h + h d).
  const double mlp_flops = 2.0 * (2 * width + width * width + width) + 2.0 * (width * width + width * 2);

  for (int log2 = min_log2; log2 <= max_log2; ++log2) {
    const Index n = Index{1} << log2;
    ember::Batch<float> x0(n, 2);
    init.normal(x0);
    if (wanted("langevin")) {
      ember::cuda::DeviceBatch<float> x(x0);
      auto kernel = ember::cuda::Langevin<float>::decoupled(0.01f, 0.005f);
      ember::Philox rng(2);
      kernel.run(mlp, x, rng, 3);  // warm-up: workspaces, cuBLAS heuristics
      // One run of `steps` steps: NaN/Inf are checked once, at its end (no synchronisation per step).
      const double ms = time_ms([&] { kernel.run(mlp, x, rng, steps); }, 0, 1);
      report.line("langevin", mlp_impl, n, steps, ms, mlp_flops);
    }
    if (wanted("mala")) {
      ember::cuda::DeviceBatch<float> x(x0);
      ember::cuda::Mala<float> kernel({.step_size = 0.01f});
      ember::Philox rng(3);
      kernel.run(mlp, x, rng, 3);  // warm-up
      // One run: the current state's energy and gradient are carried over, one evaluation per step.
      const double ms = time_ms([&] { kernel.run(mlp, x, rng, steps); }, 0, 1);
      report.line("mala", mlp_impl, n, steps, ms, mlp_flops);
    }
  }

  if (wanted("gibbs")) {
    constexpr Index visible = 784, hidden = 256;
    ember::Philox rng(4);
    const auto host = ember::Rbm<float>::random(visible, hidden, rng, 0.01f);
    const ember::cuda::DeviceRbm<float> rbm(host);
    ember::cuda::BlockGibbs<float> gibbs;
    // Two GEMMs of 2·d·h FLOPs per chain-sweep.
    const double flops = 2.0 * 2.0 * visible * hidden;
    for (int log2 = std::max(min_log2 - 4, 8); log2 <= max_log2 - 4; ++log2) {  // 784 floats a chain: 2^16 = 200 MB
      const Index n = Index{1} << log2;
      ember::Batch<float> v0(n, visible);
      rng.uniform(v0);
      v0 = (v0.array() < 0.5f).cast<float>();
      ember::cuda::DeviceBatch<float> v(v0);
      const double ms = time_ms([&] { gibbs.step(rbm, v, rng); }, 3, steps);
      report.line("gibbs", "ember-cuda", n, steps, ms, flops);
    }
  }
  return 0;
}
