#pragma once
// Multi-seed runs of the example programs (--seeds N): a work queue of independent runs on threads (each run's
// numbers depend on its own seed only, never on the thread count or order), and per-metric aggregates over
// seeds: mean ± standard error and the worst seed. A seed whose run diverged has no numbers: it is counted,
// never averaged.
//
//   ex::run_jobs(jobs.size(), threads, [&](std::size_t k) { results[k] = run(jobs[k]); });
//   const auto s = ex::summarise({0.01, 0.02, std::nullopt}, {0, 1, 2});  // n = 2, missing = 1, worst seed 1
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ember_examples/output.hpp"

namespace ember::examples {

/// Calls job(k) for k = 0 .. count − 1 on `threads` threads (the calling thread is one). The first exception a
/// job lets escape is rethrown after every thread has finished; jobs should catch what they report themselves.
template <class Job>
void run_jobs(std::size_t count, int threads, Job&& job) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex lock;
  const auto worker = [&] {
    for (std::size_t k; (k = next++) < count;) {
      try {
        job(k);
      } catch (...) {
        std::lock_guard guard(lock);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min<int>(threads, static_cast<int>(count)); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
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
