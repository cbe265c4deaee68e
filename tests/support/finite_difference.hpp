#pragma once
// Central finite differences in double for every gradient an energy offers (STYLE habit 8).
//
// Step h = cbrt(ε)·max(1, |θ|) balances truncation O(h²) and round-off O(ε/h); the tolerance below is
// a multiple of that balance point, ~1e-7 relative, far tighter than any real gradient bug.

#include <Eigen/Core>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "ember/core/batch.hpp"
#include "support/random_batch.hpp"

namespace ember::test {

inline double fd_step(double at) { return std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, std::abs(at)); }

// Largest |a − b| relative to 1 + max|b|, so that tiny entries are compared absolutely.
template <class A, class B>
double relative_error(const A& analytic, const B& numeric) {
  return (analytic - numeric).cwiseAbs().maxCoeff() / (1.0 + numeric.cwiseAbs().maxCoeff());
}

inline constexpr double fd_tolerance = 2e-6;

// ∇ₓE against central differences of energy().
template <class E>
void check_x_gradient(const E& energy, const Batch<double>& x) {
  const Index n = x.rows(), d = x.cols();
  Vector<double> e(n), e_plus(n), e_minus(n);
  Batch<double> g(n, d), numeric(n, d);
  energy.energy_and_gradient(x, e, g);
  Vector<double> e_only(n);
  energy.energy(x, e_only);
  CHECK(relative_error(e_only, e) < 1e-12);  // energy() and energy_and_gradient() agree
  for (Index j = 0; j < d; ++j) {
    Batch<double> xp = x, xm = x;
    for (Index i = 0; i < n; ++i) {
      const double h = fd_step(x(i, j));
      xp(i, j) += h;
      xm(i, j) -= h;
    }
    energy.energy(xp, e_plus);
    energy.energy(xm, e_minus);
    for (Index i = 0; i < n; ++i) numeric(i, j) = (e_plus(i) - e_minus(i)) / (xp(i, j) - xm(i, j));
  }
  INFO("max relative error of the x-gradient");
  CHECK(relative_error(g, numeric) < fd_tolerance);
}

// ∇θ Σ wᵢ E(xᵢ) against central differences in each parameter.
template <class E>
void check_param_gradient(E energy, const Batch<double>& x, const Vector<double>& w) {
  const Index p = energy.params().size(), n = x.rows();
  Vector<double> g = Vector<double>::Zero(p), numeric(p), e(n);
  energy.accumulate_param_gradient(x, w, g);
  for (Index k = 0; k < p; ++k) {
    const double saved = energy.params()(k), h = fd_step(saved);
    energy.params()(k) = saved + h;
    energy.energy(x, e);
    const double plus = w.dot(e);
    energy.params()(k) = saved - h;
    energy.energy(x, e);
    const double minus = w.dot(e);
    energy.params()(k) = saved;
    numeric(k) = (plus - minus) / (2 * h);
  }
  INFO("max relative error of the parameter gradient");
  CHECK(relative_error(g, numeric) < fd_tolerance);
}

// ∇θ Σ ⟨∇ₓE(xᵢ), vᵢ⟩ against central differences of the analytic x-gradient in each parameter.
template <class E>
void check_mixed_gradient(E energy, const Batch<double>& x, const Batch<double>& v) {
  const Index p = energy.params().size(), n = x.rows(), d = x.cols();
  Vector<double> g = Vector<double>::Zero(p), numeric(p), e(n);
  Batch<double> gx(n, d);
  energy.accumulate_mixed_gradient(x, v, g);
  auto inner = [&] {
    energy.energy_and_gradient(x, e, gx);
    return gx.cwiseProduct(v).sum();
  };
  for (Index k = 0; k < p; ++k) {
    const double saved = energy.params()(k), h = fd_step(saved);
    energy.params()(k) = saved + h;
    const double plus = inner();
    energy.params()(k) = saved - h;
    const double minus = inner();
    energy.params()(k) = saved;
    numeric(k) = (plus - minus) / (2 * h);
  }
  INFO("max relative error of the mixed product");
  CHECK(relative_error(g, numeric) < fd_tolerance);
}

// All three checks at once, for a parametric energy, on the given points with random weights/directions.
template <class E>
void check_all_gradients(const E& energy, const Batch<double>& x, unsigned seed) {
  ember::test::Uniform uniform(seed);
  const Vector<double> w = uniform.next<Vector<double>>(x.rows());
  const Batch<double> v = uniform.next<Batch<double>>(x.rows(), x.cols());
  check_x_gradient(energy, x);
  check_param_gradient(energy, x, w);
  check_mixed_gradient(energy, x, v);
}

}  // namespace ember::test
