#include "ember/metrics/knn_entropy.hpp"

#include <catch2/catch.hpp>

#include "ember/data/gaussian_data.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;

TEMPLATE_TEST_CASE("knn_entropy: a Gaussian's entropy ½ log det(2πeΣ) within Monte-Carlo error", "[knn_entropy]",
                   float, double) {
  for (Index d : {1, 2, 4}) {
    INFO("dim " << d);
    const auto data = ember::GaussianData<TestType>::random(d, 40 + static_cast<std::uint64_t>(d));
    ember::Philox rng(12);
    const Batch<TestType> x = data.sample(4000, rng);
    const auto h = ember::knn_entropy<TestType>(x);
    const double exact =
        0.5 * (static_cast<double>(d) * std::log(2 * M_PI * M_E) + static_cast<double>(data.log_det_covariance()));
    CHECK(h.standard_error > 0);
    CHECK(std::abs(h.entropy - exact) < ember::test::z_bound * h.standard_error);
  }
}

TEST_CASE("knn_entropy: a uniform square of side 2 has entropy log 4; argument checks", "[knn_entropy][errors]") {
  ember::Philox rng(3);
  Batch<double> u(3000, 2);
  rng.uniform(u);
  const auto h = ember::knn_entropy<double>((2 * u).eval(), 5);
  // Boundary effects bias the estimate by O(N^{-1/2}) in 2D; the z-bound covers it at this N.
  CHECK(std::abs(h.entropy - std::log(4.0)) < ember::test::z_bound * h.standard_error);
  Batch<double> repeated = Batch<double>::Zero(10, 2);
  CHECK_THROWS_WITH(ember::knn_entropy<double>(repeated), Catch::Matchers::Contains("repeated"));
  CHECK_THROWS_WITH(ember::knn_entropy<double>(u, 3000), Catch::Matchers::Contains("k = 3000"));
}

TEST_CASE("knn_entropy: no points or no columns are clear errors", "[knn_entropy][errors][bad input]") {
  using Catch::Matchers::Message;
  CHECK_THROWS_MATCHES(ember::knn_entropy<double>(Batch<double>(0, 2)), ember::invalid_argument,
                       Message("ember::knn_entropy: x = 0 x 2: the batch is empty"));
  CHECK_THROWS_MATCHES(ember::knn_entropy<double>(Batch<double>(10, 0)), ember::invalid_argument,
                       Message("ember::knn_entropy: x = 10 x 0: the batch has no columns (coordinates)"));
}
