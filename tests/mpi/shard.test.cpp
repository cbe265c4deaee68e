// ember::mpi::Shard and ShardGenerator: blocks dealt to ranks cover every row once, in order, whatever the rank
// count; a shard's generator gives its rows the numbers of the same rows in a run over all chains.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/mpi/shard.hpp"

using Catch::Matchers::Contains;
using ember::Batch;
using ember::Index;

TEST_CASE("mpi::shard_of: contiguous block ranges covering every row once, uneven shares allowed", "[mpi][shard]") {
  for (const Index n : {Index{64}, Index{100}, Index{1000}, Index{1031}})
    for (int ranks = 1; ranks <= 4; ++ranks) {
      if ((n + 63) / 64 < ranks) continue;
      Index next = 0;
      for (int r = 0; r < ranks; ++r) {
        const auto s = ember::mpi::shard_of(n, 64, r, ranks, "test");
        INFO("n = " << n << ", rank " << r << " of " << ranks);
        CHECK(s.first_row == next);
        CHECK(s.block_count >= 1);
        CHECK(s.first_row == s.blocks.begin(s.first_block));
        next += s.rows;
      }
      CHECK(next == n);
    }
  CHECK_THROWS_WITH(ember::mpi::shard_of(100, 64, 0, 3, "ember::mpi::run"),
                    Contains("ember::mpi::run: chains = 100: 2 block(s) of 64 rows cannot give each of 3 ranks a block"));
  CHECK_THROWS_WITH(ember::mpi::shard_of(100, 0, 0, 1, "f"), Contains("f: block_rows = 0: must be >= 1"));
}

TEMPLATE_TEST_CASE("mpi::ShardGenerator: a shard's draws are those of its rows in the full batch", "[mpi][shard]",
                   float, double) {
  using T = TestType;
  ember::Philox full_rng(5), shard_rng(5);
  Batch<T> full(300, 7), part(90, 7);
  full_rng.draw().template normal<T>(full, 0);
  ember::mpi::ShardGenerator generator(shard_rng, 130);
  generator.draw().template normal<T>(part, 0);
  CHECK(part == full.middleRows(130, 90));
  CHECK(shard_rng.position() == full_rng.position());
  const auto a = full_rng.draw();
  const auto b = generator.draw();
  CHECK(a.index(131, 1000, 0, 1) == b.index(1, 1000, 0, 1));
  CHECK(a.bits(140, 2) == b.bits(10, 2));
  CHECK(a.draw_number() == b.draw_number());
}

TEMPLATE_TEST_CASE("mpi::gather_rows: every rank ends with every rank's rows", "[mpi][shard]", float, double) {
  using T = TestType;
  ember::mpi::Communicator world;
  const Index n = 64 * 5 + 3;
  const auto shard = ember::mpi::shard_of(world, n, 64, "test");
  Batch<T> x = Batch<T>::Constant(n, 3, T(-1));
  for (Index i = 0; i < shard.rows; ++i)
    for (Index j = 0; j < 3; ++j) x(shard.first_row + i, j) = static_cast<T>(10 * (shard.first_row + i) + j);
  ember::mpi::gather_rows(world, shard, x);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < 3; ++j) REQUIRE(x(i, j) == static_cast<T>(10 * i + j));
}

TEST_CASE("mpi: bad input is refused on every rank with the same message", "[mpi][shard]") {
  ember::mpi::Communicator world;
  std::string message;
  try {
    // One block fewer than ranks (one block, accepted, on one rank).
    (void)ember::mpi::shard_of(world, 64 * std::max(1, world.size() - 1), 64, "ember::mpi::run");
    message = "(accepted)";
  } catch (const ember::invalid_argument& e) {
    message = e.what();
  }
  if (world.size() == 1) {
    CHECK(message == "(accepted)");
  } else {
    CHECK_THAT(message, Contains("cannot give each of " + std::to_string(world.size()) + " ranks a block"));
  }
  const std::vector<char> all = world.allgather(std::vector<char>(message.begin(), message.end()));
  for (int r = 0; r < world.size(); ++r)
    CHECK(std::string(all.begin() + r * static_cast<std::ptrdiff_t>(message.size()),
                      all.begin() + (r + 1) * static_cast<std::ptrdiff_t>(message.size())) == message);
}
