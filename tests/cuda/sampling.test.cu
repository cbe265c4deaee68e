// Device tests of buffers, device energies (Gaussian, analytic, MLP on both paths), Langevin, MALA and the
// CD/DCD gradient: each against the host classes, finite differences in double, or an exact target.
#include "ember/cuda/ember_cuda.cuh"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/energy/tether.hpp"
#include "ember/mcmc/langevin.hpp"
#include "support/random_batch.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

using ember::test::normal_batch;

namespace {

// A per-chain analytic energy: E = ½ c ‖x‖² (dimension 3), gradient c x.
template <class T>
struct Isotropic {
  T curvature;
  EMBER_HOST_DEVICE T operator()(const T* x, T* g, Index stride) const {
    T e = 0;
    for (Index j = 0; j < 3; ++j) {
      e += x[j * stride] * x[j * stride];
      if (g != nullptr) g[j * stride] = curvature * x[j * stride];
    }
    return T(0.5) * curvature * e;
  }
};

struct NotFinite {
  EMBER_HOST_DEVICE double operator()(const double* x, double* g, Index stride) const {
    if (g != nullptr) g[0] = x[0] > 0.5 ? std::numeric_limits<double>::quiet_NaN() : 0.0;
    if (g != nullptr) g[stride] = 0.0;
    return 0.0;
  }
};

// Host reference of the MLP energy (the documented layout), per point, in double.
struct ReferenceMlp {
  std::vector<Index> widths;
  Vector<double> theta;
  double inv_var = 0;

  template <class A>
  double energy(const Vector<double>& x, Vector<double>* g, A) const {
    using Matrix = Eigen::MatrixXd;
    std::vector<Vector<double>> z;
    Vector<double> a = x;
    Index offset = 0;
    std::vector<Index> offsets;
    for (std::size_t l = 1; l < widths.size(); ++l) {
      offsets.push_back(offset);
      const Index h = widths[l], h_in = widths[l - 1];
      const Eigen::Map<const Matrix> w(theta.data() + offset, h, h_in);
      z.push_back(w * a + theta.segment(offset + h * h_in, h));
      a = z.back().unaryExpr([](double v) { return A::value(v); });
      offset += h * h_in + h;
    }
    const Index k = widths.back();
    const double e = theta.segment(offset, k).dot(a) + theta(offset + k) + 0.5 * inv_var * x.squaredNorm();
    if (g != nullptr) {
      Vector<double> delta = theta.segment(offset, k).cwiseProduct(z.back().unaryExpr([](double v) { return A::slope(v); }));
      for (std::size_t l = widths.size() - 1; l >= 1; --l) {
        const Index h = widths[l], h_in = widths[l - 1];
        const Eigen::Map<const Matrix> w(theta.data() + offsets[l - 1], h, h_in);
        Vector<double> back = w.transpose() * delta;
        if (l >= 2) back = back.cwiseProduct(z[l - 2].unaryExpr([](double v) { return A::slope(v); }));
        delta = back;
      }
      *g = delta + inv_var * x;
    }
    return e;
  }
};

template <class A>
double weighted_energy(const ReferenceMlp& mlp, const Batch<double>& x, const Vector<double>& w) {
  double total = 0;
  for (Index i = 0; i < x.rows(); ++i) total += w(i) * mlp.energy(x.row(i).transpose(), nullptr, A{});
  return total;
}

template <class A>
void check_mlp(std::vector<Index> widths, ember::cuda::MlpPath path, bool expect_fused) {
  const Index n = 61;
  Index count = 0;
  for (std::size_t l = 1; l < widths.size(); ++l) count += widths[l] * widths[l - 1] + widths[l];
  count += widths.back() + 1;
  ReferenceMlp reference{widths, normal_batch<double>(count, 1, 11, 0.4).col(0), 1.0 / (1.7 * 1.7)};
  ember::cuda::DeviceMlp<double, A> mlp(widths, reference.theta, 1.7, path);
  CHECK(mlp.fused() == expect_fused);
  CHECK(mlp.num_params() == count);
  const Batch<double> x = normal_batch<double>(n, widths[0], 12);
  ember::cuda::DeviceBatch<double> dx(x), dg;
  ember::cuda::DeviceVector<double> de, de_only;
  mlp.energy_and_gradient(dx, de, dg);
  mlp.energy(dx, de_only);
  const Vector<double> e = de.to_host();
  const Batch<double> g = dg.to_host();
  CHECK(de_only.to_host() == e);
  for (Index i = 0; i < n; ++i) {
    Vector<double> g_ref;
    const double e_ref = reference.energy(x.row(i).transpose(), &g_ref, A{});
    CHECK(std::abs(e(i) - e_ref) <= 1e-12 * (1 + std::abs(e_ref)));
    CHECK((g.row(i).transpose() - g_ref).norm() <= 1e-12 * (1 + g_ref.norm()));
  }
  // The reference's input gradient against central differences (the device matched it above).
  Vector<double> g0;
  reference.energy(x.row(0).transpose(), &g0, A{});
  for (Index j = 0; j < widths[0]; ++j) {
    Vector<double> plus = x.row(0).transpose(), minus = plus;
    const double h = 1e-5;
    plus(j) += h;
    minus(j) -= h;
    const double numeric = (reference.energy(plus, nullptr, A{}) - reference.energy(minus, nullptr, A{})) / (2 * h);
    CHECK(std::abs(g0(j) - numeric) <= 1e-7 * (1 + std::abs(numeric)));
  }
  // Parameter gradient of Σ wᵢ E(xᵢ), reduced on the device, against central differences; it accumulates.
  const Vector<double> w = normal_batch<double>(n, 1, 13).col(0);
  ember::cuda::DeviceVector<double> dw(w), dpg(count);
  dpg.set_zero();
  mlp.accumulate_param_gradient(dx, dw, dpg);
  mlp.accumulate_param_gradient(dx, dw, dpg);
  const Vector<double> pg = dpg.to_host() / 2.0;
  double worst = 0;
  for (Index p = 0; p < count; ++p) {
    ReferenceMlp plus = reference, minus = reference;
    const double h = 1e-5 * std::max(1.0, std::abs(reference.theta(p)));
    plus.theta(p) += h;
    minus.theta(p) -= h;
    const double numeric = (weighted_energy<A>(plus, x, w) - weighted_energy<A>(minus, x, w)) / (2 * h);
    worst = std::max(worst, std::abs(pg(p) - numeric) / (1 + std::abs(numeric)));
  }
  CHECK(worst <= 1e-6);
}

}  // namespace

