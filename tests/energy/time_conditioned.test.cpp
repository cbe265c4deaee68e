#include "ember/energy/time_conditioned.hpp"

#include <catch2/catch.hpp>

#include "ember/energy/gaussian.hpp"
#include "support/finite_difference.hpp"

using ember::AtTime;
using ember::Batch;
using ember::BatchRef;
using ember::BatchView;
using ember::GaussianEnergy;
using ember::Index;
using ember::TimeIndependent;
using ember::Vector;
using ember::VectorRef;
using ember::VectorView;

namespace {

// A time-conditioned energy whose value visibly depends on t: E(x, t) = ½ (1 + t) ‖x − θ‖².
struct ScaledQuadratic {
  using scalar_type = double;
  Vector<double> theta;
  Index dim() const { return theta.size(); }
  Vector<double>& params() { return theta; }
  const Vector<double>& params() const { return theta; }
  void energy(BatchView<double> x, VectorView<double> t, VectorRef<double> e) const {
    e = 0.5 * (1.0 + t.array()) * (x.rowwise() - theta.transpose()).rowwise().squaredNorm().array();
  }
  void energy_and_gradient(BatchView<double> x, VectorView<double> t, VectorRef<double> e, BatchRef<double> g) const {
    energy(x, t, e);
    g = (x.rowwise() - theta.transpose()).array().colwise() * (1.0 + t.array());
  }
  void accumulate_param_gradient(BatchView<double> x, VectorView<double> t, VectorView<double> w,
                                 VectorRef<double> g) const {
    g -= (x.rowwise() - theta.transpose()).transpose() * (w.array() * (1.0 + t.array())).matrix();
  }
  void accumulate_mixed_gradient(BatchView<double> x, VectorView<double> t, BatchView<double> v,
                                 VectorRef<double> g) const {
    (void)x;
    g -= v.transpose() * (1.0 + t.array()).matrix();
  }
};
static_assert(ember::TimeConditionedEnergy<ScaledQuadratic>);

}  // namespace

// E(·, t) with t bound, as a ParametricEnergy, so that tests/support/finite_difference.hpp checks a
// time-conditioned energy's (x, t) API: owns a copy of the model because the checks perturb params().
template <class E>
struct BoundTime {
  using scalar_type = double;
  E model;
  Vector<double> t;
  Index dim() const { return model.dim(); }
  Vector<double>& params() { return model.params(); }
  const Vector<double>& params() const { return model.params(); }
  void energy(BatchView<double> x, VectorRef<double> e) const { model.energy(x, t, e); }
  void energy_and_gradient(BatchView<double> x, VectorRef<double> e, BatchRef<double> g) const {
    model.energy_and_gradient(x, t, e, g);
  }
  void accumulate_param_gradient(BatchView<double> x, VectorView<double> w, VectorRef<double> g) const {
    model.accumulate_param_gradient(x, t, w, g);
  }
  void accumulate_mixed_gradient(BatchView<double> x, BatchView<double> v, VectorRef<double> g) const {
    model.accumulate_mixed_gradient(x, t, v, g);
  }
};

TEST_CASE("AtTime: binds one time per point and is an Energy", "[time_conditioned]") {
  STATIC_REQUIRE(ember::Energy<AtTime<ScaledQuadratic>>);
  STATIC_REQUIRE_FALSE(ember::ParametricEnergy<AtTime<ScaledQuadratic>>);
  ScaledQuadratic model{Vector<double>::Zero(2)};
  const Vector<double> t = Vector<double>::LinSpaced(4, 0.0, 1.0);
  AtTime bound(model, t);
  const Batch<double> x = Batch<double>::Ones(4, 2);
  Vector<double> e(4);
  bound.energy(x, e);
  for (Index i = 0; i < 4; ++i) CHECK(e(i) == Approx(1.0 + t(i)).epsilon(1e-15));  // ½(1+t)·2
  ember::test::check_x_gradient(bound, 1.5 * Batch<double>::Random(4, 2));

  model.theta(0) = 1.0;  // the adapter sees the base's current parameters
  bound.energy(x, e);
  CHECK(e(3) == Approx(1.0).epsilon(1e-15));
  const double* storage = bound.times().data();
  bound.set_times(Vector<double>::Zero(4));
  CHECK(bound.times().data() == storage);
  bound.energy(x, e);
  CHECK(e(0) == Approx(0.5).epsilon(1e-15));
  CHECK(&bound.base() == &model);
  CHECK(bound.dim() == 2);
}

TEST_CASE("TimeIndependent: ignores t, forwards params() and every gradient", "[time_conditioned][gradient]") {
  STATIC_REQUIRE(ember::TimeConditionedEnergy<TimeIndependent<GaussianEnergy<double>>>);
  std::srand(21);
  const Eigen::MatrixXd a = Eigen::MatrixXd::Random(3, 3);
  TimeIndependent model(GaussianEnergy<double>::from_mean_precision(Vector<double>::Random(3),
                                                                     a * a.transpose() + Eigen::MatrixXd::Identity(3, 3)));
  CHECK(model.params().data() == model.inner().params().data());
  const Batch<double> x = Batch<double>::Random(5, 3);
  const Vector<double> t0 = Vector<double>::Zero(5), t1 = Vector<double>::Random(5);
  Vector<double> e0(5), e1(5), e_inner(5);
  model.energy(x, t0, e0);
  model.energy(x, t1, e1);
  model.inner().energy(x, e_inner);
  CHECK(e0 == e_inner);
  CHECK(e1 == e_inner);
  ember::test::check_all_gradients(BoundTime<decltype(model)>{model, t1}, 2.0 * Batch<double>::Random(5, 3).eval(), 4);
  // The gradients through the adapter equal the inner energy's exactly.
  const Vector<double> w = Vector<double>::Random(5);
  Vector<double> g_adapter = Vector<double>::Zero(model.params().size()), g_inner = g_adapter;
  model.accumulate_param_gradient(x, t1, w, g_adapter);
  model.inner().accumulate_param_gradient(x, w, g_inner);
  CHECK(g_adapter == g_inner);
}

TEST_CASE("AtTime, TimeIndependent: bad arguments name the function, the argument and the value",
          "[time_conditioned][errors]") {
  using Catch::Matchers::Contains;
  const TimeIndependent model(GaussianEnergy<double>::standard(2));
  const Batch<double> x = Batch<double>::Zero(3, 2);
  Vector<double> e(3);
  CHECK_THROWS_WITH(model.energy(x, Vector<double>::Zero(4), e),
                    Contains("ember::TimeIndependent::energy") && Contains("t.size() = 4"));
  Vector<double> t = Vector<double>::Zero(3);
  t(1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(model.energy(x, t, e), Contains("t(1, 0) = inf"));
  CHECK_THROWS_WITH(AtTime(model, t), Contains("ember::AtTime::set_times") && Contains("t(1, 0) = inf"));
  const AtTime bound(model, Vector<double>::Zero(3));
  Vector<double> e4(4);
  CHECK_THROWS_WITH(bound.energy(Batch<double>::Zero(4, 2), e4), Contains("ember::AtTime::energy") && Contains("x = 4 x 2"));
}
