#include "ember/energy/mlp.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "support/finite_difference.hpp"
#include "support/statistics.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::MlpEnergy;
using ember::MlpSettings;
using ember::Vector;

namespace {

// Random parameters of size O(1) (larger than the initialisation, so that every unit leaves its linear
// regime and σ″ matters).
template <class E>
E randomised(E energy, unsigned seed, double scale = 1.0) {
  ember::test::Uniform uniform(seed);
  energy.params() = scale * uniform.next<Vector<double>>(energy.params().size());
  return energy;
}

// E(x) for one point by plain loops over weight(l)/bias(l) and the scalar activation: the reference that
// pins the documented forward pass and parameter layout.
template <class A>
double reference_energy(const MlpEnergy<double, A>& energy, const Vector<double>& x) {
  Vector<double> h = x;
  const Index k = energy.num_hidden_layers();
  for (Index l = 1; l <= k + 1; ++l) {
    const auto w = energy.weight(l);
    const auto b = energy.bias(l);
    Vector<double> z(w.rows());
    for (Index r = 0; r < w.rows(); ++r) {
      z(r) = b(r);
      for (Index c = 0; c < w.cols(); ++c) z(r) += w(r, c) * h(c);
      if (l <= k) z(r) = A::value(z(r));
    }
    h = z;
  }
  const double s = energy.settings().base_scale;
  return h(0) + (s > 0 ? x.squaredNorm() / (2 * s * s) : 0.0);
}

}  // namespace

TEMPLATE_TEST_CASE("MlpEnergy: forward pass and parameter layout as documented", "[mlp]", ember::Silu,
                   ember::Softplus, ember::Tanh, ember::SmoothLeaky) {
  const auto energy = randomised(MlpEnergy<double, TestType>({3, 5, 4}, 1, {.base_scale = 2.0}), 2);
  CHECK(energy.num_params() == 5 * 3 + 5 + 4 * 5 + 4 + 4 + 1);
  CHECK(energy.num_hidden_layers() == 2);
  const double* p = energy.params().data();
  CHECK(energy.weight(1).data() == p);
  CHECK(energy.bias(1).data() == p + 15);
  CHECK(energy.weight(2).data() == p + 20);
  CHECK((energy.weight(2).rows() == 4 && energy.weight(2).cols() == 5));
  CHECK(energy.bias(2).data() == p + 40);
  CHECK(energy.weight(3).data() == p + 44);  // the output weights w
  CHECK((energy.weight(3).rows() == 1 && energy.weight(3).cols() == 4));
  CHECK(energy.bias(3).data() == p + 48);  // the output bias
  CHECK(energy.weight(1)(1, 0) == p[1]);  // column-major
  ember::test::Uniform uniform(3);
  const Batch<double> x = uniform.next<Batch<double>>(7, 3);
  Vector<double> e(7);
  energy.energy(x, e);
  for (Index i = 0; i < 7; ++i) CHECK(e(i) == Approx(reference_energy(energy, x.row(i).transpose())).epsilon(1e-13));
}

TEMPLATE_TEST_CASE("MlpEnergy: every gradient matches central finite differences", "[mlp][gradient]", ember::Silu,
                   ember::Softplus, ember::Tanh, ember::SmoothLeaky) {
  using A = TestType;
  const std::vector<std::vector<Index>> shapes = {{3, 5, 4}, {2}, {3, 6}, {2, 4, 3, 5}};
  unsigned seed = 10;
  for (const auto& widths : shapes) {
    for (double base_scale : {0.0, 1.5}) {
      INFO("widths of size " << widths.size() << ", first hidden " << (widths.size() > 1 ? widths[1] : 0)
                             << ", base_scale " << base_scale);
      const auto energy = randomised(MlpEnergy<double, A>(widths, seed, {.base_scale = base_scale}), seed);
      ember::test::Uniform uniform(seed + 1);
      const Batch<double> x = 1.5 * uniform.next<Batch<double>>(6, widths[0]);
      ember::test::check_all_gradients(energy, x, seed + 2);
      ++seed;
    }
  }
}

