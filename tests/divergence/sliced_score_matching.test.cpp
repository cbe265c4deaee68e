#include "ember/divergence/sliced_score_matching.hpp"

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"
#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using namespace ember::test;

namespace {
// The SSM objective of a batch for fixed projections v (row k·N + i is projection k of point i), computed
// from the Gaussian energy's closed forms: H = P exactly, g = P(x − μ):
//   mean_{i,k} [ −vᵀPv + ½ (vᵀP(xᵢ − μ))² ]   (or ½‖P(xᵢ − μ)‖² in place of the square with variance reduction)
double batch_objective(const ember::GaussianEnergy<double>& e, const Batch<double>& x, const Batch<double>& v,
                       bool variance_reduction) {
  const Matrix p = e.precision();
  const Index n = x.rows(), m = v.rows() / n;
  const Batch<double> g = (x.rowwise() - e.mean().transpose()) * p;  // P symmetric
  double total = 0;
  for (Index k = 0; k < m; ++k)
    for (Index i = 0; i < n; ++i) {
      const Vector<double> vi = v.row(k * n + i).transpose();
      const double directional = g.row(i).dot(vi);
      total += -vi.dot(p * vi) + (variance_reduction ? 0.5 * g.row(i).squaredNorm() : 0.5 * directional * directional);
    }
  return total / static_cast<double>(n * m);
}

// E over x ~ N(m, C) and v with E[vvᵀ] = I: −tr P + ½(‖P(m − μ)‖² + tr(PCP)) (Hyvärinen's objective).
double expected_objective(const ember::GaussianEnergy<double>& e, const Vector<double>& m, const Matrix& c) {
  const Matrix p = e.precision();
  return -p.trace() + 0.5 * ((p * (m - e.mean())).squaredNorm() + (p * c * p).trace());
}
}  // namespace

TEST_CASE("SSM: loss and gradient equal the exact objective for the projections drawn", "[ssm]") {
  const Index d = 3;
  const auto model =
      ember::GaussianEnergy<double>::from_mean_precision((Vector<double>(d) << 0.4, -0.1, 0.2).finished(), random_spd(d, 71));
  ember::Philox rng(12);
  const Batch<double> data = sample_gaussian((Vector<double>(d) << 1.0, 0.0, -0.5).finished(), random_spd(d, 72), 40, rng);
  for (const auto distribution : {ember::SlicedProjection::gaussian, ember::SlicedProjection::rademacher})
    for (const bool reduced : {false, true}) {
      INFO("rademacher " << (distribution == ember::SlicedProjection::rademacher) << ", variance reduction " << reduced);
      ember::SlicedScoreMatching<double> ssm({.projections = 3, .distribution = distribution, .variance_reduction = reduced});
      const auto result = ssm.estimate(model, data, rng);
      const Batch<double> v = ssm.projections();
      REQUIRE(v.rows() == 3 * 40);
      if (distribution == ember::SlicedProjection::rademacher) CHECK((v.array().abs() == 1.0).all());
      auto objective = [&](const ember::GaussianEnergy<double>& e) { return batch_objective(e, data, v, reduced); };
      // The curvature's central difference is exact for a quadratic energy: only rounding (≈ ε/h) remains.
      CHECK(result.loss == Approx(objective(model)).epsilon(1e-9));
      CHECK(relative_error(result.gradient, fd_gradient(model, objective)) < fd_tolerance);
      Vector<double> e(40);
      model.energy(data, e);
      CHECK(result.positive_energy == Approx(e.mean()).epsilon(1e-14));
    }
}

TEST_CASE("SSM: mean loss and mean gradient equal the closed form over data and projections", "[ssm][oracle]") {
  const Index d = 2;
  const Vector<double> m = (Vector<double>(d) << 0.3, -0.7).finished();
  const Matrix c = random_spd(d, 73);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Zero(d), random_spd(d, 74));
  ember::SlicedScoreMatching<double> ssm({.projections = 2});
  ember::Philox rng(13);
  std::vector<Vector<double>> gradients, losses;
  for (int b = 0; b < 300; ++b) {
    const auto result = ssm.estimate(model, sample_gaussian(m, c, 256, rng), rng);
    gradients.push_back(result.gradient);
    losses.push_back(Vector<double>::Constant(1, result.loss));
  }
  check_within_error(mean_and_error(losses), Vector<double>::Constant(1, expected_objective(model, m, c)));
  check_within_error(mean_and_error(gradients),
                     fd_gradient(model, [&](const ember::GaussianEnergy<double>& e) { return expected_objective(e, m, c); }));
}

TEST_CASE("SSM: float agrees with double; bad settings name the argument", "[ssm]") {
  const auto model_d = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Ones(2), random_spd(2, 75));
  const auto model_f = ember::GaussianEnergy<float>::from_mean_precision(model_d.mean().cast<float>(),
                                                                         model_d.precision().cast<float>());
  ember::Philox rng_d(3), rng_f(3);
  ember::test::Uniform uniform(32);
  const Batch<double> data = uniform.next<Batch<double>>(32, 2);
  ember::SlicedScoreMatching<double> ssm_d;
  ember::SlicedScoreMatching<float> ssm_f;
  const auto rd = ssm_d.estimate(model_d, data, rng_d);
  const auto rf = ssm_f.estimate(model_f, Batch<float>(data.cast<float>()), rng_f);
  CHECK(ssm_f.difference_step() == Approx(std::cbrt(std::numeric_limits<float>::epsilon())));
  // float's curvature difference loses ≈ ε_f/h ≈ ε_f^{2/3} ≈ 4·10⁻⁵ relative to |g|.
  CHECK(static_cast<double>(rf.loss) == Approx(rd.loss).margin(1e-3).epsilon(1e-3));
  CHECK((rf.gradient.cast<double>() - rd.gradient).norm() < 1e-3 * (1 + rd.gradient.norm()));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::SlicedScoreMatching<double>({.projections = 0}),
                    Contains("ember::SlicedScoreMatching") && Contains("projections = 0"));
  CHECK_THROWS_WITH(ember::SlicedScoreMatching<double>({.difference_step = -1.0}), Contains("difference_step = -1"));
  Batch<double> bad = data;
  bad(3, 1) = std::nan("");
  CHECK_THROWS_WITH(ssm_d.estimate(model_d, bad, rng_d), Contains("ember::SlicedScoreMatching::estimate") && Contains("data"));
}
