// ember-gaussian: learns a quadratic energy E(x) = ½(x − μ)ᵀP(x − μ) from Gaussian data with CD, PCD, improved
// CD, DCD, diffusion recovery likelihood (DRL: one Gaussian per noise level), DSM or the exact
// maximum-likelihood gradient, and reports the exact KL(data ‖ model).
// Exit status (examples/common/ember_examples/cli.hpp): 0 success; 2 bad input (an option, the data file, the
// output directory, all checked before training); 1 a run that diverged, named with its iteration. Each error is
// one line "ember-gaussian: message" on stderr. A run that blows up is stopped while still finite
// (ember::DivergenceGuard: --diverge-energy, --diverge-grad) and reported as "diverged at iteration k (quantity =
// value)". With several runs (--method all, --seeds N) a diverged run is a row and the others still run; the
// exit status is 1 only when every run failed.
// Under `mpirun -np N` the runs (method x seed) are dealt out to the ranks (ember_examples/seeds.hpp, ranks.hpp),
// --threads at a time within each: every file is byte-identical to one process's, apart from "ranks" in
// summary.json, and rank 0 alone prints and writes.
//
// Every method trains with the same optimizer (default Adam, scale-free, cosine decay; --optimizer sgd --lr-decay none
// is the old setting); --tune picks each method's learning rate on a validation split of the training sample.
//
//   ember-gaussian                                   # seed 002's setup: N(0, I), 1000 samples, batch 10
//   ember-gaussian --dim 16 --cov illcond --cond 100 --method all --seeds 5 --out gauss16
#include <CLI/CLI.hpp>
#include <Eigen/Eigenvalues>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <limits>
#include <string>
#include <vector>

#include <ember/simd/random.hpp>
#include <ember/data/csv.hpp>
#include <ember/data/gaussian_data.hpp>
#include <ember/data/standard_scores.hpp>
#include <ember/divergence/cd.hpp>
#include <ember/divergence/dcd.hpp>
#include <ember/divergence/improved_cd.hpp>
#include <ember/divergence/pcd.hpp>
#include <ember/divergence/recovery_likelihood.hpp>
#include <ember/divergence/score_matching.hpp>
#include <ember/energy/gaussian.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/mala.hpp>
#include <ember/mcmc/replay_buffer.hpp>
#include <ember/metrics/gaussian_kl.hpp>
#include <ember/train/divergence_guard.hpp>
#include <ember/mcmc/gaussian_posterior.hpp>
#include <ember/train/adam.hpp>
#include <ember/train/sgd.hpp>
#include <ember/train/trainer.hpp>

#include "ember_examples/cli.hpp"
#include "ember_examples/divergence.hpp"
#include "ember_examples/plot.hpp"
#include "ember_examples/output.hpp"
#include "ember_examples/ranks.hpp"
#include "ember_examples/sampler.hpp"
#include "ember_examples/seeds.hpp"

namespace {

using T = double;
using ember::Batch;
using ember::Index;
using Model = ember::GaussianEnergy<T>;
using Matrix = Eigen::MatrixXd;
namespace ex = ember::examples;
constexpr const char* program = "ember-gaussian";

// New methods are appended (the order of the tables and of --method all).
const std::vector<std::string> all_methods{"mle", "cd", "pcd", "icd", "dcd", "dsm", "drl"};

struct Config {
  Index dim = 2;
  std::string cov = "identity";
  double cond = 100;
  std::string data_file;
  std::string method = "cd";
  Index samples = 1000;
  Index batch = 10;
  double lr = 0;  // 0: the method's default, default_lr()
  Index iters = 2000;
  std::uint64_t seed = 0;
  Index seeds = 1;  // --seeds N: seeds seed, ..., seed + N − 1, each run as `--seed s` alone would run
  int threads = 1;
  Index steps = 10;
  // DRL's level boundaries: two sampling levels (a = .99995, .628) under the pure-noise top (see fit()).
  std::vector<Index> drl_levels{0, 300, 999};
  std::string out;
  ember::DivergenceLimits divergence{};  // --diverge-energy, --diverge-grad
  std::string optimizer = "adam";        // adam (scale-free) or sgd (the old setting)
  std::string lr_decay = "cosine";       // cosine (to 0 at the last update) or none
  bool tune = false;                     // pick --lr × {0.1, 0.3, 1, 3, 10} on a validation split
  std::string dcd_posterior = "exact";   // exact (ember::GaussianPosterior) or ula (--steps ULA steps)
  std::string dsm_weighting = "sigma2";  // sigma2 (λ(σ) = σ²) or none
  double icd_entropy_weight = -1;        // < 0: the dimension d (entropy_weight_of); Du et al.'s weight is 0.3
  // CD's, PCD's and improved CD's (first K − 1 steps) kernel: ula or mala (the same proposal, MH-corrected); empty:
  // the method's default (sampler_of).
  std::string sampler;
  double step_factor = 0;                // the samplers' ε = step_factor · λ̂_min; 0: factor_of's default
  std::string mala_adapt = "on";         // on: CD's and PCD's MALA tunes ε toward 0.574 acceptance all run long
  double dcd_noise = 0;                  // DCD's VP level s; 0: 0.9 (exact) or 0.5 √λ̂_min ≤ 0.9 (ula)
  std::string dsm_noise = "antithetic";  // antithetic (each point noised with ε and −ε) or independent
  std::string drl_posterior = "exact";   // exact (ember::GaussianPosterior per level) or ula
  std::string pcd_chains = "in_order";   // in_order (one chain per batch row) or sampled (a replay buffer)
  std::string icd_chains = "in_order";   // improved CD's chains: in_order (as PCD's) or sampled (Du et al.'s buffer)
  Index buffer = 1000;                   // the replay buffer's capacity (PCD sampled, improved CD)
  double reinit = 0.05;                  // its re-initialisation probability
  std::string standardize = "on";        // on: train on the training sample's standard scores (Standardization)
};

// The kernel of CD, PCD and improved CD's first K − 1 steps: --sampler, or MALA. Measured on the seven settings,
// 5 seeds (docs/results/gaussian-defaults.md): MALA's rejections allow a step ten times ULA's, so the chains reach
// the slow directions. Improved CD's last step, the one its KL term differentiates, stays ULA.
std::string sampler_of(const Config& c, const std::string& method) {
  if (!c.sampler.empty()) return c.sampler;
  return method == "cd" || method == "pcd" || method == "icd" ? "mala" : "ula";
}

// The MALA steps over which CD's and PCD's kernel tunes ε (--mala-adapt): the whole run (iters × steps), or none;
// improved CD's MALA runs steps − 1 per update (its fit() passes that count).
// ε = f λ̂_min suits some data and not others (measured: f = 2 met the target on κ = 100, where f = 1 does not, but
// stalled every D = 64 identity seed); dual averaging toward 0.574 acceptance (ember::Mala's adapt_steps) finds the
// step for the data and follows the model as it sharpens, ending at its running average.
Index mala_adapt_steps(const Config& c) { return ex::mala_adapt_steps(c.mala_adapt == "on", c.iters, c.steps); }

// Improved CD's entropy weight: --icd-entropy-weight, or d. The nearest-neighbour estimate of the entropy is
// d · mean log(distance) + const (Kozachenko–Leonenko), so weight d makes the term the entropy itself; measured on the
// seven settings, 5 seeds (session 21): better than Du et al.'s 0.3 in five beyond two standard errors, never worse.
double entropy_weight_of(const Config& c, Index d) {
  return c.icd_entropy_weight >= 0 ? c.icd_entropy_weight : static_cast<double>(d);
}

// ε / λ̂_min (smallest_variance) of the CD, PCD and improved CD samplers: --step-factor, or 0.1 with ULA and for
// improved CD's last (ULA) step, whose MALA steps start from λ̂_min; with MALA 1 for CD and for PCD's in-order
// chains, 0.5 for PCD's sampled ones (measured, 5 seeds: sampled persistent chains lost seeds at 1 on D = 64, CD lost
// accuracy at 2; in-order chains met the target on D = 64 κ = 100 at 1 but not at 0.5, and lost every D = 64 seed
// at 2).
double factor_of(const Config& c, const std::string& method) {
  if (c.step_factor > 0) return c.step_factor;
  if (sampler_of(c, method) != "mala" || method == "icd") return 0.1;
  return method == "pcd" && c.pcd_chains == "sampled" ? 0.5 : 1.0;
}

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

/// DRL's time-conditioned energy for Gaussian data: one GaussianEnergy per sampling level t (time τ_t =
/// (t + 1)/(L + 1)), parameters concatenated. The diffused data x_t = ā_t x + σ̄_t ε is exactly Gaussian,
/// N(ā_t μ, ā_t² Σ + σ̄_t² I), so every level can be learned exactly and the level-0 model is measured.
class LevelGaussians {
 public:
  using scalar_type = T;

