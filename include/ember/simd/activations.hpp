#pragma once
/// @file
/// @brief Smooth activations σ with σ′ and σ″ (MLP energies need σ″ for the mixed gradient), written once
/// against xsimd::batch and once as scalars, and `simd::activate`, which applies one over a contiguous
/// array computing σ, σ′ (and σ″ when asked) in one pass; also the plain in-place logistic and softplus loops of
/// the RBM (`detail::sigmoid_inplace`, `detail::softplus_inplace`).
///
/// Each activation struct offers `value`, `first`, `second` on scalars (the reference definitions the SIMD
/// path is tested against) and `evaluate(x, value, first, second)` on an xsimd::batch. All are stable for
/// any finite input: exponentials are only ever taken of −|x| (never overflow), softplus is
/// max(x, 0) + log1p(e^{−|x|}), the logistic function is formed from e^{−|x|} on the side where it is
/// accurate, and tanh uses expm1 so that it keeps full relative precision near 0.
///
/// @code
/// ember::simd::activate<ember::Silu>(z.data(), d1.data(), nullptr, z.size());  // z ← σ(z), d1 ← σ′(z)
/// float y = ember::Softplus::value(3.0f);
/// @endcode

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ember/simd/detail/fused.hpp"

namespace ember {

namespace detail {
/// 1/d for d ≥ 1 on a float batch: the hardware estimate and one Newton step (≤ 2 ulp; 0 once d > 2¹²⁶,
/// where 1/d is below every quantity it enters); a plain division elsewhere.
template <class V>
V reciprocal_1_2(const V& d) {
  if constexpr (std::is_same_v<V, xsimd::batch<float>>) {
    const V y = xsimd::reciprocal(d);
    return simd::detail::fma(y, simd::detail::fnma(d, y, V(1.0f)), y);
  } else {
    return V(1) / d;
  }
}

/// The logistic function s = 1/(1 + e^{−x}) and its complement 1 − s, both without cancellation, from
/// e = e^{−|x|} ∈ (0, 1]. Works on scalars and on xsimd batches (`select` picks per lane).
template <class V, class Select>
void logistic_pair(const V& x, const V& e, V& s, V& one_minus_s, Select select) {
  const V p = reciprocal_1_2(V(1) + e);  // the logistic of |x|
  const V q = e * p;              // the logistic of −|x|
  s = select(x >= V(0), p, q);
  one_minus_s = select(x >= V(0), q, p);
}
/// e^{−x} on a float batch for x clamped to [−87, 87] (e^{−x} ∈ [e^{−87}, e^{87}], a normal number); 10
/// vector operations on AVX-512 (about 14 elsewhere), 6 of them multiplies or FMAs, no select.
/// e^{−x} = 2ⁿ·2ᶠ with y = −x·log₂e rounded to float, n = round(y) and f = y − n ∈ [−½, ½] exactly
/// (vreduceps), then 2ᶠ·2ⁿ exactly (vscalefps; elsewhere the same values by nearbyint and an integer add to
/// the exponent field). 2ᶠ is a degree-5 near-minimax polynomial (relative error 9·10⁻⁸; coefficients
/// fitted for this kernel by iteratively reweighted least squares). The clamp is one vrangeps on AVX-512DQ.
/// Error: y's own rounding (≤ |y|·2⁻²⁴) and log₂e's rounding to float move the result by ≤ |x|·7.3·10⁻⁸
/// relative, so, against double: 1.6 ulp for |x| ≤ 1, 8.7 for |x| ≤ 20, 33 up to |x| = 87
/// (tests/simd/activations.test.cpp bounds 2, 10, 40). Forming f by an FMA from an exact n is accurate to
/// 3.5 ulp at |x| = 20 but costs one more FMA and two more operations per value; SiLU does not need it: its σ, σ′, σ″ move by e^{−|x|}·|x|·7.3·10⁻⁸ ≤ 2.7·10⁻⁸ at most, a quarter
/// of an ulp of 1 + |value| (the same tests bound 2 and measure 1.04, 0.64, 0.71, as before).
/// `exp_neg_clamped_n<G>` works on G registers at once, step by step; `exp_neg_clamped` is its G = 1 case.
template <int G, class B>
inline void exp_neg_clamped_n(const B* x, B* out) {
  const B minus_log2e(-1.44269504088896341f);
  // Each step runs on all G registers before the next (see Silu::evaluate_interleaved).
  B y[G], f[G], q[G];
  for (int g = 0; g < G; ++g) y[g] = simd::detail::clamp_magnitude(x[g], B(87.0f)) * minus_log2e;
  for (int g = 0; g < G; ++g) f[g] = simd::detail::fraction_to_nearest(y[g]);
  for (int g = 0; g < G; ++g) q[g] = simd::detail::fma(B(1.3264719164e-3f), f[g], B(9.6715129912e-3f));
  for (int g = 0; g < G; ++g) q[g] = simd::detail::fma(q[g], f[g], B(5.5507339537e-2f));
  for (int g = 0; g < G; ++g) q[g] = simd::detail::fma(q[g], f[g], B(2.4022242427e-1f));
  for (int g = 0; g < G; ++g) q[g] = simd::detail::fma(q[g], f[g], B(6.9314700365e-1f));
  for (int g = 0; g < G; ++g) q[g] = simd::detail::fma(q[g], f[g], B(1.0f));
  // y − f is round(y) exactly; |y| ≤ 87·log₂e = 125.5 gives |n| ≤ 126, and n = −126 only with f ≥ 0.485, so
  // q·2ⁿ is normal (the integer exponent add of the portable path needs it; a bound past 87.34 would break it).
  for (int g = 0; g < G; ++g) out[g] = simd::detail::scale_by_power_of_two(q[g], y[g] - f[g]);
}

template <class B>
B exp_neg_clamped(const B& x) {
  B e;
  exp_neg_clamped_n<1>(&x, &e);
  return e;
}

inline constexpr auto scalar_select = [](bool c, auto a, auto b) { return c ? a : b; };
inline constexpr auto batch_select = [](const auto& c, const auto& a, const auto& b) { return xsimd::select(c, a, b); };
}  // namespace detail

/// @brief SiLU (swish): σ(x) = x·s(x) with s the logistic; σ′ = s(1 + x(1 − s)); σ″ = s(1 − s)(2 + x(1 − 2s)).
struct Silu {
  template <class T>
  static T value(T x) {
    T s, c;
    detail::logistic_pair(x, std::exp(-std::abs(x)), s, c, detail::scalar_select);
    return x * s;
  }
  template <class T>
  static T first(T x) {
    T s, c;
    detail::logistic_pair(x, std::exp(-std::abs(x)), s, c, detail::scalar_select);
    return s * (T(1) + x * c);
  }
  template <class T>
  static T second(T x) {
    T s, c;
    detail::logistic_pair(x, std::exp(-std::abs(x)), s, c, detail::scalar_select);
    return s * c * (T(2) + x * (c - s));
  }
  template <class B>
  static void evaluate(const B& x, B& value, B& first, B& second) {
    B s, c;
    logistic_n(&x, &s, &c);
    value = x * s;
    first = simd::detail::fma(value, c, s);  // s + (x·s)(1 − s) = s(1 + x(1 − s)), one op fewer
    second = s * c * simd::detail::fma(x, c - s, B(2));
  }
  /// σ and σ′ of G registers, each step of the computation on all G before the next; the same results as
  /// `evaluate`, bit for bit. One SiLU is a long dependency chain: written register after register, the
  /// core's scheduler holds only a few of them and the FMA pipes idle (docs/performance.md, "Kernel notes").
  template <int G, class B>
  static void evaluate_interleaved(const B* x, B* value, B* first) {
    B s[G], c[G];
    logistic_n<G>(x, s, c);
    for (int g = 0; g < G; ++g) {
      value[g] = x[g] * s[g];
      first[g] = simd::detail::fma(value[g], c[g], s[g]);
    }
  }

