#pragma once
/// @file
/// @brief ember::ThreadPool and ember::parallel_for: threads over blocks of chains, with no heap allocation
/// per call and a serial path for one worker.
///
/// Kernels split a batch into row blocks (`blocks_of`) and run one task per block. Results are
/// bit-identical for any worker count as long as each chain's computation depends only on its own row
/// (true of every ember kernel: the Philox stream of a chain depends on (seed, draw, chain) only, and the
/// fused SIMD energies keep each chain in its own lane). Which thread runs which block never matters.
///
/// Every job runs in its caller's floating-point mode (rounding, flush-to-zero: core/subnormals.hpp), whichever
/// thread takes an index, so that a caller's mode never makes results depend on the worker count.
///
/// The pool is a plain std::thread pool: `workers − 1` threads wait on a condition variable (after spinning
/// for half a millisecond) and the calling thread takes part. A call hands out block indices through one atomic
/// ticket (job number and next index) and returns when every index has run, without waiting for helpers that
/// took none (a helper still waking up would otherwise delay every call by a wake-up). The task is passed as a
/// pointer and a trampoline (no std::function, no allocation).
///
/// `parallel_for_owned` gives every index an owner, the worker that runs it unless that worker is late: work that
/// comes back to the same data call after call (an RBM's blocks of W, their gradient and the update of both)
/// then stays in one core's cache instead of moving between cores (docs/performance.md, "Session 18").
///
/// @code
/// ember::ThreadPool pool(2);
/// pool.parallel_for(8, [&](ember::Index block) { work_on(block); });
/// pool.parallel_for_owned(4, [&](ember::Index block) { work_on(block); });   // blocks 0, 1 on the caller
/// @endcode

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"
#include "ember/core/detail/fp_control_x86.hpp"

namespace ember {

/// @brief A fixed set of worker threads running index ranges; `workers` counts the calling thread.
class ThreadPool {
 public:
  /// @brief A pool of `workers` threads in all (workers − 1 are started; the caller is the last).
  /// @pre workers ≥ 1.
  explicit ThreadPool(int workers) : workers_(workers) {
    detail::require_at_least_one(workers, "ember::ThreadPool::ThreadPool", "workers");
    threads_.reserve(static_cast<std::size_t>(workers - 1));
    for (int t = 1; t < workers; ++t)
      threads_.emplace_back([this, t] {
        current_pool_ = this;
        current_worker_ = t;
        worker_loop();
      });
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true);
      ticket_.store((job_number_ + 1) << index_bits);
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

  [[nodiscard]] int workers() const { return workers_; }

  /// @brief As parallel_for, but index i belongs to worker ⌊i · workers / count⌋ (the caller is worker 0, the
  /// pool's threads 1 … workers − 1): each worker runs its own indices first and takes another's only when it has
  /// none left (a late worker's). Which thread runs an index still never changes a result. More than 64
  /// indices: parallel_for's order.
  template <class Task>
  void parallel_for_owned(Index count, Task&& task) {
    if (count > max_owned || workers_ == 1 || count <= 1) {
      parallel_for(count, task);
      return;
    }
    const auto below = [](Index k) { return k >= max_owned ? ~std::uint64_t{0} : (std::uint64_t{1} << k) - 1; };
    const std::uint64_t all = below(count);
    std::atomic<std::uint64_t> claimed{0};
    // parallel_for hands out `count` tickets; each claims one index, its owner's first free one if any.
    parallel_for(count, [&](Index) {
      const Index me = current_pool_ == this ? current_worker_ : 0;
      // Worker w owns the i with ⌊i·workers/count⌋ = w: i from ⌈w·count/workers⌉ to ⌈(w + 1)·count/workers⌉.
      const Index begin = (me * count + workers_ - 1) / workers_, end = ((me + 1) * count + workers_ - 1) / workers_;
      const std::uint64_t mine = below(end) & ~below(begin);
      std::uint64_t taken = claimed.load(std::memory_order_relaxed);
      int index = 0;
      do {
        const std::uint64_t free = all & ~taken;  // never empty: there are as many tickets as indices
        index = std::countr_zero((free & mine) != 0 ? free & mine : free);
      } while (!claimed.compare_exchange_weak(taken, taken | std::uint64_t{1} << index, std::memory_order_relaxed));
      task(static_cast<Index>(index));
    });
  }

