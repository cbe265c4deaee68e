#pragma once
/// @file
/// @brief The check every covariance or precision argument gets: symmetric (to a relative tolerance) and
/// positive definite, the message naming the first offending entry.
///
/// Eigen's LLT reads only the lower triangle, so on its own it accepts an asymmetric matrix such as
/// [[2, 1], [0, 2]] as the symmetric [[2, 0], [0, 2]]: the upper triangle is silently ignored. Hence the
/// explicit symmetry test before the factorisation.
///
/// @code
/// ember::detail::require_symmetric_positive_definite(covariance, fn, "covariance");
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "ember/core/error.hpp"

namespace ember::detail {

/// m(i, j) and m(j, i) may differ by at most this many ε of m's scalar type, times m's largest magnitude
/// (rounding in a computed covariance or inverse stays far below it; a typo does not).
inline constexpr double symmetry_tolerance_in_epsilons = 1000;

/// Throws ember::invalid_argument unless the square, finite matrix m is symmetric and positive definite:
/// "function: argument(0, 1) = 1: must equal argument(1, 0) = 0 (the matrix must be symmetric)" or
/// "function: argument(1, 1) = -1: the matrix is not positive definite (the Cholesky pivot of row 1 is
/// -1, not > 0)". @pre m is square with finite entries.
template <class Derived>
void require_symmetric_positive_definite(const Eigen::MatrixBase<Derived>& m, std::string_view function,
                                         std::string_view argument) {
  using T = typename Derived::Scalar;
  const Eigen::Index d = m.rows();
  const auto name = [&](Eigen::Index i, Eigen::Index j) {
    return std::string(argument) + "(" + std::to_string(i) + ", " + std::to_string(j) + ")";
  };
  const double scale = d > 0 ? static_cast<double>(m.cwiseAbs().maxCoeff()) : 0.0;
  const double tolerance =
      symmetry_tolerance_in_epsilons * static_cast<double>(std::numeric_limits<T>::epsilon()) * scale;
  for (Eigen::Index j = 0; j < d; ++j)
    for (Eigen::Index i = j + 1; i < d; ++i)
      if (!(std::abs(static_cast<double>(m(i, j)) - static_cast<double>(m(j, i))) <= tolerance))
        fail(function, name(j, i), m(j, i), "must equal ", name(i, j), " = ", m(i, j),
             " (the matrix must be symmetric, to ", symmetry_tolerance_in_epsilons,
             " epsilon of its largest magnitude)");
  // Cholesky in double, row by row, to name the first pivot that is not positive.
  Eigen::MatrixXd l = Eigen::MatrixXd::Zero(d, d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const double pivot = static_cast<double>(m(j, j)) - l.row(j).head(j).squaredNorm();
    if (!(pivot > 0))
      fail(function, name(j, j), m(j, j), "the matrix is not positive definite (the Cholesky pivot of row ", j,
           " is ", pivot, ", not > 0)");
    l(j, j) = std::sqrt(pivot);
    for (Eigen::Index i = j + 1; i < d; ++i)
      l(i, j) = (static_cast<double>(m(i, j)) - l.row(i).head(j).dot(l.row(j).head(j))) / l(j, j);
  }
}

}  // namespace ember::detail
