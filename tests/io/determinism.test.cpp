// Determinism: the same seed gives bit-identical training results across runs and across thread counts.
// (1) a training run repeated gives the same parameters, a different seed different ones; (2) the same runs on
// 1, 2 and 4 threads at once (no hidden shared state) equal the serial run; (3) one Philox draw filled in row
// blocks by several threads equals the single-threaded fill, so splitting chains over threads changes nothing.
#include <catch2/catch.hpp>

#include <ember/simd/random.hpp>
#include <ember/divergence/dcd.hpp>
#include <ember/divergence/pcd.hpp>
#include <ember/energy/mlp.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/train/adam.hpp>
#include <ember/train/trainer.hpp>

#include <cstring>
#include <thread>
#include <vector>

namespace {

template <class T>
ember::Batch<T> toy_data() {
  ember::Batch<T> x(200, 2);
  ember::Philox rng(7);
  rng.normal(x);
  x.col(1).array() = T(0.3) * x.col(1).array() + x.col(0).array();
  return x;
}

// A short PCD (or DCD) run on a small MLP; returns the trained parameters.
template <class T>
ember::Vector<T> train_once(std::uint64_t seed, bool diffusion) {
  const ember::Batch<T> data = toy_data<T>();
  ember::MlpEnergy<T, ember::Silu> model(std::vector<ember::Index>{2, 12, 12}, seed, {.base_scale = T(3)});
  ember::Adam<T> adam({.learning_rate = T(0.01)});
  const ember::TrainSettings settings{.iterations = 25, .batch_size = 32, .seed = seed};
  if (diffusion) {
    ember::DiffusionContrastiveDivergence est(ember::Langevin<T>({.step_size = T(0.01)}),
                                              ember::DcdSettings<T>{.noise_min = T(0.2), .noise_max = T(0.4), .steps = 3});
    ember::train(est, model, adam, data, settings, ember::SilentProgress{});
  } else {
    ember::PersistentContrastiveDivergence est(
        ember::Langevin<T>({.step_size = T(0.02)}),
        ember::ReplayBuffer(2, ember::UniformInit<T>{T(-3), T(3)}, {.capacity = 100}), ember::PcdSettings<T>{.steps = 3});
    ember::train(est, model, adam, data, settings, ember::SilentProgress{});
  }
  return model.params();
}

template <class T>
bool bit_identical(const ember::Vector<T>& a, const ember::Vector<T>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}

}  // namespace

TEMPLATE_TEST_CASE("determinism: the same seed gives bit-identical training runs", "[io][determinism]", float, double) {
  using T = TestType;
  for (const bool diffusion : {false, true}) {
    INFO((diffusion ? "DCD" : "PCD"));
    const auto a = train_once<T>(4, diffusion);
    const auto b = train_once<T>(4, diffusion);
    const auto c = train_once<T>(5, diffusion);
    CHECK(bit_identical(a, b));
    CHECK(!bit_identical(a, c));
  }
}

TEMPLATE_TEST_CASE("determinism: results do not depend on the thread count", "[io][determinism]", float, double) {
  using T = TestType;
  const auto serial = train_once<T>(4, false);
  for (const int threads : {1, 2, 4}) {
    std::vector<ember::Vector<T>> results(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&results, t] { results[static_cast<std::size_t>(t)] = train_once<T>(4, false); });
    for (auto& th : pool) th.join();
    for (int t = 0; t < threads; ++t) {
      INFO(threads << " threads, run " << t);
      CHECK(bit_identical(results[static_cast<std::size_t>(t)], serial));
    }
  }
}

TEMPLATE_TEST_CASE("determinism: one draw filled in row blocks on several threads equals the serial fill",
                   "[io][determinism]", float, double) {
  using T = TestType;
  const ember::Index n = 1000, d = 7;
  ember::Philox rng(2024, 17);
  const auto draw = rng.draw();
  ember::Batch<T> whole(n, d), normal_whole(n, d);
  draw.template uniform<T>(whole, 0);
  draw.template normal<T>(normal_whole, 0);
  for (const int threads : {1, 3, 8}) {
    ember::Batch<T> split(n, d), normal_split(n, d);
    std::vector<std::thread> pool;
    const ember::Index block = (n + threads - 1) / threads;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const ember::Index first = t * block, rows = std::min(block, n - first);
        if (rows <= 0) return;
        draw.template uniform<T>(split.middleRows(first, rows), first);
        draw.template normal<T>(normal_split.middleRows(first, rows), first);
      });
    for (auto& th : pool) th.join();
    INFO(threads << " threads");
    CHECK(std::memcmp(split.data(), whole.data(), sizeof(T) * static_cast<std::size_t>(n * d)) == 0);
    CHECK(std::memcmp(normal_split.data(), normal_whole.data(), sizeof(T) * static_cast<std::size_t>(n * d)) == 0);
  }
}
