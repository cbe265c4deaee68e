// ember-toy2d: trains an MLP energy on a 2D toy data set (or a CSV file) with CD, PCD, improved CD, DCD,
// diffusion recovery likelihood (DRL, a time-conditioned MLP) or DSM, and reports the exact held-out NLL (log Z by quadrature), MMD² to held-out data, and KL(p_data ‖ p_model)
// where the data density is known, with pictures of the learned density and of model samples.
//
//   ember-toy2d                                   # DCD on 8gaussians, outputs in ./ember-out
//   ember-toy2d --dataset rings --method all      # every method with the same budget + a comparison table
//   ember-toy2d --method pcd --iters 400 --checkpoint run.ckpt --checkpoint-every 100   # then, after a crash:
//   ember-toy2d --method pcd --iters 400 --resume run.ckpt   # ends exactly where the uninterrupted run ends
// Bad input (a malformed CSV, a bad checkpoint, a bad option) exits with status 2 and one message on stderr.
// With --method all a method that diverges (ember::numerical_error) is a row "diverged at iteration k" and the
// others still run; the exit status is 0 unless every method failed.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <ember/core/random.hpp>
#include <ember/data/csv.hpp>
#include <ember/data/toy2d.hpp>
#include <ember/divergence/cd.hpp>
#include <ember/divergence/dcd.hpp>
#include <ember/divergence/improved_cd.hpp>
#include <ember/divergence/pcd.hpp>
#include <ember/divergence/recovery_likelihood.hpp>
#include <ember/divergence/score_matching.hpp>
#include <ember/energy/mlp.hpp>
#include <ember/energy/time_conditioned.hpp>
#include <ember/io/checkpoint.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/replay_buffer.hpp>
#include <ember/metrics/grid_nll.hpp>
#include <ember/metrics/mmd.hpp>
#include <ember/train/adam.hpp>
#include <ember/io/npy.hpp>
#include <ember/train/trainer.hpp>

#include "ember_examples/fixed_time.hpp"
#include "ember_examples/image.hpp"
#include "ember_examples/output.hpp"

