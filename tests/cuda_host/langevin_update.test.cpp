// tests include/ember/cuda/detail/langevin_update.hpp: the device Langevin update, compiled by g++, against
// ember::Langevin (the CPU path) on the same energy, gradient and Philox draw.
#include "ember/cuda/detail/langevin_update.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ember/energy/mlp.hpp"
#include "ember/mcmc/langevin.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

namespace {

// One step of ember::Langevin `kernel` from x on the CPU, and the same step through langevin_chain_update.
// Both round x − λg and then + σξ once each (fma on one side, possibly not on the other), and their ξ differ
// by Box–Muller's last bits, so per entry: |Δ| ≤ ε(|λg| + |x − λg| + |σξ| + |x′|) + σ|Δξ|(1 + ε).
template <class T>
void check_step(ember::Langevin<T> kernel, T clip, Index d) {
  const ember::MlpEnergy<T> energy({d, 8}, 5, {.base_scale = T(1)});
  Batch<T> x = ember::test::normal_batch<T>(333, d, 13, T(2));
  Batch<T> g(x.rows(), d);
  Vector<T> e(x.rows());
  energy.energy_and_gradient(x, e, g);
  const ember::Philox seed(77, 4);

  Batch<T> x_cpu = x;
  ember::Philox rng_cpu = seed;
  kernel.step(energy, x_cpu, rng_cpu);

  Batch<T> x_dev = x;
  ember::Philox rng_dev = seed;
  const ember::PhiloxDraw draw = rng_dev.draw();
  for (Index i = 0; i < x.rows(); ++i)
    CHECK(ember::cuda::detail::langevin_chain_update(x_dev.data(), g.data(), i, x.rows(), d, draw, kernel.gradient_step(),
                                                     kernel.noise_scale(), clip));
  Batch<T> xi_cpu(x.rows(), d);
  draw.template normal<T>(xi_cpu, 0);

  const T eps = std::numeric_limits<T>::epsilon();
  Index violations = 0;
  for (Index i = 0; i < x.rows(); ++i) {
    for (Index j = 0; j < d; ++j) {
      const T gc = clip > T(0) ? std::clamp(g(i, j), -clip, clip) : g(i, j);
      const T drift = kernel.gradient_step() * gc;
      const T xi_dev = ember::cuda::philox_normal<T>(draw, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
      const T noise = kernel.noise_scale() * xi_cpu(i, j);
      const T bound = eps * (std::abs(drift) + std::abs(x(i, j) - drift) + std::abs(noise) + std::abs(x_cpu(i, j))) +
                      kernel.noise_scale() * std::abs(xi_dev - xi_cpu(i, j)) * (1 + eps);
      violations += std::abs(x_dev(i, j) - x_cpu(i, j)) > bound;
    }
  }
  CHECK(violations == 0);
}

}  // namespace

TEMPLATE_TEST_CASE("cuda langevin_update: one step equals ember::Langevin's within rounding", "[cuda_host][langevin]",
                   float, double) {
  using T = TestType;
  SECTION("textbook form, d = 2") { check_step<T>(ember::Langevin<T>({.step_size = T(0.1)}), T(0), 2); }
  SECTION("decoupled form, d = 7 (a full and a partial block of four normals)") {
    check_step<T>(ember::Langevin<T>::decoupled(T(0.05), T(0.3)), T(0), 7);
  }
  SECTION("decoupled form with gradient clipping") {
    check_step<T>(ember::Langevin<T>::decoupled(T(0.05), T(0.3), T(0.2)), T(0.2), 5);
  }
}

TEST_CASE("cuda langevin_update: coordinates, clipping and the non-finite report", "[cuda_host][langevin]") {
  using ember::cuda::detail::clip_gradient;
  using ember::cuda::detail::langevin_coordinate;
  CHECK(langevin_coordinate(1.0, 2.0, 0.5, 0.25, 0.1) == 1.0 - 0.5 + 0.05);
  CHECK(langevin_coordinate(1.0f, 0.0f, 0.0f, 0.25f, 0.1f) == 1.0f);
  CHECK(clip_gradient(5.0, 1.0) == 1.0);
  CHECK(clip_gradient(-5.0, 1.0) == -1.0);
  CHECK(clip_gradient(0.5, 1.0) == 0.5);
  CHECK(clip_gradient(5.0, 0.0) == 5.0);  // 0 disables clipping
  const auto draw = ember::Philox(1).draw();
  double x[6] = {0, 0, 0, 0, 0, 0};
  const double g[6] = {0, 0, std::numeric_limits<double>::quiet_NaN(), 0, std::numeric_limits<double>::infinity(), 0};
  // n = 2 chains, d = 3: chain 0 holds g[0], g[2], g[4] (NaN and Inf); chain 1 holds finite ones.
  CHECK_FALSE(ember::cuda::detail::langevin_chain_update(x, g, 0, 2, 3, draw, 0.1, 0.1, 0.0));
  CHECK(ember::cuda::detail::langevin_chain_update(x, g, 1, 2, 3, draw, 0.1, 0.1, 0.0));
  CHECK(ember::cuda::detail::finite(1.0f));
  CHECK_FALSE(ember::cuda::detail::finite(std::numeric_limits<float>::infinity()));
  CHECK_FALSE(ember::cuda::detail::finite(std::numeric_limits<float>::quiet_NaN()));
}
