#pragma once
/// @file
/// @brief The three tiers of errors (STYLE habit 7) and the checks every public entry point uses.
///
/// Wrong types are concept failures (see core/concepts.hpp). Bad arguments throw
/// ember::invalid_argument whose message names the function, the argument and its value. Numerical
/// failure (NaN/Inf energy, a diverged chain) throws ember::numerical_error at the end of the call.
/// Checks run once per call, never inside inner loops.

#include <Eigen/Core>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ember {

/// @brief A bad argument at an API entry point. The message reads `function: argument = value: reason`.
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// @brief A numerical failure (NaN/Inf energy or gradient, a diverged chain) detected after a call.
class numerical_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

template <class Value>
[[nodiscard]] std::string describe(const Value& value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

/// Throws ember::invalid_argument "function: argument = value: reason", the reason being the
/// concatenation of `reason` (strings and numbers, streamed). Kept out of line and cold so that the
/// checks that call it cost a compare and a branch on the success path.
template <class Value, class... Reason>
[[noreturn, gnu::cold, gnu::noinline]] void fail(std::string_view function, std::string_view argument,
                                                 const Value& value, const Reason&... reason) {
  std::ostringstream message;
  message.precision(17);
  message << function << ": " << argument << " = " << value << ": ";
  (message << ... << reason);
  throw ember::invalid_argument(message.str());
}

/// Throws ember::invalid_argument "function: argument = value: reason" unless `condition` holds. The reason
/// may come in several parts (`"must equal ", n, " rows"`): they are formatted only when the check fails,
/// so a passing check allocates nothing.
template <class Value, class... Reason>
void require(bool condition, std::string_view function, std::string_view argument, const Value& value,
             const Reason&... reason) {
  if (condition) [[likely]] return;
  fail(function, argument, value, reason...);
}

/// A scalar that must be finite and strictly positive (step sizes, noise scales, temperatures).
template <class T>
void require_positive(T value, std::string_view function, std::string_view argument) {
  require(std::isfinite(static_cast<double>(value)) && value > T(0), function, argument, value,
          "must be finite and > 0");
}

/// A scalar that must be finite and >= 0 (regularisation weights, clip limits, noise scales); `note` is appended to
/// the reason (" (0 disables clipping)").
template <class T, class... Note>
void require_non_negative(T value, std::string_view function, std::string_view argument, const Note&... note) {
  require(std::isfinite(static_cast<double>(value)) && value >= T(0), function, argument, value,
          "must be finite and >= 0", note...);
}

/// A count that must be >= 1 (steps, sizes, workers); `note` is appended to the reason (" (one level)").
template <class T, class... Note>
void require_at_least_one(T value, std::string_view function, std::string_view argument, const Note&... note) {
  require(value >= T(1), function, argument, value, "must be >= 1", note...);
}

/// A scalar that must be finite.
template <class T>
void require_finite(T value, std::string_view function, std::string_view argument) {
  require(std::isfinite(static_cast<double>(value)), function, argument, value, "must be finite");
}

/// True if every entry of a dense Eigen object is finite. x − x is 0 for a finite x and NaN for ±Inf or NaN, and a
/// sum of zeros stays 0 while a NaN anywhere makes it NaN: one vectorised sum (Eigen's allFinite() is a reduction
/// that GCC does not vectorise, and input checks run on every call).
/// Under -ffast-math the compiler may fold x − x to 0, so there Eigen's own test is used.
template <class Derived>
bool all_finite(const Eigen::DenseBase<Derived>& m) {
#if defined(__FAST_MATH__)
  return m.allFinite();
#else
  const auto& a = m.derived().array();
  return (a - a).sum() == typename Derived::Scalar(0);
#endif
}

/// Every entry of a dense Eigen object must be finite; names the first offending entry.
template <class Derived>
void require_all_finite(const Eigen::DenseBase<Derived>& m, std::string_view function,
                        std::string_view argument) {
  if (all_finite(m)) return;
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      if (!std::isfinite(static_cast<double>(m(i, j)))) {
        std::string where = std::string(argument) + "(" + std::to_string(i) + ", " + std::to_string(j) + ")";
        require(false, function, where, m(i, j), "must be finite (NaN/Inf in an input)");
      }
}

/// Throws ember::numerical_error naming the function and the quantity unless every entry is finite.
template <class Derived>
void check_numerics(const Eigen::DenseBase<Derived>& m, std::string_view function, std::string_view quantity) {
  if (all_finite(m)) return;
  const Eigen::Index bad = (!m.derived().array().isFinite()).count();
  std::string message;
  message.append(function).append(": ").append(quantity).append(" is not finite in ");
  message.append(std::to_string(bad)).append(" of ").append(std::to_string(m.size())).append(" entries");
  throw ember::numerical_error(message);
}

}  // namespace detail
}  // namespace ember
