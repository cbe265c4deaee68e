// tests include/ember/cuda/detail/mala_update.hpp: one step of the device MALA, compiled by g++, against
// ember::Mala (the CPU path) from the same state, energy and Philox draws.
#include "ember/cuda/detail/mala_update.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "ember/energy/mlp.hpp"
#include "ember/mcmc/mala.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

// The CPU writes the forward term as ‖ξ‖²/2 and the device as ‖y − x + (ε/2)∇E(x)‖²/(2ε): equal in exact
// arithmetic, a few roundings apart here, so a chain's decision may differ only where log u lies within
// `tie` of log α; everywhere else the decisions match, accepted states agree within the proposal's rounding
// plus √ε|Δξ| (as for Langevin), and rejected states are untouched on both sides.
TEMPLATE_TEST_CASE("cuda mala_update: one step decides and moves as ember::Mala", "[cuda_host][mala]", float, double) {
  using T = TestType;
  constexpr Index d = 3;
  const T step = T(2.5);  // large enough that about half the proposals are rejected
  const ember::MlpEnergy<T> energy({d, 8}, 21, {.base_scale = T(1)});
  const Batch<T> x = ember::test::normal_batch<T>(2000, d, 3);
  const ember::Philox seed(99, 1);

  Batch<T> x_cpu = x;
  ember::Mala<T> mala({.step_size = step});
  ember::Philox rng_cpu = seed;
  mala.step(energy, x_cpu, rng_cpu);
  const Vector<T> accepted_cpu = mala.acceptance_rate();  // 1 or 0 after one step

  ember::Philox rng_dev = seed;
  const Index n = x.rows();
  Vector<T> e(n), ey(n);
  Batch<T> g(n, d), y(n, d), gy(n, d);
  energy.energy_and_gradient(x, e, g);
  const ember::PhiloxDraw proposal_draw = rng_dev.draw();
  for (Index i = 0; i < n; ++i) ember::cuda::detail::mala_propose_chain(x.data(), g.data(), y.data(), i, n, d, proposal_draw, step);
  energy.energy_and_gradient(y, ey, gy);
  const ember::PhiloxDraw decision_draw = rng_dev.draw();

  const T eps = std::numeric_limits<T>::epsilon();
  const T tie = 1000 * eps;  // |log α| is O(1) here; its two forms differ by a few ε times the terms
  Index accepted = 0, ties = 0, decision_mismatches = 0, state_violations = 0;
  for (Index i = 0; i < n; ++i) {
    const T log_ratio = ember::cuda::detail::mala_log_ratio(x.data(), g.data(), e(i), y.data(), gy.data(), ey(i), i, n, d, step);
    const T u = ember::cuda::philox_uniform<T>(decision_draw, static_cast<std::uint32_t>(i), 0);
    const bool accept = ember::cuda::detail::mala_accepts(log_ratio, u);
    if (std::abs(std::log(u) - log_ratio) <= tie) {
      ++ties;
      continue;
    }
    accepted += accept;
    if (accept != (accepted_cpu(i) == T(1))) {
      ++decision_mismatches;
      continue;
    }
    for (Index j = 0; j < d; ++j) {
      if (!accept) {
        state_violations += x_cpu(i, j) != x(i, j);
        continue;
      }
      const T xi = ember::cuda::philox_normal<T>(proposal_draw, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
      const T drift = step / 2 * g(i, j);
      const T bound = eps * (std::abs(drift) + std::abs(x(i, j) - drift) + 2 * std::sqrt(step) * std::abs(xi) + std::abs(y(i, j))) +
                      std::sqrt(step) * 16 * eps * (1 + std::abs(xi));
      state_violations += std::abs(y(i, j) - x_cpu(i, j)) > bound;
    }
  }
  INFO("accepted " << accepted << " of " << n << ", ties " << ties);
  CHECK(accepted > n / 10);  // both outcomes occur: the test sees moves and rejections
  CHECK(accepted < n - n / 10);
  CHECK(ties <= 2);
  CHECK(decision_mismatches == 0);
  CHECK(state_violations == 0);
}

TEST_CASE("cuda mala_update: the log ratio of a symmetric move on a flat energy is 0; NaN never accepts", "[cuda_host][mala]") {
  // Zero gradients: forward and reverse terms are both ‖y − x‖², so log α = E(x) − E(y).
  const double x[2] = {0.5, -1.0}, y[2] = {0.7, -0.4}, zero[2] = {0.0, 0.0};
  CHECK(ember::cuda::detail::mala_log_ratio(x, zero, 1.5, y, zero, 1.0, 0, 1, 2, 0.1) == 0.5);
  // A gradient that points from y back to x makes the reverse move likelier: log α > E(x) − E(y).
  const double g_y[2] = {0.2, 0.6};
  CHECK(ember::cuda::detail::mala_log_ratio(x, zero, 1.0, y, g_y, 1.0, 0, 1, 2, 0.1) > 0.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(ember::cuda::detail::mala_accepts(nan, 0.5));
  CHECK_FALSE(ember::cuda::detail::mala_accepts(-std::numeric_limits<double>::infinity(), 1e-300));
  CHECK(ember::cuda::detail::mala_accepts(0.0, 0.999));
}
