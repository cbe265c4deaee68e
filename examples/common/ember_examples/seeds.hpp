#pragma once
// Multi-seed runs of ember-toy2d and ember-gaussian (--method all, --seeds N): every (method, seed) run dealt out
// to the MPI ranks and to threads within each (ember_examples/ranks.hpp; each run's numbers depend on its own
// seed only, never on the rank or thread count), a diverged run kept as a row, and per-metric aggregates over
// seeds: mean ± standard error and the worst seed. A seed whose run diverged has no numbers: it is counted,
// never averaged.
//
//   const auto runs = ex::run_methods_and_seeds(program, ranks, methods, seeds, iters, threads,
//       [&](std::size_t m, std::size_t s, ember::Index& done) { return pack(train(methods[m], seeds[s], done)); });
//   const auto s = ex::summarise({0.01, 0.02, std::nullopt}, {0, 1, 2});  // n = 2, missing = 1, worst seed 1
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ember/core/error.hpp>

#include "ember_examples/cli.hpp"
#include "ember_examples/divergence.hpp"
#include "ember_examples/output.hpp"
#include "ember_examples/ranks.hpp"

namespace ember::examples {

/// Adds --seed, --seeds and --threads, the options of the run loop below.
inline void add_seed_options(CLI::App& app, std::uint64_t& seed, ember::Index& seeds, int& threads) {
  app.add_option("--seed", seed, "seed of every random number")->capture_default_str()
      ->check(integer_in<std::uint64_t>(0, max_of<std::uint64_t>()));
  app.add_option("--seeds", seeds, "run seeds --seed, --seed + 1, ..., --seed + N - 1 and report mean ± standard "
                 "error and the worst seed of every metric (diverged seeds counted, never averaged)")
      ->capture_default_str()->check(integer_in<ember::Index>(1, 1000));
  app.add_option("--threads", threads, "runs (methods x seeds) trained at once (in each rank under mpirun); the "
                 "numbers depend on neither")
      ->capture_default_str()->check(integer_in<int>(1, 64));
}

/// One (method, seed) run as every rank holds it after run_methods_and_seeds: what the run packed, or how it
/// failed numerically and how many updates it had finished.
struct SeedRun {
  std::size_t method = 0, seed = 0;  ///< indices into the program's methods and seeds
  std::optional<RunFailure> failure;
  ember::Index done = 0;             ///< updates finished when it failed
  JobOutput output;                  ///< what the run packed (JobWriter), read back with reader()
  [[nodiscard]] JobReader reader() const { return {output.values, output.text}; }
};

/// @brief Runs every (method, seed) pair — run k is method k / seeds, seed k % seeds — on rank k mod N of the
/// MPI job (ember_examples/ranks.hpp) and on `threads` threads within each rank; returns every run, in run order,
/// on every rank.
/// @param run run(m, s, done) trains and measures method m with seed s and returns its numbers packed
///            (JobWriter::take()); it counts its finished updates in `done`, so that a divergence names its iteration.
/// A run that fails numerically (ember::numerical_error) is, with one run, rethrown on every rank as
/// "method message" (exit status 1); with several, a row of the comparison: its message is printed once, in run
/// order ("method [seed s] message", rank 0 alone prints), and the other runs go on. Any other failure of any run
/// is rethrown on every rank.
template <class Run>
std::vector<SeedRun> run_methods_and_seeds(std::string_view program, const Ranks& ranks,
                                           const std::vector<std::string>& methods,
                                           const std::vector<std::uint64_t>& seeds, ember::Index iters, int threads,
                                           Run&& run) {
  const std::size_t count = methods.size() * seeds.size();
  // Each job's packet starts with 0 (then the run's own numbers) or 1 (then done and the failure).
  const std::vector<JobResult> results = ranks.run(count, [&](std::size_t k) {
    ember::Index done = 0;
    try {
      JobOutput out = run(k / seeds.size(), k % seeds.size(), done);
      out.values.insert(out.values.begin(), 0.0);
      return out;
    } catch (const ember::numerical_error& e) {
      const RunFailure f = failure_of(e, done, iters);
      JobWriter w;
      w.number(1).number(static_cast<double>(done)).number(static_cast<double>(f.iteration)).number(f.value);
      w.string(f.quantity).string(f.message);
      return w.take();
    }
  }, threads);
  rethrow_first_failure(results);
  std::vector<SeedRun> runs(count);
  for (std::size_t k = 0; k < count; ++k) {
    SeedRun& r = runs[k];
    r.method = k / seeds.size();
    r.seed = k % seeds.size();
    const JobResult& job = results[k];
    if (job.values.at(0) == 0) {
      r.output.values.assign(job.values.begin() + 1, job.values.end());
      r.output.text = job.text;
      continue;
    }
    JobReader read(job.values, job.text);
    read.number();
    r.done = static_cast<ember::Index>(read.number());
    RunFailure f;
    f.iteration = static_cast<ember::Index>(read.number());
    f.value = read.number();
    f.quantity = read.string();
    f.message = read.string();
    r.failure = std::move(f);
    if (count == 1) throw ember::numerical_error(methods[r.method] + " " + r.failure->message);  // exit status 1
    print_error(program, methods[r.method] + (seeds.size() > 1 ? " seed " + std::to_string(seeds[r.seed]) : "") + " " +
                             r.failure->message);
  }
  return runs;
}

/// A metric over seeds: the seeds that gave a number (n), those that did not (missing: diverged or unresolved),
/// their mean, its standard error (sample standard deviation / √n; NaN for n < 2) and the worst (largest) value
/// with its seed. Every metric of ember-toy2d and ember-gaussian is better when smaller.
struct SeedSummary {
  std::size_t n = 0, missing = 0;
  double mean = std::nan(""), standard_error = std::nan(""), worst = std::nan("");
  std::uint64_t worst_seed = 0;
};

inline SeedSummary summarise(const std::vector<std::optional<double>>& values, const std::vector<std::uint64_t>& seeds) {
  SeedSummary s;
  double sum = 0;
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!values[k] || !std::isfinite(*values[k])) {
      ++s.missing;
      continue;
    }
    const double v = *values[k];
    sum += v;
    if (s.n == 0 || v > s.worst) {
      s.worst = v;
      s.worst_seed = seeds[k];
    }
    ++s.n;
  }
  if (s.n == 0) return s;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n >= 2) {
    double squares = 0;
    for (const auto& v : values)
      if (v && std::isfinite(*v)) squares += (*v - s.mean) * (*v - s.mean);
    s.standard_error = std::sqrt(squares / static_cast<double>(s.n - 1) / static_cast<double>(s.n));
  }
  return s;
}

/// {"n", "missing", "mean", "standard_error", "worst", "worst_seed"}; numbers that do not exist are null.
inline nlohmann::json to_json(const SeedSummary& s) {
  return {{"n", s.n}, {"missing", s.missing}, {"mean", number_or_null(s.mean)},
          {"standard_error", number_or_null(s.standard_error)}, {"worst", number_or_null(s.worst)},
          {"worst_seed", s.n > 0 ? nlohmann::json(s.worst_seed) : nlohmann::json()}};
}

/// A table cell "mean ± se (worst w, seed k)", "–" when no seed gave a number; `spec` formats each number.
inline std::string cell(const SeedSummary& s, const char* spec) {
  if (s.n == 0) return "–";
  std::string text = format(spec, s.mean);
  if (s.n >= 2) text += " ± " + format(spec, s.standard_error);
  if (s.n >= 2) text += " (worst " + format(spec, s.worst) + ", seed " + std::to_string(s.worst_seed) + ")";
  return text;
}

}  // namespace ember::examples
