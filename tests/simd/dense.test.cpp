#include "ember/simd/dense.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "ember/energy/mlp.hpp"
#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::MlpEnergy;
using ember::Vector;

namespace {

// E(x) and ∇ₓE for one point by plain double loops over the documented layout (no SIMD, no GEMM), with
// Σ|terms| of every sum carried alongside so that the float bound follows from the numbers.
template <class A>
void reference(const std::vector<Index>& widths, const Vector<double>& params, const Vector<double>& x, double& e,
               Vector<double>& g) {
  const Index k = static_cast<Index>(widths.size()) - 1;
  auto width = [&](Index l) { return l <= k ? widths[static_cast<std::size_t>(l)] : Index{1}; };
  std::vector<Vector<double>> h(static_cast<std::size_t>(k + 1)), d1(static_cast<std::size_t>(k + 1));
  h[0] = x;
  Index offset = 0;
  std::vector<Index> weight_at(static_cast<std::size_t>(k + 2));
  for (Index l = 1; l <= k + 1; ++l) {
    weight_at[static_cast<std::size_t>(l)] = offset;
    offset += width(l) * width(l - 1) + width(l);
  }
  auto w = [&](Index l, Index r, Index c) { return params(weight_at[l] + r + c * width(l)); };
  auto b = [&](Index l, Index r) { return params(weight_at[l] + width(l) * width(l - 1) + r); };
  for (Index l = 1; l <= k + 1; ++l) {
    Vector<double> z(width(l));
    for (Index r = 0; r < width(l); ++r) {
      z(r) = b(l, r);
      for (Index c = 0; c < width(l - 1); ++c) z(r) += w(l, r, c) * h[static_cast<std::size_t>(l - 1)](c);
    }
    if (l <= k) {
      d1[static_cast<std::size_t>(l)] = z.unaryExpr([](double v) { return A::first(v); });
      h[static_cast<std::size_t>(l)] = z.unaryExpr([](double v) { return A::value(v); });
    } else {
      e = z(0);
    }
  }
  Vector<double> grad(width(k));
  for (Index r = 0; r < width(k); ++r) grad(r) = w(k + 1, 0, r);
  for (Index l = k; l >= 1; --l) {
    const Vector<double> delta = grad.cwiseProduct(d1[static_cast<std::size_t>(l)]);
    grad = Vector<double>::Zero(width(l - 1));
    for (Index c = 0; c < width(l - 1); ++c)
      for (Index r = 0; r < width(l); ++r) grad(c) += delta(r) * w(l, r, c);
  }
  g = grad;
}

template <class T, class A>
void check_against_reference(const std::vector<Index>& widths, Index n, unsigned seed) {
  INFO("widths {" << widths[0] << ", " << widths[1] << ", ...} (" << widths.size() - 1 << " hidden), n = " << n);
  MlpEnergy<double, A> net(widths, seed);
  ember::test::Uniform uniform(seed);
  net.params() = 0.8 * uniform.next<Vector<double>>(net.num_params());  // O(1) weights: σ is far from linear
  const Vector<T> params = net.params().template cast<T>();
  const Batch<double> x = 1.5 * uniform.next<Batch<double>>(n + 3, widths[0]);  // use a strided row block of it
  const Batch<T> xt = x.cast<T>();
  Vector<T> e(n);
  Batch<T> g(n + 5, widths[0]);
  g.setConstant(T(7));
  const ember::simd::MlpView<T> view{params.data(), widths.data(), static_cast<Index>(widths.size())};
  ember::simd::mlp_energy_and_gradient<A>(view, xt.data() + 2, xt.outerStride(), n, e.data(), g.data() + 1,
                                          g.outerStride());
  Vector<T> e_only(n);
  ember::simd::mlp_energy<A>(view, xt.data() + 2, xt.outerStride(), n, e_only.data());
  // Forward-only and forward-backward run the same sums in the same order: identical bits.
  CHECK(e_only == e);
  // Rows outside the output block are untouched.
  CHECK((g.row(0).array() == T(7)).all());
  CHECK((g.bottomRows(4).array() == T(7)).all());
  // Each output is a chain of layers of sums of ≤ h_max O(1) terms: a few ulps per term and layer,
  // against a reference evaluated in double from the same float-rounded parameters and inputs.
  Index h_max = 0;
  for (Index wdt : widths) h_max = std::max(h_max, wdt);
  const double eps = std::numeric_limits<T>::epsilon();
  const double bound = 4.0 * static_cast<double>(widths.size()) * static_cast<double>(h_max) * eps;
  for (Index i = 0; i < n; ++i) {
    double e_ref;
    Vector<double> g_ref;
    reference<A>(widths, params.template cast<double>(), xt.row(i + 2).transpose().template cast<double>(), e_ref,
                 g_ref);
    CHECK(std::abs(static_cast<double>(e(i)) - e_ref) <= bound * (1 + std::abs(e_ref)));
    CHECK(ember::test::relative_error(g.row(i + 1).transpose().template cast<double>(), g_ref) <= bound);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("simd::mlp_energy_and_gradient matches plain loops for every shape and tail", "[simd][dense]",
                   float, double) {
  using T = TestType;
  // Widths that exercise the unit tails (1..5 left after tiles of 6) and the chain tails (n not a
  // multiple of a tile or of a block).
  const std::vector<std::vector<Index>> shapes = {{2, 128, 128}, {3, 7, 5}, {1, 1}, {5, 13, 8, 3}, {32, 20, 9}};
  unsigned seed = 1;
  for (const auto& widths : shapes)
    for (Index n : {Index{1}, Index{17}, ember::simd::block_rows<T> + 3, Index{200}})
      check_against_reference<T, ember::Silu>(widths, n, seed++);
  check_against_reference<T, ember::Tanh>({4, 12, 10}, 33, seed++);
  check_against_reference<T, ember::Softplus>({4, 12, 10}, 33, seed++);
  check_against_reference<T, ember::SmoothLeaky>({4, 12, 10}, 33, seed++);
}

TEST_CASE("simd::mlp_energy_and_gradient: a chain's result does not depend on its position or on N", "[simd][dense]") {
  MlpEnergy<float> net({3, 40, 30}, 5, {});
  ember::test::Uniform uniform(6);
  const Batch<float> x = uniform.next<Batch<float>>(150, 3);
  const ember::simd::MlpView<float> view{net.params().data(), net.widths().data(), 3};
  Vector<float> e_all(150);
  Batch<float> g_all(150, 3);
  ember::simd::mlp_energy_and_gradient<ember::Silu>(view, x.data(), x.outerStride(), 150, e_all.data(), g_all.data(),
                                                   g_all.outerStride());
  for (Index start : {Index{0}, Index{1}, Index{37}, Index{149}}) {
    const Index n = std::min<Index>(29, 150 - start);
    Vector<float> e(n);
    Batch<float> g(n, 3);
    ember::simd::mlp_energy_and_gradient<ember::Silu>(view, x.data() + start, x.outerStride(), n, e.data(), g.data(),
                                                     g.outerStride());
    CHECK(e == e_all.segment(start, n));
    CHECK(g == g_all.middleRows(start, n));
  }
}
