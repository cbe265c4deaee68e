#include "ember/train/divergence_guard.hpp"

#include <catch2/catch.hpp>

#include "ember/divergence/contrastive.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/train/sgd.hpp"

#include <cmath>
#include <limits>
#include <string>

using ember::Index;

namespace {
ember::TrainProgress report(Index it, double e_plus, double e_minus, double norm) {
  ember::TrainProgress p;
  p.iteration = it;
  p.iterations = 100;
  p.positive_energy = e_plus;
  p.negative_energy = e_minus;
  p.gradient_norm = norm;
  return p;
}

// A constant-gradient estimator whose negatives' energy grows ×10 per call: an exploding run that stays finite.
struct Exploding {
  Index calls = 0;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double>, G&) {
    ++calls;
    ember::EstimatorResult<double> r;
    r.gradient = ember::Vector<double>::Constant(energy.params().size(), 1e-3);
    r.positive_energy = 2;
    r.negative_energy = -3 * std::pow(10.0, static_cast<double>(calls - 1));
    r.loss = r.positive_energy - r.negative_energy;
    return r;
  }
};
// Finite until call `bad`, whose data energy is +Inf.
struct NanAt {
  Index bad;
  Index calls = 0;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double>, G&) {
    ember::EstimatorResult<double> r;
    r.gradient = ember::Vector<double>::Ones(energy.params().size());
    if (++calls >= bad) r.positive_energy = std::numeric_limits<double>::infinity();
    return r;
  }
};
}  // namespace

TEST_CASE("DivergenceGuard: limits are multiples of the first report's scale", "[trainer][divergence]") {
  ember::DivergenceGuard guard({.energy = 100, .gradient_norm = 10});
  guard(report(1, 5, -4, 0.5));  // scales: energy max(1, 5, 4) = 5, gradient max(1, 0.5) = 1
  guard(report(2, 500, -499, 10));  // |E+| = 100 x 5 and the norm 10 x 1: on the limit, not beyond it
  CHECK(guard.peak_energy() == Approx(100));
  CHECK(guard.peak_gradient_norm() == Approx(10));
  try {
    guard(report(3, 1, -501, 1));
    FAIL("E- = -501 > 100 x 5 should have stopped the run");
  } catch (const ember::training_diverged& e) {
    CHECK(e.iteration() == 3);
    CHECK(e.quantity() == "E-");
    CHECK(e.value() == -501);
    CHECK_THAT(std::string(e.what()), Catch::Contains("iteration 3: the mean energy of the negatives = -501 exceeds 100"));
  }
  ember::DivergenceGuard gradient({.energy = 100, .gradient_norm = 10});
  gradient(report(1, 0.1, 0.1, 3));  // gradient scale 3: the limit is 30
  gradient(report(2, 0.1, 0.1, 30));
  CHECK_THROWS_MATCHES(gradient(report(3, 0.1, 0.1, 30.5)), ember::training_diverged,
                       Catch::Matchers::Predicate<ember::training_diverged>(
                           [](const auto& e) { return e.quantity() == "|grad|" && e.iteration() == 3; }));
  // A NaN is beyond every limit; a limit of 0 is off.
  ember::DivergenceGuard nan_guard({.energy = 1e4, .gradient_norm = 1e4});
  nan_guard(report(1, 1, 1, 1));
  CHECK_THROWS_AS(nan_guard(report(2, std::nan(""), 1, 1)), ember::training_diverged);
  ember::DivergenceGuard off({.energy = 0, .gradient_norm = 0});
  off(report(1, 1, 1, 1));
  CHECK_NOTHROW(off(report(2, 1e300, -1e300, 1e300)));
  CHECK(off.peak_energy() == Approx(1e300));
  CHECK_THROWS_WITH(ember::DivergenceGuard({.energy = -1}), Catch::Contains("limits.energy = -1"));
  CHECK_THROWS_WITH(ember::DivergenceGuard({.gradient_norm = std::nan("")}), Catch::Contains("limits.gradient_norm"));
}

TEST_CASE("DivergenceGuard: stops ember::train at the first update beyond the limit", "[trainer][divergence]") {
  auto energy = ember::GaussianEnergy<double>::standard(2);
  ember::Sgd<double> sgd({.learning_rate = 0.01});
  const ember::Batch<double> data = ember::Batch<double>::Zero(10, 2);
  Exploding est;
  ember::DivergenceGuard guard({.energy = 1e4, .gradient_norm = 1e4});
  // Scale 3 (|E-| of the first update): 3·10^k > 3·10^4 first at k = 5, the 6th update.
  try {
    ember::train(est, energy, sgd, data, {.iterations = 50, .batch_size = 4},
                 [&](const ember::TrainProgress& p) { guard(p); });
    FAIL("the exploding run should have been stopped");
  } catch (const ember::training_diverged& e) {
    CHECK(e.iteration() == 6);
    CHECK(e.quantity() == "E-");
    CHECK(e.value() == Approx(-3e5));
  }
  CHECK(est.calls == 6);
}

TEST_CASE("train: a non-finite quantity is a training_diverged naming the iteration and the quantity",
          "[trainer][divergence]") {
  auto energy = ember::GaussianEnergy<double>::standard(2);
  ember::Sgd<double> sgd({.learning_rate = 0.01});
  const ember::Batch<double> data = ember::Batch<double>::Zero(10, 2);
  NanAt est{.bad = 4};
  CHECK_THROWS_MATCHES(ember::train(est, energy, sgd, data, {.iterations = 10}, ember::SilentProgress{}),
                       ember::training_diverged,
                       Catch::Matchers::Predicate<ember::training_diverged>([](const auto& e) {
                         return e.iteration() == 4 && e.quantity() == "E+" && std::isinf(e.value());
                       }));
  // The absolute divergence_threshold names its quantity too.
  Exploding exploding;
  ember::TrainSettings settings{.iterations = 50, .batch_size = 4};
  settings.divergence_threshold = 1e3;
  CHECK_THROWS_MATCHES(ember::train(exploding, energy, sgd, data, settings, ember::SilentProgress{}),
                       ember::training_diverged,
                       Catch::Matchers::Predicate<ember::training_diverged>([](const auto& e) {
                         return e.iteration() == 4 && e.quantity() == "loss" && e.value() == Approx(3002);
                       }));
}
