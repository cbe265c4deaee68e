// ember::mpi::DataParallel: training over 1, 2, 3 or 4 ranks gives the same parameters bit for bit, sharded replay
// buffers included; a checkpoint written on one rank count resumes exactly on another; a failure in one rank's
// block is thrown on every rank.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/divergence/cd.hpp"
#include "ember/divergence/pcd.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/io/checkpoint.hpp"
#include "ember/io/checkpoint_mcmc.hpp"
#include "ember/io/checkpoint_train.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mcmc/mala.hpp"
#include "ember/mcmc/replay_buffer.hpp"
#include "ember/mpi/data_parallel.hpp"
#include "ember/train/adam.hpp"
#include "ember/train/trainer.hpp"
#include "support/random_batch.hpp"

using Catch::Matchers::Contains;
using ember::Batch;
using ember::Index;
using ember::Vector;

namespace {

using Energy = ember::MlpEnergy<float>;
Energy model() { return Energy({2, 32, 32}, 17, {.base_scale = 2.0f}); }
Batch<float> data() {
  Batch<float> x = ember::test::normal_batch<float>(2000, 2, 3, 0.7f);
  x.col(0).array() += 1.0f;
  return x;
}

constexpr Index batch = 256;
ember::TrainSettings settings(Index iterations) { return {.iterations = iterations, .batch_size = batch, .seed = 99}; }

auto make_cd() {
  return [](Index) { return ember::ContrastiveDivergence(ember::Langevin<float>({.step_size = 0.02f}), {.steps = 3}); };
}

// PCD with MALA and a replay buffer per block (64 chains each, 5 % re-initialised: a varying number of draws).
auto make_pcd() {
  return [](Index) {
    return ember::PersistentContrastiveDivergence(
        ember::Mala<float>({.step_size = 0.05f}),
        ember::ReplayBuffer(2, ember::UniformInit<float>{-3.0f, 3.0f}, {.capacity = 64, .reinit_probability = 0.05f}));
  };
}

const auto store_block = [](ember::Checkpoint& ck, const std::string& key, auto& estimator) {
  ember::store(ck, key + ".buffer", estimator.buffer());
  ember::store(ck, key + ".kernel", estimator.kernel());
};
const auto restore_block = [](const ember::Checkpoint& ck, const std::string& key, auto& estimator) {
  ember::restore(ck, key + ".buffer", estimator.buffer());
  ember::restore(ck, key + ".kernel", estimator.kernel());
};

struct Run {
  Vector<float> params;
  ember::TrainSummary summary;
};

// Trains `iterations` PCD updates on `comm`; with `resume_from`, restores that checkpoint first; with
// `save_at` > 0, rank 0 saves the whole state at that iteration to `save_to` and training stops there.
Run train_pcd(const ember::mpi::Communicator& comm, Index iterations, const std::string& resume_from = "",
              Index save_at = 0, const std::string& save_to = "") {
  const Batch<float> x = data();
  Energy energy = model();
  ember::Adam<float> adam({.learning_rate = 0.01f});
  ember::mpi::DataParallel dp(comm, batch, make_pcd());
  ember::TrainSettings s = settings(iterations);
  if (!resume_from.empty()) {
    const auto ck = ember::Checkpoint::load(resume_from);
    ember::restore_parameters(ck, "params", energy.params());
    ember::restore(ck, "adam", adam, energy.params().size());
    dp.restore(ck, "pcd", restore_block);
    ember::Philox rng(0);
    ember::restore(ck, "rng", rng);
    s.start_iteration = static_cast<Index>(ck.integer("iteration"));
    s.generator_position = rng.position();
  }
  Run run;
  run.summary = ember::train(dp, energy, adam, x, s, [&](const ember::TrainProgress& p) {
    if (save_at == 0 || p.iteration != save_at) return true;
    ember::Checkpoint ck;
    ck.set("iteration", static_cast<std::uint64_t>(p.iteration));
    ck.set("params", energy.params());
    ember::store(ck, "adam", adam);
    ember::store(ck, "rng", ember::Philox(s.seed, p.generator_position));
    dp.store(ck, "pcd", store_block);  // collective: every rank's ck now holds every block
    if (comm.is_root()) ck.save(save_to);
    comm.barrier();
    return false;
  });
  run.params = energy.params();
  return run;
}

// A checkpoint path shared by the ranks of `comm` (rank 0's process id, so that concurrent jobs never collide).
std::string shared_path(const ember::mpi::Communicator& comm, const std::string& name) {
  std::vector<std::uint64_t> id{static_cast<std::uint64_t>(::getpid())};
  comm.broadcast(id);
  return (std::filesystem::temp_directory_path() /
          ("ember-mpi-" + std::to_string(id[0]) + "-" + name + ".ckpt")).string();
}

struct FailingEstimator {
  using scalar_type = double;
  Index block;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double>, G&) {
    if (block == 1) throw ember::numerical_error("the chains of block 1 diverged on purpose");
    ember::EstimatorResult<double> r;
    r.gradient = ember::Vector<double>::Zero(energy.params().size());
    return r;
  }
};

