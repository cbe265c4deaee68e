#include "ember/core/parallel.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using ember::Index;

TEST_CASE("ThreadPool: every index runs exactly once, for any worker count and count", "[parallel]") {
  for (int workers : {1, 2, 3, 5}) {
    ember::ThreadPool pool(workers);
    CHECK(pool.workers() == workers);
    for (Index count : {Index{0}, Index{1}, Index{2}, Index{7}, Index{1000}}) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
      for (int repeat = 0; repeat < 3; ++repeat)
        pool.parallel_for(count, [&](Index i) { hits[static_cast<std::size_t>(i)].fetch_add(1); });
      for (Index i = 0; i < count; ++i) CHECK(hits[static_cast<std::size_t>(i)].load() == 3);
    }
  }
}

TEST_CASE("ThreadPool: back-to-back small jobs run each index once, with helpers arriving late", "[parallel]") {
  // A call returns when its indices are done, not when every helper has looked in; a helper still on its way
  // to job n must neither run job n + 1's indices under job n's task nor count toward job n + 1.
  // A stress test: the window it probes is nanoseconds wide, so it can catch a mix-up, not prove there is none.
  for (int workers : {2, 3, 4}) {
    ember::ThreadPool pool(workers);
    std::vector<std::atomic<int>> hits(3);
    std::atomic<long> mismatched{0};
    std::atomic<int> current{-1};
    for (int job = 0; job < 50000; ++job) {
      const Index count = 2 + job % 2;
      for (auto& hit : hits) hit.store(0);
      current.store(job);
      pool.parallel_for(count, [&, job](Index i) {
        // A task of an earlier job running now, or an index beyond this job's count, is a mix-up.
        if (i >= count || current.load() != job) mismatched.fetch_add(1);
        hits[static_cast<std::size_t>(i)].fetch_add(1);
      });
      bool once = true;
      for (Index i = 0; i < 3; ++i) once = once && hits[static_cast<std::size_t>(i)].load() == (i < count ? 1 : 0);
      if (!once) mismatched.fetch_add(1);
    }
    CHECK(mismatched.load() == 0);
  }
}

TEST_CASE("ThreadPool: more than one thread takes part when there is work for them", "[parallel]") {
  ember::ThreadPool pool(2);
  std::atomic<int> inside{0}, most{0};
  pool.parallel_for(64, [&](Index) {
    const int now = inside.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    // Hold the index long enough for the helper to pick up another one.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
    while (std::chrono::steady_clock::now() < until) {
    }
    inside.fetch_sub(1);
  });
  CHECK(most.load() == 2);
}

TEST_CASE("ThreadPool: a task's exception reaches the caller and the pool stays usable", "[parallel]") {
  ember::ThreadPool pool(3);
  std::atomic<int> done{0};
  CHECK_THROWS_AS(pool.parallel_for(20,
                                    [&](Index i) {
                                      done.fetch_add(1);
                                      if (i == 7) throw std::runtime_error("task 7");
                                    }),
                  std::runtime_error);
  CHECK(done.load() == 20);  // the other indices still ran
  std::atomic<Index> sum{0};
  pool.parallel_for(10, [&](Index i) { sum.fetch_add(i); });
  CHECK(sum.load() == 45);
}

TEST_CASE("parallel_for and blocks_of: row blocks cover the batch once, in SIMD-sized pieces", "[parallel]") {
  for (Index n : {Index{1}, Index{63}, Index{64}, Index{1000}, Index{8192}}) {
    for (int workers : {1, 2, 3}) {
      const ember::RowBlocks blocks = ember::blocks_of(n, workers, 16);
      std::vector<int> covered(static_cast<std::size_t>(n), 0);
      std::atomic<int> misaligned{0};  // Catch2's CHECK is not thread-safe: tasks count, the test thread checks
      ember::ThreadPool pool(workers);
      ember::parallel_for(workers > 1 ? &pool : nullptr, blocks.count(), [&](Index b) {
        if (blocks.begin(b) % 16 != 0) misaligned.fetch_add(1);
        for (Index i = 0; i < blocks.rows(b); ++i) ++covered[static_cast<std::size_t>(blocks.begin(b) + i)];
      });
      CHECK(misaligned.load() == 0);
      for (int c : covered) CHECK(c == 1);
      CHECK(blocks.count() <= std::max<Index>(1, 4 * workers));
    }
  }
  ember::SharedPool shared;
  CHECK(shared.get(1) == nullptr);
  ember::ThreadPool* two = shared.get(2);
  REQUIRE(two != nullptr);
  CHECK(two->workers() == 2);
  CHECK(shared.get(2) == two);
  CHECK(shared.get(3)->workers() == 3);
}

