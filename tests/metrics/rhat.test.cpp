#include "ember/metrics/rhat.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "ember/simd/random.hpp"

using ember::Batch;

namespace {
// N chains × S draws of N(mean_i, scale_i²), independent (Philox, fixed seed).
Batch<double> normal_chains(const Eigen::VectorXd& means, const Eigen::VectorXd& scales, ember::Index steps,
                            std::uint64_t seed) {
  ember::Philox rng(seed);
  Batch<double> trace(means.size(), steps);
  rng.normal(trace);
  for (ember::Index i = 0; i < trace.rows(); ++i) trace.row(i) = means(i) + scales(i) * trace.row(i).array();
  return trace;
}
}  // namespace

TEMPLATE_TEST_CASE("split_rhat: a hand computation (BDA3 formula, two chains of 6 and of 7 draws)", "[rhat]", float,
                   double) {
  using T = TestType;
  Batch<T> trace(2, 6);
  trace << 1, 2, 3, 4, 5, 6,  //
      2, 2, 2, 8, 8, 8;
  // halves [1 2 3] [4 5 6] [2 2 2] [8 8 8]: n = 3, variances 1, 1, 0, 0 → W = 0.5; means 2, 5, 2, 8 (mean 4.25):
  // Σ(mean − 4.25)² = 24.75 → B/n = 24.75/3; var⁺ = (2/3)·0.5 + 24.75/3.
  const double expected = std::sqrt(((2.0 / 3.0) * 0.5 + 24.75 / 3.0) / 0.5);
  CHECK(ember::split_rhat<T>(trace) == Approx(expected).epsilon(10 * std::numeric_limits<T>::epsilon()));
  // With an odd S the middle draw is dropped: inserting any value there changes nothing.
  Batch<T> odd(2, 7);
  odd << 1, 2, 3, 100, 4, 5, 6,  //
      2, 2, 2, -50, 8, 8, 8;
  CHECK(ember::split_rhat<T>(odd) == ember::split_rhat<T>(trace));
}

TEST_CASE("split_rhat: ≈ 1 for agreeing chains; large for chains stuck in different modes", "[rhat]") {
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(4);
  // Agreeing chains: R̂² − 1 ≈ (M−1)/M · F/n with F ~ F(M−1, M(n−1)); for M = 8, n = 2000 it is below 0.003
  // with overwhelming probability.
  const double agree = ember::split_rhat<double>(normal_chains(Eigen::VectorXd::Zero(4), ones, 4000, 1));
  CHECK(agree > 0.999);
  CHECK(agree < 1.003);
  // Two chains in the mode at −3, two at +3 (a bimodal target no chain crosses): W ≈ 1, the 8 half-chain
  // means ±3 have variance 9·8/7, so R̂ ≈ √(1 + 72/7) ≈ 3.36 ≫ 1.01 (the spread of W and of the means: ~2 %).
  const Eigen::VectorXd modes = (Eigen::VectorXd(4) << -3, -3, 3, 3).finished();
  const double stuck = ember::split_rhat<double>(normal_chains(modes, ones, 4000, 2));
  CHECK(stuck == Approx(std::sqrt(1 + 72.0 / 7.0)).epsilon(0.03));
  // A drift inside every chain (not yet stationary): splitting catches it although all chains agree.
  Batch<double> drifting = normal_chains(Eigen::VectorXd::Zero(4), ones, 4000, 3);
  drifting.rowwise() += Eigen::RowVectorXd::LinSpaced(4000, 0.0, 2.0);
  CHECK(ember::split_rhat<double>(drifting) > 1.1);
  // Constant chains: equal values agree (1), different values never mix (+∞).
  CHECK(ember::split_rhat<double>(Batch<double>::Constant(3, 10, 2.0)) == 1.0);
  Batch<double> constant(2, 10);
  constant.row(0).setConstant(1.0);
  constant.row(1).setConstant(2.0);
  CHECK(std::isinf(ember::split_rhat<double>(constant)));
}

TEST_CASE("rank_normalized_rhat: its bulk part is invariant to monotone maps; its tail part sees a scale mismatch",
          "[rhat]") {
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(4), ones = Eigen::VectorXd::Ones(4);
  const Batch<double> trace = normal_chains(zero, ones, 1000, 4);
  const double r = ember::rank_normalized_rhat<double>(trace);
  const Eigen::MatrixXd exponential = trace.array().exp();  // same ranks, same bulk R̂ (the fold is not monotone)
  CHECK(ember::detail::split_rhat_of(ember::detail::normal_scores(trace)) ==
        ember::detail::split_rhat_of(ember::detail::normal_scores(exponential)));
  CHECK(r > 0.999);
  CHECK(r < 1.01);
  // The bulk part is split-R̂ of the normal scores of the ranks: for a trace that already holds normal scores
  // (here z_k = Φ⁻¹((k − 3/8)/(NS + 1/4)) in some order) rank normalisation reproduces it exactly.
  Batch<double> scores(2, 4);
  const int order[8] = {3, 0, 7, 5, 1, 6, 2, 4};  // the rank − 1 of each entry, row by row
  for (int k = 0; k < 8; ++k) {
    const double p = (order[k] + 1 - 0.375) / (8 + 0.25);
    scores(k / 4, k % 4) = ember::detail::normal_quantile(p);
  }
  CHECK(ember::detail::split_rhat_of(ember::detail::normal_scores(scores)) ==
        Approx(ember::split_rhat<double>(scores)).epsilon(1e-12));
  CHECK(ember::detail::normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-14));
  CHECK(ember::detail::normal_quantile(1e-6) == Approx(-4.753424308822899).epsilon(1e-13));
  // Same centre, scales 1 and 3: the chain means agree (split-R̂ ≈ 1), the folded tail R̂ does not.
  const Eigen::VectorXd scales = (Eigen::VectorXd(4) << 1, 1, 3, 3).finished();
  const Batch<double> mismatch = normal_chains(zero, scales, 2000, 5);
  CHECK(ember::split_rhat<double>(mismatch) < 1.01);
  CHECK(ember::rank_normalized_rhat<double>(mismatch) > 1.1);
  // Different modes: both versions react.
  const Eigen::VectorXd modes = (Eigen::VectorXd(4) << -3, -3, 3, 3).finished();
  CHECK(ember::rank_normalized_rhat<double>(normal_chains(modes, ones, 1000, 6)) > 1.5);
}

TEST_CASE("R-hat: bad traces are refused with the function, argument and shape", "[rhat]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::split_rhat<double>(Batch<double>::Zero(2, 3)),
                    Contains("ember::split_rhat") && Contains("trace = 2 x 3") && Contains("at least 4 steps"));
  Batch<double> bad = Batch<double>::Zero(2, 8);
  bad(1, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(ember::rank_normalized_rhat<double>(bad), Contains("ember::rank_normalized_rhat") && Contains("trace"));
}
