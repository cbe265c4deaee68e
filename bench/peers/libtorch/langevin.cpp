// libtorch peer of bench/mlp.bench.cpp (langevin_mlp): ULA on the MLP energy d -> h -> h -> 1 (SiLU, float32),
// grad E by autograd, at::set_num_threads(W). Prints one JSON line per workload with the names of ember_bench.
//   ember_torch_langevin [--min-time 1.0]
#include "common.hpp"

namespace {
double flops_per_chain_step(double d, double h) { return 4 * (d * h + h * h) + 2 * h; }
}  // namespace

int main(int argc, char** argv) {
  const double min_time = peer::min_time_from(argc, argv);
  torch::NoGradGuard outer;  // parameters need no gradient; ula_step enables it for x
  const int64_t shapes[][4] = {{2, 128, 64, 1}, {2, 128, 64, 2}, {2, 128, 1024, 1}, {2, 128, 1024, 2},
                               {2, 128, 8192, 1}, {2, 128, 8192, 2}, {32, 256, 1024, 1}};
  for (const auto& s : shapes) {
    const int64_t d = s[0], h = s[1], n = s[2], workers = s[3];
    at::set_num_threads(static_cast<int>(workers));
    torch::manual_seed(1);
    peer::Mlp model(d, h);
    for (auto& p : model->parameters()) p.set_requires_grad(false);
    auto x = torch::randn({n, d});
    const auto step = [&] {
      torch::AutoGradMode enable(true);
      x = peer::ula_step([&](const torch::Tensor& v) { return model->forward(v); }, x, 0.01);
    };
    const auto t = peer::timed(step, static_cast<double>(n), min_time);
    const double rate = t.units / t.seconds;
    std::printf("{\"name\": \"langevin_mlp/dim:%lld/hidden:%lld/batch:%lld/workers:%lld\", \"impl\": \"libtorch\", "
                "\"chain_steps_per_s\": %.6g, \"chain_steps_per_cpu_s\": %.6g, \"gflops\": %.6g, \"finite\": %s}\n",
                static_cast<long long>(d), static_cast<long long>(h), static_cast<long long>(n),
                static_cast<long long>(workers), rate, t.units / t.cpu_seconds,
                rate * flops_per_chain_step(static_cast<double>(d), static_cast<double>(h)) * 1e-9,
                torch::isfinite(x).all().item<bool>() ? "true" : "false");
    std::fflush(stdout);
  }
}