  /// @brief Runs task(i) for i = 0..count−1 over the pool's threads and returns when all are done.
  /// The first exception a task throws is rethrown here (the remaining indices are still consumed).
  /// Calls from several threads at once are serialised. @pre count < 2³² − 1.
  template <class Task>
  void parallel_for(Index count, Task&& task) {
    if (count <= 0) return;
    if (workers_ == 1 || count == 1) {
      for (Index i = 0; i < count; ++i) task(i);
      return;
    }
    detail::require(static_cast<std::uint64_t>(count) < setting_up,
                    "ember::ThreadPool::parallel_for", "count", count, "must be below 2^32 - 1");
    std::lock_guard<std::mutex> call_lock(call_mutex_);
    const std::uint64_t job = ++job_number_;
    // Close the previous job before its fields change: a helper that read the previous ticket can no longer
    // claim an index with it (its compare-exchange fails), whatever count it read.
    ticket_.store((job << index_bits) | setting_up);
    using Decayed = std::remove_reference_t<Task>;
    job_ = const_cast<void*>(static_cast<const void*>(std::addressof(task)));
    run_ = [](void* task_state, Index i) { (*static_cast<Decayed*>(task_state))(i); };
    count_.store(count, std::memory_order_relaxed);
    fp_control_ = detail::fp_control();
    done_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    // Publishing the job: index 0 of job number n. Sequentially consistent with the helpers' `sleepers_`
    // count, so a helper either sees this job before it sleeps or is counted and woken.
    ticket_.store(job << index_bits);
    if (sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lock(mutex_); }
      wake_.notify_all();
    }
    work(job);
    // Wait for the indices that helpers took, not for the helpers: one still waking up takes nothing.
    for (int spin = 0; done_.load(std::memory_order_acquire) != count; ++spin) {
      if (spin > 1024) std::this_thread::yield();
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  static constexpr int index_bits = 32;  // ticket_ = job number · 2³² + next index
  static constexpr std::uint64_t setting_up = (std::uint64_t{1} << index_bits) - 1;  // index while being set up

  // Takes indices of job `job` until none are left or the job has ended.
  void work(std::uint64_t job) {
    for (bool adopted = false;; adopted = true) {
      std::uint64_t ticket = ticket_.load(std::memory_order_acquire);
      Index i = 0;
      for (;;) {
        if ((ticket >> index_bits) != job) return;
        const std::uint64_t index = ticket & setting_up;
        if (index == setting_up) {  // the caller is still writing the job
          ticket = ticket_.load(std::memory_order_acquire);
          continue;
        }
        i = static_cast<Index>(index);
        if (i >= count_.load(std::memory_order_relaxed)) return;
        if (ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel, std::memory_order_acquire))
          break;
      }
      // Index i is ours; the job cannot end (nor job_/run_/fp_control_ change) before done_ counts it.
      if (!adopted) detail::set_fp_control(fp_control_);  // the caller's mode (a no-op on the caller)
      try {
        run_(job_, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void worker_loop() {
    std::uint64_t seen = 0;
    for (;;) {
      // Spin for the next job for a while (training loops call back after tens to hundreds of microseconds of
      // serial work; a futex wake-up costs as much), then sleep.
      std::uint64_t job = ticket_.load(std::memory_order_acquire) >> index_bits;
      const auto until = std::chrono::steady_clock::now() + spin_time;
      for (int spin = 0; job == seen; ++spin) {
        if (spin % 256 == 255 && std::chrono::steady_clock::now() > until) break;
        job = ticket_.load(std::memory_order_acquire) >> index_bits;
      }
      if (job == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1);
        wake_.wait(lock, [&] { return (ticket_.load() >> index_bits) != seen; });
        sleepers_.fetch_sub(1);
        job = ticket_.load() >> index_bits;
      }
      seen = job;
      if (stop_.load()) return;
      work(job);
    }
  }

  static constexpr std::chrono::microseconds spin_time{500};
  static constexpr Index max_owned = 64;  // indices parallel_for_owned tracks (one bit each)
  static inline thread_local const ThreadPool* current_pool_ = nullptr;  // the pool whose thread this is
  static inline thread_local Index current_worker_ = 0;                  // its number there (callers: 0)
  int workers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::mutex call_mutex_;
  std::mutex error_mutex_;
  std::condition_variable wake_;
  std::atomic<std::uint64_t> ticket_{0};
  std::atomic<Index> count_{0};
  std::atomic<Index> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::uint64_t job_number_ = 0;  // written by the caller under call_mutex_ only
  void* job_ = nullptr;
  void (*run_)(void*, Index) = nullptr;
  unsigned fp_control_ = 0;  // the caller's floating-point control bits, for the job's helpers
  std::exception_ptr error_;
};

/// @brief Row blocks of a batch of n chains: block i covers rows [i·size, min(n, (i + 1)·size)).
/// No chains make no blocks (whatever `size`, so that {0, 0} is not a division by zero).
struct RowBlocks {
  Index n = 0;     ///< chains in all
  Index size = 1;  ///< rows per block (the last block may be shorter); ≥ 1 when n > 0
  [[nodiscard]] Index count() const { return n > 0 ? (n + size - 1) / size : 0; }
  [[nodiscard]] Index begin(Index i) const { return i * size; }
  [[nodiscard]] Index rows(Index i) const { return std::min(size, n - i * size); }
};

/// @brief Splits n chains into about `workers` × 4 blocks (for balance) whose size is a multiple of
/// `granule` (the SIMD tile of the kernels), at least `granule`.
inline RowBlocks blocks_of(Index n, int workers, Index granule = 64) {
  const Index target = std::max<Index>(1, static_cast<Index>(workers) * 4);
  Index size = (n + target - 1) / target;
  size = std::max(granule, (size + granule - 1) / granule * granule);
  return {n, size};
}

/// @brief The energy a worker evaluates on rows [first, first + count) of a batch: `energy.rows(first, count)`
/// for an energy whose terms depend on the row (ember::Tether: one target per point), otherwise the energy
/// itself (every row-free energy: a chain's result depends on its own row only).
template <class E>
decltype(auto) energy_rows(const E& energy, Index first, Index count) {
  if constexpr (requires { energy.rows(first, count); }) {
    return energy.rows(first, count);
  } else {
    return (energy);  // a reference, not a copy
  }
}

/// @brief A pool shared by copies of a kernel: made on first use for `workers` > 1, null otherwise.
class SharedPool {
 public:
  /// The pool for `workers` threads (creating or replacing it if the count changed); null for 1 worker.
  ThreadPool* get(int workers) {
    if (workers <= 1) return nullptr;
    if (!pool_ || pool_->workers() != workers) pool_ = std::make_shared<ThreadPool>(workers);
    return pool_.get();
  }

 private:
  std::shared_ptr<ThreadPool> pool_;
};

namespace detail {
/// task(0), task(1), …, task(count − 1) on the calling thread.
template <class Task>
void run_in_order(Index count, Task&& task) {
  for (Index i = 0; i < count; ++i) task(i);
}
}  // namespace detail

/// @brief Runs task(i) for the `count` indices on `pool`, or serially when `pool` is null.
template <class Task>
void parallel_for(ThreadPool* pool, Index count, Task&& task) {
  pool != nullptr ? pool->parallel_for(count, task) : detail::run_in_order(count, task);
}

/// @brief Runs task(i) for the `count` indices on `pool` with an owner per index (ThreadPool::parallel_for_owned),
/// or serially when `pool` is null.
template <class Task>
void parallel_for_owned(ThreadPool* pool, Index count, Task&& task) {
  pool != nullptr ? pool->parallel_for_owned(count, task) : detail::run_in_order(count, task);
}

/// @brief Runs task(begin, end) over one contiguous range of [0, n) per worker of `pool` (one range when it is
/// null), worker w owning the w-th: elementwise passes over a parameter vector (zeroing a gradient, an optimizer
/// step) then touch the part that the same worker's column blocks (parallel_for_owned) wrote. Every range begins at
/// a multiple of 16 elements (64 bytes of float), so no two workers write one cache line of it.
template <class Task>
void for_owned_ranges(ThreadPool* pool, Index n, Task&& task) {
  const Index parts = pool != nullptr ? pool->workers() : 1;
  const auto begin = [&](Index part) { return part == parts ? n : n * part / parts / 16 * 16; };
  parallel_for_owned(pool, parts, [&](Index part) {
    if (begin(part) < begin(part + 1)) task(begin(part), begin(part + 1));
  });
}

/// @brief Whether every entry of the vectors (all of one length) is finite, each worker of `pool` checking its range
/// of for_owned_ranges. A caller refusing them then runs the serial check whose message names the entry.
template <class V, class... More>
bool all_finite_by_ranges(ThreadPool* pool, const V& v, const More&... more) {
  std::atomic<bool> finite{true};
  for_owned_ranges(pool, v.size(), [&](Index begin, Index end) {
    if (!detail::all_finite(v.segment(begin, end - begin)) ||
        !(detail::all_finite(more.segment(begin, end - begin)) && ...))
      finite.store(false, std::memory_order_relaxed);
  });
  return finite.load();
}

/// @brief The thread pool of an object that has one (`pool()`: ember::Rbm after set_workers, ember::Langevin with
/// workers > 1), else null.
template <class X>
ThreadPool* pool_of(X& x) {
  if constexpr (requires { { x.pool() } -> std::convertible_to<ThreadPool*>; }) {
    return x.pool();
  } else {
    return nullptr;
  }
}

}  // namespace ember
