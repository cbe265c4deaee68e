// ember::FlushSubnormals sets flush-to-zero and denormals-are-zero for a scope and restores the caller's mode; the
// thread pool runs each job in its caller's mode on every worker, so that a flushed caller gets flushed workers.
#include "ember/core/subnormals.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "ember/core/parallel.hpp"

namespace {
// 2⁻¹²⁵ · 2⁻¹⁰: a product below the smallest normal float, computed at run time (volatile: never folded).
float subnormal_product() {
  volatile float small = 0x1p-125f, factor = 0x1p-10f;
  return small * factor;
}
// A subnormal input times one: 0 under denormals-are-zero.
float subnormal_times_one() {
  volatile float subnormal = 0x1p-140f, one = 1.0f;
  return subnormal * one;
}
// The bits of x: compared as integers, because under denormals-are-zero a float comparison itself reads a
// subnormal as 0 (and would call 2⁻¹³⁵ equal to 0).
std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }
const std::uint32_t zero = bits(0.0f), product = bits(0x1p-135f), input = bits(0x1p-140f);
}  // namespace

TEST_CASE("FlushSubnormals: subnormal results and inputs are zero in the scope, the caller's mode after it",
          "[core][subnormals]") {
#if EMBER_HAS_MXCSR
  REQUIRE_FALSE(ember::flushes_subnormals());
  REQUIRE(bits(subnormal_product()) == product);
  REQUIRE(bits(subnormal_times_one()) == input);
  {
    ember::FlushSubnormals flush;
    CHECK(ember::flushes_subnormals());
    CHECK(bits(subnormal_product()) == zero);
    CHECK(bits(subnormal_times_one()) == zero);
    {
      ember::FlushSubnormals inner(false);  // switched off: leaves the (flushing) mode as it is
      CHECK(ember::flushes_subnormals());
    }
    CHECK(ember::flushes_subnormals());
  }
  CHECK_FALSE(ember::flushes_subnormals());
  CHECK(bits(subnormal_product()) == product);
  CHECK(bits(subnormal_times_one()) == input);
  {
    ember::FlushSubnormals off(false);
    CHECK_FALSE(ember::flushes_subnormals());
  }
#else
  SUCCEED("no MXCSR on this target: FlushSubnormals does nothing");
#endif
}

TEST_CASE("ThreadPool: every worker runs a job in its caller's floating-point mode", "[core][subnormals][parallel]") {
#if EMBER_HAS_MXCSR
  ember::ThreadPool pool(2);
  // Two indices, each held until both have started: one runs on the caller, the other on the pool's thread.
  const auto run = [&] {
    std::vector<std::uint32_t> result(2, 1);
    std::vector<std::thread::id> thread(2);
    std::atomic<int> started{0};
    pool.parallel_for(2, [&](ember::Index i) {
      started.fetch_add(1);
      // Yielding: on a loaded machine the pool's thread may need this core to start.
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (started.load() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      result[static_cast<std::size_t>(i)] = bits(subnormal_product());
      thread[static_cast<std::size_t>(i)] = std::this_thread::get_id();
    });
    REQUIRE(thread[0] != thread[1]);  // both threads took part
    return result;
  };
  CHECK(run() == std::vector<std::uint32_t>{product, product});
  {
    ember::FlushSubnormals flush;
    CHECK(run() == std::vector<std::uint32_t>{zero, zero});
  }
  CHECK(run() == std::vector<std::uint32_t>{product, product});  // the worker follows the caller back
#else
  SUCCEED("no MXCSR on this target");
#endif
}
