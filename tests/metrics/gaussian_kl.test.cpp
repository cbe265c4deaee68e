#include "ember/metrics/gaussian_kl.hpp"

#include <catch2/catch.hpp>

#include "support/statistics.hpp"

using ember::Batch;
using ember::GaussianData;
using ember::Index;

TEST_CASE("gaussian_kl: closed form agrees with a Monte-Carlo estimate of E_p[log p − log q]", "[gaussian_kl]") {
  for (Index d : {1, 3, 8}) {
    INFO("dim " << d);
    const auto p = GaussianData<double>::random(d, 100 + static_cast<std::uint64_t>(d));
    Eigen::VectorXd mean_q = Eigen::VectorXd::LinSpaced(d, -0.5, 0.5);
    const auto q0 = GaussianData<double>::with_condition_number(d, d == 1 ? 1.0 : 5.0, 7);
    const auto q = GaussianData<double>::from_mean_covariance(mean_q, q0.covariance());
    const double exact = ember::gaussian_kl(p.mean(), p.covariance(), q.mean(), q.covariance());
    ember::Philox rng(31);
    const Index n = 100000;
    const Batch<double> x = p.sample(n, rng);
    ember::Vector<double> lp(n), lq(n);
    p.log_density(x, lp);
    q.log_density(x, lq);
    const Eigen::ArrayXd r = (lp - lq).array();
    const double mc = r.mean();
    const double se = std::sqrt((r - mc).square().sum() / static_cast<double>(n - 1) / static_cast<double>(n));
    CHECK(std::abs(mc - exact) < ember::test::z_bound * se);
    CHECK(exact > 0);
    // The GaussianData ‖ GaussianEnergy overload is the same number.
    CHECK(ember::gaussian_kl(p, q.energy()) == Approx(exact).epsilon(1e-9));
    CHECK(ember::gaussian_kl(p.mean(), p.covariance(), p.mean(), p.covariance()) == Approx(0.0).margin(1e-12));
  }
}

TEST_CASE("gaussian_kl: a hand-computed 1D value and argument checks", "[gaussian_kl]") {
  // KL(N(0, 1) ‖ N(1, 4)) = ½ (1/4 + 1/4 − 1 + log 4).
  Eigen::VectorXd m0(1), m1(1);
  m0 << 0.0;
  m1 << 1.0;
  Eigen::MatrixXd s0(1, 1), s1(1, 1);
  s0 << 1.0;
  s1 << 4.0;
  CHECK(ember::gaussian_kl(m0, s0, m1, s1) == Approx(0.5 * (0.5 - 1 + std::log(4.0))).epsilon(1e-14));
  CHECK_THROWS_WITH(ember::gaussian_kl(m0, s0, m1, (-s1).eval()), Catch::Matchers::Contains("cov1"));
  CHECK_THROWS_WITH(ember::gaussian_kl(m0, s0, Eigen::VectorXd::Zero(2).eval(), s1), Catch::Matchers::Contains("mean1"));
}
