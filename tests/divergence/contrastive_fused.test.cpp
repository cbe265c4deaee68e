// ember::Contrastive through the fused hook (ember::FusedParametricEnergy, here an RBM): the gradient is the
// θ-derivative of the surrogate loss, with and without the energy² regulariser, for both visible kinds.
#include <catch2/catch.hpp>

#include "ember/simd/random.hpp"
#include "ember/divergence/contrastive.hpp"
#include "ember/energy/rbm.hpp"
#include "support/finite_difference.hpp"
#include "support/random_rbm.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

namespace {

template <class R>
void check_fused_contrastive(std::uint64_t seed) {
  static_assert(ember::FusedParametricEnergy<R>);
  ember::Philox rng(seed);
  R rbm = ember::test::random_rbm<R>(5, 3, rng, 0.5);
  Batch<double> pos(9, 5), neg(6, 5);
  rng.normal(pos);
  rng.normal(neg);
  for (double alpha : {0.0, 0.3}) {
    INFO("alpha " << alpha);
    ember::Contrastive<double> skeleton;
    ember::EstimatorResult<double> result;
    skeleton.accumulate(rbm, pos, neg, result, alpha);
    auto loss = [&](const R& e) {
      Vector<double> ep(9), en(6);
      e.energy(pos, ep);
      e.energy(neg, en);
      return ep.mean() - en.mean() + alpha * (ep.squaredNorm() / 9 + en.squaredNorm() / 6);
    };
    Vector<double> numeric(rbm.num_params());
    R moved = rbm;
    for (Index k = 0; k < rbm.num_params(); ++k) {
      const double saved = rbm.params()(k), h = ember::test::fd_step(saved);
      moved.params()(k) = saved + h;
      const double plus = loss(moved);
      moved.params()(k) = saved - h;
      const double minus = loss(moved);
      moved.params()(k) = saved;
      numeric(k) = (plus - minus) / (2 * h);
    }
    CHECK(ember::test::relative_error(result.gradient, numeric) < ember::test::fd_tolerance);
    CHECK(result.loss == Approx(loss(rbm)).epsilon(1e-12));
    CHECK(result.positive_energy == Approx(skeleton.positive_energies().mean()));
    CHECK(result.negative_energy == Approx(skeleton.negative_energies().mean()));
  }
}

}  // namespace

TEST_CASE("Contrastive: the fused RBM path's gradient is the theta-derivative of the surrogate loss",
          "[contrastive][fused][gradient]") {
  check_fused_contrastive<ember::BernoulliRbm<double>>(31);
  check_fused_contrastive<ember::GaussianBernoulliRbm<double>>(32);
}

TEST_CASE("Contrastive: the fused path refuses non-finite energies", "[contrastive][fused][errors]") {
  ember::Philox rng(33);
  auto rbm = ember::GaussianBernoulliRbm<double>::random(3, 2, rng);
  Batch<double> pos = Batch<double>::Ones(4, 3), neg = Batch<double>::Zero(4, 3);
  neg(2, 1) = 1e300;  // ½‖v − b‖² overflows to +Inf
  ember::Contrastive<double> skeleton;
  ember::EstimatorResult<double> result;
  CHECK_THROWS_AS(skeleton.accumulate(rbm, pos, neg, result), ember::numerical_error);
}
