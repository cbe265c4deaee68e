#pragma once
/// @file
/// @brief The AVX-512 (with BMI2) encoders of simd/binary_product.hpp (included by it; see there): one compare mask
/// per register of entries, spread by pdep into the 4-bit codes. The only file of the binary products with
/// instruction-set intrinsics: without AVX-512F and BMI2, has_mask_encoders is false and the generic encoders of
/// binary_product.hpp serve. `Codes` is ember::simd::BinaryCodes (rows, chunks, depth already set by the caller).

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ember/core/batch.hpp"

#if defined(__AVX512F__) && defined(__BMI2__)
#include <immintrin.h>
#endif

namespace ember::simd::detail {

/// Whether encode_rows_by_masks / encode_columns_by_masks serve T on this target.
template <class T>
inline constexpr bool has_mask_encoders =
#if defined(__AVX512F__) && defined(__BMI2__)
    std::is_same_v<T, float> || std::is_same_v<T, double>;
#else
    false;
#endif

/// Row codes of the column-major n × depth matrix x (leading dimension ld); false if an entry is neither 0 nor 1.
/// Defined only where has_mask_encoders<T>, and called only there.
template <class T, class Codes>
bool encode_rows_by_masks(const T* x, Index n, Index depth, Index ld, Codes& codes);
/// Column codes of the column-major n × columns matrix x; false if an entry is neither 0 nor 1. As above.
template <class T, class Codes>
bool encode_columns_by_masks(const T* x, Index n, Index columns, Index ld, Codes& codes);

#if defined(__AVX512F__) && defined(__BMI2__)
/// Entries of T per 512-bit register.
template <class T>
inline constexpr Index mask_lanes = 64 / Index(sizeof(T));

/// Mask of the first `count` of a register's lanes of T (all of them when count ≥ the lane count).
template <class T>
inline std::uint32_t first_lanes(Index count) {
  constexpr Index lanes = mask_lanes<T>;
  return count >= lanes ? (std::uint32_t(1) << lanes) - 1 : (std::uint32_t(1) << count) - 1;
}

/// The lanes, among `valid`, of one register of T at p that are 1; those that are neither 0 nor 1 (NaN included)
/// are added to `not_binary`. Lanes outside `valid` are not read.
template <class T>
inline std::uint32_t one_lanes(const T* p, std::uint32_t valid, std::uint32_t& not_binary) {
  std::uint32_t ones, zeros;
  if constexpr (std::is_same_v<T, float>) {
    const __m512 v = _mm512_maskz_loadu_ps(static_cast<__mmask16>(valid), p);
    ones = _mm512_cmp_ps_mask(v, _mm512_set1_ps(1.0f), _CMP_EQ_OQ);
    zeros = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_EQ_OQ);
  } else {
    const __m512d v = _mm512_maskz_loadu_pd(static_cast<__mmask8>(valid), p);
    ones = _mm512_cmp_pd_mask(v, _mm512_set1_pd(1.0), _CMP_EQ_OQ);
    zeros = _mm512_cmp_pd_mask(v, _mm512_setzero_pd(), _CMP_EQ_OQ);
  }
  not_binary |= valid & ~(ones | zeros);
  return ones & valid;
}

template <class T, class Codes>
bool encode_rows_by_masks(const T* x, Index n, Index depth, Index ld, Codes& codes) {
  // Per chunk and register of rows: one compare mask per column, whose bits are spread to bit b of every row's
  // nibble by pdep (nibble r of `nibbles` is then row s0 + r's code).
  constexpr Index lanes = mask_lanes<T>, chunk_bits = 4;
  const Index chunks = codes.chunks;
  codes.code.resize(static_cast<std::size_t>(n * chunks));
  std::uint8_t* const code = codes.code.data();
  std::uint32_t not_binary = 0;
  for (Index c = 0; c < chunks; ++c) {
    const Index bits = std::min(chunk_bits, depth - c * chunk_bits);
    const T* column = x + c * chunk_bits * ld;
    for (Index s0 = 0; s0 < n; s0 += lanes) {
      const std::uint32_t valid = first_lanes<T>(n - s0);
      std::uint64_t nibbles = 0;
      for (Index b = 0; b < bits; ++b)
        nibbles |= _pdep_u64(one_lanes(column + b * ld + s0, valid, not_binary), 0x1111111111111111ull << b);
      std::uint8_t* out = code + s0 * chunks + c;
      const Index rows = std::min(lanes, n - s0);
      for (Index r = 0; r < rows; ++r, nibbles >>= 4) out[r * chunks] = static_cast<std::uint8_t>(nibbles & 15);
    }
  }
  return not_binary == 0;
}

template <class T, class Codes>
bool encode_columns_by_masks(const T* x, Index n, Index columns, Index ld, Codes& codes) {
  // A register of a column covers lanes / 4 whole chunks: its compare mask's nibbles are their codes, spread to
  // one byte each by pdep.
  constexpr Index lanes = mask_lanes<T>, chunk_bits = 4;
  constexpr Index per_register = lanes / chunk_bits;
  constexpr std::uint32_t all = (std::uint32_t(1) << lanes) - 1;
  const Index chunks = codes.chunks, whole = n / lanes * lanes;
  codes.code.resize(static_cast<std::size_t>(columns * chunks));
  std::uint8_t* const code = codes.code.data();
  std::uint32_t not_binary = 0;
  for (Index i = 0; i < columns; ++i) {
    const T* column = x + i * ld;
    std::uint8_t* out = code + i * chunks;
    Index s0 = 0;
    for (; s0 < whole; s0 += lanes, out += per_register) {
      const std::uint64_t bytes = _pdep_u64(one_lanes(column + s0, all, not_binary), 0x0F0F0F0F0F0F0F0Full);
      std::memcpy(out, &bytes, per_register);
    }
    if (s0 < n) {  // the last rows: chunks up to ⌈n / 4⌉
      const std::uint32_t ones = one_lanes(column + s0, first_lanes<T>(n - s0), not_binary);
      std::uint64_t bytes = _pdep_u64(ones, 0x0F0F0F0F0F0F0F0Full);
      for (Index c = s0 / chunk_bits; c < chunks; ++c, bytes >>= 8) code[i * chunks + c] = static_cast<std::uint8_t>(bytes);
    }
  }
  return not_binary == 0;
}
#endif

}  // namespace ember::simd::detail
