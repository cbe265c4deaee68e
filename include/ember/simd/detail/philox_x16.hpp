#pragma once
/// @file
/// @brief Philox4x32-10 (core/philox.hpp) on 16 counters at once with AVX-512: the chains of one draw.
///
/// A Philox round is two 32 × 32 → 64-bit products. Compilers vectorise the scalar block function over chains
/// with 64-bit lanes (8 per register, vpmullq); here `_mm512_mul_epu32` multiplies the even and the odd 32-bit
/// lanes and two blends reassemble the high and low halves, 16 chains per register, twice as many as the
/// compiler's (docs/performance.md, "Kernel notes"). The same bits as the scalar
/// function, checked against it in tests/simd/random.test.cpp. The only AVX-512 code of the random draws: where
/// __AVX512F__ is not defined, philox_uniforms_x16 fills nothing and the scalar function (auto-vectorised) serves.

#include <cstddef>
#include <cstdint>

#include "ember/core/philox.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace ember::simd::detail {

#if defined(__AVX512F__)

/// The four output words of 16 Philox4x32-10 blocks whose counters are {c0, first_c1 + lane, c2, c3} for
/// lanes 0..15 (one register per word, lane l = block l).
inline void philox4x32_10_x16(std::uint32_t c0, std::uint32_t first_c1, std::uint32_t c2, std::uint32_t c3,
                              philox::Key key, __m512i (&out)[4]) {
  // hi:lo = a · m for every 32-bit lane.
  const auto multiply = [](__m512i a, __m512i m, __m512i& hi, __m512i& lo) {
    const __m512i even = _mm512_mul_epu32(a, m);                         // lanes 0, 2, ... as 64-bit products
    const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);  // lanes 1, 3, ...
    lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  };
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(philox::multiplier0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(philox::multiplier1));
  __m512i c[4] = {_mm512_set1_epi32(static_cast<int>(c0)),
                  _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first_c1)),
                                   _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)),
                  _mm512_set1_epi32(static_cast<int>(c2)), _mm512_set1_epi32(static_cast<int>(c3))};
  for (int r = 0; r < 10; ++r) {  // philox::round, with the key bumped between rounds
    __m512i hi0, lo0, hi1, lo1;
    multiply(c[0], m0, hi0, lo0);
    multiply(c[2], m1, hi1, lo1);
    c[0] = _mm512_xor_si512(_mm512_xor_si512(hi1, c[1]), _mm512_set1_epi32(static_cast<int>(key[0])));
    c[2] = _mm512_xor_si512(_mm512_xor_si512(hi0, c[3]), _mm512_set1_epi32(static_cast<int>(key[1])));
    c[1] = lo1;
    c[3] = lo0;
    key[0] += philox::weyl0;
    key[1] += philox::weyl1;
  }
  for (int w = 0; w < 4; ++w) out[w] = c[w];
}


// simd::uniform_from_bits for 16 words (the same exact operations).
inline void uniforms_from_bits(__m512i bits, float* out) {
  const __m512 top = _mm512_cvtepi32_ps(_mm512_srli_epi32(bits, 9));  // 23 bits: exact
  _mm512_store_ps(out, _mm512_mul_ps(_mm512_add_ps(top, _mm512_set1_ps(0.5f)), _mm512_set1_ps(0x1p-23f)));
}
inline void uniforms_from_bits(__m512i bits, double* out) {
  const __m512d half = _mm512_set1_pd(0.5), scale = _mm512_set1_pd(0x1p-32);
  _mm512_store_pd(out, _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu32_pd(_mm512_castsi512_si256(bits)), half), scale));
  _mm512_store_pd(out + 8,
                  _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu32_pd(_mm512_extracti64x4_epi64(bits, 1)), half), scale));
}
#endif

/// word[w][i] = simd::uniform_from_bits of word w of the Philox block with counter {c0, first_c1 + i, c2, c3}, for
/// i in [0, count) rounded down to a multiple of 16 (word[w] 64-byte aligned); returns how many i it filled: 0 where
/// AVX-512 is off, so that the caller fills every i from `filled` on with the scalar function.
template <class T>
std::ptrdiff_t philox_uniforms_x16(std::uint32_t c0, std::uint32_t first_c1, std::uint32_t c2, std::uint32_t c3,
                                   philox::Key key, std::ptrdiff_t count, T* const (&word)[4]) {
  std::ptrdiff_t filled = 0;
#if defined(__AVX512F__)
  for (; filled + 16 <= count; filled += 16) {
    __m512i words[4];
    philox4x32_10_x16(c0, first_c1 + static_cast<std::uint32_t>(filled), c2, c3, key, words);
    for (int w = 0; w < 4; ++w) uniforms_from_bits(words[w], word[w] + filled);
  }
#else
  static_cast<void>(c0), static_cast<void>(first_c1), static_cast<void>(c2), static_cast<void>(c3);
  static_cast<void>(key), static_cast<void>(count), static_cast<void>(word);
#endif
  return filled;
}

}  // namespace ember::simd::detail
