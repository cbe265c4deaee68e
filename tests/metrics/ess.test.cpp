#include "ember/metrics/ess.hpp"

#include <catch2/catch.hpp>

#include <cmath>

#include "ember/simd/random.hpp"
#include "support/statistics.hpp"

using ember::Batch;

namespace {
// chains × steps trace of x_s = φ x_{s−1} + √(1 − φ²) ξ_s, started in the stationary N(0, 1).
Batch<double> ar1(ember::Index chains, ember::Index steps, double phi, std::uint64_t seed) {
  ember::Philox rng(seed);
  Batch<double> noise(chains, steps);
  rng.normal(noise);
  Batch<double> trace(chains, steps);
  trace.col(0) = noise.col(0);
  for (ember::Index s = 1; s < steps; ++s) trace.col(s) = phi * trace.col(s - 1) + std::sqrt(1 - phi * phi) * noise.col(s);
  return trace;
}
// Relative standard error of a windowed autocorrelation-time estimate (Sokal): √(2(2K + 1)/n) for a
// window of K lags; K = 6τ + 10 bounds the window Geyer's sequence uses on these processes.
double relative_se(double tau, double n) { return std::sqrt(2 * (2 * (6 * tau + 10) + 1) / n); }
}  // namespace

TEST_CASE("ESS of an AR(1) process is n (1 - phi)/(1 + phi)", "[ess]") {
  for (double phi : {0.0, 0.5, 0.9}) {
    INFO("phi = " << phi);
    const ember::Index chains = 16, steps = 20000;
    const Batch<double> trace = ar1(chains, steps, phi, 61);
    const double n = static_cast<double>(chains * steps);
    const double tau = (1 + phi) / (1 - phi);
    const double ess = ember::effective_sample_size<double>(trace);
    CHECK(std::abs(ess / (n / tau) - 1) < ember::test::z_bound * relative_se(tau, n));
  }
}

TEST_CASE("ESS of one chain and of float traces", "[ess]") {
  const Batch<double> trace = ar1(1, 100000, 0.8, 62);
  const double tau = 1.8 / 0.2;
  CHECK(std::abs(ember::effective_sample_size<double>(trace) / (1e5 / tau) - 1) < ember::test::z_bound * relative_se(tau, 1e5));
  const Batch<float> trace_f = trace.cast<float>();
  CHECK(ember::effective_sample_size<float>(trace_f) == Approx(ember::effective_sample_size<double>(trace)).epsilon(1e-3));
}

TEST_CASE("ESS sees chains stuck in different places (between-chain variance)", "[ess]") {
  Batch<double> trace = ar1(4, 5000, 0.5, 63);
  trace.row(0).array() += 5.0;  // one chain never mixed with the others
  CHECK(ember::effective_sample_size<double>(trace) < 0.05 * 4 * 5000 / 3.0);
}

TEST_CASE("ESS: bad traces are rejected", "[ess][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::effective_sample_size<double>(Batch<double>::Zero(2, 3)),
                    Contains("ember::effective_sample_size") && Contains("2 x 3"));
  Batch<double> trace = Batch<double>::Zero(2, 10);
  trace(1, 4) = std::nan("");
  CHECK_THROWS_WITH(ember::effective_sample_size<double>(trace), Contains("trace(1, 4)"));
}

TEST_CASE("ESS: a trace with no chains or no steps is a clear error", "[ess][errors][bad input]") {
  using Catch::Matchers::Message;
  CHECK_THROWS_MATCHES(ember::effective_sample_size<double>(Batch<double>(0, 10)), ember::invalid_argument,
                       Message("ember::effective_sample_size: trace = 0 x 10: needs at least one chain (row)"));
  CHECK_THROWS_MATCHES(ember::effective_sample_size<double>(Batch<double>(3, 0)), ember::invalid_argument,
                       Message("ember::effective_sample_size: trace = 3 x 0: needs at least 4 steps (columns)"));
}
