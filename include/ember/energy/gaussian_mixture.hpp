#pragma once
/// @file
/// @brief ember::GaussianMixtureEnergy: E(x) = −log Σₖ πₖ N(x; μₖ, σₖ² I), the exact negative
/// log-density of an isotropic Gaussian mixture (log Z = 0), with exact sampling. The 2D toy targets.
///
/// With ℓₖ(x) = log πₖ − (d/2) log(2πσₖ²) − ‖x − μₖ‖²/(2σₖ²), E = −logsumexp_k ℓₖ (stabilised by the
/// row maximum, so far-away points neither underflow nor lose precision), and
/// ∇ₓE = Σₖ rₖ (x − μₖ)/σₖ² with responsibilities rₖ = softmax_k ℓₖ.
///
/// @code
/// auto target = ember::GaussianMixtureEnergy<float>::eight_gaussians();
/// ember::Batch<float> data(1024, 2);   target.sample(data, rng);
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief An isotropic Gaussian mixture as an energy (not parametric): exact log-density and sampling.
template <Scalar T>
class GaussianMixtureEnergy {
 public:
  using scalar_type = T;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// @brief Mixture of K components in d dimensions.
  /// @param weights  K positive finite weights πₖ (normalised here to sum to 1)
  /// @param means    K × d matrix, row k = μₖ
  /// @param std_devs K positive finite standard deviations σₖ (component k has covariance σₖ² I)
  GaussianMixtureEnergy(const Vector<T>& weights, const Matrix& means, const Vector<T>& std_devs) {
    constexpr const char* fn = "ember::GaussianMixtureEnergy::GaussianMixtureEnergy";
    const Index k = weights.size();
    detail::require_at_least_one(k, fn, "weights.size()", " (one weight per component)");
    detail::require(means.cols() >= 1, fn, "means", detail::shape_of(means.rows(), means.cols()),
                    "must have d >= 1 columns (row k = the mean of component k)");
    detail::require_shape(means, k, means.cols(), fn, "means");
    detail::require_shape(std_devs, k, 1, fn, "std_devs");
    for (Index c = 0; c < k; ++c) {
      detail::require_positive(weights(c), fn, "weights(" + std::to_string(c) + ")");
      detail::require_positive(std_devs(c), fn, "std_devs(" + std::to_string(c) + ")");
    }
    detail::require_all_finite(means, fn, "means");
    weights_ = weights / weights.sum();
    means_ = means;
    std_devs_ = std_devs;
    inverse_variances_ = std_devs_.array().square().inverse();
    const T d = static_cast<T>(means.cols());
    log_normalisers_ = weights_.array().log() -
                       T(0.5) * d * (T(2) * std::numbers::pi_v<T> * std_devs_.array().square()).log();
    cumulative_.resize(k);
    double total = 0;
    for (Index c = 0; c < k; ++c) cumulative_[static_cast<std::size_t>(c)] = total += static_cast<double>(weights_(c));
  }

  /// 8 components, equal weights, σ = 0.2, means 2(cos 2πk/8, sin 2πk/8) for k = 0..7.
  static GaussianMixtureEnergy eight_gaussians() {
    Matrix means(8, 2);
    for (Index k = 0; k < 8; ++k) {
      const double angle = 2 * std::numbers::pi * static_cast<double>(k) / 8;
      means(k, 0) = static_cast<T>(2 * std::cos(angle));
      means(k, 1) = static_cast<T>(2 * std::sin(angle));
    }
    return GaussianMixtureEnergy(Vector<T>::Ones(8), means, Vector<T>::Constant(8, T(0.2)));
  }

  /// 25 components, equal weights, σ = 0.1, means on the grid {−2, −1, 0, 1, 2}², component 5i + j at (i − 2, j − 2).
  static GaussianMixtureEnergy twenty_five_gaussians() {
    Matrix means(25, 2);
    for (Index i = 0; i < 5; ++i)
      for (Index j = 0; j < 5; ++j) {
        means(5 * i + j, 0) = static_cast<T>(i - 2);
        means(5 * i + j, 1) = static_cast<T>(j - 2);
      }
    return GaussianMixtureEnergy(Vector<T>::Ones(25), means, Vector<T>::Constant(25, T(0.1)));
  }

