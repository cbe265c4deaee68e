// Tests include/ember/energy/rbm.hpp on binary batches: the functions that take table-lookup products (simd/
// binary_product.hpp) agree with the dense formulas; the RBM's block cache (energy/detail/rbm_workspace.hpp) never
// returns a product for weights or data that have changed since; non-binary and short batches take the GEMM.
#include "ember/energy/rbm.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <memory>

#include "support/product_error.hpp"
#include "support/random_batch.hpp"
#include "support/random_rbm.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using ember::test::binary_batch;
using ember::test::max_relative_error;
using ember::test::tolerance;

TEMPLATE_TEST_CASE("Rbm: binary batches (table lookup) agree with the dense formulas", "[rbm][binary]",
                   ember::BernoulliRbm<float>, ember::BernoulliRbm<double>, ember::GaussianBernoulliRbm<float>) {
  using R = TestType;
  using T = typename R::scalar_type;
  const Index visible = 140, hidden = 300, n = 40;  // several column blocks, ragged last ones
  const R rbm = ember::test::random_rbm<R>(visible, hidden, 21, 0.2);
  const Batch<T> v = binary_batch<T>(n, visible, 22);
  const Batch<T> h = binary_batch<T>(n, hidden, 23);
  const Eigen::MatrixXd w = rbm.weights().template cast<double>();
  const Eigen::VectorXd b = rbm.visible_bias().template cast<double>(), c = rbm.hidden_bias().template cast<double>();
  const Eigen::MatrixXd a_exact = (v.template cast<double>() * w).rowwise() + c.transpose();

  Batch<T> a(n, hidden);
  rbm.hidden_input(v, a);
  CHECK(max_relative_error(a, a_exact) <= tolerance<T>(visible));
  Batch<T> va(n, visible);
  rbm.visible_input(h, va);
  CHECK(max_relative_error(va, Eigen::MatrixXd((h.template cast<double>() * w.transpose()).rowwise() + b.transpose())) <=
        tolerance<T>(hidden));

  // F(v) and ∇θ Σ wᵢ F(vᵢ) against the formulas in double.
  const Eigen::ArrayXXd softplus = a_exact.array().max(0.0) + (-a_exact.array().abs()).exp().log1p();
  const Eigen::ArrayXXd sigma = 1.0 / (1.0 + (-a_exact.array()).exp());
  Eigen::VectorXd f_exact = -softplus.rowwise().sum().matrix();
  if constexpr (R::visible_units == ember::VisibleUnits::bernoulli) f_exact -= v.template cast<double>() * b;
  else f_exact += 0.5 * (v.template cast<double>().rowwise() - b.transpose()).rowwise().squaredNorm();
  Vector<T> f(n);
  rbm.energy(v, f);
  CHECK(max_relative_error(f, f_exact) <= 4 * tolerance<T>(hidden));

  const Vector<T> weight = Vector<T>::LinSpaced(n, T(-1), T(2));
  Vector<T> g = Vector<T>::Zero(rbm.num_params());
  rbm.accumulate_param_gradient(v, weight, g);
  const Eigen::ArrayXXd s = sigma.colwise() * weight.template cast<double>().array();
  const Eigen::MatrixXd gw_exact = -(v.template cast<double>().transpose() * s.matrix());
  const Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>> gw(g.data(), visible, hidden);
  CHECK(max_relative_error(gw, gw_exact) <= tolerance<T>(n) + 1e-5);
  CHECK(max_relative_error(g.tail(hidden), Eigen::VectorXd(-s.colwise().sum().transpose().matrix())) <=
        tolerance<T>(n) + 1e-5);

  // The fused hook equals energy() + accumulate_param_gradient(), bit for bit.
  Vector<T> f_fused(n), g_fused = Vector<T>::Zero(rbm.num_params());
  rbm.energy_and_accumulate_param_gradient(v, f_fused, T(0), T(0), g_fused);  // w = 0: gradient unchanged
  CHECK(f_fused == f);
  CHECK(g_fused.isZero(0));
}