// Block 1 fails on its first call only; every block's gradient is its block number.
struct FailsOnce {
  using scalar_type = double;
  Index block;
  int calls = 0;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double>, G&) {
    if (block == 1 && calls++ == 0) throw ember::numerical_error("block 1 fails once");
    ember::EstimatorResult<double> r;
    r.gradient = ember::Vector<double>::Constant(energy.params().size(), static_cast<double>(block));
    return r;
  }
};

// Negatives fixed in advance (no sampler): block `first / 64` takes rows [first, first + 64) of them.
struct FixedNegatives {
  using scalar_type = float;
  Batch<float> negatives;
  ember::Contrastive<float> skeleton;
  Index first = 0;
  template <class G>
  ember::EstimatorResult<float> estimate(const Energy& e, ember::BatchView<float> x, G&) {
    ember::EstimatorResult<float> r;
    skeleton.accumulate(e, x, negatives.middleRows(first, x.rows()), r);
    return r;
  }
};

}  // namespace

TEST_CASE("mpi::DataParallel: CD training over ranks gives the same parameters as one rank, bit for bit",
          "[mpi][data_parallel]") {
  const ember::mpi::Communicator world;
  const auto self = ember::mpi::Communicator::self();
  const Batch<float> x = data();
  std::vector<Vector<float>> params;
  std::vector<ember::TrainSummary> summaries;
  for (const ember::mpi::Communicator* comm : {&self, &world}) {
    Energy energy = model();
    ember::Adam<float> adam({.learning_rate = 0.01f});
    ember::mpi::DataParallel dp(*comm, batch, make_cd(), {.block_rows = 64});
    summaries.push_back(ember::train(dp, energy, adam, x, settings(6), ember::SilentProgress{}));
    params.push_back(energy.params());
  }
  CHECK(params[1] == params[0]);
  CHECK(summaries[1].last.loss == summaries[0].last.loss);
  CHECK(summaries[1].last.negative_energy == summaries[0].last.negative_energy);
  CHECK(summaries[1].generator_position == summaries[0].generator_position);
  CHECK(params[0] != model().params());  // training moved the parameters
}

TEST_CASE("mpi::DataParallel: the blocked gradient is the full batch's, up to rounding", "[mpi][data_parallel]") {
  // Without a sampler (negatives = fixed noise), the blocked estimate must equal Contrastive on the whole batch.
  ember::mpi::Communicator world;
  const Energy energy = model();
  const Batch<float> positives = data().topRows(batch);
  const Batch<float> noise = ember::test::normal_batch<float>(batch, 2, 8, 2.0f);
  ember::mpi::DataParallel dp(world, batch, [&](Index b) { return FixedNegatives{noise, {}, b * 64}; });
  ember::Philox rng(1);
  const auto blocked = dp.estimate(energy, positives, rng);
  ember::Contrastive<float> skeleton;
  ember::EstimatorResult<float> whole;
  skeleton.accumulate(energy, positives, noise, whole);
  const float scale = whole.gradient.cwiseAbs().maxCoeff();
  CHECK((blocked.gradient - whole.gradient).cwiseAbs().maxCoeff() < 1e-5f * scale);
  CHECK(blocked.loss == Approx(whole.loss).epsilon(1e-5));
  CHECK(blocked.positive_energy == Approx(whole.positive_energy).epsilon(1e-5));
  CHECK(blocked.negative_energy == Approx(whole.negative_energy).epsilon(1e-5));
}

