// A user's program: include the umbrella header, sample a Gaussian with Langevin, check the variance. Built twice:
// with ember::ember (portable) and with ember::native (-march=native), which must select the machine's best ISA.
#include <ember/ember.hpp>

#include <cmath>
#include <cstdio>

int main() {
#if defined(EMBER_CONSUMER_EXPECT_NATIVE)
  // Linked with ember::native: compiled for the machine it runs on, so xsimd's compile-time choice is its best.
  std::printf("xsimd architecture %s\n", xsimd::default_arch::name());
  if (xsimd::default_arch::version() != xsimd::available_architectures().best) {
    std::printf("ember::native did not reach the compiler: this machine runs a better ISA\n");
    return 2;
  }
#endif
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
