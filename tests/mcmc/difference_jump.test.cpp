#include "ember/mcmc/difference_jump.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "ember/energy/gaussian.hpp"
#include "ember/mcmc/mala.hpp"
#include "ember/simd/random.hpp"
#include "mcmc/counting_energy.hpp"
#include "mcmc/mixture_energy.hpp"
#include "mcmc/sampler_checks.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::DifferenceJump;
using ember::Index;
using ember::Mala;
using ember::WithJumps;

namespace {
// Two modes 6 apart, σ = 0.15: no MALA chain crosses (the barrier is ~400 nats), weights 0.7 and 0.3.
template <class T>
ember::test::Mixture1d<T> far_mixture() {
  return {.w0 = 0.7, .mu0 = -3.0, .s0 = 0.15, .mu1 = 3.0, .s1 = 0.15};
}
// A reference set with the modes' weights wrong on purpose (half and half): the jumps must sample exp(−E),
// not the reference.
template <class T>
Batch<T> equal_weight_reference(Index m, ember::Philox& rng) {
  Batch<T> y(m, 1);
  rng.normal(y);
  for (Index i = 0; i < m; ++i) y(i, 0) = T(0.15) * y(i, 0) + (i % 2 == 0 ? T(-3) : T(3));
  return y;
}
constexpr Index jump_chains = 10000;

using Standard = ember::GaussianEnergy<double>;  // E(x) = x²/2 (+ a constant) for standard(1)

// E = x²/2 inside [−1, 1], +∞ outside.
struct Walled {
  using scalar_type = double;
  [[nodiscard]] Index dim() const { return 1; }
  void energy(ember::BatchView<double> x, ember::VectorRef<double> e) const {
    for (Index i = 0; i < x.rows(); ++i)
      e(i) = std::abs(x(i, 0)) <= 1 ? 0.5 * x(i, 0) * x(i, 0) : std::numeric_limits<double>::infinity();
  }
  void energy_and_gradient(ember::BatchView<double> x, ember::VectorRef<double> e, ember::BatchRef<double> g) const {
    energy(x, e);
    g = x;
  }
};
}  // namespace

static_assert(ember::Kernel<DifferenceJump<double>, Standard, ember::Philox>);
static_assert(ember::Kernel<WithJumps<Mala<double>, double>, Standard, ember::Philox>);

TEST_CASE("difference jumps alone sample the exact law on their lattice", "[difference_jump]") {
  // Reference {0, 0.5}: every proposal is x ± 0.5 with probability 1/2 each, so chains started at 0 walk on the
  // lattice 0.5ℤ, and Metropolis–Hastings makes their stationary law π(k) ∝ exp(−(0.5k)²/2) exactly.
  Batch<double> reference(2, 1);
  reference << 0.0, 0.5;
  DifferenceJump<double> jump(reference);
  const Standard standard = Standard::standard(1);
  const ember::test::CountingEnergy energy(standard);
  ember::Philox rng(11);
  Batch<double> x = Batch<double>::Zero(jump_chains, 1);
  jump.run(energy, x, rng, 300);
  CHECK(energy.calls.load() == 2 * 300);  // the current states and the proposals: no gradient
  std::vector<double> probability(21), count(21, 0.0);
  double total = 0;
  for (int k = -10; k <= 10; ++k) total += probability[k + 10] = std::exp(-0.125 * k * k);
  for (Index i = 0; i < x.rows(); ++i) {
    const double k = x(i, 0) / 0.5;
    REQUIRE(k == std::round(k));  // on the lattice
    REQUIRE(std::abs(k) <= 10);
    count[static_cast<std::size_t>(k + 10)] += 1;
  }
  // Each lattice point's frequency within 4.5 binomial standard errors of π(k).
  for (int k = -10; k <= 10; ++k) {
    const double p = probability[k + 10] / total, n = jump_chains;
    INFO("k = " << k << ": frequency " << count[k + 10] / n << ", exact " << p);
    CHECK(std::abs(count[k + 10] / n - p) <= ember::test::z_bound * std::sqrt(p * (1 - p) / n) + 1e-12);
  }
  const auto stats = jump.statistics();
  CHECK(stats.proposed == 300);
  CHECK(stats.mean_rate() > 0.5);  // π(k ± 1)/π(k) is near 1 around 0
  CHECK(stats.total_divergences() == 0);
}

TEMPLATE_TEST_CASE("MALA with difference jumps samples far-apart modes with their weights", "[difference_jump]", float,
                   double) {
  using T = TestType;
  const auto mixture = far_mixture<T>();
  ember::Philox rng(7);
  const Batch<T> reference = equal_weight_reference<T>(400, rng);
  // Every chain starts in the first mode.
  Batch<T> alone = Batch<T>::Constant(jump_chains, 1, T(-3));
  Batch<T> jumping = alone;
  Mala<T>({.step_size = T(0.01)}).run(mixture, alone, rng, 300);
  WithJumps<Mala<T>, T> kernel(Mala<T>({.step_size = T(0.01)}), DifferenceJump<T>(reference), 10);
  kernel.run(mixture, jumping, rng, 300);
  // Without the jumps no chain leaves the first mode; with them the chains reach the exact mixture.
  CHECK((alone.array() > T(0)).count() == 0);
  const Batch<double> xd = jumping.template cast<double>();
  ember::test::check_ks(xd, [&](double v) { return mixture.cdf(v); });
  const double second = (xd.array() > 0).template cast<double>().mean(), n = jump_chains;
  CHECK(std::abs(second - 0.3) <= ember::test::z_bound * std::sqrt(0.3 * 0.7 / n));
  CHECK(kernel.jump().statistics().proposed == 30);
  CHECK(kernel.jump().statistics().mean_rate() > 0.1);
}

