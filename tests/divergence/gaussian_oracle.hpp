#pragma once
// Closed-form Gaussian oracles for the estimator tests (DESIGN.md section 2): with Gaussian data N(m, C) and
// the quadratic GaussianEnergy every objective is closed form; its θ-gradient is taken by central finite
// differences in double, which is an exact oracle to ~1e-7 (tests/support/finite_difference.hpp).

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/LU>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "support/finite_difference.hpp"
#include "support/statistics.hpp"
#include "support/random_batch.hpp"

namespace ember::test {

using Matrix = Eigen::MatrixXd;

inline Matrix random_spd(Index d, unsigned seed, double shift = 0.5) {
  ember::test::Uniform uniform(seed);
  const Matrix a = uniform.next<Matrix>(d, d);
  return a * a.transpose() / static_cast<double>(d) + shift * Matrix::Identity(d, d);
}

// A GaussianEnergy with the given flat parameters.
inline GaussianEnergy<double> energy_with(const GaussianEnergy<double>& like, const Vector<double>& params) {
  GaussianEnergy<double> e = like;
  e.params() = params;
  return e;
}

// KL(N(m0, C0) ‖ N(m1, C1)).
inline double kl(const Vector<double>& m0, const Matrix& c0, const Vector<double>& m1, const Matrix& c1) {
  const Eigen::LLT<Matrix> l1(c1), l0(c0);
  const double d = static_cast<double>(m0.size());
  const Vector<double> dm = m1 - m0;
  const double logdet1 = 2 * l1.matrixL().toDenseMatrix().diagonal().array().log().sum();
  const double logdet0 = 2 * l0.matrixL().toDenseMatrix().diagonal().array().log().sum();
  return 0.5 * (l1.solve(c0).trace() + dm.dot(l1.solve(dm)) - d + logdet1 - logdet0);
}

// E_{N(m, S)}[E_θ(x)] = ½ tr(P (S + (m − μ)(m − μ)ᵀ)).
inline double expected_energy(const GaussianEnergy<double>& e, const Vector<double>& m, const Matrix& s) {
  const Vector<double> r = m - e.mean();
  return 0.5 * (e.precision() * (s + r * r.transpose())).trace();
}

// Central finite-difference gradient in θ of f(energy with θ).
template <class F>
Vector<double> fd_gradient(const GaussianEnergy<double>& at, F&& f) {
  const Index p = at.params().size();
  Vector<double> g(p);
  for (Index k = 0; k < p; ++k) {
    Vector<double> plus = at.params(), minus = at.params();
    const double h = fd_step(at.params()(k));
    plus(k) += h;
    minus(k) -= h;
    g(k) = (f(energy_with(at, plus)) - f(energy_with(at, minus))) / (plus(k) - minus(k));
  }
  return g;
}

// n draws of N(m, C), one row each.
template <class T = double>
Batch<T> sample_gaussian(const Vector<double>& m, const Matrix& c, Index n, Philox& rng) {
  Batch<double> z(n, m.size());
  rng.normal(z);
  const Matrix l = Eigen::LLT<Matrix>(c).matrixL();
  Batch<double> x = z * l.transpose();
  x.rowwise() += m.transpose();
  return x.cast<T>();
}

// Mean and Monte-Carlo standard error (per component) of per-batch vectors.
struct MeanAndError {
  Vector<double> mean;
  Vector<double> error;
};
inline MeanAndError mean_and_error(const std::vector<Vector<double>>& samples) {
  const auto b = static_cast<double>(samples.size());
  Vector<double> mean = Vector<double>::Zero(samples.front().size());
  for (const auto& s : samples) mean += s;
  mean /= b;
  Vector<double> var = Vector<double>::Zero(mean.size());
  for (const auto& s : samples) var += (s - mean).cwiseAbs2();
  var /= (b - 1);
  return {mean, (var / b).cwiseSqrt()};
}

// Every component of the Monte-Carlo mean within z_bound standard errors of the exact value.
inline void check_within_error(const MeanAndError& estimate, const Vector<double>& exact) {
  for (Index k = 0; k < exact.size(); ++k) {
    INFO("component " << k << ": estimate " << estimate.mean(k) << " +- " << estimate.error(k) << ", exact "
                      << exact(k));
    CHECK(std::abs(estimate.mean(k) - exact(k)) <= z_bound * estimate.error(k));
  }
}

// The estimator's loss and gradient, averaged over 300 batches of 256 points of N(m, C) with `model` (the energy the
// estimator sees: `gaussian` itself or a wrapper with the same parameters), against `closed_form` (the expected loss
// as a function of the Gaussian model) and its finite-difference gradient at `gaussian`; returns the mean loss.
template <class Estimator, class Model, class ClosedForm>
double check_estimates_against_closed_form(Estimator& estimator, const Model& model,
                                           const GaussianEnergy<double>& gaussian, const Vector<double>& m,
                                           const Matrix& c, std::uint64_t seed, const ClosedForm& closed_form) {
  Philox rng(seed);
  std::vector<Vector<double>> gradients, losses;
  for (int b = 0; b < 300; ++b) {
    const auto result = estimator.estimate(model, sample_gaussian(m, c, 256, rng), rng);
    gradients.push_back(result.gradient);
    losses.push_back(Vector<double>::Constant(1, result.loss));
  }
  const auto loss = mean_and_error(losses);
  check_within_error(loss, Vector<double>::Constant(1, closed_form(gaussian)));
  check_within_error(mean_and_error(gradients), fd_gradient(gaussian, closed_form));
  return loss.mean(0);
}

}  // namespace ember::test