TEMPLATE_TEST_CASE("device batches keep the column-major layout through copies and row blocks", "[cuda][buffer]",
                   float, double) {
  const Batch<TestType> x = normal_batch<TestType>(23, 5, 1);
  ember::cuda::DeviceBatch<TestType> whole(x);
  CHECK(whole.rows() == 23);
  CHECK(whole.cols() == 5);
  CHECK(whole.ld() == 23);
  CHECK(whole.to_host() == x);
  ember::cuda::DeviceBatch<TestType> block(x.middleRows(4, 9));  // outer stride 23, 9 rows
  CHECK(block.to_host() == x.middleRows(4, 9));
  Batch<TestType> back = Batch<TestType>::Zero(23, 5);
  block.download(back.bottomRows(9));
  CHECK(back.bottomRows(9) == x.middleRows(4, 9));
  CHECK(back.topRows(14).isZero());
  const Vector<TestType> v = x.col(2);
  CHECK(ember::cuda::DeviceVector<TestType>(v).to_host() == v);
  CHECK_THROWS_AS(block.download(back), ember::invalid_argument);
}

TEST_CASE("device Langevin follows the host Langevin chain on the Gaussian energy", "[cuda][langevin]") {
  Eigen::MatrixXd covariance(3, 3);
  covariance << 2.0, 0.3, -0.2, 0.3, 1.0, 0.1, -0.2, 0.1, 0.5;
  const auto host_energy = ember::GaussianEnergy<double>::from_mean_covariance(Eigen::Vector3d(1.0, -1.0, 0.5), covariance);
  const ember::cuda::DeviceGaussian<double> device_energy(host_energy);
  Batch<double> x = normal_batch<double>(500, 3, 2);
  ember::cuda::DeviceBatch<double> dx(x);
  for (const bool decoupled : {false, true}) {
    auto host = decoupled ? ember::Langevin<double>::decoupled(0.05, 0.2, 0.8) : ember::Langevin<double>({.step_size = 0.05});
    auto device = decoupled ? ember::cuda::Langevin<double>::decoupled(0.05, 0.2, 0.8)
                            : ember::cuda::Langevin<double>({.step_size = 0.05});
    ember::Philox host_rng(77), device_rng(77);
    const Index steps = 10;
    host.run(host_energy, x, host_rng, steps);
    device.run(device_energy, dx, device_rng, steps);
    CHECK(device_rng.position() == host_rng.position());  // one draw per step on both
    const Batch<double> moved = dx.to_host();
    // Same normals to a few ulps and the same arithmetic up to FMA contraction: 10 steps of O(1) updates.
    CHECK((moved - x).cwiseAbs().maxCoeff() <= 1e3 * std::numeric_limits<double>::epsilon() * (1 + x.cwiseAbs().maxCoeff()));
  }
}

