#pragma once
/// @file
/// @brief KL divergence between two Gaussians in closed form (the exact metric for quadratic energies).
///
/// KL(N(μ₀, Σ₀) ‖ N(μ₁, Σ₁)) = ½ [tr(Σ₁⁻¹Σ₀) + (μ₁ − μ₀)ᵀΣ₁⁻¹(μ₁ − μ₀) − d + log det Σ₁ − log det Σ₀].
/// Computed in double with Cholesky factors (no explicit inverse), whatever the scalar type of the inputs.
///
/// @code
/// double kl = ember::gaussian_kl(data.mean(), data.covariance(), model.mean(), model.covariance());
/// double same = ember::gaussian_kl(data, model_energy);   // GaussianData ‖ GaussianEnergy
/// @endcode

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/detail/symmetric_positive_definite.hpp"
#include "ember/core/error.hpp"
#include "ember/data/gaussian_data.hpp"
#include "ember/energy/gaussian.hpp"

namespace ember {

/// @brief KL(N(mean0, cov0) ‖ N(mean1, cov1)) in nats.
/// @pre equal dimensions; both covariances symmetric positive definite; all entries finite.
template <class M0, class C0, class M1, class C1>
double gaussian_kl(const Eigen::MatrixBase<M0>& mean0, const Eigen::MatrixBase<C0>& cov0,
                   const Eigen::MatrixBase<M1>& mean1, const Eigen::MatrixBase<C1>& cov1) {
  constexpr const char* fn = "ember::gaussian_kl";
  const Index d = mean0.size();
  detail::require_at_least_one(d, fn, "mean0.size()");
  detail::require_shape(cov0, d, d, fn, "cov0");
  detail::require_shape(mean1, d, 1, fn, "mean1");
  detail::require_shape(cov1, d, d, fn, "cov1");
  detail::require_all_finite(mean0, fn, "mean0");
  detail::require_all_finite(cov0, fn, "cov0");
  detail::require_all_finite(mean1, fn, "mean1");
  detail::require_all_finite(cov1, fn, "cov1");
  detail::require_symmetric_positive_definite(cov0, fn, "cov0");
  detail::require_symmetric_positive_definite(cov1, fn, "cov1");
  const Eigen::MatrixXd s0 = cov0.template cast<double>();
  const Eigen::MatrixXd s1 = cov1.template cast<double>();
  const Eigen::LLT<Eigen::MatrixXd> l0(s0);
  const Eigen::LLT<Eigen::MatrixXd> l1(s1);
  detail::require(l0.info() == Eigen::Success, fn, "cov0", "(not positive definite)", "must be positive definite");
  detail::require(l1.info() == Eigen::Success, fn, "cov1", "(not positive definite)", "must be positive definite");
  const Eigen::MatrixXd f0 = l0.matrixL();
  const Eigen::MatrixXd f1 = l1.matrixL();
  // tr(Σ₁⁻¹Σ₀) = ‖L₁⁻¹L₀‖²_F ; Mahalanobis term ‖L₁⁻¹(μ₁ − μ₀)‖².
  const Eigen::MatrixXd a = f1.triangularView<Eigen::Lower>().solve(f0);
  const Eigen::VectorXd delta = (mean1.template cast<double>() - mean0.template cast<double>()).eval();
  const Eigen::VectorXd b = f1.triangularView<Eigen::Lower>().solve(delta);
  const double log_det0 = 2 * f0.diagonal().array().log().sum();
  const double log_det1 = 2 * f1.diagonal().array().log().sum();
  return 0.5 * (a.squaredNorm() + b.squaredNorm() - static_cast<double>(d) + log_det1 - log_det0);
}

/// @brief KL(p ‖ q) between the normalised densities of two quadratic energies.
template <Scalar T>
double gaussian_kl(const GaussianEnergy<T>& p, const GaussianEnergy<T>& q) {
  return gaussian_kl(p.mean(), p.covariance(), q.mean(), q.covariance());
}

/// @brief KL(data ‖ model) from Gaussian data to the normalised density of a learned quadratic energy.
template <Scalar T>
double gaussian_kl(const GaussianData<T>& data, const GaussianEnergy<T>& model) {
  return gaussian_kl(data.mean(), data.covariance(), model.mean(), model.covariance());
}

}  // namespace ember