TEST_CASE("mpi::DataParallel: PCD with sharded replay buffers, resumed on another rank count, bit for bit",
          "[mpi][data_parallel][checkpoint]") {
  ember::mpi::Communicator world;
  const auto self = ember::mpi::Communicator::self();
  constexpr Index total = 8, half = 4;
  const Run on_world = train_pcd(world, total);
  const Run on_self = train_pcd(self, total);
  CHECK(on_world.params == on_self.params);
  CHECK(on_world.summary.generator_position == on_self.summary.generator_position);
  CHECK(on_world.params != model().params());

  // Written by `world`'s rank 0, resumed by one rank (on each rank alone).
  const std::string from_world = shared_path(world, "world");
  (void)train_pcd(world, total, "", half, from_world);
  const Run resumed_on_self = train_pcd(self, total, from_world);
  CHECK(resumed_on_self.params == on_world.params);
  CHECK(resumed_on_self.summary.generator_position == on_world.summary.generator_position);

  // Written by one rank (rank 0 of a one-rank run), resumed by `world`.
  const std::string from_self = shared_path(world, "self");
  if (world.is_root()) (void)train_pcd(self, total, "", half, from_self);
  world.barrier();
  const Run resumed_on_world = train_pcd(world, total, from_self);
  CHECK(resumed_on_world.params == on_world.params);
  world.barrier();
  if (world.is_root()) {
    std::remove(from_world.c_str());
    std::remove(from_self.c_str());
  }
}

TEST_CASE("mpi::DataParallel: a failure in one block is thrown on every rank; bad input is refused alike",
          "[mpi][data_parallel][errors]") {
  ember::mpi::Communicator world;
  const ember::MlpEnergy<double> energy({2, 4}, 1);
  const Batch<double> x = ember::test::normal_batch<double>(256, 2, 1);
  ember::mpi::DataParallel dp(world, 256, [](Index b) { return FailingEstimator{b}; });
  ember::Philox rng(1);
  CHECK_THROWS_AS(dp.estimate(energy, x, rng), ember::numerical_error);
  CHECK_THROWS_WITH(dp.estimate(energy, x, rng),
                    Contains("ember::mpi::DataParallel::estimate: rank ") &&
                        Contains("block 1: the chains of block 1 diverged on purpose"));
  CHECK_THROWS_WITH(dp.estimate(energy, x.topRows(128), rng),
                    Contains("ember::mpi::DataParallel::estimate: data.rows() = 128: must equal the batch_rows = 256"));
  // The packets are reused between calls: a failure is not carried into the next call.
  ember::mpi::DataParallel recovers(world, 256, [](Index b) { return FailsOnce{b}; });
  CHECK_THROWS_WITH(recovers.estimate(energy, x, rng), Contains("block 1: block 1 fails once"));
  const auto after = recovers.estimate(energy, x, rng);
  CHECK((after.gradient.array() == 1.5).all());  // Σ_b (64/256)·b over the blocks 0..3
  // One block fewer than ranks (no rows at all on one rank): refused on every rank.
  CHECK_THROWS_WITH(ember::mpi::DataParallel(world, 64 * (world.size() - 1), [](Index b) { return FailingEstimator{b}; }),
                    Contains("ember::mpi::DataParallel: chains = " + std::to_string(64 * (world.size() - 1))));
  CHECK_THROWS_WITH(ember::mpi::DataParallel(world, 256, [](Index b) { return FailingEstimator{b}; },
                                             {.block_rows = 64, .chain_stride = 10}),
                    Contains("settings.chain_stride = 10: must be 0 or >= block_rows = 64"));
}
