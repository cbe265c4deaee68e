#include "ember/core/size_limit.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

using Catch::Matchers::Message;
using ember::Index;

TEST_CASE("checked_product and checked_sum: exact below the overflow, a named error at it", "[size_limit]") {
  constexpr Index big = std::numeric_limits<Index>::max();
  CHECK(ember::detail::checked_product(Index{3037000499}, Index{3037000499}, "f", "n", 1, "x") ==
        Index{9223372030926249001});  // ⌊√(2⁶³ − 1)⌋²: the largest square that fits
  CHECK(ember::detail::checked_product(Index{0}, big, "f", "n", 1, "x") == 0);
  CHECK(ember::detail::checked_sum(big - 1, Index{1}, "f", "n", 1, "x") == big);
  CHECK_THROWS_MATCHES(ember::detail::checked_product(Index{1} << 32, Index{1} << 31, "ember::f", "n", 7, "the weights"),
                       ember::invalid_argument,
                       Message("ember::f: n = 7: the weights would have 4294967296 x 2147483648 entries, which overflows "
                               "the index type"));
  CHECK_THROWS_MATCHES(ember::detail::checked_sum(big, Index{1}, "ember::f", "n", 7, "the parameters"),
                       ember::invalid_argument,
                       Message("ember::f: n = 7: the parameters would have 9223372036854775807 + 1 entries, which "
                               "overflows the index type"));
}

TEST_CASE("require_allocation_within: the budget is max_allocation_bytes, exactly", "[size_limit]") {
  STATIC_REQUIRE(ember::max_allocation_bytes == std::uint64_t{1} << 34);
  constexpr Index floats = Index{1} << 32;  // 2³² floats are exactly 16 GiB
  CHECK_NOTHROW(ember::detail::require_allocation_within<float>(floats, "f", "n", 1, "x"));
  CHECK_NOTHROW(ember::detail::require_allocation_within<double>(floats / 2, "f", "n", 1, "x"));
  CHECK_THROWS_MATCHES(ember::detail::require_allocation_within<float>(floats + 1, "ember::f", "capacity", 5, "the samples"),
                       ember::invalid_argument,
                       Message("ember::f: capacity = 5: the samples would take 17179869188 bytes, more than "
                               "ember::max_allocation_bytes = 17179869184"));
  // A count whose byte size passes 2⁶⁴ is stated as a product.
  CHECK_THROWS_MATCHES(ember::detail::require_allocation_within<double>(std::numeric_limits<Index>::max(), "ember::f",
                                                                        "n", 1, "x"),
                       ember::invalid_argument,
                       Message("ember::f: n = 1: x would take 9223372036854775807 x 8 bytes, more than "
                               "ember::max_allocation_bytes = 17179869184"));
  CHECK(ember::detail::checked_allocation<float>(Index{1000}, Index{3}, "f", "n", 1, "x") == 3000);
  CHECK_THROWS_AS(ember::detail::checked_allocation<float>(Index{1} << 20, Index{1} << 20, "f", "n", 1, "x"),
                  ember::invalid_argument);
}
