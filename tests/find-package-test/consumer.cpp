// A user's program: include the umbrella header, sample a Gaussian with Langevin, check the variance.
#include <ember/ember.hpp>

#include <cmath>
#include <cstdio>

int main() {
  constexpr int dim = 2;
  auto energy = ember::GaussianEnergy<double>::standard(dim);
  ember::Philox rng(42);
  ember::Batch<double> x = ember::Batch<double>::Zero(4096, dim);
  ember::Langevin<double> kernel({.step_size = 0.1});
  for (int i = 0; i < 200; ++i) kernel.step(energy, x, rng);
  const double var = x.col(0).squaredNorm() / static_cast<double>(x.rows());
  std::printf("variance %.3f (ULA's stationary value %.3f)\n", var, 1.0 / (1.0 - 0.1 / 4.0));
  return std::abs(var - 1.0 / (1.0 - 0.1 / 4.0)) < 0.1 ? 0 : 1;
}