  LevelGaussians(const Model& start, Index levels)
      : models_(static_cast<std::size_t>(levels), start), per_level_(start.num_params()) {
    params_.resize(levels * per_level_);
    for (Index l = 0; l < levels; ++l) params_.segment(l * per_level_, per_level_) = start.params();
  }

  [[nodiscard]] Index dim() const { return models_.front().dim(); }
  ember::Vector<T>& params() { return params_; }
  const ember::Vector<T>& params() const { return params_; }
  /// The Gaussian of sampling level l, with the current parameters.
  [[nodiscard]] const Model& level(Index l) const {
    Model& m = models_[static_cast<std::size_t>(l)];
    m.params() = params_.segment(l * per_level_, per_level_);
    return m;
  }

  void energy(ember::BatchView<T> x, ember::VectorView<T> t, ember::VectorRef<T> e) const {
    each_level(t, [&](Index l, const std::vector<Index>& rows) {
      ember::Vector<T> el(static_cast<Index>(rows.size()));
      level(l).energy(gather(x, rows), el);
      for (std::size_t i = 0; i < rows.size(); ++i) e(rows[i]) = el(static_cast<Index>(i));
    });
  }
  void energy_and_gradient(ember::BatchView<T> x, ember::VectorView<T> t, ember::VectorRef<T> e,
                           ember::BatchRef<T> g) const {
    each_level(t, [&](Index l, const std::vector<Index>& rows) {
      const auto n = static_cast<Index>(rows.size());
      ember::Vector<T> el(n);
      Batch<T> gl(n, x.cols());
      level(l).energy_and_gradient(gather(x, rows), el, gl);
      for (Index i = 0; i < n; ++i) {
        e(rows[static_cast<std::size_t>(i)]) = el(i);
        g.row(rows[static_cast<std::size_t>(i)]) = gl.row(i);
      }
    });
  }
  void accumulate_param_gradient(ember::BatchView<T> x, ember::VectorView<T> t, ember::VectorView<T> w,
                                 ember::VectorRef<T> g) const {
    each_level(t, [&](Index l, const std::vector<Index>& rows) {
      ember::Vector<T> wl(static_cast<Index>(rows.size()));
      for (std::size_t i = 0; i < rows.size(); ++i) wl(static_cast<Index>(i)) = w(rows[i]);
      level(l).accumulate_param_gradient(gather(x, rows), wl, g.segment(l * per_level_, per_level_));
    });
  }
  void accumulate_mixed_gradient(ember::BatchView<T> x, ember::VectorView<T> t, ember::BatchView<T> v,
                                 ember::VectorRef<T> g) const {
    each_level(t, [&](Index l, const std::vector<Index>& rows) {
      level(l).accumulate_mixed_gradient(gather(x, rows), gather(v, rows), g.segment(l * per_level_, per_level_));
    });
  }

 private:
  // Calls f(level, rows) for each level that has points; a time maps to the nearest level's grid time.
  template <class F>
  void each_level(ember::VectorView<T> t, F f) const {
    const auto levels = static_cast<Index>(models_.size());
    std::vector<std::vector<Index>> rows(models_.size());
    for (Index i = 0; i < t.size(); ++i) {
      const auto l = std::clamp<Index>(static_cast<Index>(std::lround(t(i) * static_cast<T>(levels + 1))) - 1, 0,
                                       levels - 1);
      rows[static_cast<std::size_t>(l)].push_back(i);
    }
    for (Index l = 0; l < levels; ++l)
      if (!rows[static_cast<std::size_t>(l)].empty()) f(l, rows[static_cast<std::size_t>(l)]);
  }
  static Batch<T> gather(ember::BatchView<T> x, const std::vector<Index>& rows) {
    Batch<T> out(static_cast<Index>(rows.size()), x.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Index>(i)) = x.row(rows[i]);
    return out;
  }

  mutable std::vector<Model> models_;  // scratch copies, refreshed from params_ before each use
  Index per_level_;
  ember::Vector<T> params_;
};

// DRL's exact oracle: level t's conditional p(x_t | x_{t+1}) ∝ exp(−E_t(x) − ‖x_{t+1} − a x‖²/(2σ²)) is
// Gaussian when E_t is, so ember::GaussianPosterior draws it exactly from level t's own Gaussian.
struct LevelPosterior {
  using scalar_type = T;
  Index level = 0;
  ember::GaussianPosterior<T> exact;
  template <class G>
  void step(const ember::Tether<ember::AtTime<LevelGaussians>>& posterior, ember::BatchRef<T> x, G& rng) {
    const Model& m = posterior.base().base().level(level);
    exact.step(ember::Tether<Model>(m, posterior.target(), posterior.a(), posterior.s()), x, rng);
  }
};

struct Outcome {
  std::string method;
  std::uint64_t seed = 0;
  double lr = 0;                              // the learning rate of the measured run (--tune: the one chosen)
  std::vector<double> tune_lrs, tune_scores;  // --tune: each candidate and its validation NLL (NaN: diverged)
  std::vector<double> tune_diff, tune_se;     // its mean paired difference from the best, and that one's SE
  double peak_energy = 0, peak_gradient = 0;  // the guard's peaks, relative to the first update's scale
  ex::RunFailure failure;
  double kl = 0, mean_error = 0, cov_error = 0, seconds = 0;
  std::vector<double> curve_iters, curve_kl;
  Model model = Model::standard(1);
  std::string error;  // --method all: why the method failed
};

// --standardize on: every method trains on z = S⁻¹(x − m), with m and S = diag(s) the training sample's
// per-coordinate mean and standard deviation (what a user's scaler would take; never the truth's), and the Gaussian
// it learns, N(μ_z, Σ_z), is mapped back to N(m + S μ_z, S Σ_z S). The KL is the same in either space (it is
// invariant under an invertible affine map), so the measure is unchanged; what changes is that the model's start
// (mean 0.5·1, covariance 2.25 I) and every default step and rate meet data of unit scale and no offset, whatever the
// units and mean of the user's file. Without it, on the 12-D file, CD, DSM and DRL ended with a mean error of 5.4
// at every seed: the model's variance grew along the offset faster than its mean moved (docs/results/
// gaussian-defaults.md). One common scale for every coordinate was measured as well and did no better.
struct Standardization {
  ember::StandardScores scores;  // m and s of the training sample