TEST_CASE("Rbm: a product remembered for the block cache never outlives a change of W, c or the batch",
          "[rbm][binary]") {
  using R = ember::BernoulliRbm<float>;
  const Index visible = 50, hidden = 260, n = 32;
  R rbm = ember::test::random_rbm<R>(visible, hidden, 31, 0.3);
  const Batch<float> v = binary_batch<float>(n, visible, 32);
  const auto exact = [&](const Batch<float>& x) {
    return Eigen::MatrixXd((x.cast<double>() * rbm.weights().cast<double>()).rowwise() +
                           rbm.hidden_bias().cast<double>().transpose());
  };
  Batch<float> a(n, hidden);
  rbm.hidden_input(v, a);
  CHECK(max_relative_error(a, exact(v)) <= tolerance<float>(visible));
  rbm.hidden_input(v, a);  // the same W and v: served from the cache, still right
  CHECK(max_relative_error(a, exact(v)) <= tolerance<float>(visible));

  // One weight in the last (ragged) column block, then one hidden bias, then one entry of the batch.
  rbm.weights()(visible - 1, hidden - 1) += 5.0f;
  rbm.hidden_input(v, a);
  CHECK(max_relative_error(a, exact(v)) <= tolerance<float>(visible));
  rbm.hidden_bias()(0) -= 3.0f;
  rbm.hidden_input(v, a);
  CHECK(max_relative_error(a, exact(v)) <= tolerance<float>(visible));
  Batch<float> v2 = v;
  v2(n - 1, visible - 1) = 1.0f - v2(n - 1, visible - 1);
  rbm.hidden_input(v2, a);
  CHECK(max_relative_error(a, exact(v2)) <= tolerance<float>(visible));

  // Another RBM of another shape on the same thread: its own products.
  const R other = ember::test::random_rbm<R>(hidden, visible, 33, 0.3);
  const Batch<float> u = binary_batch<float>(n, hidden, 34);
  Batch<float> b(n, visible);
  other.hidden_input(u, b);
  CHECK(max_relative_error(b, Eigen::MatrixXd((u.cast<double>() * other.weights().cast<double>()).rowwise() +
                                              other.hidden_bias().cast<double>().transpose())) <= tolerance<float>(hidden));
  rbm.hidden_input(v2, a);
  CHECK(max_relative_error(a, exact(v2)) <= tolerance<float>(visible));
}

TEST_CASE("Rbm::hold_parameters: W is validated once per hold, for the held RBM only, and again after the hold",
          "[rbm][binary]") {
  using R = ember::BernoulliRbm<float>;
  const Index visible = 40, hidden = 150, n = 24;
  R rbm = ember::test::random_rbm<R>(visible, hidden, 41, 0.3);
  const R other = ember::test::random_rbm<R>(visible, hidden, 42, 0.3);  // same shape: the same cache entries
  const Batch<float> v = binary_batch<float>(n, visible, 43), v2 = binary_batch<float>(n, visible, 44);
  const auto exact = [](const R& r, const Batch<float>& x) {
    return Eigen::MatrixXd((x.cast<double>() * r.weights().cast<double>()).rowwise() +
                           r.hidden_bias().cast<double>().transpose());
  };
  Batch<float> a(n, hidden);
  {
    const auto hold = ember::hold_parameters(rbm);
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
    other.hidden_input(v2, a);  // not held: validated, and its W replaces rbm's in the shared cache entries
    CHECK(max_relative_error(a, exact(other, v2)) <= tolerance<float>(visible));
    rbm.hidden_input(v2, a);  // held, but the entries now hold other's W: validated again
    CHECK(max_relative_error(a, exact(rbm, v2)) <= tolerance<float>(visible));

    // Breaking the promise shows that the hold does skip the validation: a new batch is multiplied by the W
    // seen at the hold's first use.
    const Eigen::MatrixXd before = exact(rbm, v);
    rbm.weights()(0, 0) += 100.0f;
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, before) <= tolerance<float>(visible));
  }
  rbm.hidden_input(v, a);  // the hold has ended: the change is seen
  CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
  {
    const auto outer = ember::hold_parameters(other);
    {
      const auto inner = ember::hold_parameters(rbm);
      rbm.hidden_input(v2, a);  // validated under the inner hold
      CHECK(max_relative_error(a, exact(rbm, v2)) <= tolerance<float>(visible));
    }
    rbm.weights()(1, 1) -= 50.0f;  // rbm is no longer held once the inner hold has ended
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
  }
  {
    // Holds ending out of order leave no hold: here the outer one ends first, and a change of W made while the
    // inner one still lives (a broken promise, to make the state visible) is seen.
    using Hold = decltype(rbm.hold_parameters());
    auto outer = std::unique_ptr<Hold>(new auto(rbm.hold_parameters()));
    auto inner = std::unique_ptr<Hold>(new auto(rbm.hold_parameters()));
    rbm.hidden_input(v2, a);
    outer.reset();
    rbm.weights()(2, 2) += 7.0f;
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
    inner.reset();  // must not bring back the ended outer hold
    rbm.hidden_input(v2, a);
    rbm.weights()(3, 3) -= 4.0f;
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
  }
}

TEST_CASE("Rbm: non-binary batches and short ones take the GEMM, with the same results as before",
          "[rbm][binary]") {
  using R = ember::BernoulliRbm<float>;
  const Index visible = 30, hidden = 20;
  const R rbm = ember::test::random_rbm<R>(visible, hidden, 41, 0.3);
  for (const Index n : {Index(5), Index(40)}) {
    Batch<float> v = binary_batch<float>(n, visible, 42);
    v(0, 0) = 0.25f;  // a probability, not a sample
    Batch<float> a(n, hidden);
    rbm.hidden_input(v, a);
    const Batch<float> gemm = (v * rbm.weights()).rowwise() + rbm.hidden_bias().transpose();
    CHECK(max_relative_error(a, gemm.cast<double>()) <= 1e-6);
  }
}