TEST_CASE("ThreadPool: bad arguments name the function, the argument and the value", "[parallel][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::ThreadPool(0), Contains("ember::ThreadPool::ThreadPool") && Contains("workers = 0"));
}

TEST_CASE("RowBlocks: no chains make no blocks, whatever the block size (no division by zero)", "[parallel]") {
  CHECK(ember::RowBlocks{0, 0}.count() == 0);
  CHECK(ember::RowBlocks{0, 64}.count() == 0);
  CHECK(ember::blocks_of(0, 4).count() == 0);
  CHECK(ember::RowBlocks{5, 5}.count() == 1);
  CHECK(ember::RowBlocks{130, 64}.count() == 3);
  CHECK(ember::RowBlocks{130, 64}.rows(2) == 2);
}

TEST_CASE("ThreadPool::parallel_for_owned: every index runs exactly once, with or without its owner", "[parallel]") {
  // Counts around the 64 indices the owners are tracked for (beyond: parallel_for's order), and a slow task
  // that makes a worker run out of its own indices and take a late one's.
  for (int workers : {1, 2, 3, 4}) {
    ember::ThreadPool pool(workers);
    for (Index count : {Index{0}, Index{1}, Index{2}, Index{3}, Index{5}, Index{7}, Index{63}, Index{64},
                        Index{65}, Index{200}}) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
      for (int repeat = 0; repeat < 20; ++repeat)
        pool.parallel_for_owned(count, [&](Index i) {
          if (i == 0 && repeat % 2 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
          hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
      INFO("workers " << workers << ", count " << count);
      bool each_20_times = true;
      for (Index i = 0; i < count; ++i) each_20_times = each_20_times && hits[static_cast<std::size_t>(i)].load() == 20;
      CHECK(each_20_times);
    }
  }
}

TEST_CASE("ThreadPool::parallel_for_owned: an index goes to its owner when every worker is there", "[parallel]") {
  // Four indices, two workers: the caller owns 0 and 1, the pool's thread 2 and 3. Each task holds its index
  // until both workers are inside, so neither can run out of its own indices before the other has started.
  ember::ThreadPool pool(2);
  const auto caller = std::this_thread::get_id();
  int owned_by_the_caller = 0, runs = 0;
  for (int repeat = 0; repeat < 20; ++repeat) {
    std::atomic<int> inside{0};
    std::atomic<bool> alone{false};
    std::vector<std::thread::id> ran_on(4);
    pool.parallel_for_owned(4, [&](Index i) {
      ran_on[static_cast<std::size_t>(i)] = std::this_thread::get_id();
      inside.fetch_add(1);
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
      while (inside.load() < 2)
        if (std::chrono::steady_clock::now() > until) {
          alone.store(true);  // the other worker did not come (a busy machine): this run says nothing
          break;
        }
    });
    if (alone.load()) continue;
    for (Index i = 0; i < 4; ++i) owned_by_the_caller += (ran_on[static_cast<std::size_t>(i)] == caller) == (i < 2);
    runs += 4;
  }
  // A worker that arrives after the other has finished its two indices loses them (allowed); most runs agree.
  CHECK(owned_by_the_caller >= runs * 3 / 4);
  CHECK(runs > 0);
}

TEST_CASE("for_owned_ranges: one range per worker, covering [0, n) once, each beginning at a multiple of 16",
          "[parallel]") {
  for (int workers : {1, 2, 3}) {
    ember::ThreadPool pool(workers);
    ember::ThreadPool* pools[] = {nullptr, &pool};
    for (ember::ThreadPool* p : pools)
      for (Index n : {Index{0}, Index{1}, Index{15}, Index{16}, Index{33}, Index{1000}, Index{393284}}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        std::atomic<int> ranges{0}, misaligned{0};
        ember::for_owned_ranges(p, n, [&](Index begin, Index end) {
          ranges.fetch_add(1);
          if (begin % 16 != 0 || begin >= end) misaligned.fetch_add(1);
          for (Index i = begin; i < end; ++i) hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
        bool once = true;
        for (Index i = 0; i < n; ++i) once = once && hits[static_cast<std::size_t>(i)].load() == 1;
        CHECK(once);
        CHECK(misaligned.load() == 0);
        CHECK(ranges.load() <= (p ? workers : 1));
        if (n >= 16 * workers) CHECK(ranges.load() == (p ? workers : 1));
      }
  }
}