 private:
  /// s = logistic(x) and c = 1 − s of G registers.
  template <int G = 1, class B>
  static void logistic_n(const B* x, B* s, B* c) {
    if constexpr (std::is_same_v<typename B::value_type, float>) {
      // Select-free on float (the MLP hot path): e = e^{−x} with x clamped to [−87, 87], s = 1/(1 + e),
      // 1 − s = e·s; no cancellation on either side of 0 (relative precision that of e).
      B e[G];
      detail::exp_neg_clamped_n<G>(x, e);
      for (int g = 0; g < G; ++g) s[g] = detail::reciprocal_1_2(B(1.0f) + e[g]);
      for (int g = 0; g < G; ++g) c[g] = e[g] * s[g];
    } else {
      for (int g = 0; g < G; ++g)
        detail::logistic_pair(x[g], xsimd::exp(-xsimd::abs(x[g])), s[g], c[g], detail::batch_select);
    }
  }
};

/// @brief Softplus: σ(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}); σ′ = s(x); σ″ = s(1 − s).
struct Softplus {
  template <class T>
  static T value(T x) {
    return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
  }
  template <class T>
  static T first(T x) {
    T s, c;
    detail::logistic_pair(x, std::exp(-std::abs(x)), s, c, detail::scalar_select);
    return s;
  }
  template <class T>
  static T second(T x) {
    T s, c;
    detail::logistic_pair(x, std::exp(-std::abs(x)), s, c, detail::scalar_select);
    return s * c;
  }
  template <class B>
  static void evaluate(const B& x, B& value, B& first, B& second) {
    const B e = xsimd::exp(-xsimd::abs(x));
    B c;
    detail::logistic_pair(x, e, first, c, detail::batch_select);
    value = xsimd::max(x, B(0)) + xsimd::log1p(e);
    second = first * c;
  }
};

/// @brief tanh: σ′ = sech² x = 4e/(1 + e)² with e = e^{−2|x|}; σ″ = −2 tanh(x) sech²(x).
struct Tanh {
  template <class T>
  static T value(T x) {
    const T e = std::exp(T(-2) * std::abs(x));
    return std::copysign(-std::expm1(T(-2) * std::abs(x)) / (T(1) + e), x);
  }
  template <class T>
  static T first(T x) {
    const T e = std::exp(T(-2) * std::abs(x));
    return T(4) * e / ((T(1) + e) * (T(1) + e));
  }
  template <class T>
  static T second(T x) {
    return T(-2) * value(x) * first(x);
  }
  template <class B>
  static void evaluate(const B& x, B& value, B& first, B& second) {
    const B minus_two_abs = B(-2) * xsimd::abs(x);
    const B e = xsimd::exp(minus_two_abs);
    const B inv = B(1) / (B(1) + e);
    const B magnitude = -xsimd::expm1(minus_two_abs) * inv;
    value = xsimd::select(x >= B(0), magnitude, -magnitude);
    first = B(4) * e * inv * inv;
    second = B(-2) * value * first;
  }
};

/// @brief A smooth leaky ReLU: σ(x) = α x + (1 − α) softplus(x) with α = `slope` = 0.2, so σ′ ∈ (α, 1)
/// (never a dead unit) and σ(x) → x for x → +∞, α x for x → −∞. Note σ(0) = (1 − α) log 2, not 0.
struct SmoothLeaky {
  static constexpr double slope = 0.2;
  template <class T>
  static T value(T x) {
    return static_cast<T>(slope) * x + static_cast<T>(1 - slope) * Softplus::value(x);
  }
  template <class T>
  static T first(T x) {
    return static_cast<T>(slope) + static_cast<T>(1 - slope) * Softplus::first(x);
  }
  template <class T>
  static T second(T x) {
    return static_cast<T>(1 - slope) * Softplus::second(x);
  }
  template <class B>
  static void evaluate(const B& x, B& value, B& first, B& second) {
    using T = typename B::value_type;
    Softplus::evaluate(x, value, first, second);
    value = B(static_cast<T>(slope)) * x + B(static_cast<T>(1 - slope)) * value;
    first = B(static_cast<T>(slope)) + B(static_cast<T>(1 - slope)) * first;
    second = B(static_cast<T>(1 - slope)) * second;
  }
};

namespace detail {

/// Numerically stable scalar σ(x) = 1 / (1 + e^{−x}): e^{−x} → ∞ gives exactly 0, never NaN.
template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// The RBM's loops below are not simd::activate<Softplus>: their tails are scalar (activate pads a register) and σ is
// a plain division (Softplus's logistic uses a reciprocal estimate), so RBM results would change in the last bits.

/// In place σ over `count` contiguous entries: xsimd over whole registers, the scalar definition on the tail.
template <class T>
void sigmoid_inplace(T* data, std::size_t count) {
  using batch = xsimd::batch<T>;
  const batch one(T(1));
  std::size_t i = 0;
  for (; i + batch::size <= count; i += batch::size)
    (one / (one + xsimd::exp(-batch::load_unaligned(data + i)))).store_unaligned(data + i);
  for (; i < count; ++i) data[i] = sigmoid(data[i]);
}

/// In place softplus over `count` contiguous entries (xsimd body, Softplus::value on the tail).
template <class T>
void softplus_inplace(T* data, std::size_t count) {
  using batch = xsimd::batch<T>;
  const batch zero(T(0));
  std::size_t i = 0;
  for (; i + batch::size <= count; i += batch::size) {
    const batch x = batch::load_unaligned(data + i);
    (xsimd::max(x, zero) + xsimd::log1p(xsimd::exp(-xsimd::abs(x)))).store_unaligned(data + i);
  }
  for (; i < count; ++i) data[i] = Softplus::value(data[i]);
}

}  // namespace detail

namespace simd {

namespace detail {
template <class Activation, bool First, bool Second, class T>
void activate_lanes(T* values, T* first, T* second, std::size_t count) {
  using batch = xsimd::batch<T>;
  constexpr std::size_t lanes = batch::size;
  const std::size_t body = count - count % lanes;
  batch v, d1, d2;
  for (std::size_t i = 0; i < body; i += lanes) {
    Activation::evaluate(batch::load_unaligned(values + i), v, d1, d2);
    v.store_unaligned(values + i);
    if constexpr (First) d1.store_unaligned(first + i);
    if constexpr (Second) d2.store_unaligned(second + i);
  }
  if (body == count) return;
  // The tail goes through the same vector code on a zero-padded register, so an entry's result never
  // depends on where it sits in the array.
  alignas(64) std::array<T, lanes> in{}, out_v{}, out_1{}, out_2{};
  const std::size_t rest = count - body;
  std::copy_n(values + body, rest, in.data());
  Activation::evaluate(batch::load_aligned(in.data()), v, d1, d2);
  v.store_aligned(out_v.data());
  d1.store_aligned(out_1.data());
  d2.store_aligned(out_2.data());
  std::copy_n(out_v.data(), rest, values + body);
  if constexpr (First) std::copy_n(out_1.data(), rest, first + body);
  if constexpr (Second) std::copy_n(out_2.data(), rest, second + body);
}
}  // namespace detail

/// @brief In place over `count` contiguous entries: values[i] ← σ(values[i]); where `first` (resp.
/// `second`) is not null, first[i] ← σ′ and second[i] ← σ″ of the original values[i]. One pass.
/// @pre the three arrays do not overlap; `first`/`second` hold `count` entries when not null.
template <class Activation, class T>
void activate(T* values, T* first, T* second, std::size_t count) {
  if (first != nullptr && second != nullptr) {
    detail::activate_lanes<Activation, true, true>(values, first, second, count);
  } else if (first != nullptr) {
    detail::activate_lanes<Activation, true, false>(values, first, second, count);
  } else if (second != nullptr) {
    detail::activate_lanes<Activation, false, true>(values, first, second, count);
  } else {
    detail::activate_lanes<Activation, false, false>(values, first, second, count);
  }
}

}  // namespace simd
}  // namespace ember
