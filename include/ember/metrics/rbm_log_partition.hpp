#pragma once
/// @file
/// @brief Exact log Z of a small RBM by enumerating its smaller layer, and the exact average log-likelihood.
///
/// With the hidden layer enumerated (h ≤ 20 units):
/// - Bernoulli visible: Z = Σ_h exp(cᵀh) Πₖ (1 + exp(bₖ + (W h)ₖ)), so log Z = LSE_h [cᵀh + Σₖ softplus(bₖ + (W h)ₖ)];
/// - Gaussian visible (unit variance): Z = Σ_h exp(cᵀh) (2π)^{d/2} exp(½‖b + W h‖² − ½‖b‖²).
/// With the visible layer enumerated (Bernoulli visible, d ≤ 20): log Z = LSE_v [−F(v)].
/// Everything runs in double with a streaming log-sum-exp (running maximum), so no term overflows.
///
/// @code
/// const double log_z = ember::exact_log_partition(rbm);
/// const double ll = ember::exact_average_log_likelihood(rbm, data);   // mean −F(v) − log Z
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/simd/activations.hpp"

namespace ember {

/// The largest layer exact_log_partition enumerates (2^20 ≈ 10⁶ states).
inline constexpr Index rbm_max_enumerated_units = 20;

namespace detail {

/// Running log Σ exp(xᵢ): keeps the maximum and the sum of exp(xᵢ − maximum).
struct LogSumExp {
  double maximum = -std::numeric_limits<double>::infinity();
  double sum = 0;
  template <class Derived>
  void add(const Eigen::MatrixBase<Derived>& x) {
    const double m = x.maxCoeff();
    if (m > maximum) {
      sum *= std::exp(maximum - m);
      maximum = m;
    }
    sum += (x.array() - maximum).exp().sum();
  }
  [[nodiscard]] double value() const { return maximum + std::log(sum); }
};

/// Rows `first`, first+1, ... of the 2^m × m table of binary states (row r holds the bits of r).
inline void binary_states(std::uint64_t first, Index m, Eigen::MatrixXd& states) {
  for (Index r = 0; r < states.rows(); ++r)
    for (Index k = 0; k < m; ++k) states(r, k) = static_cast<double>(((first + static_cast<std::uint64_t>(r)) >> k) & 1u);
}

}  // namespace detail

/// @brief log Z of an RBM by exact enumeration of its smaller layer, in double.
/// @pre the enumerated layer has at most rbm_max_enumerated_units units: min(d, h) for Bernoulli visible
/// units, h for Gaussian ones (the visible layer is continuous).
template <class E>
double exact_log_partition(const E& rbm) {
  static_assert(RbmEnergy<E>, "ember::exact_log_partition: the energy must be an RBM (ember::Rbm or a type "
                              "modelling ember::RbmEnergy).");
  constexpr const char* fn = "ember::exact_log_partition";
  detail::require_all_finite(rbm.params(), fn, "rbm.params()");  // else a NaN log Z, silently
  const Index d = rbm.n_visible();
  const Index h = rbm.n_hidden();
  const Eigen::MatrixXd w = rbm.weights().template cast<double>();
  const Eigen::VectorXd b = rbm.visible_bias().template cast<double>();
  const Eigen::VectorXd c = rbm.hidden_bias().template cast<double>();
  constexpr bool gaussian = E::visible_units == VisibleUnits::gaussian;
  const bool over_hidden = gaussian || h <= d;
  const Index m = over_hidden ? h : d;
  detail::require(m <= rbm_max_enumerated_units, fn, over_hidden ? "n_hidden" : "min(n_visible, n_hidden)", m,
                  "exact enumeration needs at most 20 units in the enumerated layer; use ember::ais_log_partition");
  const std::uint64_t total = std::uint64_t{1} << m;
  const Index chunk = static_cast<Index>(std::min<std::uint64_t>(total, 4096));
  Eigen::MatrixXd states(chunk, m);
  Eigen::MatrixXd input;
  Eigen::VectorXd term(chunk);
  detail::LogSumExp lse;
  for (std::uint64_t first = 0; first < total; first += static_cast<std::uint64_t>(chunk)) {
    detail::binary_states(first, m, states);
    if (over_hidden) {
      input.noalias() = states * w.transpose();  // chunk × d: (W h)ᵀ per row
      input.rowwise() += b.transpose();
      if constexpr (gaussian) {
        term = states * c + 0.5 * input.rowwise().squaredNorm() - Eigen::VectorXd::Constant(chunk, 0.5 * b.squaredNorm());
      } else {
        input = input.unaryExpr([](double x) { return Softplus::value(x); });
        term = states * c + input.rowwise().sum();
      }
    } else {
      input.noalias() = states * w;  // chunk × h
      input.rowwise() += c.transpose();
      input = input.unaryExpr([](double x) { return Softplus::value(x); });
      term = states * b + input.rowwise().sum();
    }
    lse.add(term);
  }
  double log_z = lse.value();
  if constexpr (gaussian) log_z += 0.5 * static_cast<double>(d) * std::log(2 * std::numbers::pi);
  detail::check_numerics(Eigen::Matrix<double, 1, 1>::Constant(log_z), fn, "log Z");
  return log_z;
}

/// @brief Exact average log-likelihood (1/N) Σᵢ [−F(vᵢ)] − log Z of the batch `data` (row i is point i).
/// @pre data is non-empty with n_visible columns of finite values; the RBM is small enough for
/// exact_log_partition.
template <class E>
double exact_average_log_likelihood(const E& rbm, BatchView<typename E::scalar_type> data) {
  static_assert(RbmEnergy<E>, "ember::exact_average_log_likelihood: the energy must be an RBM (ember::Rbm or a "
                              "type modelling ember::RbmEnergy).");
  using T = typename E::scalar_type;
  detail::require_batch(data, rbm.n_visible(), "ember::exact_average_log_likelihood", "data");
  Vector<T> f(data.rows());
  rbm.energy(data, f);
  return -f.template cast<double>().mean() - exact_log_partition(rbm);
}

}  // namespace ember
