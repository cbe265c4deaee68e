#include "ember_examples/seeds.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <optional>
#include <vector>

namespace ex = ember::examples;

TEST_CASE("summarise: mean, standard error and worst seed over the seeds that gave a number", "[examples][seeds]") {
  // 1, 2, 6: mean 3, sample variance ((−2)² + (−1)² + 3²)/2 = 7, standard error √(7/3).
  const auto s = ex::summarise({1.0, std::nullopt, 2.0, 6.0, std::nan("")}, {10, 11, 12, 13, 14});
  CHECK(s.n == 3);
  CHECK(s.missing == 2);  // a diverged seed (no value) and a non-finite one are counted, never averaged
  CHECK(s.mean == Approx(3.0));
  CHECK(s.standard_error == Approx(std::sqrt(7.0 / 3.0)));
  CHECK(s.worst == 6.0);
  CHECK(s.worst_seed == 13);
  const auto one = ex::summarise({0.5}, {4});
  CHECK(one.n == 1);
  CHECK(one.mean == 0.5);
  CHECK(std::isnan(one.standard_error));  // undefined from one seed
  CHECK(ex::cell(one, "%.2f") == "0.50");
  const auto none = ex::summarise({std::nullopt, std::nullopt}, {0, 1});
  CHECK(none.n == 0);
  CHECK(none.missing == 2);
  CHECK(ex::cell(none, "%.2f") == "–");
  CHECK(ex::to_json(none)["mean"].is_null());
  CHECK(ex::cell(s, "%.1f") == "3.0 ± 1.5 (worst 6.0, seed 13)");
}

TEST_CASE("run_jobs: every job runs once whatever the thread count; a job's exception is rethrown",
          "[examples][seeds]") {
  for (int threads : {1, 3, 8}) {
    std::vector<std::atomic<int>> count(20);
    ex::run_jobs(count.size(), threads, [&](std::size_t k) { ++count[k]; });
    for (const auto& c : count) CHECK(c == 1);
  }
  CHECK_THROWS_AS(ex::run_jobs(5, 2, [](std::size_t k) {
                    if (k == 3) throw std::runtime_error("job 3");
                  }),
                  std::runtime_error);
}
