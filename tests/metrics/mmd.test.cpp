#include "ember/metrics/mmd.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "ember/simd/random.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;

TEMPLATE_TEST_CASE("mmd2_rbf: ~0 within its standard error for one distribution, > 0 for a shift", "[mmd]", float,
                   double) {
  ember::Philox rng(4);
  const Index n = 1500;
  Batch<TestType> x(n, 2), y(n, 2), z(n, 2);
  rng.normal(x);
  rng.normal(y);
  rng.normal(z);
  z.col(0).array() += TestType(0.5);
  for (const bool median : {true, false}) {
    INFO("median heuristic " << median);
    ember::MmdSettings settings;
    if (!median) settings.bandwidths = {0.5, 2.0};
    const auto same = ember::mmd2_rbf<TestType>(x, y, settings);
    const auto shifted = ember::mmd2_rbf<TestType>(x, z, settings);
    CHECK(same.standard_error > 0);
    CHECK(std::abs(same.mmd2) < ember::test::z_bound * same.standard_error);
    CHECK(shifted.mmd2 > ember::test::z_bound * shifted.standard_error);
    CHECK(shifted.mmd2 > 10 * std::abs(same.mmd2));
  }
}

TEST_CASE("mmd2_rbf: the standard error matches the spread over independent repetitions", "[mmd]") {
  // 40 independent pairs of samples from one distribution: the sd of the 40 estimates must agree with the
  // reported standard error (ratio within the chi distribution's 4.5-sigma range for 39 degrees of freedom).
  ember::Philox rng(8);
  const Index n = 200, reps = 40;
  std::vector<double> values, errors;
  for (Index r = 0; r < reps; ++r) {
    Batch<double> x(n, 2), y(n, 2);
    rng.normal(x);
    rng.normal(y);
    const auto m = ember::mmd2_rbf<double>(x, y, {.bandwidths = {1.0}});
    values.push_back(m.mmd2);
    errors.push_back(m.standard_error);
  }
  const Eigen::Map<Eigen::ArrayXd> v(values.data(), reps);
  const double sd = std::sqrt((v - v.mean()).square().sum() / (reps - 1));
  const double se = Eigen::Map<Eigen::ArrayXd>(errors.data(), reps).mean();
  const double ratio_sd = 1 / std::sqrt(2.0 * (reps - 1));  // relative sd of a sample sd
  CHECK(std::abs(sd / se - 1) < ember::test::z_bound * ratio_sd + 0.15);  // + the SE estimate's own bias
  CHECK(std::abs(v.mean()) < ember::test::z_bound * sd / std::sqrt(double(reps)));
}

TEST_CASE("mmd2_rbf: hand-computed value on two points each, and argument checks", "[mmd][errors]") {
  Batch<double> x(2, 1), y(2, 1);
  x << 0.0, 1.0;
  y << 0.0, 2.0;
  const auto k = [](double a, double b) { return std::exp(-(a - b) * (a - b) / 2); };
  const double expected = k(0, 1) + k(0, 2) - (k(0, 0) + k(0, 2) + k(1, 0) + k(1, 2)) / 2;
  CHECK(ember::mmd2_rbf<double>(x, y, {.bandwidths = {1.0}}).mmd2 == Approx(expected).epsilon(1e-12));
  CHECK_THROWS_WITH(ember::mmd2_rbf<double>(x, Batch<double>::Zero(2, 2)), Catch::Matchers::Contains("y"));
  CHECK_THROWS_WITH(ember::mmd2_rbf<double>(x, y, {.bandwidths = {-1.0}}), Catch::Matchers::Contains("bandwidths"));
}

TEST_CASE("mmd2_rbf and the median heuristic: no points or no columns are clear errors", "[mmd][errors][bad input]") {
  using Catch::Matchers::Message;
  const Batch<double> x = Batch<double>::Zero(5, 2);
  CHECK_THROWS_MATCHES(ember::mmd2_rbf<double>(Batch<double>(0, 2), x), ember::invalid_argument,
                       Message("ember::mmd2_rbf: x = 0 x 2: the batch is empty"));
  CHECK_THROWS_MATCHES(ember::mmd2_rbf<double>(x, Batch<double>(0, 2)), ember::invalid_argument,
                       Message("ember::mmd2_rbf: y = 0 x 2: the batch is empty"));
  CHECK_THROWS_MATCHES(ember::mmd2_rbf<double>(Batch<double>(5, 0), Batch<double>(5, 0)), ember::invalid_argument,
                       Message("ember::mmd2_rbf: x = 5 x 0: the batch has no columns (coordinates)"));
  CHECK_THROWS_MATCHES(ember::median_heuristic_bandwidth<double>(Batch<double>(5, 0), Batch<double>(5, 0)),
                       ember::invalid_argument,
                       Message("ember::median_heuristic_bandwidth: x = 5 x 0: the batch has no columns (coordinates)"));
}

