// Device tests of block Gibbs: one sweep equals the host ember::BlockGibbs sweep drawn from the same stream,
// and the visible marginal of many chains matches a small RBM's exact distribution (χ² by enumeration).
#include "ember/cuda/ember_cuda.cuh"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/mcmc/gibbs.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

TEST_CASE("device block Gibbs sweeps equal the host's from the same Philox stream", "[cuda][gibbs]") {
  ember::Philox init(31);
  auto rbm = ember::BernoulliRbm<double>::random(6, 4, init, 1.0);
  rbm.visible_bias().setConstant(0.3);
  rbm.hidden_bias().setConstant(-0.2);
  const ember::cuda::DeviceRbm<double> device_rbm(rbm);
  Batch<double> u(1000, 6);
  init.uniform(u);
  Batch<double> x = (u.array() < 0.5).cast<double>();
  ember::cuda::DeviceBatch<double> dx(x);
  ember::Philox host_rng(32), device_rng(32);
  ember::BlockGibbs<double> host;
  ember::cuda::BlockGibbs<double> device;
  host.run(rbm, x, host_rng, 3);
  device.run(device_rbm, dx, device_rng, 3);
  CHECK(host_rng.position() == device_rng.position());  // two draws per sweep on both
  // A unit differs only if u and σ(a) agree to ~1e-16: with 10⁴ units per sweep, never in practice.
  CHECK(dx.to_host() == x);
  CHECK(device.hidden().to_host() == host.hidden());
}

TEST_CASE("device Gaussian-visible Gibbs sweeps match the host's to rounding", "[cuda][gibbs]") {
  ember::Philox init(41);
  auto rbm = ember::Rbm<double, ember::VisibleUnits::gaussian>::random(5, 3, init, 0.5);
  const ember::cuda::DeviceRbm<double, ember::VisibleUnits::gaussian> device_rbm(rbm);
  Batch<double> x(500, 5);
  init.normal(x);
  ember::cuda::DeviceBatch<double> dx(x);
  ember::cuda::DeviceBatch<double> dh;
  ember::Philox host_rng(42), device_rng(42);
  ember::BlockGibbs<double> host;
  ember::cuda::BlockGibbs<double> device;
  host.step(rbm, x, host_rng);
  device.step(device_rbm, dx, device_rng);
  CHECK(device.hidden().to_host() == host.hidden());
  // Means by cuBLAS vs Eigen (summation order) plus normals to a few ulps: 1e-12 of the values' size.
  CHECK((dx.to_host() - x).cwiseAbs().maxCoeff() <= 1e-12 * (1 + x.cwiseAbs().maxCoeff()));
}

TEMPLATE_TEST_CASE("device block Gibbs samples a small RBM's exact visible distribution", "[cuda][gibbs]", float, double) {
  const Index d = 4, h = 3;
  ember::Philox init(51);
  auto rbm = ember::BernoulliRbm<TestType>::random(d, h, init, TestType(1));
  rbm.visible_bias() << TestType(0.5), TestType(-0.5), TestType(0), TestType(1);
  rbm.hidden_bias() << TestType(-1), TestType(0.5), TestType(0);
  // Exact p(v) ∝ exp(−F(v)) over the 16 visible states.
  Batch<TestType> states(16, d);
  for (Index s = 0; s < 16; ++s)
    for (Index k = 0; k < d; ++k) states(s, k) = static_cast<TestType>((s >> k) & 1);
  Vector<TestType> free_energy(16);
  rbm.energy(states, free_energy);
  Vector<double> p = (-free_energy.template cast<double>().array()).exp();
  p /= p.sum();

  const Index n = Index{1} << 15;
  ember::cuda::DeviceBatch<TestType> x(Batch<TestType>::Zero(n, d));
  ember::cuda::BlockGibbs<TestType> gibbs;
  ember::Philox rng(52);
  gibbs.run(ember::cuda::DeviceRbm<TestType>(rbm), x, rng, 60);
  const Batch<TestType> v = x.to_host();
  std::vector<double> counts(16, 0.0);
  for (Index i = 0; i < n; ++i) {
    Index s = 0;
    for (Index k = 0; k < d; ++k) s += static_cast<Index>(v(i, k)) << k;
    counts[static_cast<std::size_t>(s)] += 1;
  }
  double chi2 = 0;
  for (Index s = 0; s < 16; ++s) {
    const double expected = static_cast<double>(n) * p(s);
    chi2 += (counts[static_cast<std::size_t>(s)] - expected) * (counts[static_cast<std::size_t>(s)] - expected) / expected;
  }
  CHECK(chi2 < 37.70);  // χ²(15 degrees of freedom) at α = 10⁻³
}
