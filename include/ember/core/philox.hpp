#pragma once
/// @file
/// @brief The Philox4x32-10 block function (Salmon et al., SC'11), exactly as Random123 and cuRAND.
///
/// Counter-based: the output is a pure function of a 128-bit counter and a 64-bit key, so any chain's
/// random numbers at any step can be produced independently, on the CPU or on a GPU, in any order.
/// Checked against Random123's published known-answer vectors (tests/core/philox.test.cpp).
///
/// @code
/// ember::philox::Block out = ember::philox::philox4x32_10({0, 0, 0, 0}, {0, 0});  // 6627e8d5 ...
/// @endcode

#include <array>
#include <cstdint>

#include "ember/core/config.hpp"

namespace ember::philox {

using Counter = std::array<std::uint32_t, 4>;
using Key = std::array<std::uint32_t, 2>;
using Block = std::array<std::uint32_t, 4>;

inline constexpr std::uint32_t multiplier0 = 0xD2511F53u;
inline constexpr std::uint32_t multiplier1 = 0xCD9E8D57u;
inline constexpr std::uint32_t weyl0 = 0x9E3779B9u;  // golden ratio
inline constexpr std::uint32_t weyl1 = 0xBB67AE85u;  // sqrt(3) - 1

/// One Philox round: two 32×32→64 multiplies, the S-box of the algorithm.
EMBER_HOST_DEVICE constexpr Block round(const Block& c, const Key& k) {
  const std::uint64_t p0 = std::uint64_t{multiplier0} * c[0];
  const std::uint64_t p1 = std::uint64_t{multiplier1} * c[2];
  return {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<std::uint32_t>(p1),
          static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<std::uint32_t>(p0)};
}

/// @brief Philox4x32 with 10 rounds: 128 random bits from (counter, key).
/// @param counter four 32-bit counter words
/// @param key     two 32-bit key words
/// @return four 32-bit output words
EMBER_HOST_DEVICE constexpr Block philox4x32_10(Counter counter, Key key) {
  counter = round(counter, key);
  for (int r = 1; r < 10; ++r) {
    key[0] += weyl0;
    key[1] += weyl1;
    counter = round(counter, key);
  }
  return counter;
}

}  // namespace ember::philox
