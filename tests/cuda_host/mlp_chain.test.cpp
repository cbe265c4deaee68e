// tests include/ember/cuda/detail/mlp_chain.hpp: one chain of the device MLP, compiled by g++, against the
// textbook dot-product bound, ember::MlpEnergy (the CPU path) and central finite differences.
#include "ember/cuda/detail/mlp_chain.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "ember/cuda/detail/activations.hpp"
#include "ember/energy/mlp.hpp"
#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

namespace {

// The device's shape of an MLP with widths {d, h_1, ..., h_k} (MlpEnergy's layout: W_l then b_l per layer).
ember::cuda::detail::MlpShape shape_of(const std::vector<Index>& widths) {
  ember::cuda::detail::MlpShape shape;
  shape.layers = static_cast<int>(widths.size()) - 1;
  int offset = 0;
  for (std::size_t l = 0; l < widths.size(); ++l) shape.width[l] = static_cast<int>(widths[l]);
  for (std::size_t l = 1; l < widths.size(); ++l) {
    shape.weight_offset[l - 1] = offset;
    offset += static_cast<int>(widths[l] * widths[l - 1] + widths[l]);
  }
  shape.weight_offset[widths.size() - 1] = offset;
  return shape;
}

// Energies and gradients of every chain of x through mlp_chain (x, g: N × d column-major, stride N).
template <class Act, class T>
void chain_energies(const Vector<T>& theta, const ember::cuda::detail::MlpShape& shape, const Batch<T>& x,
                    T inv_base_var, Vector<T>& e, Batch<T>& g) {
  e.resize(x.rows());
  g.resize(x.rows(), x.cols());
  for (Index i = 0; i < x.rows(); ++i)
    e(i) = ember::cuda::detail::mlp_chain<Act>(theta.data(), shape, x.data() + i, x.rows(), inv_base_var, g.data() + i);
}

}  // namespace

TEMPLATE_TEST_CASE("cuda mlp_chain: dense_unit is within the dot-product bound γₙ(|b| + Σ|wₖaₖ|)", "[cuda_host][mlp]",
                   float, double) {
  using T = TestType;
  constexpr int h = 5, h_in = 31;
  const Batch<T> w = ember::test::normal_batch<T>(h, h_in, 3);
  const Batch<T> in = ember::test::normal_batch<T>(4, h_in, 4, T(10));  // read with stride 4: column 0 of a batch
  const Vector<T> b = ember::test::normal_batch<T>(h, 1, 5).col(0);
  const long double u = std::numeric_limits<T>::epsilon() / 2;
  const long double gamma = h_in * u / (1 - h_in * u);
  for (int j = 0; j < h; ++j) {
    long double exact = b(j), magnitude = std::abs(static_cast<long double>(b(j)));
    for (int k = 0; k < h_in; ++k) {
      exact += static_cast<long double>(w(j, k)) * in(0, k);
      magnitude += std::abs(static_cast<long double>(w(j, k)) * in(0, k));
    }
    const T s = ember::cuda::detail::dense_unit(w.data(), h, j, b(j), in.data(), 4, h_in);
    CHECK(std::abs(s - exact) <= gamma * magnitude);
  }
}

// The CPU's MlpEnergy sums in another order (blocked SIMD products) and uses its batch activations, so the
// two agree within rounding: the measured max |Δ|/(ε(1 + |ref|)) over these 257 chains on x86-64 (AVX-512)
// is 0.86 ε for the energy and 0.33 ε for the gradient (all three activations, float and double; INFO
// reports it). The bound, 8 ε, allows a few roundings of each layer's sums (16 and 8 terms).
TEMPLATE_TEST_CASE("cuda mlp_chain: energy and input gradient agree with ember::MlpEnergy", "[cuda_host][mlp]", float,
                   double) {
  using T = TestType;
  const std::vector<Index> widths{2, 16, 8};
  const auto check = [&](auto host_activation, auto device_activation, const char* name) {
    using HostAct = decltype(host_activation);
    using DeviceAct = decltype(device_activation);
    const ember::MlpEnergy<T, HostAct> mlp(widths, 42, {.base_scale = T(2)});
    const Batch<T> x = ember::test::normal_batch<T>(257, 2, 7, T(1.5));
    Vector<T> e_cpu(x.rows()), e_dev;
    Batch<T> g_cpu(x.rows(), 2), g_dev;
    mlp.energy_and_gradient(x, e_cpu, g_cpu);
    chain_energies<DeviceAct>(mlp.params(), shape_of(widths), x, T(0.25), e_dev, g_dev);
    const double eps = std::numeric_limits<T>::epsilon();
    double energy_error = 0, gradient_error = 0;
    for (Index i = 0; i < x.rows(); ++i) {
      energy_error = std::max(energy_error, std::abs(double(e_dev(i)) - e_cpu(i)) / (eps * (1 + std::abs(double(e_cpu(i))))));
      for (Index j = 0; j < 2; ++j)
        gradient_error = std::max(gradient_error,
                                  std::abs(double(g_dev(i, j)) - g_cpu(i, j)) / (eps * (1 + std::abs(double(g_cpu(i, j))))));
    }
    INFO(name << ": max energy error " << energy_error << " ε, gradient " << gradient_error << " ε");
    CHECK(energy_error <= 8);
    CHECK(gradient_error <= 8);
    // The energy alone (g null) is the same number.
    for (Index i = 0; i < 3; ++i)
      CHECK(ember::cuda::detail::mlp_chain<DeviceAct>(mlp.params().data(), shape_of(widths), x.data() + i, x.rows(),
                                                      T(0.25), static_cast<T*>(nullptr)) == e_dev(i));
  };
  check(ember::Silu{}, ember::cuda::Silu{}, "SiLU");
  check(ember::Softplus{}, ember::cuda::Softplus{}, "Softplus");
  check(ember::Tanh{}, ember::cuda::Tanh{}, "Tanh");
}

TEST_CASE("cuda mlp_chain: the input gradient is the derivative of the energy (central differences)", "[cuda_host][mlp]") {
  const std::vector<Index> widths{3, 8, 8, 4};  // three hidden layers: the backward loop runs twice
  const ember::MlpEnergy<double, ember::Silu> mlp(widths, 9);
  const auto shape = shape_of(widths);
  const Batch<double> x = ember::test::normal_batch<double>(16, 3, 11);
  const double inv_base_var = 0.5;
  for (Index i = 0; i < x.rows(); ++i) {
    Vector<double> point = x.row(i).transpose(), g(3), numeric(3);
    ember::cuda::detail::mlp_chain<ember::cuda::Silu>(mlp.params().data(), shape, point.data(), 1, inv_base_var, g.data());
    for (Index j = 0; j < 3; ++j) {
      const double h = ember::test::fd_step(point(j));
      Vector<double> plus = point, minus = point;
      plus(j) += h;
      minus(j) -= h;
      const auto energy = [&](const Vector<double>& p) {
        return ember::cuda::detail::mlp_chain<ember::cuda::Silu>(mlp.params().data(), shape, p.data(), 1,
                                                                 inv_base_var, static_cast<double*>(nullptr));
      };
      numeric(j) = (energy(plus) - energy(minus)) / (2 * h);
    }
    CHECK(ember::test::relative_error(g, numeric) <= ember::test::fd_tolerance);
  }
}
