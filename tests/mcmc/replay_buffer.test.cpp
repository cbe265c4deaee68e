#include "ember/mcmc/replay_buffer.hpp"

#include <catch2/catch.hpp>

#include "ember/simd/random.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;
using ember::ReplayBuffer;

TEMPLATE_TEST_CASE("ReplayBuffer: an empty buffer samples the initial distribution", "[replay_buffer]", float, double) {
  ReplayBuffer buffer(2, ember::UniformInit<TestType>{TestType(3), TestType(4)}, {.capacity = 10});
  ember::Philox rng(1);
  const Batch<TestType> x = buffer.sample(50, rng);
  CHECK(x.minCoeff() >= TestType(3));
  CHECK(x.maxCoeff() <= TestType(4));
  CHECK(buffer.fill_count() == 0);
}

TEST_CASE("ReplayBuffer: sampled rows are stored ones or, with probability rho, fresh", "[replay_buffer]") {
  const double rho = 0.2;
  ReplayBuffer buffer(1, ember::UniformInit<double>{-1.0, 1.0}, {.capacity = 100, .reinit_probability = rho});
  ember::Philox rng(2);
  buffer.push(Batch<double>(ember::Vector<double>::LinSpaced(100, 100.0, 199.0)), rng);  // stored values ≥ 100, fresh ones in [−1, 1]
  const Index n = 50000;
  const Batch<double> x = buffer.sample(n, rng);
  const auto fresh = static_cast<double>((x.array() <= 1.0).count());
  CHECK(std::abs(fresh / n - rho) < ember::test::z_bound * std::sqrt(rho * (1 - rho) / n));
  // Stored rows come from their recorded slots.
  for (Index i = 0; i < 200; ++i)
    if (x(i, 0) >= 100.0) CHECK(x(i, 0) == buffer.stored()(buffer.last_slots()[static_cast<std::size_t>(i)], 0));
}

TEST_CASE("ReplayBuffer: FIFO overwrites the oldest, write_back returns chains to their slots", "[replay_buffer]") {
  ReplayBuffer buffer(1, ember::NormalInit<double>{}, {.capacity = 4, .reinit_probability = 0.0});
  ember::Philox rng(3);
  buffer.push(Batch<double>(ember::Vector<double>::LinSpaced(6, 1.0, 6.0)), rng);
  CHECK(buffer.fill_count() == 4);
  CHECK(buffer.stored()(0, 0) == 5.0);  // 5 and 6 overwrote 1 and 2
  CHECK(buffer.stored()(1, 0) == 6.0);
  CHECK(buffer.stored()(2, 0) == 3.0);
  Batch<double> x = buffer.sample(3, rng);
  x.array() += 1000.0;
  buffer.write_back(x);
  for (Index i = 0; i < 3; ++i) CHECK(buffer.stored()(buffer.last_slots()[static_cast<std::size_t>(i)], 0) > 1000.0);
  CHECK_THROWS_WITH(buffer.write_back(Batch<double>::Zero(2, 1)), Catch::Matchers::Contains("x.rows() = 2"));
}

TEST_CASE("ReplayBuffer: the reservoir keeps a uniform sample of everything pushed", "[replay_buffer]") {
  // After pushing 0..999 into 100 slots, each value survives with probability 0.1: values < 500 make up half.
  const int trials = 200;
  double below = 0;
  ember::Philox rng(4);
  for (int t = 0; t < trials; ++t) {
    ReplayBuffer buffer(1, ember::NormalInit<double>{}, {.capacity = 100, .policy = ember::ReplayPolicy::reservoir});
    for (int k = 0; k < 10; ++k) buffer.push(Batch<double>(ember::Vector<double>::LinSpaced(100, 100.0 * k, 100.0 * k + 99)), rng);
    below += static_cast<double>((buffer.stored().array() < 500.0).count());
  }
  const double total = 100.0 * trials;
  // Without-replacement sampling: the variance is at most the binomial one.
  CHECK(std::abs(below / total - 0.5) < ember::test::z_bound * std::sqrt(0.25 / total));
}