TEST_CASE("MlpEnergy: works on a row block of a larger batch (strided views)", "[mlp]") {
  const auto energy = randomised(MlpEnergy<double, ember::Tanh>({2, 7, 3}, 4, {.base_scale = 1.0}), 5);
  ember::test::Uniform uniform(6);
  const Batch<double> big = uniform.next<Batch<double>>(20, 2);
  const Batch<double> block = big.middleRows(5, 9);
  Vector<double> e_view(9), e_copy(9);
  Batch<double> g_view(9, 2), g_copy(9, 2);
  energy.energy_and_gradient(big.middleRows(5, 9), e_view, g_view);
  energy.energy_and_gradient(block, e_copy, g_copy);
  CHECK(e_view == e_copy);
  CHECK(g_view == g_copy);
  const Vector<double> w = uniform.next<Vector<double>>(9);
  Vector<double> gp_view = Vector<double>::Zero(energy.num_params()), gp_copy = gp_view;
  energy.accumulate_param_gradient(big.middleRows(5, 9), w, gp_view);
  energy.accumulate_param_gradient(block, w, gp_copy);
  CHECK(gp_view == gp_copy);
  // "accumulate" adds: a second call doubles the result.
  energy.accumulate_param_gradient(block, w, gp_copy);
  CHECK(ember::test::relative_error(gp_copy, (2 * gp_view).eval()) < 1e-15);
}

TEST_CASE("MlpEnergy: PyTorch-style initialisation from the seed", "[mlp]") {
  const MlpEnergy<double> a({64, 64, 32}, 99, {.init_gain = 0.5});
  const MlpEnergy<double> b({64, 64, 32}, 99, {.init_gain = 0.5});
  const MlpEnergy<double> c({64, 64, 32}, 100, {.init_gain = 0.5});
  const MlpEnergy<float> f({64, 64, 32}, 99, {.init_gain = 0.5f});
  CHECK(a.params() == b.params());
  CHECK(a.params() != c.params());
  CHECK(ember::test::relative_error(f.params().cast<double>(), a.params()) < 4 * std::numeric_limits<float>::epsilon());
  const double bound1 = 1.0 / 8.0, bound2 = 1.0 / 8.0, bound3 = 1.0 / std::sqrt(32.0);
  CHECK(a.weight(1).cwiseAbs().maxCoeff() <= 0.5 * bound1);
  CHECK(a.bias(1).cwiseAbs().maxCoeff() <= bound1);
  CHECK(a.weight(2).cwiseAbs().maxCoeff() <= 0.5 * bound2);
  CHECK(a.weight(3).cwiseAbs().maxCoeff() <= 0.5 * bound3);
  CHECK(a.bias(3).cwiseAbs().maxCoeff() <= bound3);
  // U(−c, c) has mean 0 and variance c²/3: check the 4096 first-layer weights within z_bound standard errors.
  const auto w1 = a.weight(1).reshaped();
  const double n = static_cast<double>(w1.size()), c2 = 0.25 * bound1 * bound1;
  const double mean = w1.mean(), var = (w1.array() - mean).square().sum() / (n - 1);
  CHECK(std::abs(mean) < ember::test::z_bound * std::sqrt(c2 / 3 / n));
  // Var of the sample variance of U(−c, c): (μ₄ − σ⁴)/n with μ₄ = c⁴/5, σ⁴ = c⁴/9.
  CHECK(std::abs(var - c2 / 3) < ember::test::z_bound * std::sqrt((c2 * c2 / 5 - c2 * c2 / 9) / n));
}

