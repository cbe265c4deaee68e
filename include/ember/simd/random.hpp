#pragma once
/// @file
/// @brief ember::Philox: a seeded, counter-based generator with one independent stream per chain.
///
/// In simd/ because its draws are vectorised (Philox on 16 counters at once, Box–Muller over xsimd batches); the
/// scalar Philox4x32-10 block function it is defined by is core/philox.hpp.
///
/// Stream layout (the CUDA backend reproduces it bit for bit): the key is the 64-bit seed; draw number
/// n of the generator, chain c and coordinate block b use the counter {b, c, lo(n), hi(n)}. Block b
/// yields four 32-bit words for coordinates 4b..4b+3. A uniform uses one word; normals use Box–Muller on
/// the word pairs (0, 1) and (2, 3). So chain c's numbers never depend on N, on which thread ran it, or on
/// the order of evaluation: results are bit-identical for any thread count.
///
/// A kernel step takes one `Draw` (`rng.draw()`), then fills row blocks from it with their first chain's
/// index; the generator itself is only advanced by `draw()`, so it is passed by reference and never shared.
///
/// @code
/// ember::Philox rng(2024);                 // always explicitly seeded
/// ember::Batch<float> noise(1024, 2);
/// rng.normal(noise);                        // one draw: N(0, 1) for every chain and coordinate
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "ember/core/batch.hpp"
#include "ember/core/philox.hpp"
#include "ember/simd/detail/philox_x16.hpp"
#include "ember/simd/box_muller.hpp"

namespace ember {

/// @brief The random numbers of one draw of a Philox generator (immutable, cheap to copy, thread-safe).
class PhiloxDraw {
 public:
  EMBER_HOST_DEVICE constexpr PhiloxDraw(philox::Key key, std::uint64_t draw) : key_(key), draw_(draw) {}

  /// The 128 bits for coordinate block `block` of chain `chain`.
  EMBER_HOST_DEVICE constexpr philox::Block bits(std::uint32_t chain, std::uint32_t block) const {
    return philox::philox4x32_10(
        {block, chain, static_cast<std::uint32_t>(draw_), static_cast<std::uint32_t>(draw_ >> 32)}, key_);
  }

  /// @brief Fills `out` (rows = chains first_chain, first_chain+1, ...; columns = coordinates first_coordinate,
  /// first_coordinate+1, ...) with standard normals: a block of columns gets the same numbers as those columns of
  /// the whole batch, so workers can fill column blocks apart. @pre first_coordinate ≥ 0.
  template <class T>
  void normal(BatchRef<T> out, Index first_chain = 0, Index first_coordinate = 0) const {
    fill<T, true>(out, first_chain, first_coordinate);
  }

  /// @brief Fills `out` with uniforms in the open interval (0, 1); rows and columns as for `normal`.
  template <class T>
  void uniform(BatchRef<T> out, Index first_chain = 0, Index first_coordinate = 0) const {
    fill<T, false>(out, first_chain, first_coordinate);
  }

  /// @brief One uniform integer in [0, n) for chain `chain` from word `word` (0..3) of block `block`.
  /// Uses Lemire's multiply-shift; the bias is below n / 2^32.
  constexpr std::uint32_t index(std::uint32_t chain, std::uint32_t n, std::uint32_t block = 0,
                                std::uint32_t word = 0) const {
    return static_cast<std::uint32_t>((std::uint64_t{bits(chain, block)[word]} * n) >> 32);
  }

  [[nodiscard]] constexpr std::uint64_t draw_number() const { return draw_; }

 private:
  template <class T, bool Normal>
  void fill(BatchRef<T> out, Index first_chain, Index first) const {
    constexpr Index lanes = static_cast<Index>(xsimd::batch<T>::size);
    constexpr Index chunk = 16 * lanes;  // chains converted per pass; a multiple of the SIMD width
    alignas(64) std::array<std::array<T, chunk>, 4> word;   // entries [0, padded) written before use
    alignas(64) std::array<std::array<T, chunk>, 4> value;
    const Index n = out.rows();
    const Index dim = out.cols();
    // Coordinate k comes from word k % 4 of block k / 4: the blocks that overlap [first, first + dim).
    for (Index block = first / 4; 4 * block < first + dim; ++block) {
      for (Index start = 0; start < n; start += chunk) {
        const Index count = std::min(chunk, n - start);
        const Index padded = (count + lanes - 1) / lanes * lanes;
        // Padded lanes get chain ids past the end, then are dropped.
        T* const words[4] = {word[0].data(), word[1].data(), word[2].data(), word[3].data()};
        Index i = simd::detail::philox_uniforms_x16(static_cast<std::uint32_t>(block),
                                                    static_cast<std::uint32_t>(first_chain + start),
                                                    static_cast<std::uint32_t>(draw_),
                                                    static_cast<std::uint32_t>(draw_ >> 32), key_, padded, words);
        for (; i < padded; ++i) {
          const auto b = bits(static_cast<std::uint32_t>(first_chain + start + i), static_cast<std::uint32_t>(block));
          for (int w = 0; w < 4; ++w) word[w][i] = simd::uniform_from_bits<T>(b[w]);
        }
        if constexpr (Normal) {
          simd::box_muller(word[0].data(), word[1].data(), value[0].data(), value[1].data(),
                           static_cast<std::size_t>(padded));
          simd::box_muller(word[2].data(), word[3].data(), value[2].data(), value[3].data(),
                           static_cast<std::size_t>(padded));
        }
        const auto& source = Normal ? value : word;
        for (Index w = 0; w < 4; ++w) {
          const Index column = 4 * block + w - first;
          if (column >= 0 && column < dim) std::copy_n(source[w].data(), count, &out(start, column));
        }
      }
    }
  }

  philox::Key key_;
  std::uint64_t draw_;
};

/// @brief Seeded counter-based generator: `draw()` hands out the next draw; nothing else mutates it.
///
/// The whole state is (seed, position): checkpoints save those two numbers and resume exactly.
class Philox {
 public:
  /// @param seed     the 64-bit key of every stream (there is deliberately no default seed)
  /// @param position the number of draws already taken (0 for a fresh generator)
  explicit constexpr Philox(std::uint64_t seed, std::uint64_t position = 0)
      : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}, position_(position) {}

  /// @brief The next draw; advances the position by one.
  constexpr PhiloxDraw draw() { return PhiloxDraw(key_, position_++); }

  /// @brief Standard normals for every chain (row) and coordinate (column) of `out`; one draw.
  template <class Derived>
  void normal(Eigen::MatrixBase<Derived>& out) {
    using T = typename Derived::Scalar;
    draw().template normal<T>(out.derived(), 0);
  }
  /// @brief Uniforms in (0, 1) for every entry of `out`; one draw.
  template <class Derived>
  void uniform(Eigen::MatrixBase<Derived>& out) {
    using T = typename Derived::Scalar;
    draw().template uniform<T>(out.derived(), 0);
  }

  [[nodiscard]] constexpr std::uint64_t seed() const {
    return std::uint64_t{key_[0]} | (std::uint64_t{key_[1]} << 32);
  }
  [[nodiscard]] constexpr std::uint64_t position() const { return position_; }
  constexpr void set_position(std::uint64_t position) { position_ = position; }

 private:
  philox::Key key_;
  std::uint64_t position_;
};

}  // namespace ember
