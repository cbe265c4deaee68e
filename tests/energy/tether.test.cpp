#include "ember/energy/tether.hpp"

#include <catch2/catch.hpp>

#include <limits>

#include "ember/core/parallel.hpp"
#include "ember/energy/gaussian.hpp"
#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::GaussianEnergy;
using ember::Tether;
using ember::Vector;

namespace {
GaussianEnergy<double> some_gaussian(Eigen::Index d) {
  ember::test::Uniform uniform(5);
  const Eigen::MatrixXd a = uniform.next<Eigen::MatrixXd>(d, d);
  return GaussianEnergy<double>::from_mean_precision(uniform.next<Vector<double>>(d),
                                                     a * a.transpose() + Eigen::MatrixXd::Identity(d, d));
}
}  // namespace

TEST_CASE("Tether: value is the base energy plus the Gaussian tether, row by row", "[tether]") {
  const auto base = some_gaussian(3);
  ember::test::Uniform uniform(7);
  const Batch<double> y = uniform.next<Batch<double>>(6, 3), x = uniform.next<Batch<double>>(6, 3);
  const Vector<double> a = uniform.next<Vector<double>>(6).cwiseAbs().array() + 0.1;
  const Vector<double> s = uniform.next<Vector<double>>(6).cwiseAbs().array() + 0.2;
  const Tether tether(base, y, a, s);
  Vector<double> e(6), e_base(6);
  tether.energy(x, e);
  base.energy(x, e_base);
  for (Eigen::Index i = 0; i < 6; ++i) {
    const double expected = e_base(i) + (y.row(i) - a(i) * x.row(i)).squaredNorm() / (2 * s(i) * s(i));
    CHECK(e(i) == Approx(expected).epsilon(1e-13));
  }
  CHECK(tether.dim() == 3);
  CHECK(tether.size() == 6);
  CHECK(&tether.base() == &base);
}

TEST_CASE("Tether: the x-gradient matches central finite differences", "[tether][gradient]") {
  const auto base = some_gaussian(4);
  ember::test::Uniform uniform(11);
  const Batch<double> y = 2.0 * uniform.next<Batch<double>>(9, 4), x = 2.0 * uniform.next<Batch<double>>(9, 4);
  const Vector<double> a = uniform.next<Vector<double>>(9).cwiseAbs().array() + 0.3;
  const Vector<double> s = uniform.next<Vector<double>>(9).cwiseAbs().array() + 0.1;
  ember::test::check_x_gradient(Tether(base, y, a, s), x);
}

TEST_CASE("Tether: sees the base's current parameters and reuses its storage", "[tether]") {
  auto base = GaussianEnergy<double>::standard(2);
  const Batch<double> y = Batch<double>::Constant(3, 2, 1.0);
  const Vector<double> a = Vector<double>::Constant(3, 0.5), s = Vector<double>::Constant(3, 2.0);
  Tether tether(base, y, a, s);
  const Batch<double> x = Batch<double>::Zero(3, 2);
  Vector<double> e(3);
  tether.energy(x, e);
  const double before = e(0);
  base.params()(0) = 1.0;  // move the base's mean: E(0) grows by ½
  tether.energy(x, e);
  CHECK(e(0) == Approx(before + 0.5).epsilon(1e-14));

  const double* storage = tether.target().data();
  const Batch<double> y2 = Batch<double>::Constant(3, 2, -1.0);
  tether.set_target(y2, Vector<double>::Constant(3, 1.0), Vector<double>::Constant(3, 1.0));
  CHECK(tether.target().data() == storage);
  CHECK(tether.target() == y2);
  tether.energy(x, e);
  CHECK(e(0) == Approx(0.5 * 1.0 * 1.0 + 0.5 * 2.0).epsilon(1e-14));  // base ½‖x−μ‖² with μ=(1,0) plus ½‖y‖²
}

