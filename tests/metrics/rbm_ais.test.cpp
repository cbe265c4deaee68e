// Tests include/ember/metrics/rbm_ais.hpp.
#include "ember/metrics/rbm_ais.hpp"

#include <catch2/catch.hpp>

#include <cmath>

#include "ember/simd/random.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/metrics/rbm_log_partition.hpp"
#include "support/random_rbm.hpp"

using ember::Batch;

TEMPLATE_TEST_CASE("ais_log_partition: within 3 standard errors of the exact log Z of a 16-visible RBM", "[ais]",
                   float, double) {
  const auto rbm = ember::test::random_rbm<ember::BernoulliRbm<TestType>>(16, 24, 17, 0.5, /*bias_std=*/0.5);
  const double exact = ember::exact_log_partition(rbm);  // enumerates the 16 visible units
  ember::Philox rng(7);
  // Base biases from samples of the model itself (any base is valid; a close one lowers the variance).
  Batch<TestType> data = Batch<TestType>::Zero(500, 16);
  ember::BlockGibbs<TestType> gibbs;
  gibbs.run(rbm, data, rng, 50);
  const auto base = ember::ais_base_visible_bias(rbm, data);
  const auto result = ember::ais_log_partition(rbm, base, {.runs = 200, .temperatures = 2000}, rng);
  INFO("exact " << exact << ", AIS " << result.log_partition << " +- " << result.standard_error);
  CHECK(result.log_weights.size() == 200);
  CHECK(result.standard_error > 0);
  CHECK(std::abs(result.log_partition - exact) < 3 * result.standard_error);
}

TEST_CASE("ais_log_partition: Gaussian-Bernoulli RBM within 3 standard errors of the exact log Z", "[ais]") {
  const auto rbm = ember::test::random_rbm<ember::GaussianBernoulliRbm<double>>(20, 10, 23, 0.3, /*bias_std=*/0.5);
  const double exact = ember::exact_log_partition(rbm);  // enumerates the 10 hidden units
  ember::Philox rng(8);
  const auto result = ember::ais_log_partition(rbm, ember::Vector<double>::Zero(20),
                                               {.runs = 200, .temperatures = 1000, .gibbs_steps = 1}, rng);
  INFO("exact " << exact << ", AIS " << result.log_partition << " +- " << result.standard_error);
  CHECK(result.standard_error > 0);
  CHECK(std::abs(result.log_partition - exact) < 3 * result.standard_error);
}

TEST_CASE("ais_log_partition: with W = 0 and the model's own biases as base, every weight is exact", "[ais]") {
  // p_A = p_B when W = 0, c = 0 and b_A = b: all log weights are 0 and log Ẑ = log Z exactly.
  ember::BernoulliRbm<double> rbm(5, 3);
  rbm.visible_bias() << 0.3, -1, 2, 0, 0.5;
  ember::Philox rng(1);
  const auto result = ember::ais_log_partition(rbm, ember::Vector<double>(rbm.visible_bias()), {.runs = 4, .temperatures = 5}, rng);
  CHECK(result.log_weights.cwiseAbs().maxCoeff() < 1e-12);
  CHECK(result.log_partition == Approx(ember::exact_log_partition(rbm)).epsilon(1e-12));
  CHECK(result.standard_error == 0);
}

TEST_CASE("ais_base_visible_bias: logit of smoothed means; bad settings are refused", "[ais][errors]") {
  using Catch::Matchers::Contains;
  const ember::BernoulliRbm<double> rbm(2, 2);
  Batch<double> data(3, 2);
  data << 1, 0, 1, 0, 0, 0;
  const auto base = ember::ais_base_visible_bias(rbm, data);
  CHECK(base(0) == Approx(std::log(3.0 / 2.0)));  // p = (2 + 1) / (3 + 2)
  CHECK(base(1) == Approx(std::log(1.0 / 4.0)));  // p = (0 + 1) / (3 + 2)
  ember::Philox rng(1);
  CHECK_THROWS_WITH(ember::ais_log_partition(rbm, base, {.runs = 1}, rng), Contains("settings.runs = 1"));
  CHECK_THROWS_WITH(ember::ais_log_partition(rbm, base, {.temperatures = 0}, rng), Contains("settings.temperatures = 0"));
  CHECK_THROWS_WITH(ember::ais_log_partition(rbm, ember::Vector<double>::Zero(3), {}, rng),
                    Contains("base_visible_bias = 3 x 1"));
}
