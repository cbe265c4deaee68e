// ember::mpi::run: a kernel run over chains split across ranks gives every rank the chains of a one-process run,
// bit for bit, and leaves the generator where the one-process run leaves it.
#include <catch2/catch.hpp>

#include "ember/simd/random.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/mcmc/hmc.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mcmc/mala.hpp"
#include "ember/mpi/sampling.hpp"

using Catch::Matchers::Contains;
using ember::Batch;
using ember::Index;

namespace {

template <class T>
Batch<T> start(Index n) {
  ember::Philox rng(41);
  Batch<T> x(n, 3);
  rng.normal(x);
  return x;
}

// The one-process reference: `steps` kernel steps over all rows.
template <class K, class E, class T>
Batch<T> serial(K kernel, const E& energy, Batch<T> x, ember::Philox& rng, Index steps) {
  for (Index s = 0; s < steps; ++s) kernel.step(energy, x, rng);
  return x;
}

}  // namespace

TEMPLATE_TEST_CASE("mpi::run: Langevin and MALA chains over ranks equal one process bit for bit", "[mpi][sampling]",
                   float, double) {
  using T = TestType;
  ember::mpi::Communicator world;
  const ember::MlpEnergy<T> energy({3, 32, 32}, 21, {.base_scale = T(2)});
  for (const Index n : {Index{64} * 4, Index{64} * 4 + 17, Index{1000}}) {
    INFO("chains = " << n << ", ranks = " << world.size());
    {
      ember::Langevin<T> kernel({.step_size = T(0.05), .workers = 2});
      ember::Philox a(7), b(7);
      const Batch<T> expected = serial(kernel, energy, start<T>(n), a, 12);
      Batch<T> x = start<T>(n);
      ember::mpi::run(world, kernel, energy, x, b, 12);
      CHECK(x == expected);
      CHECK(b.position() == a.position());
      CHECK(x != start<T>(n));
    }
    {
      ember::Mala<T> kernel({.step_size = T(0.1)});
      ember::Philox a(8), b(8);
      const Batch<T> expected = serial(kernel, energy, start<T>(n), a, 10);
      Batch<T> x = start<T>(n);
      ember::mpi::run(world, kernel, energy, x, b, 10, {.block_rows = 32});
      CHECK(x == expected);
      CHECK(b.position() == a.position());
    }
  }
}

TEST_CASE("mpi::run: HMC over ranks equals one process bit for bit; refusals", "[mpi][sampling]") {
  ember::mpi::Communicator world;
  const ember::MlpEnergy<double> energy({3, 16}, 3, {.base_scale = 2.0});
  ember::Hmc<double> kernel({.step_size = 0.1, .leapfrog_steps = 5});
  ember::Philox a(9), b(9);
  const Batch<double> expected = serial(kernel, energy, start<double>(300), a, 6);
  Batch<double> x = start<double>(300);
  ember::mpi::run(world, kernel, energy, x, b, 6);
  CHECK(x == expected);
  CHECK_THROWS_WITH(ember::mpi::run(world, kernel, energy, x, b, -1), Contains("ember::mpi::run: steps = -1"));
  Batch<double> few = start<double>(10);
  if (world.size() > 2)
    CHECK_THROWS_WITH(ember::mpi::run(world, kernel, energy, few, b, 1, {.block_rows = 8}),
                      Contains("ember::mpi::run: chains = 10: 2 block(s) of 8 rows cannot give each of"));
}
