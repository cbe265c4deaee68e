#include "ember/mcmc/observer.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/mcmc/hmc.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mcmc/mala.hpp"
#include "mcmc/counting_energy.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

static_assert(ember::StepObserver<ember::TraceRecorder<double>, double>);
static_assert(ember::StepObserver<ember::NoObserver, float>);
static_assert(!ember::StepObserver<int, double>);

namespace {
constexpr Index traced_chains = 37, traced_steps = 25;

template <class T>
ember::GaussianEnergy<T> correlated() {
  Eigen::Matrix<T, 2, 2> covariance;
  covariance << T(2), T(1.2), T(1.2), T(1);
  return ember::GaussianEnergy<T>::from_mean_covariance((Vector<T>(2) << T(1), T(-1)).finished(), covariance);
}

template <class T>
Batch<T> start(ember::Philox& rng) {
  Batch<T> x(traced_chains, 2);
  rng.normal(x);
  return x;
}

// Runs `kernel` three ways from the same seed: run() alone, run() with a recorder, and step() in a loop, and
// checks that the recorder saw exactly run()'s states for no extra evaluation. Returns the recorder.
template <class T, class Kernel>
ember::TraceRecorder<T> check_observer_sees_run(Kernel make, Index expected_calls) {
  const auto gaussian = correlated<T>();
  ember::test::CountingEnergy energy(gaussian);

  ember::Philox rng_run(5);
  Batch<T> x_run = start<T>(rng_run);
  auto plain = make();
  plain.run(energy, x_run, rng_run, traced_steps);
  const Index plain_calls = energy.calls, plain_rows = energy.rows;
  energy.reset();

  ember::Philox rng_observed(5);
  Batch<T> x_observed = start<T>(rng_observed);
  auto observed = make();
  ember::TraceRecorder<T> trace;
  observed.run(energy, x_observed, rng_observed, traced_steps, trace);
  CHECK(energy.calls == plain_calls);  // observing costs nothing
  CHECK(energy.rows == plain_rows);
  CHECK(energy.calls == expected_calls);
  CHECK(energy.rows == expected_calls * traced_chains);
  CHECK(x_observed == x_run);
  CHECK(rng_observed.position() == rng_run.position());
  REQUIRE(trace.states().size() == static_cast<std::size_t>(traced_steps));
  CHECK(trace.states().back() == x_run);

  // step() in a loop makes the same chain; the trace holds its state after every transition.
  ember::Philox rng_step(5);
  Batch<T> x_step = start<T>(rng_step);
  auto stepped = make();
  for (Index s = 0; s < traced_steps; ++s) {
    stepped.step(gaussian, x_step, rng_step);
    INFO("transition " << s);
    CHECK(trace.states()[static_cast<std::size_t>(s)] == x_step);
  }
  return trace;
}
}  // namespace

TEMPLATE_TEST_CASE("Observer: MALA's run shows every transition's states, energies and accept flags, for free",
                   "[observer][mala]", float, double) {
  using T = TestType;
  auto make = [] { return ember::Mala<T>({.step_size = T(0.6)}); };
  const auto trace = check_observer_sees_run<T>(make, 1 + traced_steps);
  REQUIRE(trace.energies().size() == static_cast<std::size_t>(traced_steps));
  const auto gaussian = correlated<T>();
  Vector<T> e(traced_chains);
  for (std::size_t s = 0; s < trace.states().size(); ++s) {
    gaussian.energy(trace.states()[s], e);
    CHECK(trace.energies()[s] == e);  // the cached energy is the energy of the recorded state, to the bit
  }
  // The accept flags the observer sees add up to the kernel's public statistics.
  ember::Philox rng(5);
  Batch<T> x = start<T>(rng);
  auto kernel = make();
  Vector<double> accepted = Vector<double>::Zero(traced_chains);
  Index moves_seen = 0;
  Batch<T> previous = x;
  kernel.run(gaussian, x, rng, traced_steps, [&](const ember::StepRecord<T>& record) {
    CHECK(record.step == moves_seen);
    accepted += record.accepted.template cast<double>();
    for (Index i = 0; i < traced_chains; ++i)  // a chain moved exactly where it accepted (proposals are continuous)
      CHECK((record.states.row(i) != previous.row(i)) == (record.accepted(i) == T(1)));
    previous = record.states;
    ++moves_seen;
  });
  CHECK(moves_seen == traced_steps);
  const auto stats = kernel.statistics();
  CHECK(stats.proposed == traced_steps);
  CHECK(stats.accepted.template cast<double>() == accepted);
  CHECK(accepted.sum() > 0);
  CHECK(accepted.sum() < static_cast<double>(traced_chains * traced_steps));
}

TEMPLATE_TEST_CASE("Observer: HMC's run shows every transition with one evaluation per leapfrog step",
                   "[observer][hmc]", float, double) {
  using T = TestType;
  auto make = [] { return ember::Hmc<T>({.step_size = T(0.3), .leapfrog_steps = 4}); };
  const auto trace = check_observer_sees_run<T>(make, 1 + 4 * traced_steps);
  const Batch<T> energies = trace.energy_trace();
  CHECK(energies.rows() == traced_chains);
  CHECK(energies.cols() == traced_steps);
  const auto gaussian = correlated<T>();
  Vector<T> e(traced_chains);
  gaussian.energy(trace.states().back(), e);
  CHECK(energies.col(traced_steps - 1) == e);
}

TEMPLATE_TEST_CASE("Observer: Langevin's run shows every state; no energies (it would cost an evaluation)",
                   "[observer][langevin]", float, double) {
  using T = TestType;
  auto make = [] { return ember::Langevin<T>({.step_size = T(0.05)}); };
  const auto trace = check_observer_sees_run<T>(make, traced_steps);
  CHECK(trace.energies().empty());
  const Batch<T> first = trace.coordinate(0);
  CHECK(first.rows() == traced_chains);
  CHECK(first.cols() == traced_steps);
  CHECK(first.col(3) == trace.states()[3].col(0));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(trace.coordinate(2), Contains("ember::TraceRecorder::coordinate") && Contains("j = 2"));
  CHECK_THROWS_WITH(trace.energy_trace(), Contains("ember::TraceRecorder::energy_trace"));
}

TEST_CASE("TraceRecorder: thinning keeps every k-th transition", "[observer]") {
  const auto gaussian = correlated<double>();
  ember::Philox rng(8), rng_all(8);
  Batch<double> x = start<double>(rng), y = start<double>(rng_all);
  ember::Mala<double> a({.step_size = 0.5}), b({.step_size = 0.5});
  ember::TraceRecorder<double> thinned(3), all;
  a.run(gaussian, x, rng, 10, thinned);
  b.run(gaussian, y, rng_all, 10, all);
  REQUIRE(thinned.states().size() == 3);  // transitions 2, 5, 8
  CHECK(thinned.states()[0] == all.states()[2]);
  CHECK(thinned.states()[2] == all.states()[8]);
  CHECK(thinned.energies().size() == 3);
  thinned.clear();
  CHECK(thinned.states().empty());
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::TraceRecorder<double>(0), Contains("ember::TraceRecorder") && Contains("thin = 0"));
}
