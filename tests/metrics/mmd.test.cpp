#include "ember/metrics/mmd.hpp"

#include <catch2/catch.hpp>

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

TEST_CASE("mmd2_rbf: max_points out of range, or kernel matrices beyond the memory budget, are clear errors",
          "[mmd][errors][bad input]") {
  using Catch::Matchers::Message;
  const Batch<double> x = Batch<double>::Zero(5, 1);
  CHECK_THROWS_MATCHES(ember::median_heuristic_bandwidth<double>(x, x, 0), ember::invalid_argument,
                       Message("ember::median_heuristic_bandwidth: max_points = 0: must be >= 1"));
  CHECK_THROWS_MATCHES(ember::median_heuristic_bandwidth<double>(x, x, -2), ember::invalid_argument,
                       Message("ember::median_heuristic_bandwidth: max_points = -2: must be >= 1"));
  CHECK_THROWS_MATCHES(ember::mmd2_rbf<double>(x, x, {.max_points = -1}), ember::invalid_argument,
                       Message("ember::mmd2_rbf: settings.max_points = -1: must be >= 0"));
  // 50 000 points of each sample: 50 000² doubles are 20 GB per kernel matrix.
  const Batch<float> big = Batch<float>::Zero(50000, 1);
  CHECK_THROWS_MATCHES(ember::mmd2_rbf<float>(big, big, {.bandwidths = {1.0}}), ember::invalid_argument,
                       Message("ember::mmd2_rbf: settings.max_points = 0: the kernel matrices (subsample with "
                               "max_points) would take 20000000000 bytes, more than ember::max_allocation_bytes = "
                               "17179869184"));
}
