#pragma once
/// @file
/// @brief ember::simd::detail::fma / fnma / fms: a·b + c, c − a·b, a·b − c in one rounding on any
/// xsimd::batch; clamps and the exponential's range-reduction steps, each one AVX-512 instruction where
/// there is one (they need no FMA pipe) and xsimd elsewhere, with the same results for every
/// non-NaN input.
///
/// xsimd 8 has no AVX-512 kernels for these: there xsimd::fma computes `a * b + c` and relies on the
/// compiler contracting it into one instruction, which GCC 12 does for C++ by default (gnu++20 and c++20
/// alike) but not under -ffp-contract=off (nor for C in an ISO mode). Then every FMA of the fused MLP kernels
/// would become a multiply and an add (twice the µops on cores with two 512-bit FMA ports) and the results
/// would change with a compiler flag. These wrappers call the AVX-512 intrinsics directly and xsimd elsewhere.

#include <xsimd/xsimd.hpp>

#include <type_traits>

namespace ember::simd::detail {

template <class B>
inline constexpr bool is_avx512_batch = [] {
#if defined(__AVX512F__)
  return std::is_base_of_v<xsimd::avx512f, typename B::arch_type> &&
         (std::is_same_v<typename B::value_type, float> || std::is_same_v<typename B::value_type, double>);
#else
  return false;
#endif
}();

/// a·b + c, rounded once.
template <class B>
inline B fma(const B& a, const B& b, const B& c) {
#if defined(__AVX512F__)
  if constexpr (is_avx512_batch<B>) {
    if constexpr (std::is_same_v<typename B::value_type, float>) {
      return B(_mm512_fmadd_ps(a, b, c));
    } else {
      return B(_mm512_fmadd_pd(a, b, c));
    }
  } else
#endif
  {
    return xsimd::fma(a, b, c);
  }
}

/// c − a·b, rounded once.
template <class B>
inline B fnma(const B& a, const B& b, const B& c) {
#if defined(__AVX512F__)
  if constexpr (is_avx512_batch<B>) {
    if constexpr (std::is_same_v<typename B::value_type, float>) {
      return B(_mm512_fnmadd_ps(a, b, c));
    } else {
      return B(_mm512_fnmadd_pd(a, b, c));
    }
  } else
#endif
  {
    return xsimd::fnma(a, b, c);
  }
}

/// a·b − c, rounded once.
template <class B>
inline B fms(const B& a, const B& b, const B& c) {
#if defined(__AVX512F__)
  if constexpr (is_avx512_batch<B>) {
    if constexpr (std::is_same_v<typename B::value_type, float>) {
      return B(_mm512_fmsub_ps(a, b, c));
    } else {
      return B(_mm512_fmsub_pd(a, b, c));
    }
  } else
#endif
  {
    return xsimd::fms(a, b, c);
  }
}

/// x with its magnitude clamped to `bound` > 0 (its sign kept): one vrangeps on AVX-512DQ (it leaves the FMA
/// pipes free, where vmaxps and vminps may compete with them), xsimd::min/max elsewhere. ±∞ gives ±bound; for a
/// NaN x the result is ±bound (vrangeps: the NaN's sign; min/max: −bound), callers must not rely on it.
template <class B>
inline B clamp_magnitude(const B& x, const B& bound) {
#if defined(__AVX512DQ__)
  if constexpr (is_avx512_batch<B> && std::is_same_v<typename B::value_type, float>) {
    return B(_mm512_range_ps(x, bound, 0x02));  // imm 10: the smaller magnitude, 00 in bits 3:2: x's sign
  } else
#endif
  {
    return xsimd::min(xsimd::max(x, -bound), bound);
  }
}

/// y − round(y) (round half to even), exact, on a float batch: one vreduceps on AVX-512DQ.
template <class B>
inline B fraction_to_nearest(const B& y) {
#if defined(__AVX512DQ__)
  if constexpr (is_avx512_batch<B> && std::is_same_v<typename B::value_type, float>) {
    return B(_mm512_reduce_ps(y, 0x00));
  } else
#endif
  {
    return y - xsimd::nearbyint(y);
  }
}

/// q·2ⁿ on a float batch, n integral and q·2ⁿ a normal number (exact): one vscalefps on AVX-512, elsewhere
/// n added to q's exponent field as an integer.
template <class B>
inline B scale_by_power_of_two(const B& q, const B& n) {
  static_assert(std::is_same_v<typename B::value_type, float>, "scale_by_power_of_two: float batches (23-bit mantissa)");
#if defined(__AVX512F__)
  if constexpr (is_avx512_batch<B> && std::is_same_v<typename B::value_type, float>) {
    return B(_mm512_scalef_ps(q, n));
  } else
#endif
  {
    using I = decltype(xsimd::to_int(q));
    return xsimd::bitwise_cast<B>(xsimd::bitwise_cast<I>(q) + (xsimd::to_int(n) << 23));
  }
}

}  // namespace ember::simd::detail
