#include "ember/energy/time_conditioned.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "ember/energy/gaussian.hpp"
#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

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
  ember::test::Uniform uniform(87);
  ember::test::check_x_gradient(bound, 1.5 * uniform.next<Batch<double>>(4, 2));

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
  ember::test::Uniform uniform(21);
  const Eigen::MatrixXd a = uniform.next<Eigen::MatrixXd>(3, 3);
  TimeIndependent model(GaussianEnergy<double>::from_mean_precision(uniform.next<Vector<double>>(3),
                                                                     a * a.transpose() + Eigen::MatrixXd::Identity(3, 3)));
  CHECK(model.params().data() == model.inner().params().data());
  const Batch<double> x = uniform.next<Batch<double>>(5, 3);
  const Vector<double> t0 = Vector<double>::Zero(5), t1 = uniform.next<Vector<double>>(5);
  Vector<double> e0(5), e1(5), e_inner(5);
  model.energy(x, t0, e0);
  model.energy(x, t1, e1);
  model.inner().energy(x, e_inner);
  CHECK(e0 == e_inner);
  CHECK(e1 == e_inner);
  ember::test::check_all_gradients(BoundTime<decltype(model)>{model, t1}, 2.0 * uniform.next<Batch<double>>(5, 3).eval(), 4);
  // The gradients through the adapter equal the inner energy's exactly.
  const Vector<double> w = uniform.next<Vector<double>>(5);
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

TEMPLATE_TEST_CASE("TimeConditionedMlp: the MLP on [x, phi(t)], every gradient matches finite differences",
                   "[time_conditioned][gradient]", ember::Silu, ember::Softplus, ember::Tanh, ember::SmoothLeaky) {
  using Model = ember::TimeConditionedMlp<double, TestType>;
  STATIC_REQUIRE(ember::TimeConditionedEnergy<Model>);
  STATIC_REQUIRE(ember::Energy<AtTime<Model>>);
  for (double base_scale : {0.0, 1.3}) {
    INFO("base_scale " << base_scale);
    Model model({3, 6, 5}, 17, {.base_scale = base_scale});
    CHECK(model.network().widths() == std::vector<Index>{3 + Model::time_features, 6, 5});
    CHECK(model.params().data() == model.network().params().data());
    ember::test::Uniform uniform(18);
    model.params() = uniform.next<Vector<double>>(model.num_params());
    const Batch<double> x = 1.5 * uniform.next<Batch<double>>(6, 3);
    const Vector<double> t = uniform.next<Vector<double>>(6).cwiseAbs();
    ember::test::check_all_gradients(BoundTime<Model>{model, t}, x, 19);
    // The value is the network on [x, φ(t)] plus the base term on x alone.
    Batch<double> input(6, 3 + Model::time_features);
    input.leftCols(3) = x;
    Batch<double> features(6, Model::time_features);
    Model::time_embedding(t, features);
    input.rightCols(Model::time_features) = features;
    Vector<double> e(6), e_net(6);
    model.energy(x, t, e);
    model.network().energy(input, e_net);
    for (Index i = 0; i < 6; ++i) {
      const double base = base_scale > 0 ? x.row(i).squaredNorm() / (2 * base_scale * base_scale) : 0.0;
      CHECK(e(i) == Approx(e_net(i) + base).epsilon(1e-14));
      CHECK(features(i, 0) == t(i));
      CHECK(features(i, 3) == Approx(std::sin(2 * std::numbers::pi * t(i))).epsilon(1e-15).margin(4e-16));
      CHECK(features(i, 6) == Approx(std::cos(4 * std::numbers::pi * t(i))).epsilon(1e-15).margin(4e-16));
    }
    // t matters: the same points at other times have other energies.
    Vector<double> e_other(6);
    model.energy(x, (1.0 - t.array()).matrix(), e_other);
    CHECK((e_other - e).cwiseAbs().minCoeff() > 0);
    // Bound by AtTime, it samples like any energy: x-gradient through the adapter.
    ember::test::check_x_gradient(AtTime(model, t), x);
  }
}

