#pragma once
/// @file
/// @brief ember::GaussianPosterior: an exact sampler (an ember::Kernel) for a GaussianEnergy and its tethers.
///
/// For E(x) = ½(x − μ)ᵀP(x − μ) tethered to y with coefficients a, s (energy/tether.hpp), the posterior
/// p(x | y) ∝ exp(−E(x) − ‖y − a x‖²/(2s²)) is Gaussian with precision Q = P + (a²/s²) I and mean
/// Q⁻¹(Pμ + (a/s²) y). With P = VΛVᵀ (one eigendecomposition per step, shared by every point, whatever its
/// own a and s) each point is drawn exactly: x = V[(Vᵀb)/(Λ + c) + z/√(Λ + c)], c = a²/s², z ~ N(0, I). The
/// current state is ignored (an independence kernel whose target is exactly the posterior), which makes this
/// the exact oracle of the diffusion estimators in tests. Given the plain GaussianEnergy it draws N(μ, P⁻¹).
///
/// @code
/// ember::GaussianPosterior<double> exact;
/// exact.step(ember::Tether(energy, y, a, s), x, rng);   // x ← an exact posterior draw per row
/// @endcode

#include <Eigen/Eigenvalues>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/energy/tether.hpp"

namespace ember {

/// @brief Exact sampler of a GaussianEnergy's distribution or of its tethered posterior. One draw per step.
template <Scalar T>
class GaussianPosterior {
 public:
  using scalar_type = T;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// @brief Replaces every row of x by an independent exact draw from the tethered posterior.
  /// @pre x has as many rows as the tether.
  template <class G>
  void step(const Tether<GaussianEnergy<T>>& posterior, BatchRef<T> x, G& rng) {
    constexpr const char* fn = "ember::GaussianPosterior::step";
    detail::require_shape(x, posterior.size(), posterior.dim(), fn, "x");
    const Vector<T> c = posterior.a().array().square() / posterior.s().array().square();
    b_ = posterior.target().array().colwise() * (posterior.a().array() / posterior.s().array().square());
    draw(posterior.base(), c, x, rng);
  }

  /// @brief Replaces every row of x by an independent draw from N(μ, P⁻¹).
  template <class G>
  void step(const GaussianEnergy<T>& energy, BatchRef<T> x, G& rng) {
    detail::require_shape(x, x.rows(), energy.dim(), "ember::GaussianPosterior::step", "x");
    b_ = Batch<T>::Zero(x.rows(), energy.dim());
    draw(energy, Vector<T>::Zero(x.rows()), x, rng);
  }

  /// `steps` draws (all but the last are wasted: the kernel is exact in one step); kept for the Kernel API.
  template <class E, class G>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps) {
    detail::require(steps >= 0, "ember::GaussianPosterior::run", "steps", steps, "must be >= 0");
    for (Index k = 0; k < steps; ++k) step(energy, x, rng);
  }

 private:
  template <class G>
  void draw(const GaussianEnergy<T>& energy, const Vector<T>& c, BatchRef<T> x, G& rng) {
    const Matrix p = energy.precision();
    const Eigen::SelfAdjointEigenSolver<Matrix> eigen(p);
    const Matrix& v = eigen.eigenvectors();
    const Vector<T>& lambda = eigen.eigenvalues();
    const Vector<T> p_mu = p * energy.mean();
    b_.rowwise() += p_mu.transpose();
    Batch<T> rotated = b_ * v;  // (Vᵀ bᵢ)ᵀ per row
    noise_.resize(x.rows(), x.cols());
    rng.draw().template normal<T>(noise_, 0);
    for (Index j = 0; j < x.cols(); ++j) {
      const auto q = (c.array() + lambda(j));
      rotated.col(j).array() = rotated.col(j).array() / q + noise_.col(j).array() / q.sqrt();
    }
    x.noalias() = rotated * v.transpose();
  }

  Batch<T> b_;
  Batch<T> noise_;
};

}  // namespace ember
