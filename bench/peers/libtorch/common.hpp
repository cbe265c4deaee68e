#pragma once
// What the libtorch peers share: the MLP energy (as bench/peers/torch_langevin.py and torch_train.py), the
// ULA step by autograd, the thread settings and the timing loop. Plain libtorch, one JSON line per workload.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

namespace peer {

// The energy network d -> h -> h -> 1 with SiLU (torch::nn defaults: PyTorch's initialisation).
struct MlpImpl : torch::nn::Module {
  MlpImpl(int64_t d, int64_t h)
      : l1(register_module("l1", torch::nn::Linear(d, h))),
        l2(register_module("l2", torch::nn::Linear(h, h))),
        out(register_module("out", torch::nn::Linear(h, 1))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return out->forward(torch::silu(l2->forward(torch::silu(l1->forward(x))))).squeeze(1);
  }
  torch::nn::Linear l1, l2, out;
};
TORCH_MODULE(Mlp);

// One ULA step x <- x - (eps/2) grad E(x) + sqrt(eps) xi; `energy(x)` returns the per-row energies.
template <class Energy>
torch::Tensor ula_step(Energy&& energy, torch::Tensor x, double step_size) {
  x = x.detach().requires_grad_(true);
  const auto e = energy(x).sum();
  const auto grad = torch::autograd::grad({e}, {x})[0];
  torch::NoGradGuard no_grad;
  return x.detach().sub_(grad, step_size / 2).add_(torch::randn_like(x), std::sqrt(step_size));
}

inline double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Runs `work` (which performs `per_call` units) until min_time seconds have passed; returns
// {units, wall seconds, thread CPU seconds}.
struct Timing {
  double units = 0, seconds = 0, cpu_seconds = 0;
};
template <class Work>
Timing timed(Work&& work, double per_call, double min_time) {
  for (int i = 0; i < 3; ++i) work();  // warm-up
  Timing t;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  do {
    work();
    t.units += per_call;
    t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (t.seconds < min_time);
  t.cpu_seconds = thread_cpu_seconds() - cpu_start;
  return t;
}

inline double min_time_from(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--min-time") return std::stod(argv[i + 1]);
  return 1.0;
}

}  // namespace peer
