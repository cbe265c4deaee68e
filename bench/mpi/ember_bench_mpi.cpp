// ember_bench_mpi: the sampler and training benchmarks of the MPI layer, run under `mpirun -np N`.
//
//   sampler/ula_mlp/batch:8192/ranks:N     ULA on the MLP energy 2→128→128→1 (bench/mcmc.bench.cpp's ula_mlp),
//                                          ember::mpi::run over N ranks, 10 steps per call: chain-steps/s
//   train/cd_mlp_2d/batch:4096/ranks:N     ember::train of the same MLP on a 2D data set, CD-1 with ULA through
//                                          ember::mpi::DataParallel (blocks of 512 rows): iterations/s
//   .../batch:8192xN/... and .../batch:4096xN/...  the same with the batch grown with the ranks (weak scaling)
// With one rank, the plain one-process loops (kernel.run; ember::train with ContrastiveDivergence) are timed as
// the reference (`.../reference`). Each benchmark is repeated `--repetitions` times (default 7) after a
// warm-up; a repetition's time is the slowest rank's, and the median, min and max are reported. Rank 0
// prints; `--json FILE` also writes the results.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/divergence/cd.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mpi/data_parallel.hpp"
#include "ember/mpi/sampling.hpp"
#include "ember/train/adam.hpp"
#include "ember/train/trainer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  std::string name;
  std::string unit;
  double median = 0, min = 0, max = 0;  // of the rate
};

// Runs body() `repetitions` times after one warm-up; returns rates (work / slowest rank's seconds).
template <class Body>
Result measure(const ember::mpi::Communicator& comm, std::string name, std::string unit, double work,
               int repetitions, Body&& body) {
  body();
  std::vector<double> rates;
  for (int r = 0; r < repetitions; ++r) {
    comm.barrier();
    const auto start = Clock::now();
    body();
    const double mine = std::chrono::duration<double>(Clock::now() - start).count();
    const std::vector<double> all = comm.allgather(std::vector<double>{mine});
    rates.push_back(work / *std::max_element(all.begin(), all.end()));
  }
  std::sort(rates.begin(), rates.end());
  return {std::move(name), std::move(unit), rates[rates.size() / 2], rates.front(), rates.back()};
}

ember::MlpEnergy<float> mlp() { return ember::MlpEnergy<float>({2, 128, 128}, 7); }

Result sampler(const ember::mpi::Communicator& comm, int repetitions, bool reference, bool weak = false) {
  constexpr ember::Index steps = 10;
  const ember::Index batch = weak ? 8192 * comm.size() : 8192;
  const auto energy = mlp();
  ember::Langevin<float> kernel({.step_size = 0.01f});
  ember::Philox rng(1);
  ember::Batch<float> x = ember::Batch<float>::Zero(batch, 2);
  const std::string name = std::string("sampler/ula_mlp/batch:") + (weak ? "8192xN" : "8192") +
                           "/ranks:" + std::to_string(comm.size());
  if (reference)
    return measure(comm, "sampler/ula_mlp/batch:8192/reference", "chain_steps_per_s", double(batch * steps),
                   repetitions, [&] { kernel.run(energy, x, rng, steps); });
  return measure(comm, name, "chain_steps_per_s", double(batch * steps), repetitions,
                 [&] { ember::mpi::run(comm, kernel, energy, x, rng, steps, {.block_rows = 512}); });
}

Result training(const ember::mpi::Communicator& comm, int repetitions, bool reference, bool weak = false) {
  constexpr ember::Index iterations = 10;
  const ember::Index batch = weak ? 4096 * comm.size() : 4096;
  ember::Batch<float> data(20000, 2);
  ember::Philox data_rng(5);
  data_rng.normal(data);
  auto energy = mlp();
  ember::Adam<float> adam({.learning_rate = 1e-3f});
  const auto make = [](ember::Index) { return ember::ContrastiveDivergence(ember::Langevin<float>({.step_size = 0.01f})); };
  ember::Index done = 0;
  const auto settings = [&] {
    ember::TrainSettings s{.iterations = done + iterations, .batch_size = batch, .seed = 3, .start_iteration = done};
    return s;
  };
  if (reference) {
    auto cd = make(0);
    return measure(comm, "train/cd_mlp_2d/batch:4096/reference", "iterations_per_s", double(iterations), repetitions,
                   [&] {
                     ember::train(cd, energy, adam, data, settings(), ember::SilentProgress{});
                     done += iterations;
                   });
  }
  ember::mpi::DataParallel dp(comm, batch, make, {.block_rows = 512});
  return measure(comm, std::string("train/cd_mlp_2d/batch:") + (weak ? "4096xN" : "4096") + "/ranks:" +
                           std::to_string(comm.size()),
                 "iterations_per_s",
                 double(iterations), repetitions, [&] {
                   ember::train(dp, energy, adam, data, settings(), ember::SilentProgress{});
                   done += iterations;
                 });
}

}  // namespace

int main(int argc, char** argv) {
  ember::mpi::Environment environment(argc, argv);
  ember::mpi::Communicator world;
  return ember::mpi::run_or_abort([&] {
    int repetitions = 7;
    std::string json;
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "--repetitions") == 0 && i + 1 < argc) repetitions = std::max(1, std::stoi(argv[++i]));
      else if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) json = argv[++i];
    }
    std::vector<Result> results;
    if (world.size() == 1) results.push_back(sampler(world, repetitions, true));
    results.push_back(sampler(world, repetitions, false));
    if (world.size() == 1) results.push_back(training(world, repetitions, true));
    results.push_back(training(world, repetitions, false));
    if (world.size() > 1) {
      results.push_back(sampler(world, repetitions, false, true));
      results.push_back(training(world, repetitions, false, true));
    }
    if (!world.is_root()) return 0;
    for (const auto& r : results)
      std::printf("%-42s %-18s median %.4g  (min %.4g, max %.4g; %d repetitions)\n", r.name.c_str(), r.unit.c_str(),
                  r.median, r.min, r.max, repetitions);
    if (!json.empty()) {
      std::FILE* out = std::fopen(json.c_str(), "w");
      if (out == nullptr) throw std::runtime_error("ember_bench_mpi: cannot write " + json);
      std::fprintf(out, "{\"ranks\": %d, \"repetitions\": %d, \"benchmarks\": [", world.size(), repetitions);
      for (std::size_t i = 0; i < results.size(); ++i)
        std::fprintf(out, "%s\n  {\"name\": \"%s\", \"unit\": \"%s\", \"median\": %.6g, \"min\": %.6g, \"max\": %.6g}",
                     i ? "," : "", results[i].name.c_str(), results[i].unit.c_str(), results[i].median, results[i].min,
                     results[i].max);
      std::fprintf(out, "\n]}\n");
      std::fclose(out);
    }
    return 0;
  });
}