TEMPLATE_TEST_CASE("device ULA reaches its known stationary variance 1/(1 - eps c/4)/c", "[cuda][langevin]", float, double) {
  // For E = c‖x‖²/2 the ULA chain x ← (1 − εc/2)x + √ε ξ is linear-Gaussian with variance ε/(1 − (1 − εc/2)²).
  const TestType eps = TestType(0.1), c = TestType(2);
  const ember::cuda::PointEnergy<TestType, Isotropic<TestType>> energy(Isotropic<TestType>{c}, 3);
  const Index n = Index{1} << 16;
  ember::cuda::DeviceBatch<TestType> x(Batch<TestType>::Zero(n, 3));
  ember::Philox rng(20250101);
  ember::cuda::Langevin<TestType> kernel({.step_size = eps});
  kernel.run(energy, x, rng, 300);  // contraction 0.9 per step: 0.9^600 of the initial deficit is left
  const Batch<double> samples = x.to_host().template cast<double>();
  const double rho = 1 - static_cast<double>(eps * c) / 2;
  const double stationary = static_cast<double>(eps) / (1 - rho * rho);
  for (Index j = 0; j < 3; ++j) {
    const double mean = samples.col(j).mean();
    const double variance = (samples.col(j).array() - mean).square().sum() / static_cast<double>(n - 1);
    INFO("coordinate " << j);
    CHECK(std::abs(mean) <= ember::test::z_bound * std::sqrt(stationary / static_cast<double>(n)));
    CHECK(std::abs(variance - stationary) <=
          ember::test::z_bound * ember::test::variance_standard_error(stationary, static_cast<std::size_t>(n)));
  }
}

TEST_CASE("device MALA is exact on a correlated Gaussian where ULA with the same step is biased", "[cuda][mala]") {
  Eigen::MatrixXd covariance(2, 2);
  covariance << 1.0, 0.6, 0.6, 0.8;
  const auto host_energy = ember::GaussianEnergy<double>::from_mean_covariance(Eigen::Vector2d(0.5, -1.0), covariance);
  const ember::cuda::DeviceGaussian<double> energy(host_energy);
  const Index n = Index{1} << 14;
  ember::cuda::DeviceBatch<double> x(Batch<double>::Zero(n, 2));
  ember::Philox rng(4242);
  ember::cuda::Mala<double> kernel({.step_size = 0.6});
  kernel.run(energy, x, rng, 400);
  const double acceptance = kernel.acceptance_rate();
  CHECK(acceptance > 0.3);
  CHECK(acceptance < 0.99);
  CHECK(rng.position() == 800);  // two draws per step
  const Batch<double> samples = x.to_host();
  for (Index j = 0; j < 2; ++j) {
    const double mean = samples.col(j).mean();
    const double variance = (samples.col(j).array() - mean).square().sum() / static_cast<double>(n - 1);
    INFO("coordinate " << j);
    CHECK(std::abs(mean - host_energy.mean()(j)) <= ember::test::z_bound * std::sqrt(covariance(j, j) / static_cast<double>(n)));
    CHECK(std::abs(variance - covariance(j, j)) <=
          ember::test::z_bound * ember::test::variance_standard_error(covariance(j, j), static_cast<std::size_t>(n)));
  }
  kernel.adapt_step_size(0.574, 1.0);
  CHECK(kernel.acceptance_rate() == 0.0);  // statistics restart after adaptation
}

TEST_CASE("device samplers report NaN gradients as ember::numerical_error", "[cuda][langevin]") {
  const ember::cuda::PointEnergy<double, NotFinite> energy(NotFinite{}, 2);
  Batch<double> x = Batch<double>::Zero(8, 2);
  x(5, 0) = 1.0;
  ember::cuda::DeviceBatch<double> dx(x);
  ember::Philox rng(1);
  ember::cuda::Langevin<double> kernel({.step_size = 0.1});
  CHECK_THROWS_AS(kernel.run(energy, dx, rng, 3), ember::numerical_error);
  ember::cuda::DeviceBatch<double> wrong(Batch<double>::Zero(4, 3));
  CHECK_THROWS_AS(kernel.step(energy, wrong, rng), ember::invalid_argument);
}