namespace {

using T = float;
using ember::Batch;
using ember::Index;
using Model = ember::MlpEnergy<T, ember::Silu>;
using TimeModel = ember::TimeConditionedMlp<T, ember::Silu>;  // DRL's E(x, t): the same MLP on [x, φ(t)]
namespace ex = ember::examples;

// The position is the method's id in checkpoints: append new methods, never reorder.
const std::vector<std::string> all_methods{"cd", "pcd", "icd", "dcd", "dsm", "drl"};

struct Config {
  std::string dataset = "8gaussians";
  std::string data_file;
  std::string method = "dcd";
  Index iters = 1500;
  std::uint64_t seed = 0;
  int threads = 1;
  std::string out = "ember-out";
  bool quiet = false;
  Index grid_cells = 480;
  Index batch = 256;
  Index sampler_steps = 10;
  double learning_rate = 1e-2;  // measured: 2e-3 leaves every method at a flat disc after 1500 updates
  double step_size = 0.01;   // textbook ULA ε of the CD/PCD/ICD sampler
  double dcd_step = 0.01;    // ULA ε on DCD's tethered posterior
  double noise_min = 0.2, noise_max = 0.2;  // DCD's VP noise levels s
  // DRL's levels: boundaries in DDPM's 1000 linear betas. Measured on 8gaussians (seed 0, 1500 updates): Gao et
  // al.'s six {0, 100, ..., 500, 999} stay a flat disc (KL 2.75: the level-0 energy gets 1/6 of each batch and
  // the weak signal of a tight tether); {0, 100, 200, 300} learns (KL 0.55) but grows spurious spikes on rings
  // (KL 110: nothing samples far from the data); the pure-noise top level 999 fixes that (KL 0.38, rings 0.87).
  std::vector<Index> drl_levels{0, 100, 200, 300, 999};
  double drl_b2 = 0.2;  // DRL's ULA step at level t: ε_t = b² σ²_{t+1} (0.021, 0.053, 0.080, 0.20)
  std::string checkpoint;      // --checkpoint PATH: written every checkpoint_every iterations and at the end
  Index checkpoint_every = 0;  // 0: only at the end
  std::string resume;          // --resume PATH: continue a run from its checkpoint (--iters stays the total)
};

struct Data {
  std::string name;
  Batch<T> train, held_out;
  std::optional<ember::Toy2d<double>> exact;  // the data density, when known
};

struct Result {
  std::string method;
  Index iters = 0;
  double seconds = 0, nll = 0, mmd = 0, mmd_se = 0, kl = std::nan(""), refinement = 0, edge_mass = 0;
  Batch<T> samples;
  ember::GridDensity2d grid;
  std::string error;  // --method all: why the method failed (then every number above is meaningless)
};

Data load_data(const Config& c) {
  Data d;
  ember::Philox rng(c.seed ^ 0x5eedda7aULL);
  if (!c.data_file.empty()) {
    Batch<T> all = ember::read_csv<T>(c.data_file, {.columns = 2});
    ember::detail::require(all.rows() >= 10, "ember-toy2d", "--data-file rows", all.rows(), "need at least 10 points");
    // A seeded shuffle, then 80% for training and 20% held out.
    Batch<double> keys(all.rows(), 1);
    rng.uniform(keys);
    std::vector<Index> order(static_cast<std::size_t>(all.rows()));
    for (Index i = 0; i < all.rows(); ++i) order[static_cast<std::size_t>(i)] = i;
    std::sort(order.begin(), order.end(), [&](Index a, Index b) { return keys(a, 0) < keys(b, 0); });
    const Index n_train = all.rows() * 4 / 5;
    d.train.resize(n_train, 2);
    d.held_out.resize(all.rows() - n_train, 2);
    for (Index i = 0; i < all.rows(); ++i) {
      const auto row = all.row(order[static_cast<std::size_t>(i)]);
      if (i < n_train) d.train.row(i) = row; else d.held_out.row(i - n_train) = row;
    }
    d.name = c.data_file;
    return d;
  }
  const auto toy = ember::Toy2d<T>::named(c.dataset);
  d.train = toy.sample(20000, rng);
  d.held_out = toy.sample(5000, rng);
  d.name = c.dataset;
  const auto exact = ember::Toy2d<double>::named(c.dataset);
  if (exact.has_log_density()) d.exact = exact;
  return d;
}

// A progress line on stderr, rewritten in place at most every half second.
struct Progress {
  std::string label;
  bool quiet = false;
  std::mutex* lock = nullptr;
  std::chrono::steady_clock::time_point last{};
  bool operator()(const ember::TrainProgress& p) {
    if (quiet) return true;
    const auto now = std::chrono::steady_clock::now();
    if (p.iteration != p.iterations && now - last < std::chrono::milliseconds(500)) return true;
    last = now;
    std::lock_guard guard(*lock);
    std::fprintf(stderr, "\r[%s] iter %lld/%lld  loss %+.4f  E+ %+.3f  E- %+.3f  %.0f it/s  eta %.0fs   %s",
                 label.c_str(), static_cast<long long>(p.iteration), static_cast<long long>(p.iterations), p.loss,
                 p.positive_energy, p.negative_energy, p.iterations_per_second, p.eta_seconds,
                 p.iteration == p.iterations ? "\n" : "");
    std::fflush(stderr);
    return true;
  }
};

// `done` counts the finished updates, so that a divergence can name its iteration.
Result run_method(const std::string& method, const Config& c, const Data& data, std::mutex& lock, Index& done) {
  const std::vector<Index> widths{2, 128, 128, 1};
  const ember::MlpSettings<T> mlp_settings{.base_scale = T(4)};
  ember::Adam<T> adam({.learning_rate = static_cast<T>(c.learning_rate), .beta1 = T(0.9), .beta2 = T(0.999)});
  const ember::TrainSettings settings{.iterations = c.iters, .batch_size = c.batch, .seed = c.seed + 2,
                                      .gradient_clip = 0, .report_every = 1};
  Progress progress{method, c.quiet, &lock};
  // One sampler for the MCMC methods: textbook ULA, step ε (default 0.01: drift 0.005 ∇E, noise 0.1), K steps.
  const auto ula = ember::Langevin<T>({.step_size = static_cast<T>(c.step_size)});
  const auto buffer = [&] {
    return ember::ReplayBuffer(2, ember::UniformInit<T>{T(-4), T(4)},
                               {.capacity = 10000, .reinit_probability = T(0.05)});
  };
  ember::TrainSummary summary;
  // Checkpoints: the model, Adam, the replay buffer (PCD, improved CD), the run's generator and the iteration;
  // the method and seed are stored too so that a checkpoint is never resumed into another run.
  const auto method_id = static_cast<std::uint64_t>(
      std::find(all_methods.begin(), all_methods.end(), method) - all_methods.begin());
  // model: the energy trained (an MlpEnergy, or DRL's TimeConditionedMlp); replay: the estimator's
  // ReplayBuffer* or nullptr.
  const auto train = [&](auto& model, auto& est, auto replay) {
    ember::TrainSettings s = settings;
    if (!c.resume.empty()) {
      const auto ck = ember::Checkpoint::load(c.resume);
      const auto require_same = [&](const char* key, std::uint64_t expected, const char* what) {
        ember::detail::require(ck.integer(key) == expected, "ember-toy2d", "--resume", c.resume,
                               std::string("its ") + key + " = " + std::to_string(ck.integer(key)) +
                                   ": written by a run with another " + what + " (this run: " +
                                   std::to_string(expected) + ")");
      };
      require_same("toy2d.method", method_id, "--method");
      require_same("toy2d.seed", c.seed, "--seed");
      ember::restore_parameters(ck, "params", model.params());
      ember::restore(ck, "adam", adam, model.params().size());
      if constexpr (!std::is_same_v<decltype(replay), std::nullptr_t>) ember::restore(ck, "buffer", *replay);
      ember::Philox rng(0);
      ember::restore(ck, "rng", rng);
      s.start_iteration = static_cast<Index>(ck.integer("iteration"));
      ember::detail::require(s.start_iteration <= c.iters, "ember-toy2d", "--iters", c.iters,
                             "is below the checkpoint's iteration " + std::to_string(s.start_iteration));
      s.generator_position = rng.position();
    }
    done = s.start_iteration;
    const auto save = [&](const ember::TrainProgress& p) {
      ember::Checkpoint ck;
      ck.set("toy2d.method", method_id);
      ck.set("toy2d.seed", c.seed);
      ck.set("iteration", static_cast<std::uint64_t>(p.iteration));
      ck.set("params", model.params());
      ember::store(ck, "adam", adam);
      if constexpr (!std::is_same_v<decltype(replay), std::nullptr_t>) ember::store(ck, "buffer", *replay);
      ember::store(ck, "rng", ember::Philox(s.seed, p.generator_position));
      ck.save(c.checkpoint);
    };
    return ember::train(est, model, adam, data.train, s, [&](const ember::TrainProgress& p) {
      done = p.iteration;
      progress(p);
      if (!c.checkpoint.empty() &&
          ((c.checkpoint_every > 0 && p.iteration % c.checkpoint_every == 0) || p.iteration == p.iterations))
        save(p);
    });
  };
  Result r;
  r.method = method;
  // The exact NLL, MMD² and KL of a trained 2D energy (the grid density also gives the samples).
  const auto measure = [&](const auto& energy) {
    r.grid = ember::grid_density(energy, {.half_width = 6.0, .cells = c.grid_cells});
    r.refinement = r.grid.refinement_difference;
    r.edge_mass = r.grid.edge_mass;
    r.nll = ember::grid_nll(energy, data.held_out, r.grid);
    ember::Philox rng(c.seed + 3);
    r.samples = ex::sample_from_grid<T>(r.grid, 5000, rng);
    const auto m = ember::mmd2_rbf<T>(r.samples, data.held_out, {.bandwidths = {}, .max_points = 2500});
    r.mmd = m.mmd2;
    r.mmd_se = m.standard_error;
    if (data.exact)
      r.kl = ember::grid_kl([&](ember::BatchView<double> x, ember::VectorRef<double> out) { data.exact->log_density(x, out); },
                            r.grid);
  };
  if (method == "drl") {
    // Default levels a = .99995, .946, .856, .775, then .010 (pure noise: that level's negatives are short-run
    // ULA from noise on the level-3 marginal, the only ones far from the data). Each example's negative comes
    // from K ULA steps on the posterior of its level t given y = a_{t+1} x_t + σ_{t+1} ε, started at y. The step
    // ε_t = b² σ²_{t+1} is not scaled by σ̄_t/σ̄_0 (on 2D data that rule makes the top step ~60× the bottom one):
    // with b² = 0.2 the tether precision a²/σ² (8.5, 2.7, 1.5) contracts each step by 1 − ε_t a²/(2σ²) ≈ 0.91
    // to 0.94. The model is measured by its level-0 energy E(x, τ_0): the density of .99995 x + 0.01 ε ≈ data.
    TimeModel model(widths, c.seed + 1, mlp_settings);
    auto est = ember::RecoveryLikelihood<T, ember::Langevin<T>>::with_langevin(
        ember::RecoveryLevels<T>(ember::ddpm_linear_betas(), c.drl_levels), static_cast<T>(c.drl_b2), {.steps = c.sampler_steps}, /*scale_by_level=*/false);
    summary = train(model, est, nullptr);
    measure(ex::AtFixedTime(model, est.level_time(0)));
  } else {
    Model model(widths, c.seed + 1, mlp_settings);
    if (method == "cd") {
      ember::ContrastiveDivergence est(ula, ember::CdSettings<T>{.steps = c.sampler_steps});
      summary = train(model, est, nullptr);
    } else if (method == "pcd") {
      ember::PersistentContrastiveDivergence est(ula, buffer(), ember::PcdSettings<T>{.steps = c.sampler_steps});
      summary = train(model, est, &est.buffer());
    } else if (method == "icd") {
      ember::ImprovedContrastiveDivergence est(buffer(), ember::ImprovedCdSettings<T>{.steps = c.sampler_steps,
                                                                                      .gradient_step = static_cast<T>(c.step_size / 2),
                                                                                      .noise_scale = static_cast<T>(std::sqrt(c.step_size))});
      summary = train(model, est, &est.buffer());
    } else if (method == "dcd") {
      // Variance-preserving noise at level s (default 0.2); the tethered posterior, of precision ≈ a²/s² = 24, is
      // sampled by ULA with ε = 0.01: each step contracts by 1 − ε·24/2 ≈ 0.88 (it mixes in K = 10 steps) and the
      // stationary variance is off by ε·24/4 ≈ 6%.
      ember::DiffusionContrastiveDivergence est(ember::Langevin<T>({.step_size = static_cast<T>(c.dcd_step)}),
                                                ember::DcdSettings<T>{.noise = ember::DiffusionNoise::variance_preserving,
                                                                      .noise_min = static_cast<T>(c.noise_min),
                                                                      .noise_max = static_cast<T>(c.noise_max),
                                                                      .steps = c.sampler_steps});
      summary = train(model, est, nullptr);
    } else if (method == "dsm") {
      ember::DenoisingScoreMatching<T> est({.noise_scale = T(0.1)});
      summary = train(model, est, nullptr);
    } else {
      ember::detail::require(false, "ember-toy2d", "--method", method, "must be cd, pcd, icd, dcd, drl, dsm or all");
    }
    measure(model);
  }
  r.iters = summary.iterations;
  r.seconds = summary.seconds;
  return r;
}

// The part of the grid inside [−4.5, 4.5]², for pictures.
Eigen::MatrixXd crop(const ember::GridDensity2d& g, double half) {
  Index lo = 0;
  while (lo < g.cells && g.centre(lo) < -half) ++lo;
  const Index count = g.cells - 2 * lo;
  return g.log_density.block(lo, lo, count, count);
}

nlohmann::json metrics_json(const Data& data, const Result& r) {
  if (!r.error.empty())  // a diverged method: no numbers, the message instead
    return {{"dataset", data.name}, {"method", r.method}, {"iters", r.iters}, {"seconds", nullptr},
            {"nll", nullptr}, {"mmd", nullptr}, {"mmd_standard_error", nullptr}, {"kl", nullptr},
            {"log_z_refinement_difference", nullptr}, {"edge_mass", nullptr}, {"error", r.error}};
  return {{"dataset", data.name}, {"method", r.method}, {"iters", r.iters}, {"seconds", r.seconds},
          {"nll", ex::number_or_null(r.nll)}, {"mmd", ex::number_or_null(r.mmd)},
          {"mmd_standard_error", r.mmd_se}, {"kl", data.exact ? ex::number_or_null(r.kl) : nlohmann::json()},
          {"log_z_refinement_difference", r.refinement}, {"edge_mass", r.edge_mass}};
}

void write_outputs(const std::string& dir, const Data& data, const Result& r, int pixels) {
  ex::make_directory(dir);
  ex::write_json(dir + "/metrics.json", metrics_json(data, r));
  ember::write_csv<T>(dir + "/samples.csv", r.samples, {"x", "y"});
  ember::write_npy(dir + "/samples.npy", r.samples);
  ex::heat_map(crop(r.grid, 4.5), pixels, r.method + " density").save_png(dir + "/density.png");
  ex::scatter(r.samples.cast<double>(), 4.5, pixels, r.method + " samples").save_png(dir + "/samples.png");
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"ember-toy2d: train energy-based models on 2D toy data; exact NLL, MMD and KL, with pictures"};
  app.add_option("--dataset", c.dataset, "8gaussians, 25gaussians, swissroll, 2spirals, checkerboard, rings, moons, "
                                         "pinwheel or circles")->capture_default_str();
  app.add_option("--data-file", c.data_file, "a CSV file with two numeric columns (optional header) instead");
  app.add_option("--method", c.method, "cd, pcd, icd, dcd, drl (diffusion recovery likelihood), dsm or all")
      ->capture_default_str();
  app.add_option("--iters", c.iters, "optimizer updates per method")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--seed", c.seed, "seed of every random number")->capture_default_str();
  app.add_option("--threads", c.threads, "methods trained at once with --method all")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--out", c.out, "output directory")->capture_default_str();
  app.add_flag("--quiet", c.quiet, "no progress line");
  app.add_option("--grid-cells", c.grid_cells, "quadrature cells per axis on [-6, 6] (even)")->capture_default_str();
  app.add_option("--batch", c.batch, "minibatch size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--steps", c.sampler_steps, "sampler steps per iteration (every MCMC method)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", c.learning_rate, "Adam learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--step-size", c.step_size, "ULA step ε of the CD, PCD and improved CD samplers")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--dcd-step", c.dcd_step, "ULA step ε on DCD's posterior")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--noise-min", c.noise_min, "DCD's smallest VP noise level s")->capture_default_str();
  app.add_option("--noise-max", c.noise_max, "DCD's largest VP noise level s")->capture_default_str();
  app.add_option("--drl-b2", c.drl_b2, "DRL's ULA step at level t is b2 * sigma_{t+1}^2")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--drl-levels", c.drl_levels, "DRL's level boundaries (indices into DDPM's 1000 linear betas)")
      ->capture_default_str()->delimiter(',');
  app.add_option("--checkpoint", c.checkpoint, "write a checkpoint here (atomically) at the end of training");
  app.add_option("--checkpoint-every", c.checkpoint_every, "also every K iterations (0: only at the end)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--resume", c.resume, "resume from this checkpoint; --iters stays the total");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help (code 0) or the error
    return code == 0 ? 0 : 2;
  }
  c.noise_max = std::max(c.noise_max, c.noise_min);
  try {
    ember::detail::require(c.method != "all" || (c.checkpoint.empty() && c.resume.empty()), "ember-toy2d",
                           "--method", c.method, "--checkpoint and --resume need a single method");
    const Data data = load_data(c);
    std::vector<std::string> methods = c.method == "all" ? all_methods : std::vector<std::string>{c.method};
    std::vector<Result> results(methods.size());
    std::mutex lock;
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    const auto worker = [&] {
      for (std::size_t k; (k = next++) < methods.size();) {
        Index done = 0;
        try {
          results[k] = run_method(methods[k], c, data, lock, done);
        } catch (const ember::numerical_error& e) {
          if (methods.size() == 1) {
            std::lock_guard guard(lock);
            if (!failure) failure = std::current_exception();
            continue;
          }
          // --method all: a diverged method is a row of the comparison; the others go on.
          Result& r = results[k];
          r.method = methods[k];
          r.iters = done;
          r.error = done < c.iters ? "diverged at iteration " + std::to_string(done + 1) + ": " + e.what()
                                   : std::string("diverged after training: ") + e.what();
          std::lock_guard guard(lock);
          std::fprintf(stderr, "%sember-toy2d: %s %s\n", c.quiet ? "" : "\n", r.method.c_str(), r.error.c_str());
        } catch (...) {
          std::lock_guard guard(lock);
          if (!failure) failure = std::current_exception();
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min<int>(c.threads, static_cast<int>(methods.size())); ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);

    if (methods.size() == 1) {
      write_outputs(c.out, data, results[0], 320);
      std::printf("%s\n", metrics_json(data, results[0]).dump().c_str());
      return 0;
    }
    // --method all: one sub-directory per method, a comparison table, summary.md/json and a montage.
    std::vector<std::vector<std::string>> rows;
    nlohmann::json summary = nlohmann::json::array();
    std::size_t failed = 0;
    for (const auto& r : results) {
      summary.push_back(metrics_json(data, r));
      if (!r.error.empty()) {
        ++failed;
        // The row names the iteration; the full message is in summary.json.
        rows.push_back({r.method, std::to_string(r.iters), r.error.substr(0, r.error.find(':')), "–", "–", "–"});
        continue;
      }
      write_outputs(c.out + "/" + r.method, data, r, 320);
      rows.push_back({r.method, std::to_string(r.iters), ex::format("%.3f", r.nll),
                      ex::format("%.4f", r.mmd) + " ± " + ex::format("%.4f", r.mmd_se),
                      data.exact ? ex::format("%.3f", r.kl) : "–", ex::format("%.1f", r.seconds)});
    }
    const std::string table =
        ex::markdown_table({"method", "iters", "NLL (nats)", "MMD² ± se", "KL(data‖model)", "seconds"}, rows);
    std::printf("%s: %lld iterations per method, batch %lld, %lld sampler steps\n\n%s", data.name.c_str(),
                static_cast<long long>(c.iters), static_cast<long long>(c.batch),
                static_cast<long long>(c.sampler_steps), table.c_str());
    ex::make_directory(c.out);
    ex::write_json(c.out + "/summary.json", {{"dataset", data.name}, {"iters", c.iters}, {"results", summary}});
    std::FILE* md = std::fopen((c.out + "/summary.md").c_str(), "w");
    if (!md) throw std::runtime_error("cannot write " + c.out + "/summary.md");
    std::fprintf(md, "# %s\n\n%lld iterations per method, batch %lld, %lld sampler steps, seed %llu\n\n%s",
                 data.name.c_str(), static_cast<long long>(c.iters), static_cast<long long>(c.batch),
                 static_cast<long long>(c.sampler_steps), static_cast<unsigned long long>(c.seed), table.c_str());
    std::fclose(md);
    // Montage: held-out data, then each method's learned density (small tiles for the README).
    const int tile = 128;
    ex::Image montage(tile * static_cast<int>(results.size() + 1), tile + 24);
    const auto paste = [&](const ex::Image& from, int at) {
      ex::Image::copy(from, montage, at * tile);
    };
    paste(ex::scatter(data.held_out.cast<double>(), 4.5, tile, "data"), 0);
    for (std::size_t k = 0; k < results.size(); ++k)
      if (results[k].error.empty())  // a diverged method's tile stays blank
        paste(ex::heat_map(crop(results[k].grid, 4.5), tile, results[k].method), static_cast<int>(k + 1));
    montage.save_png(c.out + "/montage.png");
    if (failed == results.size()) {
      std::fprintf(stderr, "ember-toy2d: every method diverged\n");
      return 1;
    }
    return 0;
  } catch (const ember::invalid_argument& e) {  // bad input: options, data files, checkpoints
    const std::string message = e.what();
    std::fprintf(stderr, "\n%s%s\n", message.rfind("ember-toy2d: ", 0) == 0 ? "" : "ember-toy2d: ", message.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nember-toy2d: %s\n", e.what());
    return 1;
  }
}