TEMPLATE_TEST_CASE("Tether: float agrees with double within epsilon-derived bounds", "[tether]", float, double) {
  using T = TestType;
  const auto base_d = some_gaussian(3);
  auto base = GaussianEnergy<T>::standard(3);
  base.params() = base_d.params().template cast<T>();
  ember::test::Uniform uniform(13);
  const Batch<double> y = uniform.next<Batch<double>>(8, 3), x = uniform.next<Batch<double>>(8, 3);
  const Vector<double> a = uniform.next<Vector<double>>(8).cwiseAbs().array() + 0.5;
  const Vector<double> s = uniform.next<Vector<double>>(8).cwiseAbs().array() + 0.5;
  const Tether tether_d(base_d, y, a, s);
  const Batch<T> y_t = y.cast<T>();
  const Vector<T> a_t = a.cast<T>(), s_t = s.cast<T>();
  const Tether tether(base, y_t, a_t, s_t);
  Vector<double> e(8);
  Batch<double> g(8, 3);
  Vector<T> e_t(8);
  Batch<T> g_t(8, 3);
  tether_d.energy_and_gradient(x, e, g);
  tether.energy_and_gradient(x.cast<T>(), e_t, g_t);
  // O(d²) terms of size O(1/s²) ≤ 4: 4·d²·4 ulps of T (inputs rounded to T included).
  const double tol = 4 * 9 * 4 * std::numeric_limits<T>::epsilon();
  CHECK(ember::test::relative_error(e_t.template cast<double>(), e) < tol);
  CHECK(ember::test::relative_error(g_t.template cast<double>(), g) < tol);
}

TEST_CASE("Tether: bad arguments name the function, the argument and the value", "[tether][errors]") {
  using Catch::Matchers::Contains;
  const auto base = GaussianEnergy<double>::standard(2);
  const Batch<double> y = Batch<double>::Zero(3, 2);
  const Vector<double> ones = Vector<double>::Ones(3);
  Vector<double> bad_s = ones;
  bad_s(1) = 0.0;
  CHECK_THROWS_WITH(Tether(base, y, ones, bad_s), Contains("ember::Tether::Tether") && Contains("s(1) = 0"));
  Vector<double> bad_a = ones;
  bad_a(2) = -0.5;
  CHECK_THROWS_WITH(Tether(base, y, bad_a, ones), Contains("a(2) = -0.5") && Contains("> 0"));
  bad_a(2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(Tether(base, y, bad_a, ones), ember::invalid_argument);
  CHECK_THROWS_WITH(Tether(base, y, Vector<double>::Ones(4), ones), Contains("a = 4 x 1") && Contains("expected 3 x 1"));
  CHECK_THROWS_WITH(Tether(base, Batch<double>::Zero(3, 5), ones, ones), Contains("y = 3 x 5"));
  Tether tether(base, y, ones, ones);
  CHECK_THROWS_WITH(tether.set_target(y, ones, bad_s), Contains("ember::Tether::set_target") && Contains("s(1) = 0"));
  Vector<double> e(4);
  CHECK_THROWS_WITH(tether.energy(Batch<double>::Zero(4, 2), e),
                    Contains("ember::Tether::energy") && Contains("x = 4 x 2"));
}

TEST_CASE("Tether: a row block is the tether of those points alone", "[tether]") {
  // The tether's own terms are per row (the gradient compares bitwise); the Gaussian base's energy of a 4-row
  // block rounds differently from its 10-row batch (Eigen vectorises by size), so energies compare to 1e-12.
  const auto base = some_gaussian(3);
  ember::test::Uniform uniform(13);
  const Batch<double> y = uniform.next<Batch<double>>(10, 3), x = uniform.next<Batch<double>>(10, 3);
  const Vector<double> a = uniform.next<Vector<double>>(10).cwiseAbs().array() + 0.1;
  const Vector<double> s = uniform.next<Vector<double>>(10).cwiseAbs().array() + 0.2;
  const Tether tether(base, y, a, s);
  Vector<double> e(10), e_block(4);
  Batch<double> g(10, 3), g_block(4, 3);
  tether.energy_and_gradient(x, e, g);
  const auto block = tether.rows(3, 4);
  block.energy_and_gradient(x.middleRows(3, 4), e_block, g_block);
  CHECK(e_block.isApprox(e.segment(3, 4), 1e-12));
  CHECK(g_block == g.middleRows(3, 4));
  block.energy(x.middleRows(3, 4), e_block);
  CHECK(e_block.isApprox(e.segment(3, 4), 1e-12));
  // ember::energy_rows picks the block for a tether and the energy itself otherwise.
  CHECK(&ember::energy_rows(base, 3, 4) == &base);
  ember::energy_rows(tether, 3, 4).energy(x.middleRows(3, 4), e_block);
  CHECK(e_block.isApprox(e.segment(3, 4), 1e-12));
  CHECK_THROWS_WITH(tether.rows(8, 4), Catch::Contains("ember::Tether::rows: first + count = 12"));
  CHECK_THROWS_WITH(block.energy(x, e), Catch::Contains("ember::TetherRows::energy: x = 10 x 3"));
}