  [[nodiscard]] Batch<T> to_scores(const Batch<T>& x) const { return scores.to_scores<T>(x); }
  [[nodiscard]] ember::GaussianData<T> to_scores(const ember::GaussianData<T>& g) const {
    const ember::Vector<T> inverse = scores.scale().cwiseInverse();
    return ember::GaussianData<T>::from_mean_covariance(inverse.cwiseProduct(g.mean() - scores.mean()),
                                                        inverse.asDiagonal() * g.covariance() * inverse.asDiagonal());
  }
  [[nodiscard]] Model from_scores(const Model& z) const {
    const ember::Vector<T>& s = scores.scale();
    return Model::from_mean_covariance(scores.mean() + s.cwiseProduct(z.mean()), s.asDiagonal() * z.covariance() * s.asDiagonal());
  }
};

// The model's state after each reported update, for the progress callback of fit().
using Observer = std::function<void(const ember::TrainProgress&, const Model& measured)>;

// The smallest eigenvalue of the sample covariance of `rows` (GaussianData::from_samples: divisor n − 1): the
// stiffest direction of the data that the samplers' steps are scaled to. From the rows a method trains on, never
// from the truth, which a user does not have; with few rows per dimension it is biased low (by ≈ (1 − √(d/n))²,
// Marchenko–Pastur), which only makes the steps smaller.
double smallest_variance(const Batch<T>& rows) {
  const auto sample = ember::GaussianData<T>::from_samples(rows);
  return Eigen::SelfAdjointEigenSolver<Matrix>(sample.covariance(), Eigen::EigenvaluesOnly).eigenvalues().minCoeff();
}

// Trains `method` on `train` with learning rate `lr` for `iters` updates and returns the measured Gaussian (DRL:
// its level-0 one). It sees the training rows only: the samplers' step sizes are fractions of λ_min of their
// sample covariance (smallest_variance).
Model fit(const std::string& method, const Config& c, const Batch<T>& train, double lr, Index iters,
          const Observer& observe, ember::TrainSummary& s) {
  const Index d = train.cols();
  // The model starts away from the data: mean 0.5·1, covariance 2.25 I.
  Model model = Model::from_mean_covariance(ember::Vector<T>::Constant(d, 0.5), 2.25 * Matrix::Identity(d, d));
  // The CD, PCD and improved CD step, scaled to the stiffest direction of the data: ε = f λ_min (factor_of).
  const T lambda_min = smallest_variance(train);
  const T epsilon = factor_of(c, method) * lambda_min;
  const auto buffer = [&] {
    return ember::ReplayBuffer(d, ember::NormalInit<T>{0.0, 1.0}, {.capacity = c.buffer, .reinit_probability = c.reinit});
  };
  // Tieleman's persistent chains: one per batch row, never re-initialised (PCD's and improved CD's in_order).
  const auto in_order_chains = [&] {
    return ember::ReplayBuffer(d, ember::NormalInit<T>{0.0, 1.0}, {.capacity = c.batch, .reinit_probability = 0});
  };
  const ember::TrainSettings settings{.iterations = iters, .batch_size = c.batch, .seed = c.seed + 7, .gradient_clip = 0,
                                      .report_every = 1, .learning_rate_schedule = {.decay = ex::lr_decay_of(c.lr_decay)}};
  std::optional<LevelGaussians> drl;  // DRL trains this; it is measured by its level-0 Gaussian
  const auto measured = [&]() -> const Model& { return drl ? drl->level(0) : model; };
  const auto record = [&](const ember::TrainProgress& p) { observe(p, measured()); };
  // Every method has the same optimizer: Adam's step is scale-free (≈ lr per parameter whatever the gradient's
  // scale, which differs by orders of magnitude between the estimators); SGD is the old setting.
  const auto go = [&](auto& estimator, auto& energy) {
    if (c.optimizer == "adam") {
      ember::Adam<T> adam({.learning_rate = lr});
      return ember::train(estimator, energy, adam, train, settings, record);
    }
    ember::Sgd<T> sgd({.learning_rate = lr});
    return ember::train(estimator, energy, sgd, train, settings, record);
  };
  if (method == "mle") {
    ExactMle est;
    s = go(est, model);
  } else if (method == "cd") {
    ex::with_sampler<T>(sampler_of(c, method), [&](auto make) {
      ember::ContrastiveDivergence est(make(epsilon), ember::CdSettings<T>{.steps = c.steps});
      s = go(est, model);
    }, mala_adapt_steps(c));
  } else if (method == "pcd") {
    ex::with_sampler<T>(sampler_of(c, method), [&](auto make) {
      if (c.pcd_chains == "in_order") {
        ember::PersistentContrastiveDivergence est(
            make(epsilon),
            in_order_chains(),
            ember::PcdSettings<T>{.steps = c.steps, .chains = ember::PcdChains::in_order});
        s = go(est, model);
      } else {
        ember::PersistentContrastiveDivergence est(make(epsilon), buffer(), ember::PcdSettings<T>{.steps = c.steps});
        s = go(est, model);
      }
    }, mala_adapt_steps(c));
  } else if (method == "icd") {
    // In order: one persistent chain per batch row, moved at every update, as PCD's default (the entropy term's
    // neighbours are then the chains' states before this update).
    const bool in_order = c.icd_chains == "in_order";
    const ember::ImprovedCdSettings<T> icd{.steps = c.steps, .gradient_step = epsilon / 2,
                                           .noise_scale = std::sqrt(epsilon),
                                           .entropy_weight = static_cast<T>(entropy_weight_of(c, d)),
                                           .entropy_neighbours = 100,
                                           .chains = in_order ? ember::PcdChains::in_order : ember::PcdChains::sampled};
    const auto chains = [&] { return in_order ? in_order_chains() : buffer(); };
    if (sampler_of(c, method) == "mala") {
      // The first K − 1 steps by MALA from CD's step λ̂_min (tuned as CD's), the last, differentiated one by ULA at ε.
      const Index adapt = ex::mala_adapt_steps(c.mala_adapt == "on", c.iters, std::max<Index>(c.steps - 1, 1));
      ember::ImprovedContrastiveDivergence est(ember::Mala<T>({.step_size = lambda_min, .adapt_steps = adapt}),
                                               chains(), icd);
      s = go(est, model);
    } else {
      ember::ImprovedContrastiveDivergence est(chains(), icd);
      s = go(est, model);
    }
  } else if (method == "dcd") {
    // VP noise at one level s = 0.5·√λ_min. --dcd-posterior exact draws the negatives from the tethered
    // posterior exactly (ember::GaussianPosterior, one draw): the mean gradient is then exactly DCD's. With ULA
    // (ε = 0.25 s², from x̃/a) the posterior has precision ≈ a²/s² + P and each step contracts by only ≈ 0.875
    // (on N(0, I): 1 − ε(a²/s² + 1)/2), so K = 10 steps do NOT mix: 0.875¹⁰ ≈ 0.26 of the start remains, and the
    // variance learned on N(0, I) is 0.74 with 10 steps, 0.92 with 100 (docs/results/robustness.md).
    // With the exact posterior the level only sets the gradient's variance (a high level makes the negatives
    // nearly model samples, DCD's gradient nearly the likelihood's: 0.9 measured best, docs/results); ULA keeps
    // the old level, where its steps are a fraction of s².
    const T level = c.dcd_noise > 0                ? c.dcd_noise
                    : c.dcd_posterior == "exact" ? 0.9
                                                   : std::min(0.9, 0.5 * std::sqrt(lambda_min));
    const ember::DcdSettings<T> dcd{.noise = ember::DiffusionNoise::variance_preserving, .noise_min = level,
                                    .noise_max = level, .steps = c.dcd_posterior == "exact" ? 1 : c.steps};
    if (c.dcd_posterior == "exact") {
      ember::DiffusionContrastiveDivergence est(ember::GaussianPosterior<T>{}, dcd);
      s = go(est, model);
    } else {
      ember::DiffusionContrastiveDivergence est(ember::Langevin<T>({.step_size = 0.25 * level * level}), dcd);
      s = go(est, model);
    }
  } else if (method == "dsm") {
    // σ = 0.3 √λ_min: DSM's optimum is N(μ, Σ + σ² I), a bias of at most 9% in each variance. The σ²-weighted
    // loss (--dsm-weighting sigma2) keeps the gradient O(1) instead of O(1/σ²) (with SGD, the latter diverges at
    // lr 0.01 when λ_min is small).
    ember::DenoisingScoreMatching<T> est(
        {.noise_scale = 0.3 * std::sqrt(lambda_min),
         .weighting = c.dsm_weighting == "sigma2" ? ember::DsmWeighting::sigma_squared : ember::DsmWeighting::none,
         .antithetic = c.dsm_noise == "antithetic"});
    s = go(est, model);
  } else if (method == "drl") {
    // Level t's Gaussian learns x_t = ā_t x + σ̄_t ε, and the level-0 one (≈ N(μ, Σ + 1e-4 I)) is measured. Its
    // posterior given y = a_{t+1} x_t + σ_{t+1} ε' is Gaussian: --drl-posterior exact draws it exactly
    // (LevelPosterior, an oracle as DCD's), so what is measured is the estimator, not a sampler. Then fewer,
    // farther levels learn level 0 better (each gets more of the batch, and a looser tether says more about its
    // precision): {0, 300, 999} met the target in 6 of 7 settings, {0, 100, 200, 300, 999} (ember-toy2d's) in 1
    // (docs/results/gaussian-defaults.md). With ULA (ε_t = 0.25 / the bound 1/(ā_t² λ_min + σ̄_t²) +
    // a²_{t+1}/σ²_{t+1} on the posterior's precision) each step contracts by ≤ 0.88 along the stiffest direction:
    // K = 10 steps from y do not mix, as DCD's.
    const ember::RecoveryLevels<T> levels(ember::ddpm_linear_betas(), c.drl_levels);
    std::vector<ember::Langevin<T>> kernels;
    for (Index t = 0; t < levels.top_level(); ++t) {
      const T a = levels.a_cumulative(t), sb = levels.sigma_cumulative(t);
      const T stiffness = 1 / (a * a * lambda_min + sb * sb) +
                          std::pow(levels.a(t + 1) / levels.sigma(t + 1), 2);
      kernels.push_back(ember::Langevin<T>({.step_size = 0.25 / stiffness}));
    }
    drl.emplace(model, levels.top_level());
    if (c.drl_posterior == "exact") {
      std::vector<LevelPosterior> exact;
      for (Index t = 0; t < levels.top_level(); ++t) exact.push_back(LevelPosterior{t, {}});
      ember::RecoveryLikelihood<T, LevelPosterior> est(levels, std::move(exact), {.steps = 1});
      s = go(est, *drl);
    } else {
      ember::RecoveryLikelihood<T, ember::Langevin<T>> est(levels, std::move(kernels), {.steps = c.steps});
      s = go(est, *drl);
    }
  } else {
    ember::detail::require(false, program, "--method", method, "must be cd, pcd, icd, dcd, drl, dsm, mle or all");
  }
  return measured();
}

// The learning rate of a method when --lr is not given. Adam at 0.01 suits every method but DCD, whose gradient
// (one exact posterior draw per point at s = 0.9) is noisier: at 0.01 its mean was still moving at 2000 updates
// on the 12-D data (KL 1.5 against mle's 0.06), at 0.03 it met the target in all seven settings, while 0.03 made
// CD, PCD, improved CD, DSM and DRL worse at D = 64 (3 seeds each; docs/results).
double default_lr(const std::string& method, const Config& c) {
  if (c.lr > 0) return c.lr;
  return c.optimizer == "adam" && method == "dcd" ? 0.03 : 0.01;
}

// Negative log-likelihood of each of `points` under the Gaussian `m` (E + log Z).
ember::Vector<T> nll(const Model& m, const Batch<T>& points) {
  ember::Vector<T> e(points.rows());
  m.energy(points, e);
  return e.array() + m.log_partition();
}

// The learning-rate candidates of --tune: --lr times these factors.
const std::vector<double> tune_factors{0.1, 0.3, 1, 3, 10};

// --tune: each candidate trains with the full budget on 80% of the training sample (rows shuffled with the
// run's seed) and is scored by the held-out NLL of the other 20%; the evaluation truth is never seen. A diverged
// candidate (or one that is no longer a Gaussian) is out. Returns the chosen rate.
double tune(const std::string& method, const Config& c, const Batch<T>& train, Outcome& o) {
  std::vector<Index> order(static_cast<std::size_t>(train.rows()));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<Index>(i);
  ember::Philox rng(c.seed + 13);
  for (std::size_t i = order.size(); i > 1; --i) {  // Fisher–Yates with the run's own generator
    ember::Vector<T> u(1);
    rng.draw().template uniform<T>(u, 0);
    std::swap(order[i - 1], order[std::min<std::size_t>(i - 1, static_cast<std::size_t>(u(0) * static_cast<T>(i)))]);
  }
  const Index held = std::max<Index>(1, train.rows() / 5), kept = train.rows() - held;
  Batch<T> fit_rows(kept, train.cols()), validation(held, train.cols());
  for (Index i = 0; i < train.rows(); ++i)
    (i < kept ? fit_rows.row(i) : validation.row(i - kept)) = train.row(order[static_cast<std::size_t>(i)]);
  std::vector<ember::Vector<T>> scores;  // each candidate's per-point validation NLL (empty: diverged)
  std::size_t best = tune_factors.size();
  for (const double f : tune_factors) {
    const double lr = default_lr(method, c) * f;
    ember::Vector<T> score;
    try {
      ember::DivergenceGuard guard(c.divergence);
      ember::TrainSummary s;
      const Model m = fit(method, c, fit_rows, lr, c.iters,
                          [&](const ember::TrainProgress& p, const Model&) { guard(p); }, s);
      score = nll(m, validation);
      if (!score.allFinite()) score.resize(0);
    } catch (const std::exception&) {  // diverged, or no longer a Gaussian: this candidate is out
    }
    o.tune_lrs.push_back(lr);
    o.tune_scores.push_back(score.size() > 0 ? score.mean() : std::numeric_limits<double>::quiet_NaN());
    if (score.size() > 0 && (best == tune_factors.size() || score.mean() < scores[best].mean())) best = scores.size();
    scores.push_back(std::move(score));
  }
  if (best == tune_factors.size())
    throw ember::numerical_error("--tune: every candidate learning rate diverged on the validation split");
  // The one-standard-error rule: the smallest rate whose NLL is within one standard error (paired over the
  // validation points) of the best, since a rate that only ties on the split can be unstable on the full run.
  std::size_t chosen = best;
  for (std::size_t k = scores.size(); k-- > 0;) {
    o.tune_se.insert(o.tune_se.begin(), std::numeric_limits<double>::quiet_NaN());
    o.tune_diff.insert(o.tune_diff.begin(), std::numeric_limits<double>::quiet_NaN());
    if (scores[k].size() == 0) continue;
    const ember::Vector<T> diff = scores[k] - scores[best];
    const double n = static_cast<double>(diff.size());
    o.tune_diff.front() = diff.mean();
    o.tune_se.front() = std::sqrt((diff.array() - diff.mean()).square().sum() / std::max(1.0, n - 1) / n);
    if (k <= best && diff.mean() <= o.tune_se.front()) chosen = k;
  }
  return o.tune_lrs[chosen];
}

// `done` counts the finished updates, so that a divergence can name its iteration.
Outcome run(const std::string& method, const Config& c, const ember::GaussianData<T>& truth, const Batch<T>& train,
            Index& done) {
  Outcome o;
  o.method = method;
  done = 0;
  // The methods see `space` and `points`: the truth and the training sample, or their standard scores.
  const std::optional<Standardization> z =
      c.standardize == "on" ? std::optional(Standardization{ember::StandardScores::fit<T>(train)}) : std::nullopt;
  const ember::GaussianData<T> space = z ? z->to_scores(truth) : truth;
  const Batch<T> points = z ? z->to_scores(train) : train;
  o.lr = c.tune ? tune(method, c, points, o) : default_lr(method, c);
  const Index curve_every = std::max<Index>(1, c.iters / 50);
  // A finite but exploded model can stop being a Gaussian (covariance not positive definite): that is a
  // divergence of the run, not bad input.
  const auto no_longer_gaussian = [](const ember::invalid_argument& e) {
    return ember::numerical_error(std::string("the model is no longer a Gaussian: ") + e.what());
  };
  const auto kl_of = [&](const Model& m) {  // m in the methods' space
    try {
      return ember::gaussian_kl(space, m);
    } catch (const ember::invalid_argument& e) {
      throw no_longer_gaussian(e);
    }
  };
  ember::DivergenceGuard guard(c.divergence);
  ex::StallWatch stall;  // CD's and PCD's MALA: did their chains move?
  const auto record = [&](const ember::TrainProgress& p, const Model& m) {
    guard(p);
    stall(p);
    if (p.iteration % curve_every == 0 || p.iteration == p.iterations) {
      o.curve_iters.push_back(static_cast<double>(p.iteration));
      o.curve_kl.push_back(kl_of(m));
    }
    done = p.iteration;
  };
  o.curve_iters.push_back(0);
  o.curve_kl.push_back(ember::gaussian_kl(
      space, Model::from_mean_covariance(ember::Vector<T>::Constant(truth.dim(), 0.5),
                                         2.25 * Matrix::Identity(truth.dim(), truth.dim()))));
  ember::TrainSummary s;
  const Model learned = fit(method, c, points, o.lr, c.iters, record, s);
  stall.check(s.iterations, "try a smaller --step-factor, or --sampler ula");
  o.seconds = s.seconds;
  const Model m = [&] {  // measured in the data's own units, against the truth itself
    try {
      Model back = z ? z->from_scores(learned) : learned;
      o.kl = ember::gaussian_kl(truth, back);
      return back;
    } catch (const ember::invalid_argument& e) {
      throw no_longer_gaussian(e);
    }
  }();
  o.mean_error = (m.mean() - truth.mean()).norm();
  o.cov_error = (m.covariance() - truth.covariance()).norm() / truth.covariance().norm();
  o.model = m;
  o.seed = c.seed;
  o.peak_energy = guard.peak_energy();
  o.peak_gradient = guard.peak_gradient_norm();
  return o;
}

// Every field of a run that the outputs and tables read, in the one order in which the ranks exchange them
// (ex::Ranks): pack and unpack both walk this list, so a field added here travels both ways.
template <class O, class Visit>
void each_exchanged_field(O& o, Visit&& visit) {
  for (auto* v : {&o.peak_energy, &o.peak_gradient, &o.kl, &o.mean_error, &o.cov_error, &o.seconds, &o.lr})
    visit.number(*v);
  for (auto* v : {&o.tune_lrs, &o.tune_scores, &o.tune_diff, &o.tune_se, &o.curve_iters, &o.curve_kl})
    visit.numbers(*v);
  visit.model(o.model);
}

ex::JobOutput pack(const Outcome& o) {
  struct Write {
    ex::JobWriter w;
    void number(double v) { w.number(v); }
    void numbers(const std::vector<double>& v) { w.numbers(v); }
    void model(const Model& m) { w.number(static_cast<double>(m.dim())).matrix(m.params()); }
  } write;
  each_exchanged_field(o, write);
  return write.w.take();
}

// The run of method `method` and seed `seed` as pack wrote it, or as it failed (no numbers, the starting model).
Outcome unpack(const ex::SeedRun& run, const std::string& method, std::uint64_t seed, Index dim) {
  Outcome o;
  o.method = method;
  o.seed = seed;
  if (run.failure) {
    o.failure = *run.failure;
    o.error = o.failure.message;
    o.kl = o.mean_error = o.cov_error = o.seconds = o.lr = std::numeric_limits<double>::quiet_NaN();
    o.model = Model::from_mean_covariance(ember::Vector<T>::Constant(dim, 0.5), 2.25 * Matrix::Identity(dim, dim));
    return o;
  }
  struct Read {
    ex::JobReader read;
    void number(double& v) { v = read.number(); }
    void numbers(std::vector<double>& v) { v = read.numbers(); }
    void model(Model& m) {
      m = Model::standard(static_cast<Index>(read.number()));
      read.matrix(m.params());
    }
  } read{run.reader()};
  each_exchanged_field(o, read);
  if (!read.read.done()) throw std::logic_error("ember-gaussian: a run's numbers do not match its layout");
  return o;
}

nlohmann::json line(const Config& c, const Outcome& o, Index dim) {
  nlohmann::json j{{"dim", dim}, {"method", o.method}, {"seed", o.seed}, {"kl_data_to_model", ex::number_or_null(o.kl)},
                   {"mean_error", ex::number_or_null(o.mean_error)}, {"cov_error", ex::number_or_null(o.cov_error)},
                   {"seconds", ex::number_or_null(o.seconds)}, {"iters", c.iters}, {"optimizer", c.optimizer},
                   {"lr", ex::number_or_null(o.lr)}, {"lr_decay", c.lr_decay}};
  j["standardize"] = c.standardize;
  if (o.method == "dcd") j["dcd_posterior"] = c.dcd_posterior;
  if (o.method == "drl") {
    j["drl_posterior"] = c.drl_posterior;
    j["drl_levels"] = c.drl_levels;
  }
  if (o.method == "pcd") j["pcd_chains"] = c.pcd_chains;
  if (o.method == "icd") j["icd_chains"] = c.icd_chains;
  if ((o.method == "pcd" && c.pcd_chains == "sampled") || (o.method == "icd" && c.icd_chains == "sampled")) {
    j["buffer"] = c.buffer;
    j["reinit"] = c.reinit;
  }
  if (o.method == "dsm") {
    j["dsm_weighting"] = c.dsm_weighting;
    j["dsm_noise"] = c.dsm_noise;
  }
  if (o.method == "icd") j["icd_entropy_weight"] = entropy_weight_of(c, dim);
  if (o.method == "cd" || o.method == "pcd" || o.method == "icd") j["sampler"] = sampler_of(c, o.method);
  if (o.method == "cd" || o.method == "pcd" || o.method == "icd") j["step_factor"] = factor_of(c, o.method);
  if ((o.method == "cd" || o.method == "pcd" || o.method == "icd") && sampler_of(c, o.method) == "mala")
    j["mala_adapt"] = c.mala_adapt;
  if (c.tune) {
    nlohmann::json scores = nlohmann::json::array();
    for (double v : o.tune_scores) scores.push_back(ex::number_or_null(v));
    nlohmann::json se = nlohmann::json::array(), diff = nlohmann::json::array();
    for (double v : o.tune_se) se.push_back(ex::number_or_null(v));
    for (double v : o.tune_diff) diff.push_back(ex::number_or_null(v));
    j["tune"] = {{"lrs", o.tune_lrs}, {"validation_nll", scores}, {"difference", diff}, {"difference_se", se}};
  }
  if (!o.error.empty()) {
    j.update(ex::failure_json(o.failure));
  } else {
    j["status"] = "ok";
    j["peak_energy"] = o.peak_energy;
    j["peak_gradient_norm"] = o.peak_gradient;
  }
  return j;
}

}  // namespace