  [[nodiscard]] Index dim() const { return means_.cols(); }
  [[nodiscard]] Index num_components() const { return means_.rows(); }
  /// The normalised weights πₖ.
  [[nodiscard]] const Vector<T>& weights() const { return weights_; }
  [[nodiscard]] const Matrix& means() const { return means_; }
  [[nodiscard]] const Vector<T>& std_devs() const { return std_devs_; }
  /// E is the exact negative log-density: log ∫ exp(−E) = 0.
  [[nodiscard]] T log_partition() const { return T(0); }
  /// The mixture's mean Σₖ πₖ μₖ.
  [[nodiscard]] Vector<T> mean() const { return means_.transpose() * weights_; }
  /// The mixture's covariance Σₖ πₖ (σₖ² I + μₖ μₖᵀ) − mean meanᵀ.
  [[nodiscard]] Matrix covariance() const {
    const Vector<T> m = mean();
    Matrix c = means_.transpose() * weights_.asDiagonal() * means_ - m * m.transpose();
    c.diagonal().array() += weights_.dot(std_devs_.cwiseAbs2());
    return c;
  }

  /// @brief e(i) = −log p(xᵢ). @pre x is N × d (N ≥ 1, finite), e has length N.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    check(x, e.size(), "ember::GaussianMixtureEnergy::energy");
    Batch<T> l(x.rows(), num_components());
    component_log_densities(x, l);
    const Vector<T> m = l.rowwise().maxCoeff();
    l.colwise() -= m;
    e = -(m.array() + l.array().exp().rowwise().sum().log());
  }

  /// @brief Also g(i, :) = Σₖ rₖ(xᵢ)(xᵢ − μₖ)/σₖ². @pre g is N × d.
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    constexpr const char* fn = "ember::GaussianMixtureEnergy::energy_and_gradient";
    check(x, e.size(), fn);
    detail::require_shape(g, x.rows(), dim(), fn, "g");
    Batch<T> l(x.rows(), num_components());
    component_log_densities(x, l);
    const Vector<T> m = l.rowwise().maxCoeff();
    l.colwise() -= m;
    l.array() = l.array().exp();
    const Vector<T> total = l.rowwise().sum();
    e = -(m.array() + total.array().log());
    // l ← rₖ/σₖ² (responsibility over variance); g = x ⊙ Σₖ(rₖ/σₖ²) − (r/σ²) M.
    l.array().colwise() /= total.array();
    l.array().rowwise() *= inverse_variances_.transpose().array();
    g.noalias() = -l * means_;
    g.array() += x.array().colwise() * l.rowwise().sum().array();
  }

  /// @brief out(i) = log p(xᵢ) = −E(xᵢ). @pre out has length N.
  void log_density(BatchView<T> x, VectorRef<T> out) const {
    energy(x, out);
    out = -out;
  }

  /// @brief Exact samples, one per row of `out`: row i picks component k with probability πₖ, then
  /// μₖ + σₖ ξ. Takes two draws of the generator (the component choice, then the normals), so row i
  /// depends only on (seed, draw, i), never on N.
  /// @pre out has d columns and at least one row.
  template <class G>
  void sample(BatchRef<T> out, G& rng) const {
    static_assert(Generator<G>, "ember::GaussianMixtureEnergy::sample: the generator must model ember::Generator "
                                "(for example ember::Philox).");
    constexpr const char* fn = "ember::GaussianMixtureEnergy::sample";
    detail::require(out.rows() >= 1, fn, "out", detail::shape_of(out.rows(), out.cols()), "the batch is empty");
    detail::require_shape(out, out.rows(), dim(), fn, "out");
    const Index n = out.rows();
    Batch<double> u(n, 1);
    rng.draw().template uniform<double>(u, 0);
    rng.draw().template normal<T>(out, 0);
    for (Index i = 0; i < n; ++i) {
      const auto at = std::upper_bound(cumulative_.begin(), cumulative_.end() - 1, u(i, 0));
      const Index k = static_cast<Index>(at - cumulative_.begin());
      out.row(i) = means_.row(k) + std_devs_(k) * out.row(i);
    }
  }

 private:
  // l(i, k) = ℓₖ(xᵢ) = log πₖ − (d/2) log(2πσₖ²) − ‖xᵢ − μₖ‖²/(2σₖ²).
  void component_log_densities(BatchView<T> x, Batch<T>& l) const {
    for (Index k = 0; k < num_components(); ++k)
      l.col(k).array() = log_normalisers_(k) -
                 (T(0.5) * inverse_variances_(k)) * (x.rowwise() - means_.row(k)).rowwise().squaredNorm().array();
  }
  void check(BatchView<T> x, Index n, const char* fn) const {
    detail::require_batch(x, dim(), fn, "x");
    detail::require(n == x.rows(), fn, "the per-point vector's size", n,
                    "must equal the number of points ", x.rows());
  }

  Vector<T> weights_;
  Matrix means_;
  Vector<T> std_devs_;
  Vector<T> inverse_variances_;
  Vector<T> log_normalisers_;
  std::vector<double> cumulative_;  // Σ_{j ≤ k} πⱼ, in double for the component choice
};

}  // namespace ember
