#pragma once
/// @file
/// @brief Cheap training monitors for RBMs: pseudo-log-likelihood and reconstruction error.
///
/// Pseudo-log-likelihood (Besag 1975), Bernoulli visible units: PL(v) = Σₖ log p(vₖ | v₋ₖ)
/// = −Σₖ softplus(F(v) − F(v ⊕ eₖ)), where v ⊕ eₖ flips unit k. Flipping unit k moves the hidden inputs by
/// (1 − 2vₖ) W(k, :), so all d flips cost about one GEMM's worth of work — no sampling, exact.
/// Reconstruction error: (1/N) Σᵢ ‖vᵢ − E[v | h = p(h | vᵢ)]‖², the mean-field up–down pass.
///
/// @code
/// ember::Vector<float> pl(v.rows());
/// ember::pseudo_log_likelihood(rbm, v, pl);   const double err = ember::reconstruction_error(rbm, v);
/// @endcode

#include <Eigen/Core>

#include <cstddef>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/simd/activations.hpp"

namespace ember {

/// @brief out(i) = Σₖ log p(vᵢₖ | vᵢ,₋ₖ) for a Bernoulli–Bernoulli RBM (the exact pseudo-log-likelihood).
/// @pre v is non-empty, n_visible columns of 0/1 values; out has v.rows() entries.
template <class E>
void pseudo_log_likelihood(const E& rbm, BatchView<typename E::scalar_type> v, VectorRef<typename E::scalar_type> out) {
  static_assert(RbmEnergy<E>, "ember::pseudo_log_likelihood: the energy must be an RBM (ember::Rbm or a type "
                              "modelling ember::RbmEnergy).");
  static_assert(E::visible_units == VisibleUnits::bernoulli,
                "ember::pseudo_log_likelihood: the pseudo-likelihood is defined here for Bernoulli visible units only.");
  using T = typename E::scalar_type;
  constexpr const char* fn = "ember::pseudo_log_likelihood";
  detail::require_batch(v, rbm.n_visible(), fn, "v");
  detail::require_all_finite(rbm.params(), fn, "rbm.params()");  // else NaN pseudo-likelihoods, silently
  detail::require_shape(out, v.rows(), 1, fn, "out");
  const Index n = v.rows();
  const Index h = rbm.n_hidden();
  Batch<T> input(n, h), flipped(n, h);
  rbm.hidden_input(v, input);
  Batch<T> base = input;
  detail::softplus_inplace(base.data(), static_cast<std::size_t>(base.size()));
  const Vector<T> base_sum = base.rowwise().sum();
  const auto w = rbm.weights();
  const auto b = rbm.visible_bias();
  out.setZero();
  for (Index k = 0; k < rbm.n_visible(); ++k) {
    const Vector<T> sign = (T(1) - T(2) * v.col(k).array()).matrix();  // +1 turns 0 into 1, −1 turns 1 into 0
    flipped = input + sign * w.row(k);
    detail::softplus_inplace(flipped.data(), static_cast<std::size_t>(flipped.size()));
    // F(v) − F(v ⊕ eₖ) = b_k·sign + Σⱼ softplus(a'ⱼ) − Σⱼ softplus(aⱼ)
    Vector<T> gap = (b(k) * sign + flipped.rowwise().sum() - base_sum);
    for (Index i = 0; i < n; ++i) out(i) -= Softplus::value(gap(i));
  }
}

/// @brief (1/N) Σᵢ ‖vᵢ − E[v | h = p(h | vᵢ)]‖²: the mean-field reconstruction error of the batch v.
/// @pre v is non-empty with n_visible columns of finite values.
template <class E>
double reconstruction_error(const E& rbm, BatchView<typename E::scalar_type> v) {
  static_assert(RbmEnergy<E>, "ember::reconstruction_error: the energy must be an RBM (ember::Rbm or a type "
                              "modelling ember::RbmEnergy).");
  using T = typename E::scalar_type;
  detail::require_batch(v, rbm.n_visible(), "ember::reconstruction_error", "v");
  detail::require_all_finite(rbm.params(), "ember::reconstruction_error", "rbm.params()");
  Batch<T> p(v.rows(), rbm.n_hidden()), mean(v.rows(), rbm.n_visible());
  rbm.hidden_input(v, p);
  detail::sigmoid_inplace(p.data(), static_cast<std::size_t>(p.size()));
  rbm.visible_input(p, mean);
  if constexpr (E::visible_units == VisibleUnits::bernoulli)
    detail::sigmoid_inplace(mean.data(), static_cast<std::size_t>(mean.size()));
  return (mean - v).template cast<double>().squaredNorm() / static_cast<double>(v.rows());
}

}  // namespace ember