TEMPLATE_TEST_CASE("MlpEnergy: float agrees with double within epsilon-derived bounds", "[mlp]", ember::Silu,
                   ember::Softplus, ember::Tanh, ember::SmoothLeaky) {
  using A = TestType;
  const auto ed = randomised(MlpEnergy<double, A>({3, 16, 16}, 7, {.base_scale = 2.0}), 8, 0.5);
  MlpEnergy<float, A> ef({3, 16, 16}, 7, {.base_scale = 2.0f});
  ef.params() = ed.params().template cast<float>();
  ember::test::Uniform uniform(9);
  const Batch<double> x = uniform.next<Batch<double>>(33, 3);
  const Batch<double> v = uniform.next<Batch<double>>(33, 3);
  const Vector<double> w = uniform.next<Vector<double>>(33);
  Vector<double> e(33), gp = Vector<double>::Zero(ed.num_params()), gm = gp;
  Batch<double> g(33, 3);
  ed.energy_and_gradient(x, e, g);
  ed.accumulate_param_gradient(x, w, gp);
  ed.accumulate_mixed_gradient(x, v, gm);
  Vector<float> e_f(33), gp_f = Vector<float>::Zero(ef.num_params()), gm_f = gp_f;
  Batch<float> g_f(33, 3);
  ef.energy_and_gradient(x.cast<float>(), e_f, g_f);
  ef.accumulate_param_gradient(x.cast<float>(), w.cast<float>(), gp_f);
  ef.accumulate_mixed_gradient(x.cast<float>(), v.cast<float>(), gm_f);
  // Each output is a chain of 3 layers of sums over ≤ 16 terms of O(1) products (and of 33 points for
  // the parameter gradients, whose scale grows with them): 4 ulps per term, per layer.
  const double eps = std::numeric_limits<float>::epsilon();
  CHECK(ember::test::relative_error(e_f.cast<double>(), e) < 4 * 3 * 16 * eps);
  CHECK(ember::test::relative_error(g_f.cast<double>(), g) < 4 * 3 * 16 * eps);
  CHECK(ember::test::relative_error(gp_f.cast<double>(), gp) < 4 * 3 * 16 * eps);
  CHECK(ember::test::relative_error(gm_f.cast<double>(), gm) < 4 * 3 * 16 * eps);
}

