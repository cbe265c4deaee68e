#include "ember/energy/check_gradients.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "ember/divergence/cd.hpp"
#include "ember/divergence/dcd.hpp"
#include "ember/divergence/pcd.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/energy/sum.hpp"
#include "ember/energy/temperature.hpp"
#include "ember/energy/time_conditioned.hpp"
#include "ember/mcmc/langevin.hpp"

using ember::Batch;
using ember::BatchRef;
using ember::BatchView;
using ember::Index;
using ember::Vector;
using ember::VectorRef;
using ember::VectorView;

namespace {

enum class Bug { none, x_gradient, param_gradient, mixed_gradient };

// A user's energy as the README describes it: E_θ(x) = a‖x‖²/2 + Σⱼ bⱼxⱼ + Σⱼ cos xⱼ with θ = (a, b₁..b_d),
// written by hand with value, ∇ₓ and ∇θ only: it models ParametricEnergy but not MixedGradientEnergy.
template <class T, Bug bug = Bug::none>
struct UserEnergy {
  using scalar_type = T;
  Vector<T> theta;

  explicit UserEnergy(Index d) : theta(d + 1) {
    theta(0) = T(1.5);
    for (Index j = 0; j < d; ++j) theta(j + 1) = T(0.25) * static_cast<T>(j + 1) - T(0.4);
  }
  [[nodiscard]] Index dim() const { return theta.size() - 1; }
  Vector<T>& params() { return theta; }
  const Vector<T>& params() const { return theta; }

  void energy(BatchView<T> x, VectorRef<T> e) const {
    const auto b = theta.tail(dim());
    e = T(0.5) * theta(0) * x.rowwise().squaredNorm() + x * b + x.array().cos().matrix().rowwise().sum();
  }
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    energy(x, e);
    const T sign = bug == Bug::x_gradient ? T(-1) : T(1);  // the bug: the sine term's sign flipped
    g = theta(0) * x + Vector<T>::Ones(x.rows()) * theta.tail(dim()).transpose() + sign * -x.array().sin().matrix();
  }
  void accumulate_param_gradient(BatchView<T> x, VectorView<T> w, VectorRef<T> g) const {
    g(0) += T(0.5) * w.dot(x.rowwise().squaredNorm());
    if constexpr (bug != Bug::param_gradient) g.tail(dim()) += x.transpose() * w;  // the bug: ∂b dropped
  }
};

// The same energy with the mixed product ∇θ Σᵢ ⟨∇ₓE(xᵢ), vᵢ⟩ = (Σᵢ⟨xᵢ, vᵢ⟩, Σᵢ vᵢ).
template <class T, Bug bug = Bug::none>
struct UserEnergyWithMixed : UserEnergy<T, bug> {
  using UserEnergy<T, bug>::UserEnergy;
  void accumulate_mixed_gradient(BatchView<T> x, BatchView<T> v, VectorRef<T> g) const {
    g(0) += x.cwiseProduct(v).sum();
    const T scale = bug == Bug::mixed_gradient ? T(2) : T(1);  // the bug: a factor 2 on ∂b
    g.tail(this->dim()) += scale * v.colwise().sum().transpose();
  }
};

// A non-finite energy away from the origin.
struct NanEnergy {
  using scalar_type = double;
  [[nodiscard]] Index dim() const { return 1; }
  void energy(BatchView<double> x, VectorRef<double> e) const { e = x.col(0).array().log(); }
  void energy_and_gradient(BatchView<double> x, VectorRef<double> e, BatchRef<double> g) const {
    energy(x, e);
    g = x.cwiseInverse();
  }
};

template <class T>
Batch<T> points(Index n, Index d, std::uint64_t seed) {
  Batch<T> x(n, d);
  ember::Philox(seed).normal(x);
  return x;
}

}  // namespace

TEST_CASE("check_gradients: an energy without the mixed product models ParametricEnergy only", "[check_gradients]") {
  STATIC_REQUIRE(ember::ParametricEnergy<UserEnergy<double>>);
  STATIC_REQUIRE_FALSE(ember::MixedGradientEnergy<UserEnergy<double>>);
  STATIC_REQUIRE(ember::MixedGradientEnergy<UserEnergyWithMixed<double>>);
  // The wrappers pass the mixed product on only when the wrapped energy has one.
  STATIC_REQUIRE(ember::ParametricEnergy<ember::Temperature<UserEnergy<double>>>);
  STATIC_REQUIRE_FALSE(ember::MixedGradientEnergy<ember::Temperature<UserEnergy<double>>>);
  STATIC_REQUIRE(ember::MixedGradientEnergy<ember::Temperature<UserEnergyWithMixed<double>>>);
  STATIC_REQUIRE(ember::TimeConditionedEnergy<ember::TimeIndependent<UserEnergy<double>>>);
  STATIC_REQUIRE(ember::MixedGradientEnergy<ember::MlpEnergy<double>>);
}

