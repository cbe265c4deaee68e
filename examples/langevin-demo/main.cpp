// Samples a 2D Gaussian energy with Langevin and reports how close the samples are to the target.
#include <ember/ember.hpp>

#include <cstdio>

int main() {
  Eigen::Vector2d mean(1.0, -2.0);
  Eigen::Matrix2d covariance;
  covariance << 1.0, 0.6, 0.6, 0.5;
  const auto energy = ember::GaussianEnergy<double>::from_mean_covariance(mean, covariance);
  ember::Philox rng(2026);
  ember::Batch<double> x = ember::Batch<double>::Zero(8192, 2);
  ember::Langevin<double> kernel({.step_size = 0.02});
  kernel.run(energy, x, rng, 500);
  const Eigen::RowVector2d m = x.colwise().mean();
  const ember::Batch<double> c = x.rowwise() - m;
  const Eigen::Matrix2d cov = c.transpose() * c / static_cast<double>(x.rows() - 1);
  std::printf("ember: 8192 Langevin chains x 500 steps on a 2D Gaussian energy\n");
  std::printf("  sample mean  (%.3f, %.3f)   target (%.3f, %.3f)\n", m(0), m(1), mean(0), mean(1));
  std::printf("  sample cov   [%.3f %.3f; %.3f %.3f]   target [%.3f %.3f; %.3f %.3f]\n", cov(0, 0), cov(0, 1),
              cov(1, 0), cov(1, 1), covariance(0, 0), covariance(0, 1), covariance(1, 0), covariance(1, 1));
}