// The truth: read from --data-file, or generated. Refused before training when the sizes exceed the memory
// budget, when --dim contradicts the file, or when the covariance is singular (every sampler's step is a
// fraction of its smallest eigenvalue).
ember::GaussianData<T> make_truth(const Config& c, bool dim_given) {
  const double d = static_cast<double>(c.dim);
  // The truth, the model and DRL's per-level copies hold about 16 d × d matrices of doubles (the eigensolver's
  // O(d³) time grows with them); the training samples are copied once.
  ember::detail::require(c.cov != "illcond" || !c.data_file.empty() || c.cond >= 1, program, "--cond", c.cond,
                         "must be >= 1 (a condition number)");
  if (c.data_file.empty())
    ex::require_memory(program, "--dim", c.dim, 16.0 * 8 * d * d, "about 16 d x d matrices of doubles");
  const auto truth = [&] {
    if (!c.data_file.empty()) {
      const Batch<T> points = ember::read_csv<T>(c.data_file);
      ember::detail::require(!dim_given || points.cols() == c.dim, program, "--dim", c.dim, "but --data-file ",
                             c.data_file, " has ", points.cols(), " columns");
      ex::require_memory(program, "--data-file columns", points.cols(),
                         16.0 * 8 * static_cast<double>(points.cols()) * static_cast<double>(points.cols()),
                         "about 16 d x d matrices of doubles");
      ember::detail::require(points.rows() > points.cols(), program, "--data-file", c.data_file, "has ",
                             points.rows(), " rows: a covariance in ", points.cols(), " dimensions needs more than ",
                             points.cols());
      // A constant column, or one that is a combination of others (z = x + y), makes the covariance singular:
      // said so here, naming the file (every sampler's step is a fraction of its smallest eigenvalue).
      const Batch<T> centred = points.rowwise() - points.colwise().mean();
      const Matrix covariance = centred.transpose() * centred / static_cast<T>(points.rows() - 1);
      Eigen::SelfAdjointEigenSolver<Matrix> eig(covariance, Eigen::EigenvaluesOnly);
      const double lo = eig.eigenvalues().minCoeff(), hi = eig.eigenvalues().maxCoeff();
      if (!(lo > 1e-12 * hi))
        ember::detail::fail(program, "--data-file", c.data_file, "the points' covariance is singular (eigenvalues ",
                            ex::format("%.3g", lo), " to ", ex::format("%.3g", hi),
                            "): a column is constant or a linear combination of the others");
      return ember::GaussianData<T>::from_samples(points);
    }
    if (c.cov == "random") return ember::GaussianData<T>::random(c.dim, c.seed + 11);
    if (c.cov == "illcond") return ember::GaussianData<T>::with_condition_number(c.dim, c.cond, c.seed + 11);
    return ember::GaussianData<T>::identity(c.dim);
  }();
  const double dim = static_cast<double>(truth.dim());
  ex::require_memory(program, "--samples", c.samples, 16.0 * static_cast<double>(c.samples) * dim,
                     "the training samples, 16 bytes per coordinate");
  ex::require_memory(program, "--batch", c.batch, 64.0 * static_cast<double>(c.batch) * dim,
                     "the minibatch and its chains, 64 bytes per coordinate");
  ex::require_memory(program, "--buffer", c.buffer, 8.0 * static_cast<double>(c.buffer) * dim,
                     "the replay buffer, 8 bytes per coordinate");
  // Every seed keeps its truth and training sample until the table is written.
  ex::require_memory(program, "--seeds", c.seeds,
                     static_cast<double>(c.seeds) * (16.0 * 8 * dim * dim + 8.0 * static_cast<double>(c.samples) * dim),
                     "each seed's truth and training sample");
  return truth;
}

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"ember-gaussian: learn a Gaussian energy from Gaussian data; exact KL(data || model)"};
  constexpr Index most = ex::max_of<Index>();
  auto* dim = app.add_option("--dim", c.dim, "dimension D")->capture_default_str()->check(ex::integer_in<Index>(1, most));
  app.add_option("--cov", c.cov, "identity, random or illcond")->capture_default_str()
      ->check(CLI::IsMember({"identity", "random", "illcond"}));
  app.add_option("--cond", c.cond, "condition number for --cov illcond")->capture_default_str()->check(ex::positive_finite());
  app.add_option("--data-file", c.data_file, "a CSV of D-dimensional points: the truth is their sample Gaussian");
  app.add_option("--method", c.method, "cd, pcd, icd, dcd, drl (diffusion recovery likelihood), dsm, mle or all")
      ->capture_default_str();
  app.add_option("--samples", c.samples, "training samples drawn from the truth")->capture_default_str()
      ->check(ex::integer_in<Index>(1, most));
  app.add_option("--batch", c.batch, "minibatch size")->capture_default_str()->check(ex::integer_in<Index>(1, most));
  app.add_option("--optimizer", c.optimizer, "adam (scale-free: every method's step is about --lr per parameter "
                 "whatever its gradient's scale) or sgd (the old setting; one rate for gradients that differ by orders "
                 "of magnitude)")->capture_default_str()->check(CLI::IsMember({"adam", "sgd"}));
  app.add_option("--lr", c.lr, "learning rate of --optimizer for every method (with --tune: the middle of the "
                 "candidates); default: 0.03 for dcd with adam, 0.01 otherwise (measured: README)")
      ->check(ex::positive_finite());
  ex::add_lr_decay_option(app, c.lr_decay, "cosine (from --lr down to 0 at the last update) or none");
  app.add_flag("--tune", c.tune, "each method picks its learning rate among --lr x {0.1, 0.3, 1, 3, 10}: a run of "
               "--iters updates on 80% of the training sample per candidate, scored by the held-out NLL of the other "
               "20% (never the true Gaussian); the smallest rate within one standard error of the best wins; then the "
               "full run on the whole sample with it");
  app.add_option("--dcd-posterior", c.dcd_posterior, "DCD's posterior sampler: exact (ember::GaussianPosterior, one "
                 "exact draw) or ula (--steps ULA steps from x~/a, which do not mix at this step size)")
      ->capture_default_str()->check(CLI::IsMember({"exact", "ula"}));
  ex::add_sampler_option(app, c.sampler, "CD, PCD and improved CD's first K-1 steps (its last step is always ULA)",
                         "mala");
  app.add_option("--drl-posterior", c.drl_posterior, "DRL's sampler of each level's conditional: exact "
                 "(ember::GaussianPosterior, one exact draw) or ula (--steps ULA steps from the noisier point)")
      ->capture_default_str()->check(CLI::IsMember({"exact", "ula"}));
  app.add_option("--pcd-chains", c.pcd_chains, "PCD's chains: sampled (--buffer slots drawn with replacement, "
                 "re-initialised with probability --reinit) or in_order (Tieleman: one persistent chain per batch "
                 "row, advanced every update, never re-initialised)")
      ->capture_default_str()->check(CLI::IsMember({"sampled", "in_order"}));
  app.add_option("--icd-chains", c.icd_chains, "improved CD's chains: sampled (Du et al.'s replay buffer of --buffer "
                 "samples, re-initialised with probability --reinit) or in_order (one persistent chain per batch row, "
                 "advanced every update, as PCD's in_order)")
      ->capture_default_str()->check(CLI::IsMember({"sampled", "in_order"}));
  app.add_option("--buffer", c.buffer, "the replay buffer's capacity (PCD with --pcd-chains sampled, improved CD "
                 "with --icd-chains sampled)")
      ->capture_default_str()->check(ex::integer_in<Index>(1, most));
  app.add_option("--reinit", c.reinit, "the replay buffer's re-initialisation probability, in [0, 1]")
      ->capture_default_str()->check(ex::probability());
  app.add_option("--step-factor", c.step_factor, "the samplers' step size as a fraction of the data's smallest "
                 "variance (of the training sample's covariance): epsilon = f lambda_min (CD, PCD, improved CD's last "
                 "step); default: 0.1 with ULA and for improved CD's last step (its MALA steps start from lambda_min), with "
                 "MALA 1 for CD and PCD's in-order chains, 0.5 for PCD's sampled ones")
      ->check(ex::positive_finite());
  app.add_option("--mala-adapt", c.mala_adapt, "on: CD's, PCD's and improved CD's MALA tunes its step toward 0.574 "
                 "acceptance (dual averaging) over the whole run, starting from f lambda_min (improved CD: lambda_min); "
                 "off: the step stays as it started")
      ->capture_default_str()->check(CLI::IsMember({"on", "off"}));
  app.add_option("--dcd-noise", c.dcd_noise, "DCD's variance-preserving noise level s in (0, 1); 0: 0.9 with "
                 "--dcd-posterior exact, 0.5 sqrt(lambda_min) (at most 0.9) with ula")->capture_default_str()
      ->check(ex::number_where([](double v) { return v >= 0 && v < 1; }, "a number in [0, 1)", "[0, 1)"));
  app.add_option("--dsm-weighting", c.dsm_weighting, "DSM's loss weight: sigma2 (lambda = sigma^2, gradient O(1)) or "
                 "none (Vincent's loss, gradient O(1/sigma^2))")->capture_default_str()
      ->check(CLI::IsMember({"sigma2", "none"}));
  app.add_option("--dsm-noise", c.dsm_noise, "DSM's noise draws: antithetic (each point noised with eps and -eps: "
                 "the loss's terms odd in eps cancel) or independent (one draw per point)")
      ->capture_default_str()->check(CLI::IsMember({"antithetic", "independent"}));
  app.add_option("--standardize", c.standardize, "on: train on the training sample's standard scores (each coordinate "
                 "less its mean, over its standard deviation) and map the learned Gaussian back; off: on the data as "
                 "given (the model starts at mean 0.5, covariance 2.25 I in whichever space)")
      ->capture_default_str()->check(CLI::IsMember({"on", "off"}));
  app.add_option("--icd-entropy-weight", c.icd_entropy_weight, "improved CD's entropy weight; default: the "
                 "dimension d (the nearest-neighbour entropy estimate's own scale; Du et al.: 0.3)")
      ->check(ex::non_negative_finite());
  app.add_option("--iters", c.iters, "SGD updates")->capture_default_str()->check(ex::integer_in<Index>(1, most));
  ex::add_seed_options(app, c.seed, c.seeds, c.threads);
  app.add_option("--steps", c.steps, "sampler steps per update (MCMC methods)")->capture_default_str()
      ->check(ex::integer_in<Index>(1, most));
  app.add_option("--drl-levels", c.drl_levels, "DRL's level boundaries (indices into DDPM's 1000 linear betas; "
                 "ember-toy2d's are 0,100,200,300,999)")
      ->capture_default_str()->delimiter(',')->check(ex::integer_in<Index>(0, 999));
  app.add_option("--out", c.out, "directory for model.json (and the comparison with --method all or --seeds)");
  ex::add_divergence_options(app, c.divergence);
  ex::Ranks ranks(argc, argv);  // under mpirun: MPI started, every rank but 0 silent
  return ex::run_program(program, app, argc, argv, [&]() -> int {
    ember::detail::require(c.method == "all" || std::find(all_methods.begin(), all_methods.end(), c.method) != all_methods.end(),
                           program, "--method", c.method, "must be cd, pcd, icd, dcd, drl, dsm, mle or all");
    if (!c.out.empty()) ex::require_output_directory(program, "--out", c.out);
    // Seed k's run is the run `--seed seed + k` would make alone: its own training sample (and random truth).
    std::vector<std::uint64_t> seeds;
    for (Index k = 0; k < c.seeds; ++k) seeds.push_back(c.seed + static_cast<std::uint64_t>(k));
    std::vector<ember::GaussianData<T>> truths;
    std::vector<Batch<T>> trains;
    for (const auto seed : seeds) {
      Config cs = c;
      cs.seed = seed;
      truths.push_back(make_truth(cs, dim->count() > 0));
      ember::Philox rng(seed);
      trains.push_back(truths.back().sample(c.samples, rng));
    }
    const auto& truth = truths.front();
    // The samplers' steps are fractions of the training sample's smallest variance (smallest_variance): its
    // covariance must be invertible, on the rows --tune fits as well (80% of them).
    {
      const Index rows = c.tune ? c.samples - std::max<Index>(1, c.samples / 5) : c.samples;
      ember::detail::require(rows > truth.dim(), program, "--samples", c.samples, "must give more training rows (",
                             rows, c.tune ? " fitted by --tune" : "", ") than the dimension ", truth.dim(),
                             " for a sample covariance");
    }
    const std::vector<std::string> methods = c.method == "all" ? all_methods : std::vector<std::string>{c.method};
    const std::size_t runs = methods.size() * seeds.size();
    // Run k: method k / seeds, seed k % seeds, on rank k mod N; a run's numbers depend on its seed only, not on
    // --threads or the rank count.
    std::vector<Outcome> every_run;
    for (const auto& r : ex::run_methods_and_seeds(program, ranks, methods, seeds, c.iters, c.threads,
                                                   [&](std::size_t m, std::size_t si, Index& done) {
                                                     Config cs = c;
                                                     cs.seed = seeds[si];
                                                     return pack(run(methods[m], cs, truths[si], trains[si], done));
                                                   }))
      every_run.push_back(unpack(r, methods[r.method], seeds[r.seed], truth.dim()));
    const bool every_run_failed =
        std::all_of(every_run.begin(), every_run.end(), [](const Outcome& o) { return !o.error.empty(); });
    if (!ranks.writes_outputs()) return every_run_failed && runs > 1 ? ex::exit_numerical_failure : ex::exit_success;
    std::size_t failures = 0;
    for (const auto& o : every_run) {
      if (!o.error.empty()) ++failures;
      std::printf("%s\n", line(c, o, truth.dim()).dump().c_str());
    }
    std::fflush(stdout);
    // The first seed's run of each method: model.json, the table and the KL curves when there is one seed.
    std::vector<Outcome> outcomes;
    for (std::size_t m = 0; m < methods.size(); ++m) outcomes.push_back(every_run[m * seeds.size()]);
    // model.json: the last method that did not diverge.
    const auto kept = std::find_if(outcomes.rbegin(), outcomes.rend(), [](const Outcome& o) { return o.error.empty(); });
    if (!c.out.empty() && kept != outcomes.rend()) {
      const auto& model = kept->model;
      nlohmann::json cov = nlohmann::json::array();
      const Matrix sigma = model.covariance();
      for (Index i = 0; i < sigma.rows(); ++i) {
        std::vector<double> row;
        for (Index j = 0; j < sigma.cols(); ++j) row.push_back(sigma(i, j));
        cov.push_back(row);
      }
      const ember::Vector<T> mean = model.mean();
      ex::write_json(c.out + "/model.json", {{"method", kept->method},
                                             {"mean", std::vector<double>(mean.data(), mean.data() + mean.size())},
                                             {"covariance", cov}});
    }
    if (runs > 1) {
      std::vector<std::vector<std::string>> rows;
      std::vector<std::vector<double>> xs, ys;
      nlohmann::json all = nlohmann::json::array();
      for (const auto& o : outcomes) {
        if (!o.error.empty()) {  // a diverged method: the iteration and quantity in the table, the message in JSON
          rows.push_back({o.method, ex::headline(o.failure), "–", "–", "–", "–", "–"});
          all.push_back(line(c, o, truth.dim()));
          continue;
        }
        std::vector<std::string> row{o.method, std::isfinite(o.kl) ? ex::format("%.4g", o.kl) : "∞"};
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
      std::string table = ex::markdown_table(
          {"method", "KL final", "KL at 10%", "KL at 50%", "mean error", "cov error (rel.)", "seconds"}, rows);
      if (seeds.size() == 1) {
        nlohmann::json results = std::move(all);
        all = {{"seeds", seeds}, {"ranks", ranks.size()}, {"results", std::move(results)}};
      } else {
        // Over seeds: mean ± standard error (worst seed) of each metric; diverged seeds counted, never averaged.
        rows.clear();
        nlohmann::json aggregate = nlohmann::json::array(), per_run = nlohmann::json::array();
        for (std::size_t m = 0; m < methods.size(); ++m) {
          std::vector<std::optional<double>> kl, mean_error, cov_error, seconds;
          std::size_t diverged = 0;
          std::string first_divergence;
          for (std::size_t si = 0; si < seeds.size(); ++si) {
            const Outcome& o = every_run[m * seeds.size() + si];
            per_run.push_back(line(c, o, truth.dim()));
            const auto value = [&](double v) { return o.error.empty() ? std::optional<double>(v) : std::nullopt; };
            if (!o.error.empty() && diverged++ == 0)
              first_divergence = "seed " + std::to_string(o.seed) + " " + ex::headline(o.failure);
            kl.push_back(value(o.kl));
            mean_error.push_back(value(o.mean_error));
            cov_error.push_back(value(o.cov_error));
            seconds.push_back(value(o.seconds));
          }
          const auto s_kl = ex::summarise(kl, seeds), s_mean = ex::summarise(mean_error, seeds),
                     s_cov = ex::summarise(cov_error, seeds), s_seconds = ex::summarise(seconds, seeds);
          std::string failed = std::to_string(diverged) + "/" + std::to_string(seeds.size());
          if (!first_divergence.empty()) failed += " (" + first_divergence + ")";
          rows.push_back({methods[m], failed, ex::cell(s_kl, "%.4g"), ex::cell(s_mean, "%.3f"), ex::cell(s_cov, "%.3f"),
                          ex::format("%.2f", s_seconds.mean)});
          aggregate.push_back({{"method", methods[m]}, {"seeds", seeds.size()}, {"diverged", diverged},
                               {"kl_data_to_model", ex::to_json(s_kl)}, {"mean_error", ex::to_json(s_mean)},
                               {"cov_error", ex::to_json(s_cov)}, {"seconds", ex::to_json(s_seconds)}});
        }
        table = ex::markdown_table({"method", "diverged", "KL final", "mean error", "cov error (rel.)", "seconds (mean)"},
                                   rows);
        all = {{"seeds", seeds}, {"ranks", ranks.size()}, {"results", per_run}, {"aggregate", aggregate}};
      }
      const std::string heading = ex::format("D = %g", static_cast<double>(truth.dim())) + ", " +
                                  (c.data_file.empty() ? c.cov : std::string("file")) + " covariance, " +
                                  std::to_string(c.samples) + " samples, batch " + std::to_string(c.batch) +
                                  ", " + c.optimizer + (c.tune ? " lr tuned around " : " lr ") +
                                  (c.lr > 0 ? ex::format("%g", c.lr)
                                            : ex::format("%g", default_lr("cd", c)) +
                                                  (c.optimizer == "adam" ? " (dcd 0.03)" : "")) +
                                  (c.lr_decay == "cosine" ? " (cosine decay)" : "") + ", " + std::to_string(c.iters) +
                                  " iterations, " +
                                  (seeds.size() == 1 ? "seed " + std::to_string(c.seed)
                                                     : std::to_string(seeds.size()) + " seeds " +
                                                           std::to_string(seeds.front()) + "-" + std::to_string(seeds.back()) +
                                                           " (mean ± standard error, worst seed)") +
                                  "\n\n";
      std::printf("\n%s%s", heading.c_str(), table.c_str());
      if (!c.out.empty()) {
        ex::write_json(c.out + "/summary.json", all);
        std::FILE* md = std::fopen((c.out + "/summary.md").c_str(), "w");
        if (md) {
          std::fprintf(md, "%s%s", heading.c_str(), table.c_str());
          std::fclose(md);
        }
        std::vector<ex::Series> curves;
        for (const auto& o : outcomes)  // a diverged method keeps its legend entry, without a curve
          curves.push_back(o.curve_kl.empty() ? ex::Series{o.method + " (diverged)"} : ex::Series{o.method, o.curve_iters, o.curve_kl});
        ex::line_figure(curves, {.title = {"Gaussian data, " + heading.substr(0, heading.find(", " + c.optimizer)),
                                           "KL(data || model) of each method during training"},
                                 .x = {0, 1, "iteration"},
                                 .y = {0, 1, "KL(data || model) (nats)", true},
                                 .caption = {"exact KL between the data's and the model's Gaussians; log scale"}})
            .save_png(c.out + "/kl.png");
      }
    }
    if (failures == runs && runs > 1) {
      ex::print_error(program, seeds.size() == 1 ? "every method diverged" : "every run diverged");
      return ex::exit_numerical_failure;
    }
    return ex::exit_success;
  });
}
