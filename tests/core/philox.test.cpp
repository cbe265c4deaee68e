#include "ember/core/philox.hpp"

#include <catch2/catch.hpp>

using ember::philox::philox4x32_10;

// Known-answer vectors published with Random123 (kat_vectors, "philox4x32 10" lines).
TEST_CASE("Philox4x32-10 reproduces Random123's known-answer vectors", "[philox]") {
  struct Kat {
    ember::philox::Counter counter;
    ember::philox::Key key;
    ember::philox::Block expected;
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const auto& kat : kats) CHECK(philox4x32_10(kat.counter, kat.key) == kat.expected);
}

TEST_CASE("Philox4x32-10 is usable at compile time", "[philox]") {
  static_assert(philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5u);
  SUCCEED("evaluated in a static_assert");
}