TEST_CASE("WithJumps jumps before every period of the inner kernel's transitions, across calls",
          "[difference_jump]") {
  const Standard energy = Standard::standard(1);
  Batch<double> reference(3, 1);
  reference << -1.0, 0.0, 1.0;
  ember::Philox rng(3);
  WithJumps<Mala<double>, double> kernel(Mala<double>({.step_size = 0.5}), DifferenceJump<double>(reference), 3);
  Batch<double> x = Batch<double>::Zero(16, 1);
  std::vector<Index> seen;
  kernel.run(energy, x, rng, 7, [&](const ember::StepRecord<double>& r) { seen.push_back(r.step); });
  CHECK(seen == std::vector<Index>{0, 1, 2, 3, 4, 5, 6});  // the inner kernel's transitions, numbered in this call
  CHECK(kernel.jump().statistics().proposed == 3);          // before transitions 0, 3 and 6
  CHECK(kernel.since_jump() == 1);
  CHECK(kernel.inner().steps_taken() == 7);
  kernel.run(energy, x, rng, 2);  // transitions 7 and 8: none due
  CHECK(kernel.jump().statistics().proposed == 3);
  kernel.step(energy, x, rng);  // transition 9: preceded by one
  CHECK(kernel.jump().statistics().proposed == 4);
  CHECK(kernel.last_mean_acceptance() == kernel.inner().last_mean_acceptance());

  // One run of 7 and runs of 3 and 4 draw the same numbers in the same order: the same chains, bit for bit.
  ember::Philox a(9), b(9);
  WithJumps<Mala<double>, double> one(Mala<double>({.step_size = 0.5}), DifferenceJump<double>(reference), 3);
  WithJumps<Mala<double>, double> two = one;
  Batch<double> xa = Batch<double>::Zero(16, 1), xb = xa;
  one.run(energy, xa, a, 7);
  two.run(energy, xb, b, 3);
  two.run(energy, xb, b, 4);
  CHECK(xa == xb);
}

TEST_CASE("a jump to an infinite energy is rejected and counted as divergent", "[difference_jump]") {
  // From 0, the reference {0, 5} proposes ±5: always outside the wall.
  Batch<double> reference(2, 1);
  reference << 0.0, 5.0;
  DifferenceJump<double> jump(reference);
  ember::Philox rng(2);
  Batch<double> x = Batch<double>::Zero(8, 1);
  jump.run(Walled{}, x, rng, 5);
  CHECK(x.isZero());
  CHECK(jump.statistics().total_divergences() == 8 * 5);
  CHECK(jump.statistics().mean_rate() == 0.0);
}

TEST_CASE("difference jumps refuse bad settings and inputs, naming them", "[difference_jump]") {
  using Catch::Matchers::Contains;
  const Standard energy = Standard::standard(1);
  ember::Philox rng(1);
  Batch<double> one_row(1, 1);
  one_row << 0.0;
  CHECK_THROWS_WITH(DifferenceJump<double>(one_row), Contains("ember::DifferenceJump") && Contains("reference"));
  Batch<double> reference(2, 1);
  reference << 0.0, std::nan("");
  CHECK_THROWS_WITH(DifferenceJump<double>(reference), Contains("reference(1, 0)"));
  reference(1, 0) = 1.0;
  CHECK_THROWS_WITH(DifferenceJump<double>(reference, {.scale = 0.0}), Contains("settings.scale"));
  CHECK_THROWS_WITH(DifferenceJump<double>(reference, {.scale = std::numeric_limits<double>::infinity()}),
                    Contains("settings.scale"));
  CHECK_THROWS_WITH((WithJumps<Mala<double>, double>(Mala<double>(), DifferenceJump<double>(reference), 0)),
                    Contains("ember::WithJumps") && Contains("period"));
  DifferenceJump<double> jump(reference);
  Batch<double> wide = Batch<double>::Zero(4, 2);
  CHECK_THROWS_AS(jump.step(energy, wide, rng), ember::invalid_argument);
  Batch<double> at_nan = Batch<double>::Constant(4, 1, std::nan(""));
  CHECK_THROWS_AS(jump.step(energy, at_nan, rng), ember::numerical_error);
  // The state a checkpoint restores: counts within [0, proposed], an acceptance in [0, 1], a place in the period.
  using Counts = ember::AcceptanceStatistics<double>::Counts;
  CHECK_THROWS_WITH(jump.set_statistics({Counts::Constant(2, 3), Counts::Zero(2), 2}, 0.5),
                    Contains("ember::DifferenceJump::set_statistics") && Contains("statistics.proposed = 2"));
  CHECK_THROWS_WITH(jump.set_statistics({Counts::Constant(2, 1), Counts::Zero(3), 2}, 0.5),
                    Contains("statistics.divergent.size() = 3"));
  CHECK_THROWS_WITH(jump.set_statistics({Counts::Constant(2, 1), Counts::Zero(2), 2}, 1.5),
                    Contains("last_mean_acceptance = 1.5"));
  jump.set_statistics({Counts::Constant(2, 1), Counts::Constant(2, 1), 2}, 0.25);
  CHECK(jump.statistics().proposed == 2);
  CHECK(jump.last_mean_acceptance() == 0.25);
  WithJumps<Mala<double>, double> with(Mala<double>(), DifferenceJump<double>(reference), 3);
  CHECK_THROWS_WITH(with.set_since_jump(3), Contains("ember::WithJumps::set_since_jump") && Contains("k = 3"));
  CHECK_THROWS_WITH(with.set_since_jump(-1), Contains("k = -1"));
  with.set_since_jump(2);
  CHECK(with.since_jump() == 2);
}
