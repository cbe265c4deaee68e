#include "ember_examples/seeds.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
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

TEST_CASE("JobWriter and JobReader: numbers, lists, strings and matrices come back in order, bit for bit",
          "[examples][seeds]") {
  ember::Batch<float> m(3, 2);
  m << 1.5f, -2.25f, 1e-30f, 3.0f, 7.0f, -0.0f;
  ex::JobWriter w;
  w.number(0.1).numbers({1, 2, 3}).string("unresolved: 2% at the edge").matrix(m).string("");
  const ex::JobOutput out = w.take();
  ex::JobReader read(out.values, out.text);
  CHECK(read.number() == 0.1);
  CHECK(read.numbers() == std::vector<double>{1, 2, 3});
  CHECK(read.string() == "unresolved: 2% at the edge");
  CHECK_FALSE(read.done());
  ember::Batch<float> back;
  read.matrix(back);
  CHECK(back == m);
  CHECK(read.string().empty());
  CHECK(read.done());
  CHECK_THROWS_AS(read.number(), std::logic_error);  // past the end: another layout, never garbage
}

TEST_CASE("run_methods_and_seeds: a failed run is a row with its iteration, or with one run the program's failure",
          "[examples][seeds]") {
  int argc = 1;
  char name[] = "test";
  char* args[] = {name, nullptr};
  char** argv = args;
  const ex::Ranks ranks(argc, argv);  // no launcher: one process
  const std::vector<std::string> methods{"a", "b"};
  const std::vector<std::uint64_t> seeds{7, 8};
  // Run (b, 8) diverges after 4 updates; every other run packs its method and seed.
  const auto run = [&](std::size_t m, std::size_t s, ember::Index& done) {
    done = 4;
    if (m == 1 && s == 1) throw ember::numerical_error("E+ went up");
    ex::JobWriter w;
    w.string(methods[m]).number(static_cast<double>(seeds[s]));
    return w.take();
  };
  for (int threads : {1, 3}) {
    const auto runs = ex::run_methods_and_seeds("test", ranks, methods, seeds, 10, threads, run);
    REQUIRE(runs.size() == 4);
    for (std::size_t k = 0; k < 3; ++k) {
      CHECK(runs[k].method == k / 2);
      CHECK(runs[k].seed == k % 2);
      REQUIRE_FALSE(runs[k].failure);
      auto read = runs[k].reader();
      CHECK(read.string() == methods[k / 2]);
      CHECK(read.number() == static_cast<double>(seeds[k % 2]));
      CHECK(read.done());
    }
    REQUIRE(runs[3].failure);
    CHECK(runs[3].done == 4);
    CHECK(runs[3].failure->iteration == 5);  // the update that failed
    CHECK(runs[3].failure->message == "diverged at iteration 5: E+ went up");
  }
  // One run: its failure is the program's (exit status 1), named with its method.
  CHECK_THROWS_WITH(ex::run_methods_and_seeds("test", ranks, {"b"}, {8}, 10, 1,
                                              [&](std::size_t, std::size_t, ember::Index& done) -> ex::JobOutput {
                                                done = 2;
                                                throw ember::numerical_error("E+ went up");
                                              }),
                    "b diverged at iteration 3: E+ went up");
  // Any other failure is rethrown as it is.
  CHECK_THROWS_AS(ex::run_methods_and_seeds("test", ranks, methods, seeds, 10, 2,
                                            [&](std::size_t m, std::size_t, ember::Index&) -> ex::JobOutput {
                                              if (m == 1) throw ember::invalid_argument("bad");
                                              return {};
                                            }),
                  ember::invalid_argument);
}
