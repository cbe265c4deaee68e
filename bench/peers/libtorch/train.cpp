// libtorch peer of bench/train.bench.cpp: the training loop of bench/peers/torch_train.py in C++ — the MLP
// energy 2 -> 128 -> 128 -> 1 (SiLU) + |x|^2/(2*4^2), K = 10 ULA steps (eps = 0.01, grad_x by autograd), loss
// mean E(data) - mean E(neg) and its parameter gradient by autograd, torch::optim::Adam(1e-2), minibatches of
// 256 from 20 000 points of 8gaussians. train_dcd: VP noise s = 0.2 and the tethered posterior; train_cd: chains
// from the data. Prints one JSON line per workload with the names of ember_bench.
//   ember_torch_train [--min-time 1.0]
#include "common.hpp"

namespace {
constexpr int64_t D = 2, H = 128, B = 256, K = 10;
constexpr double step_size = 0.01, base_scale = 4.0, noise = 0.2;

double update_flops(double d, double h, double batch, double steps) {
  const double chain_step = 4 * (d * h + h * h) + 2 * h;
  const double parameter_gradient = 2 * (d * h + h * h + h) + 4 * h * h + 2 * h * d + 2 * h;
  return steps * batch * chain_step + 2 * batch * parameter_gradient;
}

torch::Tensor eight_gaussians(int64_t n) {
  const auto k = torch::randint(0, 8, {n}).to(torch::kFloat) * (2 * M_PI / 8);
  return 2.0 * torch::stack({torch::cos(k), torch::sin(k)}, 1) + 0.2 * torch::randn({n, 2});
}
}  // namespace

int main(int argc, char** argv) {
  const double min_time = peer::min_time_from(argc, argv);
  for (const std::string method : {"train_dcd", "train_cd"}) {
    for (const int workers : {1, 2}) {
      at::set_num_threads(workers);
      torch::manual_seed(1);
      const auto data = eight_gaussians(20000);
      peer::Mlp model(D, H);
      const auto energy = [&](const torch::Tensor& x) {
        return model->forward(x) + x.square().sum(1) / (2 * base_scale * base_scale);
      };
      torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-2));
      const double a = std::sqrt(1 - noise * noise);
      torch::Tensor loss;
      const auto update = [&] {
        const auto batch = data.index_select(0, torch::randint(0, data.size(0), {B}));
        torch::Tensor x;
        if (method == "train_dcd") {
          const auto noisy = a * batch + noise * torch::randn_like(batch);
          x = noisy / a;
          const auto posterior = [&](const torch::Tensor& v) {
            return energy(v) + (noisy - a * v).square().sum(1) / (2 * noise * noise);
          };
          for (int64_t s = 0; s < K; ++s) x = peer::ula_step(posterior, x, step_size);
        } else {
          x = batch;
          for (int64_t s = 0; s < K; ++s) x = peer::ula_step(energy, x, step_size);
        }
        loss = energy(batch).mean() - energy(x.detach()).mean();
        adam.zero_grad();
        loss.backward();
        adam.step();
      };
      const auto t = peer::timed(update, 1.0, min_time);
      const double rate = t.units / t.seconds;
      std::printf("{\"name\": \"%s/dim:%lld/hidden:%lld/batch:%lld/steps:%lld/workers:%d\", \"impl\": \"libtorch\", "
                  "\"updates_per_s\": %.6g, \"updates_per_cpu_s\": %.6g, \"gflops\": %.6g, \"finite\": %s}\n",
                  method.c_str(), static_cast<long long>(D), static_cast<long long>(H), static_cast<long long>(B),
                  static_cast<long long>(K), workers, rate, t.units / t.cpu_seconds,
                  rate * update_flops(D, H, B, K) * 1e-9, torch::isfinite(loss).item<bool>() ? "true" : "false");
      std::fflush(stdout);
    }
  }
}