TEST_CASE("ReplayBuffer: the state round-trips and settings are checked", "[replay_buffer][errors]") {
  using Catch::Matchers::Contains;
  ReplayBuffer a(2, ember::NormalInit<float>{}, {.capacity = 8});
  ember::Philox rng(5);
  a.fill(rng);
  ReplayBuffer b(2, ember::NormalInit<float>{}, {.capacity = 8});
  b.set_state(a.state());
  ember::Philox r1(9), r2(9);
  CHECK(a.sample(16, r1) == b.sample(16, r2));
  CHECK_THROWS_WITH(ReplayBuffer(2, ember::NormalInit<float>{}, {.capacity = 0}), Contains("capacity = 0"));
  CHECK_THROWS_WITH(ReplayBuffer(2, ember::NormalInit<float>{}, {.reinit_probability = 1.5f}),
                    Contains("reinit_probability = 1.5"));
}

TEST_CASE("ReplayBuffer: a capacity beyond 32-bit slots or the memory budget is refused before allocating",
          "[replay_buffer][errors][bad input]") {
  using Catch::Matchers::Message;
  CHECK_THROWS_MATCHES(ReplayBuffer(2, ember::NormalInit<float>{}, {.capacity = Index{1} << 32}), ember::invalid_argument,
                       Message("ember::ReplayBuffer: capacity = 4294967296: must be < 2^32 (slots are drawn as 32-bit "
                               "indices)"));
  CHECK_THROWS_MATCHES(ReplayBuffer(Index{1} << 40, ember::NormalInit<float>{}, {.capacity = 1000}),
                       ember::invalid_argument,
                       Message("ember::ReplayBuffer: capacity = 1000: the samples would take 4398046511104000 bytes, more than "
                               "ember::max_allocation_bytes = 17179869184"));
  ReplayBuffer buffer(1 << 20, ember::NormalInit<float>{}, {.capacity = 1});
  ember::Philox rng(1);
  CHECK_THROWS_MATCHES(buffer.sample(Index{1} << 20, rng), ember::invalid_argument,
                       Message("ember::ReplayBuffer::sample: n = 1048576: the samples would take 4398046511104 bytes, more "
                               "than ember::max_allocation_bytes = 17179869184"));
}

TEST_CASE("ReplayBuffer: empty batches and wrong column counts are clear errors", "[replay_buffer][errors][bad input]") {
  using Catch::Matchers::Message;
  ReplayBuffer buffer(2, ember::NormalInit<float>{}, {.capacity = 8});
  ember::Philox rng(1);
  CHECK_THROWS_MATCHES(buffer.sample(0, rng), ember::invalid_argument,
                       Message("ember::ReplayBuffer::sample: n = 0: must be >= 1"));
  Batch<float> empty(0, 2);
  CHECK_THROWS_MATCHES(buffer.sample(empty, rng), ember::invalid_argument,
                       Message("ember::ReplayBuffer::sample: out = 0 x 2: the batch is empty"));
  CHECK_THROWS_MATCHES(buffer.push(empty, rng), ember::invalid_argument,
                       Message("ember::ReplayBuffer::push: x = 0 x 2: the batch is empty"));
  Batch<float> no_columns(3, 0);
  CHECK_THROWS_MATCHES(buffer.push(no_columns, rng), ember::invalid_argument,
                       Message("ember::ReplayBuffer::push: x = 3 x 0: expected 2 columns (one per coordinate)"));
  CHECK(buffer.fill_count() == 0);
  CHECK_THROWS_MATCHES(ReplayBuffer(0, ember::NormalInit<float>{}), ember::invalid_argument,
                       Message("ember::ReplayBuffer: dim = 0: must be >= 1"));
}
