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
// prints; `--json FILE` also writes the results. Beside the wall-clock rate, the CPU-time rate (work / the
// largest rank's process CPU time, MPI's busy-polling included) is reported: on a machine shared with other
// jobs a descheduled rank loses wall-clock time but not CPU time, so it tells load apart from scaling.
#include <algorithm>
#include <chrono>
#include <ctime>
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
  double cpu_median = 0;                 // of work / the largest rank's CPU seconds
};

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Runs body() `repetitions` times after one warm-up; returns rates (work / slowest rank's seconds).
template <class Body>
Result measure(const ember::mpi::Communicator& comm, std::string name, std::string unit, double work,
               int repetitions, Body&& body) {
  body();
  std::vector<double> rates, cpu_rates;
  for (int r = 0; r < repetitions; ++r) {
    comm.barrier();
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    body();
    const double mine = std::chrono::duration<double>(Clock::now() - start).count(), cpu = cpu_seconds() - cpu_start;
    const std::vector<double> all = comm.allgather(std::vector<double>{mine, cpu});
    double slowest = 0, busiest = 0;
    for (std::size_t k = 0; k < all.size(); k += 2) {
      slowest = std::max(slowest, all[k]);
      busiest = std::max(busiest, all[k + 1]);
    }
    rates.push_back(work / slowest);
    cpu_rates.push_back(work / busiest);
  }
  std::sort(rates.begin(), rates.end());
  std::sort(cpu_rates.begin(), cpu_rates.end());
  return {std::move(name), std::move(unit), rates[rates.size() / 2], rates.front(), rates.back(),
          cpu_rates[cpu_rates.size() / 2]};
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
      std::printf("%-42s %-18s median %.4g  (min %.4g, max %.4g; %d repetitions)  CPU-time median %.4g\n",
                  r.name.c_str(), r.unit.c_str(), r.median, r.min, r.max, repetitions, r.cpu_median);
    if (!json.empty()) {
      std::FILE* out = std::fopen(json.c_str(), "w");
      if (out == nullptr) throw std::runtime_error("ember_bench_mpi: cannot write " + json);
      std::fprintf(out, "{\"ranks\": %d, \"repetitions\": %d, \"benchmarks\": [", world.size(), repetitions);
      for (std::size_t i = 0; i < results.size(); ++i)
        std::fprintf(out, "%s\n  {\"name\": \"%s\", \"unit\": \"%s\", \"median\": %.6g, \"min\": %.6g, \"max\": %.6g, "
                          "\"cpu_median\": %.6g}",
                     i ? "," : "", results[i].name.c_str(), results[i].unit.c_str(), results[i].median, results[i].min,
                     results[i].max, results[i].cpu_median);
      std::fprintf(out, "\n]}\n");
      std::fclose(out);
    }
    return 0;
  });
}