TEST_CASE("MlpEnergy: bad arguments name the function, the argument and the value", "[mlp][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(MlpEnergy<double>({}, 1), Contains("ember::MlpEnergy::MlpEnergy") && Contains("widths.size() = 0"));
  CHECK_THROWS_WITH(MlpEnergy<double>({2, 0, 3}, 1), Contains("widths[1] = 0"));
  CHECK_THROWS_WITH(MlpEnergy<float>({2, 3}, 1, {.base_scale = -1.0f}), Contains("settings.base_scale = -1"));
  CHECK_THROWS_WITH(MlpEnergy<double>({2, 3}, 1, {.init_gain = std::nan("")}), Contains("settings.init_gain = nan"));
  const MlpEnergy<double> energy({2, 3}, 1);
  CHECK_THROWS_WITH(energy.weight(3), Contains("ember::MlpEnergy::weight") && Contains("l = 3"));
  CHECK_THROWS_WITH(energy.bias(0), Contains("ember::MlpEnergy::bias") && Contains("l = 0"));
  Vector<double> e(4);
  CHECK_THROWS_WITH(energy.energy(Batch<double>::Zero(4, 3), e),
                    Contains("ember::MlpEnergy::energy") && Contains("x = 4 x 3"));
  Batch<double> x = Batch<double>::Zero(4, 2);
  x(2, 1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(energy.energy(x, e), Contains("x(2, 1) = inf"));
  x(2, 1) = 0;
  Batch<double> g(4, 3);
  CHECK_THROWS_WITH(energy.energy_and_gradient(x, e, g), Contains("g = 4 x 3"));
  Vector<double> gp(energy.num_params() + 1);
  CHECK_THROWS_WITH(energy.accumulate_param_gradient(x, Vector<double>::Ones(4), gp),
                    Contains("ember::MlpEnergy::accumulate_param_gradient") && Contains("g = "));
  CHECK_THROWS_WITH(energy.accumulate_mixed_gradient(x, Batch<double>::Zero(3, 2), gp), Contains("v = 3 x 2"));
}

TEST_CASE("MlpEnergy: huge widths are refused before any allocation, naming the width (no overflow)",
          "[mlp][errors][bad input]") {
  using Catch::Matchers::Message;
  // The case: 2 · 2³² + 2³² parameters in the first layer alone are 48 GiB of floats.
  CHECK_THROWS_MATCHES(MlpEnergy<float>({2, Index{1} << 32, Index{1} << 32}, 1), ember::invalid_argument,
                       Message("ember::MlpEnergy::MlpEnergy: widths[1] = 4294967296: the parameters would take 51539607552 "
                               "bytes, more than ember::max_allocation_bytes = 17179869184"));
  // h₁ · d overflows the index type (signed overflow would be undefined behaviour).
  CHECK_THROWS_MATCHES(MlpEnergy<double>({Index{1} << 62, 4}, 1), ember::invalid_argument,
                       Message("ember::MlpEnergy::MlpEnergy: widths[1] = 4: the weights would have 4 x 4611686018427387904 "
                               "entries, which overflows the index type"));
  // The output layer's size follows from the last hidden width, which is named.
  CHECK_THROWS_WITH(MlpEnergy<double>({1, 1, Index{1} << 31}, 1), Catch::Matchers::Contains("widths[2] = 2147483648"));
  CHECK_NOTHROW(MlpEnergy<float>({2, 64, 64}, 1));
}

TEST_CASE("MlpEnergy: parameter gradients are the same bits when the workspace is reused by other sizes",
          "[mlp][gradient]") {
  // The parameter passes reuse one thread-local workspace: a call must read nothing an earlier call left.
  const auto energy = randomised(MlpEnergy<double>({3, 9, 7}, 1, {.base_scale = 2.0}), 41);
  ember::test::Uniform uniform(43);
  const Batch<double> x = uniform.next<Batch<double>>(37, 3), v = uniform.next<Batch<double>>(37, 3);
  const Batch<double> other = 5.0 * uniform.next<Batch<double>>(80, 3);
  const Vector<double> w = uniform.next<Vector<double>>(37), w_other = uniform.next<Vector<double>>(80);
  const auto gradients = [&] {
    Vector<double> param = Vector<double>::Zero(energy.num_params()), mixed = param;
    energy.accumulate_param_gradient(x, w, param);
    energy.accumulate_mixed_gradient(x, v, mixed);
    return std::pair(param, mixed);
  };
  const auto first = gradients();
  Vector<double> scratch = Vector<double>::Zero(energy.num_params());
  energy.accumulate_param_gradient(other, w_other, scratch);  // fills the workspace with other values
  energy.accumulate_mixed_gradient(other, other, scratch);
  const auto again = gradients();
  CHECK(again.first == first.first);
  CHECK(again.second == first.second);
}

TEST_CASE("MlpEnergy: batches of several row passes and layers wider than a packed block match finite differences",
          "[mlp][gradient]") {
  // pass_rows() splits a batch into passes and multiply_in_column_blocks splits a wide layer's products; both are
  // checked against directional central differences of the fused SIMD forward pass (energy(), energy_and_gradient()),
  // which share no code with them: f(θ) = Σ ωᵢ E(xᵢ; θ) for ∇θ and F(θ) = Σ ⟨∇ₓE(xᵢ; θ), vᵢ⟩ for the mixed gradient.
  const std::vector<std::vector<Index>> shapes = {{2, 12, 9}, {3, 600, 40, 300}};
  for (const auto& widths : shapes) {
    for (Index n : {Index{1}, Index{300}}) {
      CAPTURE(widths, n);
      const auto energy = randomised(MlpEnergy<double>(widths, 3, {.base_scale = 2.0}), 7, 0.3);
      ember::test::Uniform uniform(8);
      const Batch<double> x = uniform.next<Batch<double>>(n, widths[0]), v = uniform.next<Batch<double>>(n, widths[0]);
      const Vector<double> w = uniform.next<Vector<double>>(n), u = uniform.next<Vector<double>>(energy.num_params());
      if (widths[1] == 600) CHECK(energy.pass_rows() < 300);  // several passes at n = 300
      const auto weighted_energy = [&](const Vector<double>& params) {
        auto moved = energy;
        moved.params() = params;
        Vector<double> e(n);
        moved.energy(x, e);
        return w.dot(e);
      };
      const auto directional = [&](const Vector<double>& params) {
        auto moved = energy;
        moved.params() = params;
        Vector<double> e(n);
        Batch<double> g(n, widths[0]);
        moved.energy_and_gradient(x, e, g);
        return (g.array() * v.array()).sum();
      };
      const auto central = [&](const auto& f) {
        const double h = 1e-5;
        return (f(energy.params() + h * u) - f(energy.params() - h * u)) / (2 * h);
      };
      Vector<double> param = Vector<double>::Zero(energy.num_params()), mixed = param;
      energy.accumulate_param_gradient(x, w, param);
      energy.accumulate_mixed_gradient(x, v, mixed);
      const double param_fd = central(weighted_energy), mixed_fd = central(directional);
      CHECK(param.dot(u) == Approx(param_fd).epsilon(1e-6).margin(1e-9));
      CHECK(mixed.dot(u) == Approx(mixed_fd).epsilon(1e-6).margin(1e-9));
    }
  }
}
