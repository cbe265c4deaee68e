// ember-gaussian: learns a quadratic energy E(x) = ½(x − μ)ᵀP(x − μ) from Gaussian data with CD, PCD, improved
// CD, DCD, DSM or the exact maximum-likelihood gradient, and reports the exact KL(data ‖ model).
//
//   ember-gaussian                                   # seed 002's setup: N(0, I), 1000 samples, batch 10, lr 0.01
//   ember-gaussian --dim 16 --cov illcond --cond 100 --method all --out gauss16
#include <CLI/CLI.hpp>
#include <Eigen/Eigenvalues>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <ember/core/random.hpp>
#include <ember/data/csv.hpp>
#include <ember/data/gaussian_data.hpp>
#include <ember/divergence/cd.hpp>
#include <ember/divergence/dcd.hpp>
#include <ember/divergence/improved_cd.hpp>
#include <ember/divergence/pcd.hpp>
#include <ember/divergence/score_matching.hpp>
#include <ember/energy/gaussian.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/replay_buffer.hpp>
#include <ember/metrics/gaussian_kl.hpp>
#include <ember/train/sgd.hpp>
#include <ember/train/trainer.hpp>

#include "ember_examples/image.hpp"
#include "ember_examples/output.hpp"

namespace {

using T = double;
using ember::Batch;
using ember::Index;
using Model = ember::GaussianEnergy<T>;
using Matrix = Eigen::MatrixXd;
namespace ex = ember::examples;

const std::vector<std::string> all_methods{"mle", "cd", "pcd", "icd", "dcd", "dsm"};

struct Config {
  Index dim = 2;
  std::string cov = "identity";
  double cond = 100;
  std::string data_file;
  std::string method = "cd";
  Index samples = 1000;
  Index batch = 10;
  double lr = 0.01;
  Index iters = 2000;
  std::uint64_t seed = 0;
  Index steps = 10;
  std::string out;
};

/// The exact maximum-likelihood gradient: ∇θ[mean E(x) + log Z(θ)], with log Z = (d/2) log 2π − Σ log L_kk,
/// so ∂log Z/∂(log L_kk) = −1 and every other partial derivative of log Z is 0.
struct ExactMle {
  template <class G>
  ember::EstimatorResult<T> estimate(const Model& energy, ember::BatchView<T> data, G&) {
    ember::EstimatorResult<T> r;
    const Index n = data.rows(), d = energy.dim();
    r.gradient = ember::Vector<T>::Zero(energy.num_params());
    const ember::Vector<T> w = ember::Vector<T>::Constant(n, T(1) / static_cast<T>(n));
    energy.accumulate_param_gradient(data, w, r.gradient);
    for (Index k = 0; k < d; ++k) r.gradient(d + k * d - k * (k - 1) / 2) -= T(1);  // packed (k, k)
    ember::Vector<T> e(n);
    energy.energy(data, e);
    r.positive_energy = e.mean();
    r.loss = r.positive_energy + energy.log_partition();
    r.negative_energy = T(0);
    return r;
  }
};

struct Outcome {
  std::string method;
  double kl = 0, mean_error = 0, cov_error = 0, seconds = 0;
  std::vector<double> curve_iters, curve_kl;
  Model model = Model::standard(1);
};

Outcome run(const std::string& method, const Config& c, const ember::GaussianData<T>& truth, const Batch<T>& train) {
  const Index d = truth.dim();
  // The model starts away from the data: mean 0.5·1, covariance 2.25 I.
  Model model = Model::from_mean_covariance(ember::Vector<T>::Constant(d, 0.5), 2.25 * Matrix::Identity(d, d));
  // One Langevin step for every sampler, scaled to the stiffest direction of the data: ε = 0.1 λ_min(Σ).
  Eigen::SelfAdjointEigenSolver<Matrix> eig(truth.covariance());
  const T epsilon = 0.1 * eig.eigenvalues().minCoeff();
  const auto ula = ember::Langevin<T>({.step_size = epsilon});
  const auto buffer = [&] {
    return ember::ReplayBuffer(d, ember::NormalInit<T>{0.0, 1.0}, {.capacity = 1000, .reinit_probability = 0.05});
  };
  ember::Sgd<T> sgd({.learning_rate = c.lr});
  const ember::TrainSettings settings{.iterations = c.iters, .batch_size = c.batch, .seed = c.seed + 7,
                                      .gradient_clip = 0, .report_every = std::max<Index>(1, c.iters / 50)};
  Outcome o;
  o.method = method;
  const auto record = [&](const ember::TrainProgress& p) {
    o.curve_iters.push_back(static_cast<double>(p.iteration));
    o.curve_kl.push_back(ember::gaussian_kl(truth, model));
    return true;
  };
  o.curve_iters.push_back(0);
  o.curve_kl.push_back(ember::gaussian_kl(truth, model));
  ember::TrainSummary s;
  if (method == "mle") {
    ExactMle est;
    s = ember::train(est, model, sgd, train, settings, record);
  } else if (method == "cd") {
    ember::ContrastiveDivergence est(ula, ember::CdSettings<T>{.steps = c.steps});
    s = ember::train(est, model, sgd, train, settings, record);
  } else if (method == "pcd") {
    ember::PersistentContrastiveDivergence est(ula, buffer(), ember::PcdSettings<T>{.steps = c.steps});
    s = ember::train(est, model, sgd, train, settings, record);
  } else if (method == "icd") {
    ember::ImprovedContrastiveDivergence est(
        buffer(), ember::ImprovedCdSettings<T>{.steps = c.steps, .gradient_step = epsilon / 2,
                                               .noise_scale = std::sqrt(epsilon), .entropy_neighbours = 100});
    s = ember::train(est, model, sgd, train, settings, record);
  } else if (method == "dcd") {
    // VP noise at one level s = 0.5·√λ_min(Σ). The tethered posterior has precision ≈ a²/s² + P; ULA with
    // ε = 0.25 s² contracts each step by about 1 − ε a²/(2s²) ≈ 0.88, so K = 10 steps mix, with a stationary
    // variance off by about ε a²/(4 s²) ≈ 6%.
    const T level = std::min(0.9, 0.5 * std::sqrt(eig.eigenvalues().minCoeff()));
    ember::DiffusionContrastiveDivergence est(
        ember::Langevin<T>({.step_size = 0.25 * level * level}),
        ember::DcdSettings<T>{.noise = ember::DiffusionNoise::variance_preserving, .noise_min = level,
                              .noise_max = level, .steps = c.steps});
    s = ember::train(est, model, sgd, train, settings, record);
  } else if (method == "dsm") {
    // σ = 0.3 √λ_min(Σ): DSM's optimum is N(μ, Σ + σ² I), a bias of at most 9% in each variance.
    ember::DenoisingScoreMatching<T> est({.noise_scale = 0.3 * std::sqrt(eig.eigenvalues().minCoeff())});
    s = ember::train(est, model, sgd, train, settings, record);
  } else {
    ember::detail::require(false, "ember-gaussian", "--method", method,
                           "must be cd, pcd, icd, dcd, dsm, mle or all");
  }
  o.seconds = s.seconds;
  o.kl = ember::gaussian_kl(truth, model);
  o.mean_error = (model.mean() - truth.mean()).norm();
  o.cov_error = (model.covariance() - truth.covariance()).norm() / truth.covariance().norm();
  o.model = model;
  return o;
}

nlohmann::json line(const Config& c, const Outcome& o, Index dim) {
  return {{"dim", dim}, {"method", o.method}, {"kl_data_to_model", ex::number_or_null(o.kl)},
          {"mean_error", o.mean_error}, {"cov_error", o.cov_error}, {"seconds", o.seconds}, {"iters", c.iters}};
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"ember-gaussian: learn a Gaussian energy from Gaussian data; exact KL(data || model)"};
  app.add_option("--dim", c.dim, "dimension D")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--cov", c.cov, "identity, random or illcond")->capture_default_str()
      ->check(CLI::IsMember({"identity", "random", "illcond"}));
  app.add_option("--cond", c.cond, "condition number for --cov illcond")->capture_default_str();
  app.add_option("--data-file", c.data_file, "a CSV of D-dimensional points: the truth is their sample Gaussian");
  app.add_option("--method", c.method, "cd, pcd, icd, dcd, dsm, mle or all")->capture_default_str();
  app.add_option("--samples", c.samples, "training samples drawn from the truth")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", c.batch, "minibatch size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--lr", c.lr, "SGD learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--iters", c.iters, "SGD updates")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--seed", c.seed, "seed of every random number")->capture_default_str();
  app.add_option("--steps", c.steps, "sampler steps per update (MCMC methods)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--out", c.out, "directory for model.json (and the comparison with --method all)");
  CLI11_PARSE(app, argc, argv);
  try {
    const auto truth = [&] {
      if (!c.data_file.empty()) return ember::GaussianData<T>::from_samples(ember::read_csv<T>(c.data_file));
      if (c.cov == "random") return ember::GaussianData<T>::random(c.dim, c.seed + 11);
      if (c.cov == "illcond") return ember::GaussianData<T>::with_condition_number(c.dim, c.cond, c.seed + 11);
      return ember::GaussianData<T>::identity(c.dim);
    }();
    ember::Philox rng(c.seed);
    const Batch<T> train = truth.sample(c.samples, rng);
    const std::vector<std::string> methods = c.method == "all" ? all_methods : std::vector<std::string>{c.method};
    std::vector<Outcome> outcomes;
    for (const auto& m : methods) {
      try {
        outcomes.push_back(run(m, c, truth, train));
      } catch (const ember::numerical_error& e) {
        if (methods.size() == 1) throw;
        // --method all: a diverged method is a result too (KL = ∞), and the others still run.
        Outcome failed;
        failed.method = m;
        failed.kl = failed.mean_error = failed.cov_error = std::numeric_limits<double>::infinity();
        std::fprintf(stderr, "ember-gaussian: %s diverged: %s\n", m.c_str(), e.what());
        outcomes.push_back(failed);
      }
      std::printf("%s\n", line(c, outcomes.back(), truth.dim()).dump().c_str());
      std::fflush(stdout);
    }
    if (!c.out.empty()) {
      ex::make_directory(c.out);
      const auto& model = outcomes.back().model;
      nlohmann::json cov = nlohmann::json::array();
      const Matrix sigma = model.covariance();
      for (Index i = 0; i < sigma.rows(); ++i) {
        std::vector<double> row;
        for (Index j = 0; j < sigma.cols(); ++j) row.push_back(sigma(i, j));
        cov.push_back(row);
      }
      const ember::Vector<T> mean = model.mean();
      ex::write_json(c.out + "/model.json", {{"method", outcomes.back().method},
                                             {"mean", std::vector<double>(mean.data(), mean.data() + mean.size())},
                                             {"covariance", cov}});
    }
    if (methods.size() > 1) {
      std::vector<std::vector<std::string>> rows;
      std::vector<std::vector<double>> xs, ys;
      nlohmann::json all = nlohmann::json::array();
      for (const auto& o : outcomes) {
        std::vector<std::string> row{o.method, std::isfinite(o.kl) ? ex::format("%.4g", o.kl) : "diverged"};
        for (double f : {0.1, 0.5}) {
          const auto k = static_cast<std::size_t>(f * static_cast<double>(std::max<std::size_t>(1, o.curve_kl.size()) - 1));
          row.push_back(o.curve_kl.empty() ? "–" : ex::format("%.4g", o.curve_kl[k]));
        }
        row.push_back(ex::format("%.3f", o.mean_error));
        row.push_back(ex::format("%.3f", o.cov_error));
        row.push_back(ex::format("%.2f", o.seconds));
        rows.push_back(row);
        if (!o.curve_kl.empty()) {  // a diverged method has no curve
          xs.push_back(o.curve_iters);
          ys.push_back(o.curve_kl);
        }
        auto j = line(c, o, truth.dim());
        j["kl_curve"] = {{"iters", o.curve_iters}, {"kl", o.curve_kl}};
        all.push_back(j);
      }
      const std::string table = ex::markdown_table(
          {"method", "KL final", "KL at 10%", "KL at 50%", "mean error", "cov error (rel.)", "seconds"}, rows);
      std::printf("\nD = %lld, %s covariance, %lld samples, batch %lld, lr %g, %lld iterations\n\n%s",
                  static_cast<long long>(truth.dim()), c.data_file.empty() ? c.cov.c_str() : "file",
                  static_cast<long long>(c.samples), static_cast<long long>(c.batch), c.lr,
                  static_cast<long long>(c.iters), table.c_str());
      if (!c.out.empty()) {
        ex::write_json(c.out + "/summary.json", all);
        std::FILE* md = std::fopen((c.out + "/summary.md").c_str(), "w");
        if (md) {
          std::fprintf(md, "%s", table.c_str());
          std::fclose(md);
        }
        std::vector<std::string> labels;
        for (const auto& o : outcomes)
          if (!o.curve_kl.empty()) labels.push_back(o.method);
        ex::line_plot(xs, ys, labels, "KL(data || model), D = " + std::to_string(truth.dim()) + " " + c.cov,
                      "iteration", "KL")
            .save_png(c.out + "/kl.png");
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember-gaussian: %s\n", e.what());
    return 1;
  }
}
