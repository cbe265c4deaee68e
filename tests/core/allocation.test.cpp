// Proves that the sampling loop allocates nothing: global operator new/delete are replaced in this test
// executable, and so are malloc/calloc/realloc/aligned_alloc/posix_memalign (Eigen's dynamic matrices call
// std::malloc, not operator new; glibc lets a program interpose them and forward to __libc_*). All count
// while `counting` is set. Counting starts after warm-up steps (which size the kernel's workspace, the
// thread-local scratch of the fused kernels and the thread pool); with several threads, see
// steady_state_allocations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#include "ember/core/parallel.hpp"
#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/mcmc/langevin.hpp"

extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void* __libc_calloc(std::size_t, std::size_t) noexcept;
void* __libc_realloc(void*, std::size_t) noexcept;
void* __libc_memalign(std::size_t, std::size_t) noexcept;
void __libc_free(void*) noexcept;
}

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void count() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}

void* counted(std::size_t size, std::size_t alignment) {
  count();
  if (size == 0) size = 1;
  void* p = alignment <= alignof(std::max_align_t) ? __libc_malloc(size) : __libc_memalign(alignment, size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

extern "C" {
void* malloc(std::size_t size) noexcept {
  count();
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  count();
  return __libc_realloc(p, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  count();
  *out = __libc_memalign(alignment, size);
  return *out == nullptr ? 12 /* ENOMEM */ : 0;
}
void free(void* p) noexcept { __libc_free(p); }
}

void* operator new(std::size_t size) { return counted(size, alignof(std::max_align_t)); }
void* operator new[](std::size_t size) { return counted(size, alignof(std::max_align_t)); }
void* operator new(std::size_t size, std::align_val_t a) { return counted(size, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted(size, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }

namespace {
// Allocations in the steady state of `run_steps()`. A thread sizes its thread-local scratch on the first block it
// runs, and blocks go to whichever thread asks first: on a busy machine a helper can sit out every warm-up step
// (CI saw it once in 50) and then allocate on its first block. So the count is taken over up to five windows after
// warm-up and the smallest is returned: an allocation on every step shows in every window, a first-use one in one.
template <class RunSteps>
long steady_state_allocations(RunSteps&& run_steps) {
  long fewest = -1;
  for (int window = 0; window < 5 && fewest != 0; ++window) {
    allocations.store(0);
    counting.store(true);
    run_steps();
    counting.store(false);
    const long seen = allocations.load();
    fewest = fewest < 0 ? seen : std::min(fewest, seen);
  }
  return fewest;
}

template <class E, class T>
long allocations_during_steps(const E& energy, ember::Batch<T>& x, int workers, int steps) {
  ember::Langevin<T> kernel({.step_size = T(0.01), .workers = workers});
  ember::Philox rng(3);
  kernel.run(energy, x, rng, 50);  // warm-up: the workspace, the pool, and most threads' scratch
  return steady_state_allocations([&] {
    for (int s = 0; s < steps; ++s) kernel.step(energy, x, rng);
  });
}
}  // namespace

TEST_CASE("the counting allocator sees heap allocations (the test can fail)", "[allocation]") {
  allocations.store(0);
  counting.store(true);
  auto* p = new ember::Batch<float>(100, 3);
  ember::Batch<double> q(50, 2);
  counting.store(false);
  delete p;
  CHECK(allocations.load() >= 3);  // the object (operator new), its float storage and q's (Eigen: malloc)
  CHECK(q.size() == 100);
}

TEMPLATE_TEST_CASE("Langevin on an MLP energy allocates nothing after a warm-up step", "[allocation]", float,
                   double) {
  using T = TestType;
  const ember::MlpEnergy<T> energy({2, 128, 128}, 1, {.base_scale = T(3)});
  for (int workers : {1, 2}) {
    INFO("workers = " << workers);
    ember::Batch<T> x = ember::Batch<T>::Zero(1000, 2);
    CHECK(allocations_during_steps(energy, x, workers, 10) == 0);
    CHECK(x.allFinite());
    CHECK(x.cwiseAbs().maxCoeff() > T(0));  // the chains moved
  }
}

TEST_CASE("Langevin on a deeper MLP with a clip allocates nothing after a warm-up step", "[allocation]") {
  const ember::MlpEnergy<float, ember::Tanh> energy({32, 64, 48, 16}, 2);
  ember::Batch<float> x = ember::Batch<float>::Zero(333, 32);
  for (int workers : {1, 3}) {
    ember::Langevin<float> kernel({.step_size = 0.01f, .gradient_clip = 0.5f, .workers = workers});
    ember::Philox rng(4);
    kernel.run(energy, x, rng, 50);  // warm-up: see allocations_during_steps
    CHECK(steady_state_allocations([&] { kernel.run(energy, x, rng, 5); }) == 0);
  }
}

TEMPLATE_TEST_CASE("Langevin on a Gaussian energy allocates nothing after a warm-up step", "[allocation]", float,
                   double) {
  using T = TestType;
  ember::Batch<T> covariance(3, 3);
  covariance << T(2), T(0.5), T(0), T(0.5), T(1), T(0.2), T(0), T(0.2), T(0.5);
  const auto energy = ember::GaussianEnergy<T>::from_mean_covariance(ember::Vector<T>::Ones(3), covariance);
  for (int workers : {1, 2}) {
    INFO("workers = " << workers);
    ember::Batch<T> x = ember::Batch<T>::Zero(500, 3);
    CHECK(allocations_during_steps(energy, x, workers, 10) == 0);
    CHECK(x.allFinite());
  }
}

TEST_CASE("passing argument checks allocate nothing; failing ones still name the value", "[allocation]") {
  const ember::Batch<double> x = ember::Batch<double>::Ones(64, 3);
  const ember::Vector<double> e(64);
  allocations.store(0);
  counting.store(true);
  for (int k = 0; k < 100; ++k) {
    ember::detail::require_batch(x, 3, "fn", "x");
    ember::detail::require_shape(e, 64, 1, "fn", "e");
    ember::detail::require(e.size() == x.rows(), "fn", "e.size()", e.size(), "must equal the number of points ",
                           x.rows());
  }
  counting.store(false);
  CHECK(allocations.load() == 0);
  CHECK_THROWS_WITH(ember::detail::require_shape(e, 32, 1, "fn", "e"), "fn: e = 64 x 1: expected 32 x 1");
  CHECK_THROWS_WITH(ember::detail::require_batch(x, 2, "fn", "x"),
                    "fn: x = 64 x 3: expected 2 columns (one per coordinate)");
  CHECK_THROWS_WITH(ember::detail::require(false, "fn", "w", 0.25, "must be ", 1, " or more"),
                    "fn: w = 0.25: must be 1 or more");
}

// Batches of any size (taken in row passes, MlpEnergy::pass_rows) and weights larger than Eigen's 128 KB packing limit
// (products in column blocks): Eigen's GEMM would otherwise put its packed operands on the heap on every call. The
// widest layer is 2 KB of scalars (512 floats, 256 doubles), the most pass_rows() keeps on the stack.
TEMPLATE_TEST_CASE("an MLP's parameter and mixed gradients allocate nothing after a first call", "[allocation]", float,
                   double) {
  using T = TestType;
  const ember::Index wide = 2048 / sizeof(T);
  for (const std::vector<ember::Index>& widths : {std::vector<ember::Index>{2, 128, 128}, {32, 256, 256}, {3, wide, wide}}) {
    for (ember::Index n : {256, 4096}) {
      INFO("widths[1] = " << widths[1] << ", n = " << n);
      const ember::MlpEnergy<T> energy(widths, 1, {.base_scale = T(3)});
      ember::Philox rng(5);
      ember::Batch<T> x(n, widths[0]), v(n, widths[0]);
      rng.normal(x);
      rng.normal(v);
      const ember::Vector<T> w = ember::Vector<T>::Constant(n, T(1) / T(n));
      ember::Vector<T> g = ember::Vector<T>::Zero(energy.num_params());
      energy.accumulate_param_gradient(x, w, g);  // sizes the thread-local workspace
      energy.accumulate_mixed_gradient(x, v, g);
      allocations.store(0);
      counting.store(true);
      for (int k = 0; k < 3; ++k) {
        energy.accumulate_param_gradient(x, w, g);
        energy.accumulate_param_gradient(x.topRows(100), w.head(100), g);  // a smaller batch fits the workspace
        energy.accumulate_mixed_gradient(x, v, g);
      }
      counting.store(false);
      CHECK(allocations.load() == 0);
      CHECK(g.allFinite());
    }
  }
}

TEST_CASE("an MLP's parameter gradients split over a pool allocate nothing after a first call", "[allocation]") {
  using T = float;
  const ember::MlpEnergy<T> energy({2, 128, 128}, 1, {.base_scale = T(3)});
  ember::ThreadPool pool(2);
  ember::Philox rng(5);
  ember::Batch<T> x(4096, 2), y(1000, 2);  // several row passes each
  rng.normal(x);
  rng.normal(y);
  const ember::Vector<T> w = ember::Vector<T>::Constant(4096, T(1) / T(4096)), minus_w = -ember::Vector<T>::Ones(1000);
  ember::Vector<T> g = ember::Vector<T>::Zero(energy.num_params());
  energy.accumulate_param_gradients(x, w, y, minus_w, g, &pool);  // sizes the workspaces of the threads that ran
  CHECK(steady_state_allocations([&] {
          for (int k = 0; k < 5; ++k) energy.accumulate_param_gradients(x, w, y, minus_w, g, &pool);
        }) == 0);
  CHECK(g.allFinite());
}