TEST_CASE("device MLP energies, input and parameter gradients on the fused and GEMM paths", "[cuda][mlp]") {
  using ember::cuda::MlpPath;
  check_mlp<ember::cuda::Silu>({3, 8, 5}, MlpPath::automatic, true);
  check_mlp<ember::cuda::Silu>({3, 8, 5}, MlpPath::blas, false);
  check_mlp<ember::cuda::Tanh>({2, 40, 33}, MlpPath::automatic, false);
  check_mlp<ember::cuda::Softplus>({4, 6, 7, 5}, MlpPath::fused, true);
  check_mlp<ember::cuda::Softplus>({4, 6, 7, 5}, MlpPath::blas, false);
  const Vector<double> theta = Vector<double>::Zero(2 * 40 + 40 + 41);
  CHECK_THROWS_AS((ember::cuda::DeviceMlp<double, ember::cuda::Silu>({2, 40}, theta, 0.0, MlpPath::fused)),
                  ember::invalid_argument);
}

TEST_CASE("device tether matches ember::Tether on the Gaussian energy", "[cuda][contrastive]") {
  const auto host_energy = ember::GaussianEnergy<double>::standard(2);
  const ember::cuda::DeviceGaussian<double> energy(host_energy);
  const Batch<double> x = normal_batch<double>(40, 2, 5), y = normal_batch<double>(40, 2, 6);
  const double a = 0.8, s = 0.3;
  const ember::Tether host(host_energy, y, Vector<double>::Constant(40, a), Vector<double>::Constant(40, s));
  Vector<double> e(40);
  Batch<double> g(40, 2);
  host.energy_and_gradient(x, e, g);
  const ember::cuda::DeviceBatch<double> dx(x), dy(y);
  const ember::cuda::DeviceTether<ember::cuda::DeviceGaussian<double>> device(energy, dy, a, s);
  ember::cuda::DeviceVector<double> de;
  ember::cuda::DeviceBatch<double> dg;
  device.energy_and_gradient(dx, de, dg);
  CHECK((de.to_host() - e).cwiseAbs().maxCoeff() <= 1e-12 * (1 + e.cwiseAbs().maxCoeff()));
  CHECK((dg.to_host() - g).cwiseAbs().maxCoeff() <= 1e-12 * (1 + g.cwiseAbs().maxCoeff()));
}

TEST_CASE("device CD and DCD steps: the gradient is mean_data - mean_negatives of the parameter gradient",
          "[cuda][contrastive]") {
  using Mlp = ember::cuda::DeviceMlp<double, ember::cuda::Silu>;
  const std::vector<Index> widths{2, 16, 16};
  const Index count = 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1;
  const Vector<double> theta = normal_batch<double>(count, 1, 21, 0.3).col(0);
  Mlp mlp(widths, theta, 2.0);
  const Batch<double> data = normal_batch<double>(300, 2, 22);
  const ember::cuda::DeviceBatch<double> ddata(data);
  ember::cuda::ContrastiveStep<double, ember::cuda::Silu> trainer;
  ember::cuda::Langevin<double> kernel({.step_size = 0.01});
  ember::Philox rng(23);

  const auto expected = [&](const ember::cuda::DeviceBatch<double>& negatives) {
    ember::cuda::DeviceVector<double> g(count), plus(data.rows()), minus(negatives.rows());
    g.set_zero();
    plus.upload(Vector<double>::Constant(data.rows(), 1.0 / static_cast<double>(data.rows())));
    minus.upload(Vector<double>::Constant(negatives.rows(), -1.0 / static_cast<double>(negatives.rows())));
    mlp.accumulate_param_gradient(ddata, plus, g);
    mlp.accumulate_param_gradient(negatives, minus, g);
    return g.to_host();
  };
  trainer.cd(mlp, ddata, kernel, rng, 5);
  CHECK(rng.position() == 5);
  CHECK((trainer.negatives().to_host() - data).cwiseAbs().maxCoeff() > 0.0);  // the chains moved
  const Vector<double> cd = trainer.gradient().to_host();
  CHECK((cd - expected(trainer.negatives())).cwiseAbs().maxCoeff() <= 1e-12 * (1 + cd.cwiseAbs().maxCoeff()));

  trainer.dcd(mlp, ddata, kernel, rng, 3, 0.9, 0.4);
  CHECK(rng.position() == 5 + 1 + 3);  // one draw for the noise, one per tethered step
  const Vector<double> dcd = trainer.gradient().to_host();
  CHECK((dcd - expected(trainer.negatives())).cwiseAbs().maxCoeff() <= 1e-12 * (1 + dcd.cwiseAbs().maxCoeff()));
  CHECK(trainer.noisy().rows() == data.rows());

  // Zero negatives-vs-data difference gives a zero gradient, exactly: the same batch on both sides.
  trainer.gradient_from(mlp, ddata, ddata);
  CHECK(trainer.gradient().to_host().cwiseAbs().maxCoeff() <= 1e-12);

  ember::cuda::sgd_update(mlp, trainer.gradient(), 0.5);
  CHECK((mlp.params_to_host() - theta).cwiseAbs().maxCoeff() <= 1e-12);
}
