#pragma once
/// @file
/// @brief The AVX-512 overloads of simd/detail/fused.hpp's operations (included by it; see there): one instruction
/// each, chosen for float and double batches whose architecture tag derives from xsimd::avx512f (avx512dq for the
/// range and reduce instructions). Without AVX-512 this file declares nothing and the generic overloads serve.

#include <xsimd/xsimd.hpp>

#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>

namespace ember::simd::detail::isa {

// T is float or double (the tag only says the instruction set; integer batches keep the generic overloads).
template <class T, class A>
  requires std::is_floating_point_v<T>
inline xsimd::batch<T, A> fma(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b, const xsimd::batch<T, A>& c,
                              xsimd::avx512f) {
  if constexpr (std::is_same_v<T, float>) return _mm512_fmadd_ps(a, b, c);
  else return _mm512_fmadd_pd(a, b, c);
}
template <class T, class A>
  requires std::is_floating_point_v<T>
inline xsimd::batch<T, A> fnma(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b, const xsimd::batch<T, A>& c,
                               xsimd::avx512f) {
  if constexpr (std::is_same_v<T, float>) return _mm512_fnmadd_ps(a, b, c);
  else return _mm512_fnmadd_pd(a, b, c);
}
template <class T, class A>
  requires std::is_floating_point_v<T>
inline xsimd::batch<T, A> fms(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b, const xsimd::batch<T, A>& c,
                              xsimd::avx512f) {
  if constexpr (std::is_same_v<T, float>) return _mm512_fmsub_ps(a, b, c);
  else return _mm512_fmsub_pd(a, b, c);
}
template <class A>
inline xsimd::batch<float, A> scale_by_power_of_two(const xsimd::batch<float, A>& q, const xsimd::batch<float, A>& n,
                                                    xsimd::avx512f) {
  return _mm512_scalef_ps(q, n);
}

#if defined(__AVX512DQ__)
template <class A>
inline xsimd::batch<float, A> clamp_magnitude(const xsimd::batch<float, A>& x, const xsimd::batch<float, A>& bound,
                                              xsimd::avx512dq) {
  return _mm512_range_ps(x, bound, 0x02);  // imm 10: the smaller magnitude, 00 in bits 3:2: x's sign
}
template <class A>
inline xsimd::batch<float, A> fraction_to_nearest(const xsimd::batch<float, A>& y, xsimd::avx512dq) {
  return _mm512_reduce_ps(y, 0x00);
}
#endif

}  // namespace ember::simd::detail::isa

#endif
