// Tests include/ember/core/concepts.hpp: each concept accepts a minimal type that offers what it states and rejects
// one that lacks a single requirement (the concepts are what train(), the wrappers and the kernels state).
#include <catch2/catch.hpp>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"

namespace {

using ember::BatchRef;
using ember::BatchView;
using ember::Index;
using ember::Vector;
using ember::VectorRef;
using ember::VectorView;

struct Draw {
  template <class T>
  void normal(BatchRef<T>, Index) const {}
  template <class T>
  void uniform(BatchRef<T>, Index) const {}
};
struct Rng {
  Draw draw() { return {}; }
};

template <class T>
struct Quadratic {
  using scalar_type = T;
  Vector<T> theta = Vector<T>::Zero(1);
  Index dim() const { return 1; }
  void energy(BatchView<T>, VectorRef<T>) const {}
  void energy_and_gradient(BatchView<T>, VectorRef<T>, BatchRef<T>) const {}
  Vector<T>& params() { return theta; }
  const Vector<T>& params() const { return theta; }
  void accumulate_param_gradient(BatchView<T>, VectorView<T>, VectorRef<T>) const {}
};

template <class T>
struct Result {
  T loss = 0, positive_energy = 0, negative_energy = 0;
  Vector<T> gradient;
};
struct ResultWithoutLoss {
  double positive_energy = 0, negative_energy = 0;
  Vector<double> gradient;
};

struct GoodEstimator {
  template <class E, class G>
  Result<typename E::scalar_type> estimate(const E&, BatchView<typename E::scalar_type>, G&) {
    return {};
  }
};
struct EstimatorWithoutLoss {
  template <class E, class G>
  ResultWithoutLoss estimate(const E&, BatchView<typename E::scalar_type>, G&) {
    return {};
  }
};

template <class T>
struct GoodOptimizer {
  void step(VectorRef<T>, VectorView<T>) {}
};
struct NoStep {};

struct Schedule {
  using scalar_type = float;
  float mean_coefficient(float) const { return 1; }
  float standard_deviation(float) const { return 0; }
  float beta(float) const { return 0; }
  float snr(float) const { return 1; }
  ember::Transition<float> transition(float, float) const { return {1, 0}; }
};

}  // namespace

static_assert(ember::HasScalarType<Quadratic<float>, float>);
static_assert(!ember::HasScalarType<Quadratic<float>, double>);
static_assert(!ember::HasScalarType<int, float>, "a type without scalar_type has none (false, not a hard error)");

static_assert(ember::ParametricEnergy<Quadratic<double>>);
static_assert(ember::Generator<Rng>);

static_assert(ember::EstimateOf<Result<float>, float>);
static_assert(!ember::EstimateOf<Result<float>, double>, "the gradient must be a Vector of the energy's scalar type");
static_assert(!ember::EstimateOf<ResultWithoutLoss, double>);
static_assert(ember::Estimator<GoodEstimator, Quadratic<float>, Rng>);
static_assert(!ember::Estimator<EstimatorWithoutLoss, Quadratic<double>, Rng>);
static_assert(!ember::Estimator<GoodEstimator, Quadratic<float>, int>, "the generator must model ember::Generator");

static_assert(ember::Optimizer<GoodOptimizer<double>, double>);
static_assert(!ember::Optimizer<GoodOptimizer<float>, double>);
static_assert(!ember::Optimizer<NoStep, float>);

static_assert(ember::Schedule<Schedule>);
static_assert(!ember::RbmEnergy<Quadratic<float>>, "an RBM also offers both conditionals");

TEST_CASE("core concepts: checked at compile time (static_asserts in this file)", "[core][concepts]") {
  SUCCEED("the static_asserts above compiled");
}
