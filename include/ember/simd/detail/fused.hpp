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
///
/// One instruction-set seam, as xsimd's own kernels: each operation has an overload per instruction set in
/// namespace isa, chosen by the batch's architecture tag (the most derived tag that matches wins); the generic ones
/// are here, the AVX-512 ones in simd/detail/fused_avx512.hpp, the only file with AVX-512 intrinsics for them.

#include <xsimd/xsimd.hpp>

#include <type_traits>

namespace ember::simd::detail::isa {

// Any instruction set: xsimd (see above for why fma needs the compiler's contraction there).
template <class B>
inline B fma(const B& a, const B& b, const B& c, xsimd::generic) {
  return xsimd::fma(a, b, c);
}
template <class B>
inline B fnma(const B& a, const B& b, const B& c, xsimd::generic) {
  return xsimd::fnma(a, b, c);
}
template <class B>
inline B fms(const B& a, const B& b, const B& c, xsimd::generic) {
  return xsimd::fms(a, b, c);
}
template <class B>
inline B clamp_magnitude(const B& x, const B& bound, xsimd::generic) {
  return xsimd::min(xsimd::max(x, -bound), bound);
}
template <class B>
inline B fraction_to_nearest(const B& y, xsimd::generic) {
  return y - xsimd::nearbyint(y);
}
template <class B>
inline B scale_by_power_of_two(const B& q, const B& n, xsimd::generic) {
  using I = decltype(xsimd::to_int(q));
  return xsimd::bitwise_cast<B>(xsimd::bitwise_cast<I>(q) + (xsimd::to_int(n) << 23));
}

}  // namespace ember::simd::detail::isa

#include "ember/simd/detail/fused_avx512.hpp"

namespace ember::simd::detail {

/// a·b + c, rounded once.
template <class B>
inline B fma(const B& a, const B& b, const B& c) {
  return isa::fma(a, b, c, typename B::arch_type{});
}

/// c − a·b, rounded once.
template <class B>
inline B fnma(const B& a, const B& b, const B& c) {
  return isa::fnma(a, b, c, typename B::arch_type{});
}

/// a·b − c, rounded once.
template <class B>
inline B fms(const B& a, const B& b, const B& c) {
  return isa::fms(a, b, c, typename B::arch_type{});
}

/// x with its magnitude clamped to `bound` > 0 (its sign kept): one vrangeps on AVX-512DQ (it leaves the FMA
/// pipes free, where vmaxps and vminps may compete with them), xsimd::min/max elsewhere. ±∞ gives ±bound; for a
/// NaN x the result is ±bound (vrangeps: the NaN's sign; min/max: −bound), callers must not rely on it.
template <class B>
inline B clamp_magnitude(const B& x, const B& bound) {
  return isa::clamp_magnitude(x, bound, typename B::arch_type{});
}

/// y − round(y) (round half to even), exact, on a float batch: one vreduceps on AVX-512DQ.
template <class B>
inline B fraction_to_nearest(const B& y) {
  return isa::fraction_to_nearest(y, typename B::arch_type{});
}

/// q·2ⁿ on a float batch, n integral and q·2ⁿ a normal number (exact): one vscalefps on AVX-512, elsewhere
/// n added to q's exponent field as an integer.
template <class B>
inline B scale_by_power_of_two(const B& q, const B& n) {
  static_assert(std::is_same_v<typename B::value_type, float>, "scale_by_power_of_two: float batches (23-bit mantissa)");
  return isa::scale_by_power_of_two(q, n, typename B::arch_type{});
}

}  // namespace ember::simd::detail
