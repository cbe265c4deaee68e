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
/// The pool is a plain std::thread pool: `workers − 1` threads wait on a condition variable (after a short
/// spin) and the calling thread takes part. A call hands out block indices through one atomic counter; the
/// task is passed as a pointer and a trampoline (no std::function, no allocation).
///
/// @code
/// ember::ThreadPool pool(2);
/// pool.parallel_for(8, [&](ember::Index block) { work_on(block); });
/// @endcode

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief A fixed set of worker threads running index ranges; `workers` counts the calling thread.
class ThreadPool {
 public:
  /// @brief A pool of `workers` threads in all (workers − 1 are started; the caller is the last).
  /// @pre workers ≥ 1.
  explicit ThreadPool(int workers) : workers_(workers) {
    detail::require_at_least_one(workers, "ember::ThreadPool::ThreadPool", "workers");
    threads_.reserve(static_cast<std::size_t>(workers - 1));
    for (int t = 1; t < workers; ++t) threads_.emplace_back([this] { worker_loop(); });
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

  [[nodiscard]] int workers() const { return workers_; }

  /// @brief Runs task(i) for i = 0..count−1 over the pool's threads and returns when all are done.
  /// The first exception a task throws is rethrown here (the remaining indices are still consumed).
  /// Calls from several threads at once are serialised.
  template <class Task>
  void parallel_for(Index count, Task&& task) {
    if (count <= 0) return;
    if (workers_ == 1 || count == 1) {
      for (Index i = 0; i < count; ++i) task(i);
      return;
    }
    std::lock_guard<std::mutex> call_lock(call_mutex_);
    using Decayed = std::remove_reference_t<Task>;
    job_ = const_cast<void*>(static_cast<const void*>(std::addressof(task)));
    run_ = [](void* job, Index i) { (*static_cast<Decayed*>(job))(i); };
    count_ = count;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    busy_.store(static_cast<int>(threads_.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work();
    // Wait for the helpers to leave the job (a short spin, then yield).
    for (int spin = 0; busy_.load(std::memory_order_acquire) != 0; ++spin) {
      if (spin > 1024) std::this_thread::yield();
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    for (;;) {
      const Index i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= count_) return;
      try {
        run_(job_, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void worker_loop() {
    std::uint64_t seen = 0;
    for (;;) {
      // Spin briefly for the next job (sampling loops call back within microseconds), then sleep.
      std::uint64_t now = generation_.load(std::memory_order_acquire);
      for (int spin = 0; now == seen && spin < 20000; ++spin) now = generation_.load(std::memory_order_acquire);
      if (now == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        now = generation_.load(std::memory_order_acquire);
      }
      seen = now;
      if (stop_) return;
      work();
      busy_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int workers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::mutex call_mutex_;
  std::mutex error_mutex_;
  std::condition_variable wake_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<Index> next_{0};
  std::atomic<int> busy_{0};
  bool stop_ = false;
  void* job_ = nullptr;
  void (*run_)(void*, Index) = nullptr;
  Index count_ = 0;
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

/// @brief Runs task(i) for the `count` indices on `pool`, or serially when `pool` is null.
template <class Task>
void parallel_for(ThreadPool* pool, Index count, Task&& task) {
  if (pool == nullptr) {
    for (Index i = 0; i < count; ++i) task(i);
  } else {
    pool->parallel_for(count, task);
  }
}

}  // namespace ember