TEST_CASE("mmd2_rbf: max_points out of range is a clear error", "[mmd][errors][bad input]") {
  using Catch::Matchers::Message;
  const Batch<double> x = Batch<double>::Zero(5, 1);
  CHECK_THROWS_MATCHES(ember::median_heuristic_bandwidth<double>(x, x, 0), ember::invalid_argument,
                       Message("ember::median_heuristic_bandwidth: max_points = 0: must be >= 1"));
  CHECK_THROWS_MATCHES(ember::median_heuristic_bandwidth<double>(x, x, -2), ember::invalid_argument,
                       Message("ember::median_heuristic_bandwidth: max_points = -2: must be >= 1"));
  CHECK_THROWS_MATCHES(ember::mmd2_rbf<double>(x, x, {.max_points = -1}), ember::invalid_argument,
                       Message("ember::mmd2_rbf: settings.max_points = -1: must be >= 0"));
}

namespace {

// The U-statistic and its standard error from whole kernel matrices, entry by entry (the file comment of
// metrics/mmd.hpp): the oracle for the blocked per-row sums, which never hold a whole matrix.
ember::MmdResult whole_matrix_mmd(const Batch<double>& x, const Batch<double>& y,
                                  const std::vector<double>& bandwidths) {
  const auto k = [&](const auto& a, const auto& b) {
    double sum = 0;
    for (const double l : bandwidths) sum += std::exp(-(a - b).squaredNorm() / (2 * l * l));
    return sum / static_cast<double>(bandwidths.size());
  };
  const Index n = x.rows(), m = y.rows(), p = std::min(n, m);
  double sxx = 0, syy = 0, sxy = 0;
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j)
      if (i != j) sxx += k(x.row(i), x.row(j));
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < m; ++j)
      if (i != j) syy += k(y.row(i), y.row(j));
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < m; ++j) sxy += k(x.row(i), y.row(j));
  ember::MmdResult r;
  r.mmd2 = sxx / double(n * (n - 1)) + syy / double(m * (m - 1)) - 2 * sxy / double(n * m);
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(p, p);
  for (Index i = 0; i < p; ++i)
    for (Index j = 0; j < p; ++j)
      if (i != j)
        h(i, j) = k(x.row(i), x.row(j)) + k(y.row(i), y.row(j)) - k(x.row(i), y.row(j)) - k(x.row(j), y.row(i));
  const double pp = double(p), pairs = pp * (pp - 1), u = h.sum() / pairs;
  // ζ₁ and ζ₂ are variances: an estimate below 0 (small p) counts as 0.
  const double zeta2 = std::max(0.0, h.array().square().sum() / pairs - u * u);
  const double row_variance = ((h.rowwise().sum() / (pp - 1)).array() - u).square().sum() / (pp - 1);
  const double zeta1 = std::max(0.0, (row_variance - zeta2 / (pp - 1)) * (pp - 1) / (pp - 2));
  r.standard_error = std::sqrt(4 * (pp - 2) / pairs * zeta1 + 2 / pairs * zeta2);
  return r;
}

}  // namespace

TEST_CASE("mmd2_rbf: the blocked row sums equal the whole-matrix U-statistic and its standard error", "[mmd]") {
  // Sizes around the block of 16 rows (one block, a partial block, x's rows ending mid-block), N < M and N > M
  // (p = min(N, M) pairs for the standard error), one bandwidth and two.
  ember::Philox rng(12);
  for (const auto& [n, m] : {std::pair<Index, Index>{5, 9}, {16, 16}, {37, 23}, {21, 50}}) {
    Batch<double> x(n, 3), y(m, 3);
    rng.normal(x);
    rng.normal(y);
    y.col(1).array() += 0.7;
    for (const std::vector<double>& bandwidths : {std::vector<double>{1.3}, std::vector<double>{0.4, 2.0}}) {
      INFO("N = " << n << ", M = " << m << ", " << bandwidths.size() << " bandwidth(s)");
      const ember::MmdResult oracle = whole_matrix_mmd(x, y, bandwidths);
      const ember::MmdResult r = ember::mmd2_rbf<double>(x, y, {.bandwidths = bandwidths});
      CHECK(r.mmd2 == Approx(oracle.mmd2).epsilon(1e-11).margin(1e-14));
      CHECK(r.standard_error == Approx(oracle.standard_error).epsilon(1e-9));
      // max_points takes the leading rows of each sample.
      const ember::MmdResult head = ember::mmd2_rbf<double>(x, y, {.bandwidths = bandwidths, .max_points = 4});
      const ember::MmdResult head_oracle = whole_matrix_mmd(x.topRows(4), y.topRows(4), bandwidths);
      CHECK(head.mmd2 == Approx(head_oracle.mmd2).epsilon(1e-11).margin(1e-14));
      CHECK(head.standard_error == Approx(head_oracle.standard_error).epsilon(1e-9));
    }
  }
}
