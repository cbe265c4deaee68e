#pragma once
/// @file
/// @brief Gradient-norm clipping of a flat parameter gradient.
///
/// @code
/// const double norm = ember::clip_gradient_norm(result.gradient, 10.0);  // rescales if ‖g‖ > 10
/// optimizer.step(energy.params(), result.gradient);
/// @endcode

#include <cmath>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief Rescales `gradient` in place so that its Euclidean norm is at most `max_norm`.
/// @param gradient the flat parameter gradient (modified in place when its norm exceeds max_norm)
/// @param max_norm the largest allowed norm, > 0
/// @return the norm before clipping (NaN/Inf gradients are left as they are and their norm returned, so
///         the caller's NaN check still fires)
template <Scalar T>
T clip_gradient_norm(VectorRef<T> gradient, T max_norm) {
  detail::require_positive(max_norm, "ember::clip_gradient_norm", "max_norm");
  const T norm = gradient.norm();
  if (std::isfinite(norm) && norm > max_norm) gradient *= max_norm / norm;
  return norm;
}

/// @brief Overload for an owning vector (deduces T).
template <Scalar T>
T clip_gradient_norm(Vector<T>& gradient, T max_norm) {
  return clip_gradient_norm<T>(VectorRef<T>(gradient), max_norm);
}

}  // namespace ember
