#include "ember/mcmc/compose.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/mcmc/langevin.hpp"

using ember::Batch;

namespace {
// A kernel that records its name in a shared log and adds a constant to every chain.
struct Recorder {
  std::vector<std::string>* log;
  std::string name;
  double shift;
  template <class E, class G>
  void step(const E&, ember::BatchRef<double> x, G&) {
    log->push_back(name);
    x.array() += shift;
  }
};
using Energy = ember::GaussianEnergy<double>;
}  // namespace

static_assert(ember::Kernel<ember::Repeat<Recorder>, Energy, ember::Philox>);
static_assert(ember::Kernel<ember::Sequence<Recorder, ember::Langevin<double>>, Energy, ember::Philox>);
static_assert(ember::Kernel<ember::Every<Recorder>, Energy, ember::Philox>);

TEST_CASE("repeat runs the inner kernel k times per step", "[compose]") {
  std::vector<std::string> log;
  auto kernel = ember::repeat(Recorder{&log, "a", 1.0}, 3);
  const auto energy = Energy::standard(1);
  ember::Philox rng(1);
  Batch<double> x = Batch<double>::Zero(2, 1);
  kernel.run(energy, x, rng, 4);
  CHECK(log.size() == 12);
  CHECK(x(1, 0) == 12.0);
}

TEST_CASE("sequence runs its kernels once each, in order", "[compose]") {
  std::vector<std::string> log;
  auto kernel = ember::sequence(Recorder{&log, "a", 1.0}, Recorder{&log, "b", 10.0}, Recorder{&log, "c", 100.0});
  const auto energy = Energy::standard(1);
  ember::Philox rng(1);
  Batch<double> x = Batch<double>::Zero(1, 1);
  kernel.run(energy, x, rng, 2);
  CHECK(log == std::vector<std::string>{"a", "b", "c", "a", "b", "c"});
  CHECK(x(0, 0) == 222.0);
  CHECK(kernel.get<1>().name == "b");
}

TEST_CASE("every applies its kernel on calls n, 2n, ... only", "[compose]") {
  std::vector<std::string> log;
  auto kernel = ember::sequence(Recorder{&log, "step", 0.0}, ember::every(Recorder{&log, "augment", 1.0}, 3));
  const auto energy = Energy::standard(1);
  ember::Philox rng(1);
  Batch<double> x = Batch<double>::Zero(1, 1);
  kernel.run(energy, x, rng, 7);
  const std::vector<std::string> expected = {"step", "step", "step", "augment", "step", "step",
                                             "step", "augment", "step"};
  CHECK(log == expected);
  CHECK(kernel.get<1>().calls() == 7);
  CHECK(x(0, 0) == 2.0);
}

TEST_CASE("a composed real kernel equals the same steps run by hand", "[compose]") {
  const auto energy = Energy::standard(2);
  ember::Philox rng_a(4), rng_b(4);
  Batch<double> a = Batch<double>::Ones(5, 2), b = a;
  auto composed = ember::repeat(ember::Langevin<double>({.step_size = 0.1}), 4);
  composed.step(energy, a, rng_a);
  ember::Langevin<double> plain({.step_size = 0.1});
  plain.run(energy, b, rng_b, 4);
  CHECK((a - b).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("composition: bad counts are rejected", "[compose][errors]") {
  using Catch::Matchers::Contains;
  std::vector<std::string> log;
  CHECK_THROWS_WITH(ember::repeat(Recorder{&log, "a", 0.0}, 0), Contains("ember::Repeat") && Contains("times = 0"));
  CHECK_THROWS_WITH(ember::every(Recorder{&log, "a", 0.0}, -2), Contains("ember::Every") && Contains("period = -2"));
}