TEST_CASE("TimeConditionedMlp: float agrees with double within epsilon-derived bounds", "[time_conditioned]") {
  ember::TimeConditionedMlp<double> md({2, 16, 16}, 3, {.base_scale = 2.0});
  ember::TimeConditionedMlp<float> mf({2, 16, 16}, 3, {.base_scale = 2.0f});
  mf.params() = md.params().cast<float>();
  ember::test::Uniform uniform(4);
  const Batch<double> x = uniform.next<Batch<double>>(20, 2), v = uniform.next<Batch<double>>(20, 2);
  const Vector<double> t = uniform.next<Vector<double>>(20).cwiseAbs();
  Vector<double> e(20), gm = Vector<double>::Zero(md.num_params());
  Batch<double> g(20, 2);
  md.energy_and_gradient(x, t, e, g);
  md.accumulate_mixed_gradient(x, t, v, gm);
  Vector<float> e_f(20), gm_f = Vector<float>::Zero(mf.num_params());
  Batch<float> g_f(20, 2);
  mf.energy_and_gradient(x.cast<float>(), t.cast<float>(), e_f, g_f);
  mf.accumulate_mixed_gradient(x.cast<float>(), t.cast<float>(), v.cast<float>(), gm_f);
  // As for MlpEnergy: 3 layers of sums over ≤ 16 terms, 4 ulps per term and layer.
  const double tol = 4 * 3 * 16 * std::numeric_limits<float>::epsilon();
  CHECK(ember::test::relative_error(e_f.cast<double>(), e) < tol);
  CHECK(ember::test::relative_error(g_f.cast<double>(), g) < tol);
  CHECK(ember::test::relative_error(gm_f.cast<double>(), gm) < tol);
}

TEST_CASE("TimeConditionedMlp: bad arguments name the function, the argument and the value",
          "[time_conditioned][errors]") {
  using Catch::Matchers::Contains;
  using Model = ember::TimeConditionedMlp<double>;
  CHECK_THROWS_WITH(Model({}, 1), Contains("ember::TimeConditionedMlp::TimeConditionedMlp") && Contains("widths.size() = 0"));
  CHECK_THROWS_WITH(Model({2, 0}, 1), Contains("widths[1] = 0"));
  CHECK_THROWS_WITH(Model({2, 4}, 1, {.base_scale = -2.0}), Contains("settings.base_scale = -2"));
  const Model model({2, 4}, 1);
  Vector<double> e(3);
  CHECK_THROWS_WITH(model.energy(Batch<double>::Zero(3, 2), Vector<double>::Zero(2), e),
                    Contains("ember::TimeConditionedMlp::energy") && Contains("t.size() = 2"));
  CHECK_THROWS_WITH(model.energy(Batch<double>::Zero(3, 4), Vector<double>::Zero(3), e), Contains("x = 3 x 4"));
}

TEST_CASE("TimeConditionedMlp: huge widths are refused before any allocation, naming the width",
          "[time_conditioned][errors][bad input]") {
  using Catch::Matchers::Message;
  constexpr ember::Index largest = std::numeric_limits<ember::Index>::max();
  CHECK_THROWS_MATCHES(ember::TimeConditionedMlp<double>({largest, 4}, 1), ember::invalid_argument,
                       Message("ember::TimeConditionedMlp::TimeConditionedMlp: widths[0] = 9223372036854775807: the "
                               "network's inputs would have 9223372036854775807 + 7 entries, which overflows the index "
                               "type"));
  CHECK_THROWS_MATCHES(ember::TimeConditionedMlp<float>({2, ember::Index{1} << 32}, 1), ember::invalid_argument,
                       Message("ember::MlpEnergy::MlpEnergy: widths[1] = 4294967296: the parameters would take "
                               "171798691840 bytes, more than ember::max_allocation_bytes = 17179869184"));
}