TEST_CASE("check_gradients: CD, PCD and DCD train an energy that has no mixed product", "[check_gradients]") {
  const UserEnergy<double> energy(2);
  const Batch<double> data = points<double>(64, 2, 11);
  ember::Philox rng(12);
  ember::ContrastiveDivergence cd(ember::Langevin<double>({.step_size = 0.05}), {.steps = 2});
  CHECK(cd.estimate(energy, data, rng).gradient.allFinite());
  ember::PersistentContrastiveDivergence pcd(ember::Langevin<double>({.step_size = 0.05}),
                                             ember::ReplayBuffer(2, ember::NormalInit<double>{}, {.capacity = 128}),
                                             {.steps = 2});
  CHECK(pcd.estimate(energy, data, rng).gradient.allFinite());
  ember::DiffusionContrastiveDivergence dcd(ember::Langevin<double>({.step_size = 0.05}), {.steps = 2});
  CHECK(dcd.estimate(energy, data, rng).gradient.allFinite());
}

TEST_CASE("check_gradients: correct gradients score near the finite-difference floor", "[check_gradients]") {
  const Batch<double> x = points<double>(6, 3, 1);

  SECTION("value, x- and parameter gradient") {
    const auto errors = ember::check_gradients(UserEnergy<double>(3), x, 2);
    CHECK(errors.energy_consistency == 0.0);
    CHECK(errors.x_gradient < 1e-8);
    REQUIRE(errors.param_gradient.has_value());
    CHECK(*errors.param_gradient < 1e-8);
    CHECK_FALSE(errors.mixed_gradient.has_value());
  }
  SECTION("with the mixed product") {
    const auto errors = ember::check_gradients(UserEnergyWithMixed<double>(3), x, 2);
    REQUIRE(errors.mixed_gradient.has_value());
    CHECK(*errors.mixed_gradient < 1e-8);
  }
  SECTION("an MLP") {
    ember::MlpEnergy<double, ember::Tanh> mlp({3, 6, 5}, 4, {.base_scale = 2.0});
    const auto errors = ember::check_gradients(mlp, x, 3);
    CHECK(errors.x_gradient < 1e-7);
    CHECK(*errors.param_gradient < 1e-7);
    CHECK(*errors.mixed_gradient < 1e-7);
  }
  SECTION("a plain Energy: only the x-gradient") {
    const auto errors = ember::check_gradients(NanEnergy{}, Batch<double>::Constant(3, 1, 2.0), 1);
    CHECK(errors.x_gradient < 1e-8);
    CHECK_FALSE(errors.param_gradient.has_value());
  }
  SECTION("float: the finite-difference floor of float") {
    const auto errors = ember::check_gradients(UserEnergyWithMixed<float>(3), points<float>(6, 3, 1), 2);
    CHECK(errors.x_gradient < 1e-3);
    CHECK(*errors.param_gradient < 1e-3);
    CHECK(*errors.mixed_gradient < 1e-3);
  }
}

TEST_CASE("check_gradients: each deliberately wrong gradient is caught, and only that one", "[check_gradients]") {
  const Batch<double> x = points<double>(6, 3, 5);
  SECTION("a flipped sign in the x-gradient") {
    const auto errors = ember::check_gradients(UserEnergyWithMixed<double, Bug::x_gradient>(3), x, 6);
    CHECK(errors.x_gradient > 1e-2);
    CHECK(*errors.param_gradient < 1e-8);
  }
  SECTION("a dropped term in the parameter gradient") {
    const auto errors = ember::check_gradients(UserEnergy<double, Bug::param_gradient>(3), x, 6);
    CHECK(errors.x_gradient < 1e-8);
    CHECK(*errors.param_gradient > 1e-2);
  }
  SECTION("a wrong factor in the mixed product") {
    const auto errors = ember::check_gradients(UserEnergyWithMixed<double, Bug::mixed_gradient>(3), x, 6);
    CHECK(*errors.param_gradient < 1e-8);
    CHECK(*errors.mixed_gradient > 1e-2);
  }
}

TEST_CASE("check_gradients: bad input and non-finite energies are reported", "[check_gradients][errors]") {
  const UserEnergy<double> energy(3);
  CHECK_THROWS_WITH(ember::check_gradients(energy, Batch<double>::Zero(4, 2), 1),
                    Catch::StartsWith("ember::check_gradients: x = 4 x 2"));
  CHECK_THROWS_AS(ember::check_gradients(energy, Batch<double>(0, 3), 1), ember::invalid_argument);
  Batch<double> bad = Batch<double>::Zero(2, 3);
  bad(1, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(ember::check_gradients(energy, bad, 1), ember::invalid_argument);
  // log x at x = −1 is NaN: a numerical_error, not a silent NaN "error".
  CHECK_THROWS_WITH(ember::check_gradients(NanEnergy{}, Batch<double>::Constant(2, 1, -1.0), 1),
                    Catch::StartsWith("ember::check_gradients: the energy is not finite"));
}
