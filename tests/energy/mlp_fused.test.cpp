// MlpEnergy's hot path (energy, energy_and_gradient) runs the fused SIMD kernels of simd/dense.hpp; these
// tests hold it to the plain Eigen-GEMM formulation of the same network at the benchmark's sizes.
#include <catch2/catch.hpp>

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
// E and ∇ₓE by Eigen GEMMs in double from the network's (float) parameters: Z_l = H W_lᵀ + b_l, H = σ(Z).
template <class T>
void gemm_reference(const MlpEnergy<T>& net, const Batch<double>& x, Vector<double>& e, Batch<double>& g) {
  const Index k = net.num_hidden_layers();
  std::vector<Batch<double>> d1;
  Batch<double> h = x;
  for (Index l = 1; l <= k; ++l) {
    Batch<double> z = h * net.weight(l).template cast<double>().transpose();
    z.rowwise() += net.bias(l).template cast<double>().transpose();
    d1.push_back(z.unaryExpr([](double v) { return ember::Silu::first(v); }));
    h = z.unaryExpr([](double v) { return ember::Silu::value(v); });
  }
  e = h * net.weight(k + 1).template cast<double>().transpose();
  e.array() += static_cast<double>(net.bias(k + 1)(0));
  const double s = static_cast<double>(net.settings().base_scale);
  if (s > 0) e += x.rowwise().squaredNorm() / (2 * s * s);
  Batch<double> grad = Batch<double>::Ones(x.rows(), 1) * net.weight(k + 1).template cast<double>();
  for (Index l = k; l >= 1; --l)
    grad = grad.cwiseProduct(d1[static_cast<std::size_t>(l - 1)]) * net.weight(l).template cast<double>();
  g = grad;
  if (s > 0) g += x / (s * s);
}
}  // namespace

TEMPLATE_TEST_CASE("MlpEnergy (fused): agrees with Eigen GEMMs at the benchmark sizes", "[mlp][fused]", float,
                   double) {
  using T = TestType;
  for (const auto& widths : {std::vector<Index>{2, 128, 128}, std::vector<Index>{32, 256}}) {
    const MlpEnergy<T> net(widths, 3, {.base_scale = T(4)});
    ember::test::Uniform uniform(4);
    const Batch<double> x = 2 * uniform.next<Batch<double>>(257, widths[0]);
    const Batch<T> xt = x.cast<T>();
    Vector<T> e(257), e_only(257);
    Batch<T> g(257, widths[0]);
    net.energy_and_gradient(xt, e, g);
    net.energy(xt, e_only);
    CHECK(e_only == e);
    Vector<double> e_ref;
    Batch<double> g_ref;
    gemm_reference(net, xt.template cast<double>(), e_ref, g_ref);
    // Sums of ≤ 256 terms per layer, two layers each way: 4 ulps per term and layer.
    const double bound = 4 * 2 * 256 * std::numeric_limits<T>::epsilon();
    CHECK(ember::test::relative_error(e.template cast<double>(), e_ref) < bound);
    CHECK(ember::test::relative_error(g.template cast<double>(), g_ref) < bound);
  }
}

TEST_CASE("MlpEnergy (fused): a chain's energy and gradient do not depend on N or its row", "[mlp][fused]") {
  const MlpEnergy<float> net({2, 128, 128}, 8, {.base_scale = 3.f});
  ember::test::Uniform uniform(9);
  const Batch<float> x = uniform.next<Batch<float>>(1024, 2);
  Vector<float> e(1024);
  Batch<float> g(1024, 2);
  net.energy_and_gradient(x, e, g);
  for (Index start : {Index{0}, Index{5}, Index{64}, Index{1000}}) {
    Vector<float> es(24);
    Batch<float> gs(24, 2);
    net.energy_and_gradient(x.middleRows(start, 24), es, gs);
    CHECK(es == e.segment(start, 24));
    CHECK(gs == g.middleRows(start, 24));
  }
}

TEST_CASE("MlpEnergy (fused): gradients match finite differences on a wide double network", "[mlp][fused]") {
  MlpEnergy<double> net({4, 40, 19}, 12, {.base_scale = 2.0});
  ember::test::Uniform uniform(13);
  net.params() = 0.7 * uniform.next<Vector<double>>(net.num_params());
  const Batch<double> x = 1.5 * uniform.next<Batch<double>>(45, 4);
  ember::test::check_x_gradient(net, x);
}
