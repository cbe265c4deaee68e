// tests include/ember/cuda/detail/gibbs_conditional.hpp: the device Gibbs conditionals, compiled by g++,
// against the CPU's scalar σ bit for bit and ember::BlockGibbs (the CPU path) on the same inputs and draw.
#include "ember/cuda/detail/gibbs_conditional.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "ember/cuda/detail/random_stream.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/mcmc/gibbs.hpp"
#include "support/random_batch.hpp"
#include "support/random_rbm.hpp"

using ember::Batch;
using ember::Index;

TEMPLATE_TEST_CASE("cuda gibbs_conditional: σ is the CPU's scalar sigmoid bit for bit", "[cuda_host][gibbs]", float,
                   double) {
  using T = TestType;
  std::size_t mismatches = 0;
  for (int k = -200000; k <= 200000; ++k) {
    const T a = T(k) * T(5e-4);
    const T device = ember::cuda::detail::logistic(a), host = ember::detail::sigmoid(a);
    mismatches += std::memcmp(&device, &host, sizeof(T)) != 0;
  }
  CHECK(mismatches == 0);
  CHECK(ember::cuda::detail::logistic(T(-1000)) == T(0));  // e^{1000} = ∞ gives 0, not NaN
  CHECK(ember::cuda::detail::logistic(T(1000)) == T(1));
  CHECK(ember::cuda::detail::bernoulli_unit(T(1000), T(0.999)) == T(1));
  CHECK(ember::cuda::detail::bernoulli_unit(T(-1000), T(1e-7)) == T(0));
}

// ember::BlockGibbs forms σ with xsimd's exponential; the unit can differ only where u is within a few ulps
// of σ(a). Such ties are counted and excluded; every other unit must agree.
TEMPLATE_TEST_CASE("cuda gibbs_conditional: hidden units equal ember::BlockGibbs::sample_hidden's", "[cuda_host][gibbs]",
                   float, double) {
  using T = TestType;
  using Rbm = ember::Rbm<T>;
  const Rbm rbm = ember::test::random_rbm<Rbm>(37, 29, 5, 1.0);
  const Batch<T> v = ember::test::binary_batch<T>(513, 37, 6);
  const ember::Philox seed(123, 8);

  Batch<T> h_cpu(v.rows(), 29);
  ember::BlockGibbs<T> gibbs;
  ember::Philox rng_cpu = seed;
  gibbs.sample_hidden(rbm, v, h_cpu, rng_cpu);

  Batch<T> a(v.rows(), 29);
  rbm.hidden_input(v, a);
  ember::Philox rng_dev = seed;
  const ember::PhiloxDraw draw = rng_dev.draw();
  const T eps = std::numeric_limits<T>::epsilon();
  Index ones = 0, ties = 0, mismatches = 0;
  for (Index i = 0; i < v.rows(); ++i) {
    for (Index j = 0; j < 29; ++j) {
      const T u = ember::cuda::philox_uniform<T>(draw, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
      const T unit = ember::cuda::detail::bernoulli_unit(a(i, j), u);
      ones += unit == T(1);
      if (std::abs(u - ember::cuda::detail::logistic(a(i, j))) <= 8 * eps) {
        ++ties;
        continue;
      }
      mismatches += unit != h_cpu(i, j);
    }
  }
  INFO("ones " << ones << " of " << v.rows() * 29 << ", ties " << ties);
  CHECK(ones > v.rows() * 29 / 10);
  CHECK(ones < v.rows() * 29 * 9 / 10);
  CHECK(ties <= 2);
  CHECK(mismatches == 0);
}

TEMPLATE_TEST_CASE("cuda gibbs_conditional: Gaussian visible units equal ember::BlockGibbs's within the normals' bound",
                   "[cuda_host][gibbs]", float, double) {
  using T = TestType;
  using Rbm = ember::Rbm<T, ember::VisibleUnits::gaussian>;
  const Rbm rbm = ember::test::random_rbm<Rbm>(11, 9, 15, 0.5);
  const Batch<T> h = ember::test::binary_batch<T>(300, 9, 16);
  const ember::Philox seed(5, 2);

  Batch<T> v_cpu(h.rows(), 11);
  ember::BlockGibbs<T> gibbs;
  ember::Philox rng_cpu = seed;
  gibbs.sample_visible(rbm, h, v_cpu, rng_cpu);

  Batch<T> a(h.rows(), 11), xi_cpu(h.rows(), 11);
  rbm.visible_input(h, a);
  ember::Philox rng_dev = seed;
  const ember::PhiloxDraw draw = rng_dev.draw();
  draw.template normal<T>(xi_cpu, 0);
  const T eps = std::numeric_limits<T>::epsilon();
  Index violations = 0;
  for (Index i = 0; i < h.rows(); ++i) {
    for (Index j = 0; j < 11; ++j) {
      const T xi = ember::cuda::philox_normal<T>(draw, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
      const T unit = ember::cuda::detail::gaussian_unit(a(i, j), xi);
      // One rounding of a + ξ on each side, plus the normals' difference.
      violations += std::abs(unit - v_cpu(i, j)) > eps * (std::abs(unit) + std::abs(v_cpu(i, j))) + std::abs(xi - xi_cpu(i, j));
    }
  }
  CHECK(violations == 0);
}
