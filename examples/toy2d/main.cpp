// ember-toy2d: trains an MLP energy on a 2D toy data set (or a CSV file) with CD, PCD, improved CD, DCD,
// diffusion recovery likelihood (DRL, a time-conditioned MLP) or DSM, and reports the exact held-out NLL (log Z by quadrature), MMD² to held-out data, and KL(p_data ‖ p_model)
// where the data density is known, with pictures of the learned density and of model samples.
//
//   ember-toy2d                                   # DCD on 8gaussians, outputs in ./ember-out
//   ember-toy2d --dataset rings --method all      # every method with the same budget + a comparison table
//   ember-toy2d --method pcd --iters 400 --checkpoint run.ckpt --checkpoint-every 100   # then, after a crash:
//   ember-toy2d --method pcd --iters 400 --resume run.ckpt   # ends exactly where the uninterrupted run ends
// Exit status (examples/common/ember_examples/cli.hpp): 0 success; 2 bad input (an option, the data, a checkpoint
// or an output path, all checked before training starts); 1 a run that diverged, collapsed or stalled (a MALA
// sampler that accepted under 1% of its proposals), named with its iteration. Each error is one line
// "ember-toy2d: message" on stderr. A resumed run must have the checkpoint's data and settings
// (--allow-changed-settings lets the batch, sampler, steps, learning rate, step sizes and noise levels change).
// A run that blows up is stopped while still finite (ember::DivergenceGuard: --diverge-energy, --diverge-grad)
// and reported as "diverged at iteration k (quantity = value)", never as a number; an NLL whose
// quadrature did not converge is "unresolved". With several runs (--method all, --seeds N) a diverged run is a
// row and the others still run; the exit status is 1 only when every run failed.
// Under `mpirun -np N` the runs (method x seed) are dealt out to the ranks (ember_examples/seeds.hpp, ranks.hpp),
// --threads at a time within each: every file is byte-identical to one process's, apart from "ranks" in
// summary.json, and rank 0 alone prints and writes.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <ember/simd/random.hpp>
#include <ember/data/csv.hpp>
#include <ember/data/standard_scores.hpp>
#include <ember/data/toy2d.hpp>
#include <ember/divergence/cd.hpp>
#include <ember/divergence/dcd.hpp>
#include <ember/divergence/improved_cd.hpp>
#include <ember/divergence/noise_conditional_score_matching.hpp>
#include <ember/divergence/pcd.hpp>
#include <ember/divergence/recovery_likelihood.hpp>
#include <ember/divergence/score_matching.hpp>
#include <ember/energy/mlp.hpp>
#include <ember/energy/time_conditioned.hpp>
#include <ember/io/checkpoint.hpp>
#include <ember/io/checkpoint_mcmc.hpp>
#include <ember/io/checkpoint_train.hpp>
#include <ember/mcmc/difference_jump.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/mala.hpp>
#include <ember/mcmc/replay_buffer.hpp>
#include <ember/metrics/grid_nll.hpp>
#include <ember/metrics/mmd.hpp>
#include <ember/train/adam.hpp>
#include <ember/io/npy.hpp>
#include <ember/train/divergence_guard.hpp>
#include <ember/train/trainer.hpp>

#include "ember_examples/cli.hpp"
#include "ember_examples/divergence.hpp"
#include "ember_examples/fixed_time.hpp"
#include "ember_examples/plot.hpp"
#include "ember_examples/output.hpp"
#include "ember_examples/ranks.hpp"
#include "ember_examples/sampler.hpp"
#include "ember_examples/resume.hpp"
#include "ember_examples/seeds.hpp"

namespace {

using T = float;
using ember::Batch;
using ember::Index;
using Model = ember::MlpEnergy<T, ember::Silu>;
using TimeModel = ember::TimeConditionedMlp<T, ember::Silu>;  // DRL's E(x, t): the same MLP on [x, φ(t)]
namespace ex = ember::examples;
constexpr const char* program = "ember-toy2d";
constexpr double grid_half_width = 6.0;  // the exact NLL, MMD samples and KL integrate over [-6, 6]²

// The position is the method's id in checkpoints: append new methods, never reorder.
const std::vector<std::string> all_methods{"cd", "pcd", "icd", "dcd", "dsm", "drl"};

struct Config {
  std::string dataset = "8gaussians";
  std::string data_file;
  std::string method = "dcd";
  Index iters = 1500;
  std::uint64_t seed = 0;
  Index seeds = 1;  // --seeds N: seeds seed, seed + 1, ..., each run as `--seed s` alone would run
  int threads = 1;
  std::string out = "ember-out";
  bool quiet = false;
  Index grid_cells = 480;
  Index batch = 256;
  Index sampler_steps = 0;  // --steps; 0: each method's measured default (steps_of)
  double learning_rate = 1e-2;  // measured: 2e-3 leaves every method at a flat disc after 1500 updates
  // cosine (from --lr down to 0 at the last update) or none. Measured on all 21 sets, 3 seeds, every method
  // (docs/results/robustness.md): cosine loses fewer seeds to divergence for each of the six methods.
  std::string lr_decay = "cosine";
  Index warmup = 0;               // updates of linear learning-rate warm-up (0: none)
  double step_size = 0;      // ε of the CD/PCD/ICD sampler; 0: the sampler's default (step_of)
  double dcd_step = 0.01;    // ε of the sampler on DCD's tethered posterior
  // Where DCD's posterior chains start: data (the datum x, since session 23) or noisy (x̃/a, Luo et al.).
  std::string dcd_start = "data";
  // The CD, PCD, DCD and DRL kernel: ula or mala (the same proposal, MH-corrected); empty: each method's default
  // (sampler_of). Measured on all 21 sets, 3 seeds (docs/results/robustness.md): MALA keeps every CD run from
  // diverging (17 of 63 seeds lost with ULA); it helps PCD on its in-order chains (session 22) and, its step tuned,
  // DRL and DCD from the datum (session 23).
  std::string sampler;
  // on: the MALA of CD, PCD, DRL (each level's), DCD and improved CD's first K − 1 steps tunes its step toward 0.574
  // acceptance over the whole run (ember::Mala's adapt_steps, from the method's step); off: the step stays; empty:
  // each method's default (adapts_mala_step).
  std::string mala_adapt;
  // on: before each update's chain steps, one difference jump of every chain over the training data (ember::WithJumps:
  // x + (y_j − y_k), Metropolis–Hastings-corrected), so that chains cross between far-apart modes; off: none; empty:
  // each method's default (jumps_of).
  std::string jumps;
  // DCD's VP noise levels s, one drawn per example from [noise_min, noise_max]. Since session 24 up to 0.99 (nearly
  // pure noise, where DCD's posterior is nearly the model itself and its chains, with --jumps, learn the modes' weights:
  // docs/results/robustness.md); Luo et al. used one level (--noise-max 0.2).
  double noise_min = 0.2, noise_max = 0.99;
  std::string noise_draw = "uniform";  // how DCD draws each example's level from [noise_min, noise_max]
  // PCD: in_order (Tieleman: one persistent chain per batch row, advanced at every update; the default since session
  // 22, with MALA and α = 0.01: docs/results/robustness.md) or sampled (Du et al.'s replay buffer of 10000).
  std::string pcd_chains = "in_order";
  // DSM: antithetic (each point noised with ε and −ε) or independent (one ε per point). Measured on all 21 sets,
  // 3 seeds (docs/results/robustness.md): antithetic pairs fail 6 sets against 14 and learn 9 below MMD² 0.01
  // against 3, at 1.8× the time of one draw (still the cheapest method).
  std::string dsm_noise = "antithetic";
  double dsm_sigma = 0.1;  // DSM's noise scale σ (with --dsm-sigma-max: the smallest)
  // DSM over the scales [dsm_sigma, dsm_sigma_max] with a time-conditioned MLP (ember::NoiseConditionalScoreMatching,
  // Song & Ermon), sampled by annealed Langevin: 10 geometric levels, 10 ULA steps each, step dsm_sample_step at
  // the smallest scale. 0: one scale, an unconditioned MLP (DSM as before session 25).
  double dsm_sigma_max = 0;
  double dsm_sample_step = 0.01;  // measured: 0.005 leaves one set of 21 above MMD² 0.01, 0.01 none (robustness.md)
  // Improved CD's entropy weight: the dimension, 2, the nearest-neighbour entropy estimate's own scale (as
  // ember-gaussian's d). Measured on all 21 sets at 3 seeds (session 21, robustness.md): against Du et al.'s 0.3 it
  // fails 8 sets instead of 10 and lowers MMD² on 4 beyond two standard errors, none higher; 0 changes nothing.
  double icd_entropy_weight = 2;
  // DRL's levels: boundaries in DDPM's 1000 linear betas. Measured on 8gaussians (seed 0, 1500 updates): Gao et
  // al.'s six {0, 100, ..., 500, 999} stay a flat disc (KL 2.75: the level-0 energy gets 1/6 of each batch and
  // the weak signal of a tight tether); {0, 100, 200, 300} learns (KL 0.55) but grows spurious spikes on rings
  // (KL 110: nothing samples far from the data); the pure-noise top level 999 fixes that (KL 0.38, rings 0.87).
  std::vector<Index> drl_levels{0, 100, 200, 300, 999};
  // The MLP's hidden widths; the linear output unit comes on top. Until session 22 the programs used
  // {128, 128, 1}: a width-1 SiLU layer under the output, through which every gradient passes, so that once its one
  // pre-activation turned negative on the whole square the energy went flat for good (SiLU′ → 0 there) — the
  // "collapsed" runs of PCD and DRL (docs/results/robustness.md, session 22). `--hidden 128,128,1` restores it.
  std::vector<Index> hidden{128, 128};
  double drl_b2 = 0.2;    // DRL's step at level t: ε_t = b² σ²_{t+1} (0.021, 0.053, 0.080, 0.20; MALA then tunes it)
  double energy_reg = -1;  // α of Du & Mordatch's α·mean(E⁺² + E⁻²) (not DSM); < 0: the method's (energy_reg_of)
  std::string checkpoint;      // --checkpoint PATH: written every checkpoint_every iterations and at the end
  Index checkpoint_every = 0;  // 0: only at the end
  std::string resume;          // --resume PATH: continue a run from its checkpoint (--iters stays the total)
  bool allow_changed_settings = false;  // --resume may change the settings marked changeable in run_settings
  ember::DivergenceLimits divergence{};  // --diverge-energy, --diverge-grad (docs/results/divergence.md)
  // The grid NLL and KL are "unresolved" (no figure) when log Z changes by more than this between the grid and
  // one twice as coarse, or when more than edge_mass_limit of the mass lies in the outer 5% band of [-6, 6]².
  double refinement_limit = 0.01, edge_mass_limit = 0.01;
  // on: train on the data's standard scores (Data::scores); off: as given; auto: on for --data-file,
  // off for the built-in sets (the tables of docs/results were measured on them as given).
  std::string standardize = "auto";
};

// The kernel `method` samples with (improved CD: its first K − 1 steps): --sampler, or the method's measured default
// (docs/results/robustness.md: MALA for CD since session 14, for improved CD since session 21, for PCD since 22, for
// DRL and DCD since 23: every method's default is now the same, so `method` is unused).
std::string sampler_of(const Config& c, const std::string& /*method*/) {
  if (!c.sampler.empty()) return c.sampler;
  return "mala";
}

// The step ε of the CD, PCD or improved CD sampler: --step-size, or 0.1 for MALA and 0.01 for ULA (improved CD's
// differentiated last step is always ULA; its first K − 1 steps are MALA at 0.1 unless --sampler ula). MALA's
// rejections make the larger step safe, and it mixes further: measured on all 21 sets, 3 seeds, CD with MALA at 0.1
// has mean MMD² < 0.01 on 12 sets against 5 at 0.01 (docs/results/robustness.md).
constexpr double mala_step = 0.1;
double step_of(const Config& c, const std::string& method) {
  if (c.step_size > 0) return c.step_size;
  return method != "icd" && sampler_of(c, method) == "mala" ? mala_step : 0.01;
}

// α of the energy penalty: --energy-reg, or 0.01 for PCD, improved CD and DRL, 0.001 for DCD, 0 for CD. Measured on
// all 21 sets at 3 seeds (docs/results/robustness.md, sessions 21 and 22): α = 0.001 keeps DCD's runs from blowing up
// (2 seeds of 63 lost instead of 21); with the session-22 network α = 0.01 lets PCD's in-order MALA chains and DRL
// learn (16 and 22 seeds lost without it, 5 and 0 with it), and lowers improved CD's MMD² on four sets, none higher.
// For DCD 0.01 is no better than 0.001 (worse on the heavy-tailed sets); CD loses no seed without a penalty.
double energy_reg_of(const Config& c, const std::string& method) {
  if (c.energy_reg >= 0) return c.energy_reg;
  if (method == "pcd" || method == "icd" || method == "drl") return 0.01;
  return method == "dcd" ? 0.001 : 0.0;
}

// Whether the MALA of CD, PCD, improved CD or DRL tunes its step over the run: --mala-adapt, or the method's measured
// default (all 21 sets, 3 seeds; docs/results/robustness.md, session 23) — on for PCD (no seed lost instead of 5
// stalls at the fixed ε = 0.1, one set failing instead of four), improved CD (6 failing sets instead of 10) and DRL
// (7 instead of 10 against ULA) and DCD (with its chains started at the datum: 3 failing sets instead of 10), off for
// CD (MMD² below 0.01 on 10 sets instead of 15).
bool adapts_mala_step(const Config& c, const std::string& method) {
  if (sampler_of(c, method) != "mala") return false;
  if (!c.mala_adapt.empty()) return c.mala_adapt == "on";
  return method != "cd";
}

// K, the sampler steps per update of an MCMC method: --steps, or 20 for DCD and 10 for the others. Measured on all 21
// sets at five seeds (docs/results/robustness.md, sessions 25 and 26): DCD's posterior chains with 20 steps bring its
// mean MMD² below 0.01 on 20 sets instead of 18, none failing, for about 55 % more time per run; the other methods
// meet their sets with 10.
Index steps_of(const Config& c, const std::string& method) {
  if (c.sampler_steps > 0) return c.sampler_steps;
  return method == "dcd" ? 20 : 10;
}

// The summary line's sampler steps: "10 sampler steps", or each MCMC method's where it differs from CD's
// ("sampler steps dcd 20, the others 10"); "no sampler" when only DSM runs.
std::string steps_summary(const Config& c, const std::vector<std::string>& methods) {
  const Index common = steps_of(c, "cd");
  std::string differing;
  bool any_common = false;
  for (const auto& m : methods) {
    if (m == "dsm") continue;  // score matching runs no sampler
    if (steps_of(c, m) == common)
      any_common = true;
    else
      differing += (differing.empty() ? "" : ", ") + m + " " + std::to_string(steps_of(c, m));
  }
  if (differing.empty()) return any_common ? std::to_string(common) + " sampler steps" : "no sampler";
  return "sampler steps " + differing + (any_common ? ", the others " + std::to_string(common) : "");
}

// The steps per update of the method's kernel (CD's, PCD's, DCD's, each of DRL's levels'; improved CD's first K − 1).
Index kernel_steps(const Config& c, const std::string& method) {
  return method == "icd" ? steps_of(c, method) - 1 : steps_of(c, method);
}

// Whether `method` generates samples from noise with a sampler of its own (DRL's progressive sampling, multi-scale
// DSM's annealed Langevin), reported beside its density as generated_mmd.
bool generates(const Config& c, const std::string& method) {
  return method == "drl" || (method == "dsm" && c.dsm_sigma_max > 0);
}

// The MALA steps over which the method's kernel tunes ε: the whole run's (iters × kernel_steps), or none.
ember::Index mala_adapt_steps(const Config& c, const std::string& method) {
  return ex::mala_adapt_steps(adapts_mala_step(c, method), c.iters, kernel_steps(c, method));
}

// Whether the method's chains take a difference jump over the training data before each update's steps: --jumps, or
// the method's measured default (all 21 sets, 3 seeds; docs/results/robustness.md, session 24): on for CD, PCD and
// improved CD (no failing set instead of 3, 1 and 6; MMD² below 0.01 on 21, 21 and 16 sets instead of 15, 19 and 8,
// at ~8% more time) and for DCD with its noise levels up to 0.99 (no failing set instead of 3; neither change alone
// helps: at s = 0.2 the tethered posterior rejects the jumps); off for DRL (no change). DSM samples nothing.
bool jumps_of(const Config& c, const std::string& method) {
  if (method == "dsm") return false;
  if (!c.jumps.empty()) return c.jumps == "on";
  return method != "drl";
}

bool standardizes(const Config& c) { return c.standardize == "on" || (c.standardize == "auto" && !c.data_file.empty()); }

// The settings a checkpoint records and a resumed run must repeat (only those the method uses). Changeable ones
// (--allow-changed-settings) only steer the optimizer and the samplers; the DRL levels define the model itself.
std::vector<ex::RunSetting> run_settings(const Config& c, const std::string& method) {
  const auto one = [](double v) { return std::vector<double>{v}; };
  std::vector<ex::RunSetting> s{{"--batch", one(static_cast<double>(c.batch)), true},
                                {"--lr", one(c.learning_rate), true},
                                {"--lr-decay", one(c.lr_decay == "cosine" ? 1 : 0), true},
                                {"--warmup", one(static_cast<double>(c.warmup)), true}};
  if (method != "dsm") s.push_back({"--steps", one(static_cast<double>(steps_of(c, method))), true});
  if (method != "dsm") s.push_back({"--energy-reg", one(energy_reg_of(c, method)), true});
  if (method == "cd" || method == "pcd" || method == "icd") s.push_back({"--step-size", one(step_of(c, method)), true});
  if (method != "icd" && method != "dsm")
    s.push_back({"--sampler", one(sampler_of(c, method) == "mala" ? 1 : 0), true});
  // Added in session 21 for improved CD's first K − 1 steps; checkpoints written before ran them by ULA.
  if (method == "icd") s.push_back({"--sampler", one(sampler_of(c, method) == "mala" ? 1 : 0), true, one(0)});
  // Added in session 20 for CD and in session 23 for the others; checkpoints written before kept MALA's step fixed.
  if (method != "dsm")
    s.push_back({"--mala-adapt", one(adapts_mala_step(c, method) ? 1 : 0), false, one(0)});
  if (method == "dcd") {
    s.push_back({"--dcd-step", one(c.dcd_step), true});
    // Added in session 23; checkpoints written before started at x̃/a.
    s.push_back({"--dcd-start", one(c.dcd_start == "data" ? 1 : 0), false, one(0)});
    s.push_back({"--noise-min", one(c.noise_min), true});
    s.push_back({"--noise-max", one(c.noise_max), true});
    // Added in session 25; checkpoints written before drew levels uniformly.
    s.push_back({"--noise-draw", one(c.noise_draw == "log_uniform" ? 1 : 0), true, one(0)});
  }
  // Added in session 15: checkpoints written before ran PCD's sampled buffer and DSM's one draw per point.
  if (method == "pcd") s.push_back({"--pcd-chains", one(c.pcd_chains == "in_order" ? 1 : 0), false, one(0)});
  if (method == "dsm") s.push_back({"--dsm-noise", one(c.dsm_noise == "antithetic" ? 1 : 0), true, one(0)});
  // Added in session 22 (it defines the model); checkpoints written before had hidden widths {128, 128, 1}.
  s.push_back({"--hidden", std::vector<double>(c.hidden.begin(), c.hidden.end()), false, {128, 128, 1}});
  if (method == "dsm") s.push_back({"--dsm-sigma", one(c.dsm_sigma), false, one(0.1)});
  // Added in session 25 (it defines the model); checkpoints written before trained one scale.
  if (method == "dsm") s.push_back({"--dsm-sigma-max", one(c.dsm_sigma_max), false, one(0)});
  // Added in session 21; checkpoints written before used Du et al.'s 0.3.
  if (method == "icd") s.push_back({"--icd-entropy-weight", one(c.icd_entropy_weight), false, one(0.3)});
  // Added in session 16: checkpoints written before trained on the data as given.
  s.push_back({"--standardize", one(standardizes(c) ? 1 : 0), false, one(0)});
  // Added in session 24: checkpoints written before took no jumps.
  if (method != "dsm") s.push_back({"--jumps", one(jumps_of(c, method) ? 1 : 0), false, one(0)});
  if (method == "drl") {
    s.push_back({"--drl-b2", one(c.drl_b2), true});
    s.push_back({"--drl-levels", std::vector<double>(c.drl_levels.begin(), c.drl_levels.end()), false});
  }
  return s;
}

struct Data {
  std::string name;
  Batch<T> train, held_out;  // in the units the methods train in: the standard scores when standardizes(c)
  std::optional<ember::Toy2d<double>> exact;  // the data density (in the data's own units), when known
  std::uint64_t fingerprint = 0;              // of the file's (or generator's) train and held_out rows
  // The map to the units the methods train in (ember::StandardScores; the identity unless standardizes(c)).
  ember::StandardScores scores = ember::StandardScores::identity(2);
  bool standardized = false;
  // log p of the points z (in the units the methods train in) under the exact density: log p_x(x(z)) + log |S|.
  void exact_log_density(ember::BatchView<double> z, ember::VectorRef<double> out) const {
    if (!standardized) return exact->log_density(z, out);
    exact->log_density(scores.from_scores<double>(z), out);
    out.array() += scores.log_det();
  }
  Batch<T> in_data_units(const Batch<T>& z) const { return standardized ? scores.from_scores<T>(z) : z; }
};

struct Result {
  std::string method;
  std::uint64_t seed = 0;
  Index iters = 0;
  double seconds = 0, nll = 0, mmd = 0, mmd_se = 0, kl = std::nan(""), refinement = 0, edge_mass = 0;
  double peak_energy = 0, peak_gradient = 0;  // the guard's peaks, relative to the first update's scale
  double acceptance = std::nan("");  // MALA's mean acceptance over the last tenth of the updates (NaN: no MH step)
  std::string sampler;  // "ula" or "mala" for the MCMC methods, empty for DSM
  double step = std::nan("");  // the sampler's step ε (CD, PCD, improved CD, DCD), NaN for DRL's per-level steps
  std::vector<double> tuned_steps;  // the MALA steps --mala-adapt tuned ε to by the end (DRL: one per level)
  double jump_acceptance = std::nan("");  // the difference jumps' mean acceptance over the last tenth (NaN: none)
  Batch<T> samples;
  // DRL and multi-scale DSM: MMD² to the held-out points of 5000 samples from the method's own generative sampler
  // (DRL: Gao et al.'s progressive sampling from N(0, I) down the levels; DSM: annealed Langevin from N(0, σ_max² I)),
  // while the grid samples above read its lowest level's energy alone. NaN otherwise.
  double generated_mmd = std::nan(""), generated_mmd_se = std::nan("");
  Batch<T> generated_samples;
  ember::GridDensity2d grid;
  std::string unresolved;  // why the quadrature did not converge (then nll and kl are NaN; mmd stands)
  std::string error;       // why the run failed (then every number above is meaningless)
  ex::RunFailure failure;
};

// A run's numbers as the ranks exchange them (ex::Ranks) and back: every field the outputs and tables read.
ex::JobOutput pack(const Result& r) {
  ex::JobWriter w;
  for (double v : {static_cast<double>(r.iters), r.seconds, r.nll, r.mmd, r.mmd_se, r.kl, r.refinement, r.edge_mass,
                   r.peak_energy, r.peak_gradient, r.acceptance, r.jump_acceptance, r.generated_mmd,
                   r.generated_mmd_se, r.grid.half_width,
                   static_cast<double>(r.grid.cells), r.grid.log_z, r.grid.refinement_difference, r.grid.edge_mass})
    w.number(v);
  w.number(r.step).numbers(r.tuned_steps);
  w.matrix(r.samples).matrix(r.generated_samples).matrix(r.grid.log_density).string(r.unresolved).string(r.sampler);
  return w.take();
}

// The run of method `method` and seed `seed` as pack wrote it, or as it failed.
Result unpack(const ex::SeedRun& run, const std::string& method, std::uint64_t seed) {
  Result r;
  r.method = method;
  r.seed = seed;
  if (run.failure) {
    r.iters = run.done;
    r.failure = *run.failure;
    r.error = r.failure.message;
    return r;
  }
  ex::JobReader read = run.reader();
  r.iters = static_cast<Index>(read.number());
  for (double* v : {&r.seconds, &r.nll, &r.mmd, &r.mmd_se, &r.kl, &r.refinement, &r.edge_mass, &r.peak_energy,
                    &r.peak_gradient, &r.acceptance, &r.jump_acceptance, &r.generated_mmd, &r.generated_mmd_se,
                    &r.grid.half_width})
    *v = read.number();
  r.grid.cells = static_cast<Index>(read.number());
  for (double* v : {&r.grid.log_z, &r.grid.refinement_difference, &r.grid.edge_mass}) *v = read.number();
  r.step = read.number();
  r.tuned_steps = read.numbers();
  read.matrix(r.samples);
  read.matrix(r.generated_samples);
  read.matrix(r.grid.log_density);
  r.unresolved = read.string();
  r.sampler = read.string();
  if (!read.done()) throw std::logic_error("ember-toy2d: a run's numbers do not match its layout");
  return r;
}

// --standardize: every default (step sizes, learning rate, the MLP's base ‖x‖²/32, the quadrature square) was chosen
// for data of unit scale near the origin, which a user's file need not be. The training rows' mean and standard
// deviation (never the held-out rows') map it there; the NLL is reported in the data's own units.
void standardize(const Config& c, Data& d) {
  if (!standardizes(c)) return;
  try {
    d.scores = ember::StandardScores::fit<T>(d.train);
  } catch (const ember::invalid_argument& e) {
    ember::detail::fail(program, c.data_file.empty() ? "--dataset" : "--data-file", d.name, "its training rows: ",
                        e.what());
  }
  d.train = d.scores.to_scores<T>(d.train);
  d.held_out = d.scores.to_scores<T>(d.held_out);
  d.standardized = true;
}

Data load_data(const Config& c) {
  Data d;
  ember::Philox rng(c.seed ^ 0x5eedda7aULL);
  if (!c.data_file.empty()) {
    Batch<T> all = ember::read_csv<T>(c.data_file, {.columns = 2});
    ember::detail::require(all.rows() >= 10, program, "--data-file rows", all.rows(), "need at least 10 points");
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
    d.fingerprint = ex::fingerprint(d.train) ^ (ex::fingerprint(d.held_out) * 0x100000001b3ull);
    standardize(c, d);
    // The exact NLL integrates over the quadrature square: a point outside it has no density there (and a huge
    // one overflows the energy), so it is refused now rather than after training.
    for (const Batch<T>* rows : {&d.train, &d.held_out})
      for (Index i = 0; i < rows->rows(); ++i)
        if (std::abs((*rows)(i, 0)) > grid_half_width || std::abs((*rows)(i, 1)) > grid_half_width) {
          const Index row = order[static_cast<std::size_t>(rows == &d.train ? i : n_train + i)];
          ember::detail::fail(program, "--data-file", c.data_file, "data row ", row + 1, " = (", all(row, 0), ", ",
                              all(row, 1), ") ",
                              d.standardized ? "lies more than 6 standard deviations from the training rows' mean "
                                                 "in a coordinate, outside [-6, 6]^2 in standard scores"
                                               : "lies outside [-6, 6]^2",
                              ", the square on which the exact NLL is computed",
                              d.standardized ? " (an outlier, or tails too heavy for the square: remove such points)"
                                               : " (rescale the data, or --standardize on)");
        }
    return d;
  }
  const auto toy = ember::Toy2d<T>::named(c.dataset);
  d.train = toy.sample(20000, rng);
  d.held_out = toy.sample(5000, rng);
  d.name = c.dataset;
  d.fingerprint = ex::fingerprint(d.train) ^ (ex::fingerprint(d.held_out) * 0x100000001b3ull);
  const auto exact = ember::Toy2d<double>::named(c.dataset);
  if (exact.has_log_density()) d.exact = exact;
  standardize(c, d);  // the built-in sets are not checked against the square (student's tails reach beyond it)
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
    ex::progress_line_open() = p.iteration != p.iterations;
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
  std::vector<Index> widths{2};
  widths.insert(widths.end(), c.hidden.begin(), c.hidden.end());
  const ember::MlpSettings<T> mlp_settings{.base_scale = T(4)};
  ember::Adam<T> adam({.learning_rate = static_cast<T>(c.learning_rate), .beta1 = T(0.9), .beta2 = T(0.999)});
  const ember::TrainSettings settings{
      .iterations = c.iters, .batch_size = c.batch, .seed = c.seed + 2, .gradient_clip = 0, .report_every = 1,
      .learning_rate_schedule = {.warmup_iterations = c.warmup, .decay = ex::lr_decay_of(c.lr_decay)}};
  Progress progress{method + (c.seeds > 1 ? " seed " + std::to_string(c.seed) : std::string()), c.quiet, &lock};
  ember::DivergenceGuard guard(c.divergence);
  const auto buffer = [&] {
    return ember::ReplayBuffer(2, ember::UniformInit<T>{T(-4), T(4)},
                               {.capacity = 10000, .reinit_probability = T(0.05)});
  };
  ember::TrainSummary summary;
  ex::StallWatch stall;  // MALA's acceptance over the last tenth of the updates
  // Checkpoints: the model, Adam, the replay buffer (PCD, improved CD), the run's generator and the iteration;
  // the method and seed are stored too so that a checkpoint is never resumed into another run.
  const auto method_id = static_cast<std::uint64_t>(
      std::find(all_methods.begin(), all_methods.end(), method) - all_methods.begin());
  // The estimator's MALA kernels: one for CD, PCD, improved CD's first steps and DCD (with --sampler mala), one per
  // level for DRL. When they tune their step (--mala-adapt), the step and the dual-averaging state are part of the
  // run: checkpoints keep them.
  std::vector<double> tuned_steps;  // the MALA steps --mala-adapt reached
  double jump_accepted = 0;          // the difference jumps' acceptance summed over the last tenth of the updates
  Index jump_updates = 0;
  // The estimator's difference jumps (--jumps on): one, or one per level for DRL.
  const auto jumps_in = [&](auto& est) {
    std::vector<const ember::DifferenceJump<T>*> jumps;
    if constexpr (requires { est.kernel().jump(); }) jumps.push_back(&est.kernel().jump());
    if constexpr (requires { est.kernels().front().jump(); })
      for (auto& k : est.kernels()) jumps.push_back(&k.jump());
    return jumps;
  };
  const auto malas_of = [&](auto& est) {
    std::vector<ember::Mala<T>*> kernels;
    if constexpr (requires { { est.kernel() } -> std::same_as<ember::Mala<T>&>; }) kernels.push_back(&est.kernel());
    if constexpr (requires { { est.kernel().inner() } -> std::same_as<ember::Mala<T>&>; })
      kernels.push_back(&est.kernel().inner());
    if constexpr (requires { { est.kernels() } -> std::same_as<std::vector<ember::Mala<T>>&>; })
      for (auto& k : est.kernels()) kernels.push_back(&k);
    if constexpr (requires { { est.kernels().front().inner() } -> std::same_as<ember::Mala<T>&>; })
      for (auto& k : est.kernels()) kernels.push_back(&k.inner());
    return kernels;
  };
  // A tuned kernel's checkpoint key: "kernel", or "kernel<t>" for DRL's level t.
  const auto kernel_key = [](std::size_t i, std::size_t count) {
    return count == 1 ? std::string("kernel") : "kernel" + std::to_string(i);
  };
  // model: the energy trained (an MlpEnergy, or DRL's TimeConditionedMlp); replay: the estimator's
  // ReplayBuffer* or nullptr.
  const auto train = [&](auto& model, auto& est, auto replay) {
    const auto tuned = adapts_mala_step(c, method) ? malas_of(est) : std::vector<ember::Mala<T>*>{};
    const auto jumps = jumps_in(est);
    ember::TrainSettings s = settings;
    if (!c.resume.empty()) {
      const auto ck = ember::Checkpoint::load(c.resume);  // checked against this run by check_resume
      ember::restore_parameters(ck, "params", model.params());
      ember::restore(ck, "adam", adam, model.params().size());
      if constexpr (!std::is_same_v<decltype(replay), std::nullptr_t>) ember::restore(ck, "buffer", *replay);
      // The tuned step goes on from where the run stood. Checkpoints from before session 23 did not keep it: PCD's
      // (which did not tune then) are refused by run_settings, CD's tuned ones for the missing entry.
      for (std::size_t i = 0; i < tuned.size(); ++i) ember::restore(ck, kernel_key(i, tuned.size()), *tuned[i]);
      ember::Philox rng(0);
      ember::restore(ck, "rng", rng);
      s.start_iteration = static_cast<Index>(ck.integer("iteration"));
      s.generator_position = rng.position();
    }
    done = s.start_iteration;
    const auto save = [&](const ember::TrainProgress& p) {
      ember::Checkpoint ck;
      ck.set("toy2d.method", method_id);
      ck.set("toy2d.seed", c.seed);
      ck.set("iteration", static_cast<std::uint64_t>(p.iteration));
      ex::store_run(ck, "toy2d", data.fingerprint, run_settings(c, method));
      ck.set("params", model.params());
      ember::store(ck, "adam", adam);
      if constexpr (!std::is_same_v<decltype(replay), std::nullptr_t>) ember::store(ck, "buffer", *replay);
      for (std::size_t i = 0; i < tuned.size(); ++i) ember::store(ck, kernel_key(i, tuned.size()), *tuned[i]);
      ember::store(ck, "rng", ember::Philox(s.seed, p.generator_position));
      ck.save(c.checkpoint);
    };
    const auto trained = ember::train(est, model, adam, data.train, s, [&](const ember::TrainProgress& p) {
      guard(p);
      done = p.iteration;
      stall(p);
      if (ex::in_last_tenth(p))
        for (const auto* jump : jumps) {
          jump_accepted += static_cast<double>(jump->last_mean_acceptance());
          ++jump_updates;
        }
      progress(p);
      if (!c.checkpoint.empty() &&
          ((c.checkpoint_every > 0 && p.iteration % c.checkpoint_every == 0) || p.iteration == p.iterations))
        save(p);
    });
    stall.check(trained.iterations, "try a smaller --step-size or --dcd-step, or --sampler ula");
    for (const auto* k : tuned) tuned_steps.push_back(static_cast<double>(k->step_size()));
    return trained;
  };
  Result r;
  r.method = method;
  if (method != "dsm") r.sampler = sampler_of(c, method);
  if (method == "cd" || method == "pcd" || method == "icd") r.step = step_of(c, method);
  if (method == "dcd") r.step = c.dcd_step;
  // MMD² of model samples (the grid's, or a method's own) to the held-out points.
  const auto mmd_to_held_out = [&](const Batch<T>& samples) {
    return ember::mmd2_rbf<T>(samples, data.held_out, {.bandwidths = {}, .max_points = 2500});
  };
  // The exact NLL, MMD² and KL of a trained 2D energy (the grid density also gives the samples).
  const auto measure = [&](const auto& energy) {
    r.grid = ember::grid_density(energy, {.half_width = grid_half_width, .cells = c.grid_cells});
    // A run can end finite yet degenerate: a huge step kills every hidden unit, the network's output is the same
    // everywhere and only the fixed base ‖x‖²/(2s²) is left (every method then reports the same NLL to the last
    // digit). The learned part −log p − ‖x‖²/(2s²) varies by nats over the square in a run that learned
    // anything (at initialisation too); less than 10⁻³ nats beyond float rounding means nothing is learned.
    const double inverse_variance = 1.0 / (double(mlp_settings.base_scale) * double(mlp_settings.base_scale));
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (Index j = 0; j < r.grid.cells; ++j)
      for (Index i = 0; i < r.grid.cells; ++i) {
        const double x = r.grid.centre(i), y = r.grid.centre(j);
        const double learned = r.grid.log_density(i, j) + 0.5 * inverse_variance * (x * x + y * y);
        lo = std::min(lo, learned);
        hi = std::max(hi, learned);
      }
    const double spread = hi - lo;
    if (!(spread > 1e-3 + 1e-6 * std::max(std::abs(lo), std::abs(hi))))
      throw ember::training_diverged(summary.iterations, "learned-energy spread", spread,
                                     "the learned energy is flat: beyond its fixed quadratic base it varies by " +
                                         ex::format("%.3g", spread) +
                                         " nats over [-6, 6]^2 (training collapsed; try a smaller --lr)");
    r.refinement = r.grid.refinement_difference;
    r.edge_mass = r.grid.edge_mass;
    // In the data's own units: p_x(x) = p_z(z) / (s₁ s₂).
    r.nll = ember::grid_nll(energy, data.held_out, r.grid) + data.scores.log_det();
    // A spike narrower than a cell or mass beyond the square: log Z (hence NLL and KL) is not known.
    if (!(r.refinement <= c.refinement_limit))
      r.unresolved = ex::format("log Z changes by %.3g", r.refinement) + ex::format(" nats between grid refinements (> %g)", c.refinement_limit);
    else if (!(r.edge_mass <= c.edge_mass_limit))
      r.unresolved = ex::format("%.3g of the mass lies", r.edge_mass) + ex::format(" at the edge of [-6, 6]^2 (> %g)", c.edge_mass_limit);
    ember::Philox rng(c.seed + 3);
    r.samples = ex::sample_from_grid<T>(r.grid, 5000, rng);
    const auto m = mmd_to_held_out(r.samples);
    r.mmd = m.mmd2;
    r.mmd_se = m.standard_error;
    if (data.exact && r.unresolved.empty())
      r.kl = ember::grid_kl([&](ember::BatchView<double> x, ember::VectorRef<double> out) { data.exact_log_density(x, out); },
                            r.grid);
  };
  // Calls f(jump): jump(kernel) is the kernel itself, or with --jumps on the kernel with a difference jump over the
  // training data before each update's chain steps (every K steps; improved CD: every K − 1, its MALA steps).
  const auto with_jumps = [&](auto&& f) {
    if (jumps_of(c, method)) {
      const ember::DifferenceJump<T> jump(data.train);  // its copies share the reference set
      const Index period = std::max<Index>(kernel_steps(c, method), 1);
      f([&](auto kernel) { return ember::WithJumps(std::move(kernel), jump, period); });
    } else {
      f([](auto kernel) { return kernel; });
    }
  };
  // The MMD² of a method's own samples (DRL, multi-scale DSM) to the held-out points; the samples are kept.
  const auto measure_generated = [&](Batch<T> samples) {
    const auto m = mmd_to_held_out(samples);
    r.generated_mmd = m.mmd2;
    r.generated_mmd_se = m.standard_error;
    r.generated_samples = std::move(samples);
  };
  // Multi-scale DSM: one time-conditioned MLP for every scale, measured at the smallest (t = 0) and by its samples.
  if (method == "dsm" && generates(c, method)) {
    TimeModel model(widths, c.seed + 1, mlp_settings);
    ember::NoiseConditionalScoreMatching<T> est(
        {.sigma_min = static_cast<T>(c.dsm_sigma), .sigma_max = static_cast<T>(c.dsm_sigma_max),
         .antithetic = c.dsm_noise == "antithetic"});
    summary = train(model, est, nullptr);
    measure(ex::AtFixedTime(model, T(0)));
    auto sampler = est.annealed_sampler(10, static_cast<T>(c.dsm_sample_step), {.steps_per_level = 10});
    ember::Philox sample_rng(c.seed + 5);
    Batch<T> samples(5000, 2);
    sample_rng.draw().template normal<T>(samples, 0);
    samples *= static_cast<T>(c.dsm_sigma_max);
    sampler.step(model, samples, sample_rng);
    measure_generated(std::move(samples));
  } else if (method == "drl") {
    // Default levels a = .99995, .946, .856, .775, then .010 (pure noise: that level's negatives are short-run
    // chains from noise on the level-3 marginal, the only ones far from the data). Each example's negative comes
    // from K MALA steps (ULA with --sampler ula) on the posterior of its level t given y = a_{t+1} x_t + σ_{t+1} ε,
    // started at y. The step ε_t = b² σ²_{t+1} (MALA's first; each level's is then tuned over the run) is not scaled
    // by σ̄_t/σ̄_0 (on 2D data that rule makes the top step ~60× the bottom one): with b² = 0.2 the tether precision
    // a²/σ² (8.5, 2.7, 1.5) contracts each ULA step by 1 − ε_t a²/(2σ²) ≈ 0.91 to 0.94. The model is measured by its
    // level-0 energy E(x, τ_0): the density of .99995 x + 0.01 ε ≈ data; and by its own samples (Gao et al.'s
    // progressive sampling down the levels), which is what DRL models: each conditional's tether is tight at the
    // low levels, so the level-0 energy alone is blind to the weights of modes apart (as score matching is), while
    // the top levels, where the modes overlap, set the weights of the samples (docs/results/robustness.md).
    TimeModel model(widths, c.seed + 1, mlp_settings);
    ex::with_sampler<T>(sampler_of(c, method), [&](auto make) {
      with_jumps([&](auto jump) {
        ember::RecoveryLevels<T> levels(ember::ddpm_linear_betas(), c.drl_levels);
        std::vector<decltype(jump(make(0.0)))> kernels;
        for (Index t = 0; t < levels.top_level(); ++t)
          kernels.push_back(
              jump(make(levels.step_size_squared(t, static_cast<T>(c.drl_b2), /*scale_by_level=*/false))));
        ember::RecoveryLikelihood est(std::move(levels), std::move(kernels),
                                      {.steps = steps_of(c, method),
                                       .energy_regularization = static_cast<T>(energy_reg_of(c, method))});
        summary = train(model, est, nullptr);
        measure(ex::AtFixedTime(model, est.level_time(0)));
        ember::Philox sample_rng(c.seed + 5);
        measure_generated(est.sample(model, 5000, sample_rng));
      });
    }, mala_adapt_steps(c, method));
  } else {
    Model model(widths, c.seed + 1, mlp_settings);
    const auto alpha = static_cast<T>(energy_reg_of(c, method));
    if (method == "cd") {
      ex::with_sampler<T>(sampler_of(c, method), [&](auto make) {
        with_jumps([&](auto jump) {
          ember::ContrastiveDivergence est(jump(make(step_of(c, method))),
                                           ember::CdSettings<T>{.steps = steps_of(c, method), .energy_regularization = alpha});
          summary = train(model, est, nullptr);
        });
      }, mala_adapt_steps(c, method));
    } else if (method == "pcd") {
      ex::with_sampler<T>(sampler_of(c, method), [&](auto make) {
        // in_order: Tieleman's PCD, one persistent chain per batch row, each advanced at every update.
        const bool in_order = c.pcd_chains == "in_order";
        with_jumps([&](auto jump) {
          ember::PersistentContrastiveDivergence est(
              jump(make(step_of(c, method))),
              in_order ? ember::ReplayBuffer(2, ember::UniformInit<T>{T(-4), T(4)},
                                             {.capacity = c.batch, .reinit_probability = T(0)})
                       : buffer(),
              ember::PcdSettings<T>{.steps = steps_of(c, method), .energy_regularization = alpha,
                                    .chains = in_order ? ember::PcdChains::in_order : ember::PcdChains::sampled});
          summary = train(model, est, &est.buffer());
        });
      }, mala_adapt_steps(c, method));
    } else if (method == "icd") {
      const ember::ImprovedCdSettings<T> icd{.steps = steps_of(c, method),
                                             .gradient_step = static_cast<T>(step_of(c, method) / 2),
                                             .noise_scale = static_cast<T>(std::sqrt(step_of(c, method))),
                                             .entropy_weight = static_cast<T>(c.icd_entropy_weight),
                                             .energy_regularization = alpha};
      if (sampler_of(c, method) == "mala") {
        // The first K − 1 steps by MALA from CD's step (tuned over the run unless --mala-adapt off), the last
        // (differentiated) one by ULA at --step-size.
        with_jumps([&](auto jump) {
          ember::ImprovedContrastiveDivergence est(
              jump(ember::Mala<T>({.step_size = static_cast<T>(mala_step), .adapt_steps = mala_adapt_steps(c, method)})),
              buffer(), icd);
          summary = train(model, est, &est.buffer());
        });
      } else {  // every step ULA at --step-size (Du et al.)
        with_jumps([&](auto jump) {
          ember::ImprovedContrastiveDivergence est(
              jump(ember::Langevin<T>::decoupled(icd.gradient_step, icd.noise_scale, icd.gradient_clip)), buffer(), icd);
          summary = train(model, est, &est.buffer());
        });
      }
    } else if (method == "dcd") {
      // Variance-preserving noise at a level s drawn per example from [0.2, 0.99]; the tethered posterior (precision
      // a²/s² from 24 down to 0.02: at the top nearly the model itself) is sampled by MALA from the datum x, its step
      // tuned from 0.01 (session 23), after one difference jump (session 24). Luo et al.'s form (--dcd-start noisy
      // --sampler ula --jumps off --noise-max 0.2) runs ULA from x̃/a; once the energy is steep (|∇E| ≈ 900) one ULA
      // step throws the chains far from the data and the contrast steepens it further (docs/results/robustness.md,
      // "DCD's spikes").
      ex::with_sampler<T>(sampler_of(c, method), [&](auto make) {
        with_jumps([&](auto jump) {
          ember::DiffusionContrastiveDivergence est(jump(make(c.dcd_step)),
                                                    ember::DcdSettings<T>{.noise = ember::DiffusionNoise::variance_preserving,
                                                                          .noise_min = static_cast<T>(c.noise_min),
                                                                          .noise_max = static_cast<T>(c.noise_max),
                                                                          .steps = steps_of(c, method),
                                                                          .energy_regularization = alpha,
                                                                          .start = c.dcd_start == "data"
                                                                                       ? ember::DcdStart::data
                                                                                       : ember::DcdStart::noisy,
                                                                          .level_draw = c.noise_draw == "log_uniform"
                                                                                            ? ember::NoiseLevelDraw::log_uniform
                                                                                            : ember::NoiseLevelDraw::uniform});
          summary = train(model, est, nullptr);
        });
      }, mala_adapt_steps(c, method));
    } else if (method == "dsm") {
      ember::DenoisingScoreMatching<T> est(
          {.noise_scale = static_cast<T>(c.dsm_sigma), .antithetic = c.dsm_noise == "antithetic"});
      summary = train(model, est, nullptr);
    } else {
      ember::detail::require(false, program, "--method", method, "must be cd, pcd, icd, dcd, drl, dsm or all");
    }
    measure(model);
  }
  r.iters = summary.iterations;
  r.seconds = summary.seconds;
  r.seed = c.seed;
  r.peak_energy = guard.peak_energy();
  r.peak_gradient = guard.peak_gradient_norm();
  r.acceptance = stall.acceptance();
  r.tuned_steps = tuned_steps;
  if (jump_updates > 0) r.jump_acceptance = jump_accepted / static_cast<double>(jump_updates);
  if (!r.unresolved.empty()) r.nll = r.kl = std::nan("");
  return r;
}

// Pictures show [−4.5, 4.5]² (the toy sets lie inside it; the quadrature square is [−6, 6]²).
constexpr double picture_half_width = 4.5;

// The model's density p(x, y) on the grid's cells inside the picture's square.
Eigen::MatrixXd shown_density(const ember::GridDensity2d& g) {
  Index lo = 0;
  while (lo < g.cells && g.centre(lo) < -picture_half_width) ++lo;
  const Index count = g.cells - 2 * lo;
  return g.log_density.block(lo, lo, count, count).array().exp();
}

// The montage's first panel: the exact data density on `cells`² cells where it is known, else a histogram of
// the held-out data.
ex::DensityPanel data_panel(const Data& data, Index cells) {
  if (!data.exact)
    return {"held-out data (histogram)", ex::histogram_density(data.held_out.cast<double>(), picture_half_width, 90)};
  const double h = 2 * picture_half_width / static_cast<double>(cells);
  ember::Batch<double> x(cells * cells, 2);
  for (Index j = 0; j < cells; ++j)
    for (Index i = 0; i < cells; ++i) {
      x(j * cells + i, 0) = -picture_half_width + (static_cast<double>(i) + 0.5) * h;
      x(j * cells + i, 1) = -picture_half_width + (static_cast<double>(j) + 0.5) * h;
    }
  ember::Vector<double> log_p(cells * cells);
  data.exact_log_density(x, log_p);
  return {"data (exact density)", log_p.array().exp().matrix().reshaped(cells, cells)};
}

nlohmann::json metrics_json(const Config& c, const Data& data, const Result& r) {
  if (!r.error.empty()) {  // a diverged run: no numbers, the iteration, quantity and message instead
    nlohmann::json j{{"dataset", data.name}, {"method", r.method}, {"seed", r.seed}, {"iters", r.iters},
                     {"seconds", nullptr}, {"nll", nullptr}, {"mmd", nullptr}, {"mmd_standard_error", nullptr},
                     {"kl", nullptr}, {"log_z_refinement_difference", nullptr}, {"edge_mass", nullptr}};
    j.update(ex::failure_json(r.failure));
    return j;
  }
  nlohmann::json j{{"dataset", data.name}, {"method", r.method}, {"seed", r.seed}, {"iters", r.iters},
                   {"seconds", r.seconds}, {"status", r.unresolved.empty() ? "ok" : "unresolved"},
                   {"nll", ex::number_or_null(r.nll)}, {"mmd", ex::number_or_null(r.mmd)},
                   {"mmd_standard_error", r.mmd_se}, {"kl", data.exact ? ex::number_or_null(r.kl) : nlohmann::json()},
                   {"log_z_refinement_difference", r.refinement}, {"edge_mass", r.edge_mass},
                   {"peak_energy", r.peak_energy}, {"peak_gradient_norm", r.peak_gradient},
                   {"acceptance", ex::number_or_null(r.acceptance)}};
  if (!r.sampler.empty()) j["sampler"] = r.sampler;
  if (r.method != "dsm") j["steps"] = steps_of(c, r.method);
  if (std::isfinite(r.step)) j["step_size"] = r.step;
  if (std::isfinite(r.jump_acceptance)) j["jump_acceptance"] = r.jump_acceptance;
  if (generates(c, r.method)) {
    j["generated_mmd"] = ex::number_or_null(r.generated_mmd);
    j["generated_mmd_standard_error"] = r.generated_mmd_se;
  }
  if (r.tuned_steps.size() == 1) j["tuned_step_size"] = r.tuned_steps[0];
  if (r.tuned_steps.size() > 1) j["tuned_step_size"] = r.tuned_steps;  // DRL: one per sampling level
  if (r.method == "pcd") j["pcd_chains"] = c.pcd_chains;
  if (r.method == "icd") j["icd_entropy_weight"] = c.icd_entropy_weight;
  if (r.method != "dsm") j["energy_reg"] = energy_reg_of(c, r.method);
  if (r.method == "dcd") {
    j["dcd_start"] = c.dcd_start;
    j["noise_levels"] = {c.noise_min, c.noise_max};
    j["noise_draw"] = c.noise_draw;
  }
  j["hidden"] = c.hidden;
  if (r.method == "dsm") {
    j["dsm_noise"] = c.dsm_noise;
    j["dsm_sigma"] = c.dsm_sigma;
    j["dsm_sigma_max"] = c.dsm_sigma_max;
    if (c.dsm_sigma_max > 0) j["dsm_sample_step"] = c.dsm_sample_step;
  }
  if (!r.unresolved.empty()) j["unresolved"] = r.unresolved;
  if (data.standardized || !c.data_file.empty()) {
    j["standardize"] = data.standardized ? "on" : "off";
    const Eigen::VectorXd &mean = data.scores.mean(), &scale = data.scores.scale();
    j["shift"] = std::vector<double>(mean.data(), mean.data() + mean.size());
    j["scale"] = std::vector<double>(scale.data(), scale.data() + scale.size());
  }
  return j;
}

// The pictures' axes: the model's coordinates, which for standardised data are its standard scores.
std::vector<std::string> with_axes_note(std::vector<std::string> caption, const Data& data) {
  if (!data.standardized) return caption;
  const auto score = [&](const char* name, Index k) {
    const double m = data.scores.mean()(k);
    return std::string(name) + "' = (" + name + (m < 0 ? ex::format(" + %.4g", -m) : ex::format(" - %.4g", m)) +
           ex::format(") / %.4g", data.scores.scale()(k));
  };
  caption.push_back("axes: standard scores, " + score("x", 0) + ", " + score("y", 1));
  return caption;
}

void write_outputs(const std::string& dir, const Config& c, const Data& data, const Result& r, int pixels) {
  ex::make_directory(dir);
  ex::write_json(dir + "/metrics.json", metrics_json(c, data, r));
  // The samples in the data's own units; the pictures and density.npy stay on the grid the model was trained on.
  const Batch<T> samples = data.in_data_units(r.samples);
  ember::write_csv<T>(dir + "/samples.csv", samples, {"x", "y"});
  ember::write_npy(dir + "/samples.npy", samples);
  if (r.generated_samples.rows() > 0)
    ember::write_csv<T>(dir + "/generated_samples.csv", data.in_data_units(r.generated_samples), {"x", "y"});
  // density.png and samples.png share one colour scale, so that the histogram of the samples can be held
  // against the density they were drawn from.
  const Eigen::MatrixXd density = shown_density(r.grid);
  ember::write_npy(dir + "/density.npy", density.cast<float>().eval());  // [i, j]: p at x = cell i, y = cell j
  // An unresolved quadrature has no NLL or KL to show (ex::format writes a non-finite value as a dash the font lacks).
  const std::string metrics =
      !r.unresolved.empty() ? ex::format("held-out NLL and KL unresolved (grid quadrature), MMD^2 %.4f", r.mmd)
                            : ex::format("held-out NLL %.3f nats", r.nll) +
                                  (data.exact ? ex::format(", KL(data || model) %.3f", r.kl) : ex::format(", MMD^2 %.4f", r.mmd));
  ex::density_figure({{"", density}},
                     {.title = {ex::printable(data.name) + ": density learned by " + r.method + " (" + std::to_string(r.iters) + " updates)", metrics},
                      .colour_label = "model density p(x, y)",
                      .half_width = picture_half_width,
                      .panel_pixels = pixels,
                      .caption = with_axes_note({"p = exp(-E) / Z, Z by quadrature on [-6, 6]^2"}, data)})
      .save_png(dir + "/density.png");
  ex::density_figure({{"", ex::histogram_density(r.samples.cast<double>(), picture_half_width, 90)}},
                     {.title = {ex::printable(data.name) + ": " + std::to_string(r.samples.rows()) + " samples from the " + r.method + " model",
                                "histogram on 0.1 x 0.1 bins, colours as density.png"},
                      .colour_label = "sample density (histogram)",
                      .half_width = picture_half_width,
                      .top = density.maxCoeff(),
                      .panel_pixels = pixels,
                      .caption = with_axes_note({"exact draws from p (no MCMC): the same as density.png up to noise"}, data)})
      .save_png(dir + "/samples.png");
  if (r.generated_samples.rows() > 0)
    ex::density_figure({{"", ex::histogram_density(r.generated_samples.cast<double>(), picture_half_width, 90)}},
                       {.title = {ex::printable(data.name) + ": " + std::to_string(r.generated_samples.rows()) +
                                      (r.method == "drl" ? " samples of DRL's progressive sampling" : " samples of DSM's annealed Langevin"),
                                  ex::format("MMD^2 %.4f; histogram, colours as density.png", r.generated_mmd)},
                        .colour_label = "sample density (histogram)",
                        .half_width = picture_half_width,
                        .top = density.maxCoeff(),
                        .panel_pixels = pixels,
                        .caption = with_axes_note({r.method == "drl" ? "from N(0, I) down the levels, K steps of each level's kernel"
                                                                     : "from N(0, sigma_max^2 I), 10 ULA steps at each of 10 scales"}, data)})
        .save_png(dir + "/generated_samples.png");
}

}  // namespace

// Everything that can be refused is refused before any training: here the options (sizes against the memory
// budget, the noise and DRL levels), then the data (load_data), a resumed checkpoint against this run
// (check_resume) and the output paths (check_outputs).
void check_config(const Config& c) {
  const std::string methods = "cd, pcd, icd, dcd, drl, dsm or all";
  ember::detail::require(c.method == "all" || std::find(all_methods.begin(), all_methods.end(), c.method) != all_methods.end(),
                         program, "--method", c.method, "must be ", methods);
  ember::detail::require(c.method != "all" || (c.checkpoint.empty() && c.resume.empty()), program, "--method",
                         c.method, "--checkpoint and --resume need a single method");
  ember::detail::require(c.seeds == 1 || (c.checkpoint.empty() && c.resume.empty()), program, "--seeds", c.seeds,
                         "--checkpoint and --resume need a single seed");
  ember::detail::require(c.grid_cells % 2 == 0, program, "--grid-cells", c.grid_cells, "must be even");
  // The grid: its log-density, the two energy grids, the samplers' cumulative masses and KL's points, about 64
  // bytes a cell. A minibatch: the MLP's activations and gradients (2 × 128 units) and the sampler's chains,
  // about 8 KiB an example.
  ex::require_memory(program, "--grid-cells", c.grid_cells, 64.0 * static_cast<double>(c.grid_cells) * static_cast<double>(c.grid_cells),
                     "64 bytes per quadrature cell, cells^2 cells");
  ex::require_memory(program, "--batch", c.batch, 8192.0 * static_cast<double>(c.batch), "about 8 KiB per example");
  // Every run keeps its grid log-density and samples until the table is written: 8 bytes a cell.
  ex::require_memory(program, "--seeds", c.seeds,
                     8.0 * static_cast<double>(c.seeds) * static_cast<double>(c.method == "all" ? all_methods.size() : 1) *
                         static_cast<double>(c.grid_cells) * static_cast<double>(c.grid_cells),
                     "each run's quadrature grid, 8 bytes a cell");
  // DCD's variance-preserving levels s lie in (0, 1); --noise-max defaults to --noise-min when below it.
  ember::detail::require(c.noise_min < 1, program, "--noise-min", c.noise_min, "must be < 1 (a variance-preserving noise level)");
  ember::detail::require(c.noise_max < 1, program, "--noise-max", c.noise_max, "must be < 1 (a variance-preserving noise level)");
  ember::detail::require(c.dsm_sigma_max == 0 || c.dsm_sigma_max >= c.dsm_sigma, program, "--dsm-sigma-max", c.dsm_sigma_max,
                         "must be 0 (one scale) or >= --dsm-sigma = ", c.dsm_sigma);
  ember::detail::require(c.noise_max >= c.noise_min, program, "--noise-max", c.noise_max, "must be >= --noise-min = ", c.noise_min);
  ember::detail::require(c.warmup < c.iters, program, "--warmup", c.warmup, "must be < --iters = ", c.iters);
  for (std::size_t k = 1; k < c.drl_levels.size(); ++k)
    ember::detail::require(c.drl_levels[k] > c.drl_levels[k - 1], program, "--drl-levels", ex::detail::list({c.drl_levels.begin(), c.drl_levels.end()}),
                           "must increase (", c.drl_levels[k], " follows ", c.drl_levels[k - 1], ")");
  ember::detail::require(c.drl_levels.size() >= 2 && c.drl_levels.front() == 0, program, "--drl-levels",
                         ex::detail::list({c.drl_levels.begin(), c.drl_levels.end()}), "must start at 0 and have at least two boundaries");
}

// The output paths, checked (the directory created) once the inputs passed, before any training.
void check_outputs(const Config& c) {
  ex::require_output_directory(program, "--out", c.out);
  if (!c.checkpoint.empty()) ex::require_checkpoint_target(program, "--checkpoint", c.checkpoint);
}

// A resumed run must be the checkpoint's run: same method, seed, data and settings, and not past --iters.
void check_resume(const Config& c, const Data& data) {
  if (c.resume.empty()) return;
  const auto ck = [&] {
    try {
      return ember::Checkpoint::load(c.resume);
    } catch (const ember::checkpoint_error& e) {
      ember::detail::fail(program, "--resume", c.resume, e.what());
    }
  }();
  const auto method_id = static_cast<std::uint64_t>(
      std::find(all_methods.begin(), all_methods.end(), c.method) - all_methods.begin());
  const auto require_same = [&](const char* key, std::uint64_t expected, const char* what) {
    ember::detail::require(ck.integer(key) == expected, program, "--resume", c.resume,
                           std::string("its ") + key + " = " + std::to_string(ck.integer(key)) +
                               ": written by a run with another " + what + " (this run: " +
                               std::to_string(expected) + ")");
  };
  require_same("toy2d.method", method_id, "--method");
  require_same("toy2d.seed", c.seed, "--seed");
  ex::require_same_run(program, ck, "toy2d", data.fingerprint, run_settings(c, c.method), c.allow_changed_settings);
  const std::uint64_t at = ck.integer("iteration");
  ember::detail::require(at <= static_cast<std::uint64_t>(c.iters), program, "--iters", c.iters,
                         "is below the checkpoint's iteration " + std::to_string(at));
}

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"ember-toy2d: train energy-based models on 2D toy data; exact NLL, MMD and KL, with pictures"};
  constexpr Index most = ex::max_of<Index>();
  std::string dataset_help = "a classic set (";
  for (std::size_t k = 0; k < ember::Toy2d<T>::names.size(); ++k)
    dataset_help.append(k == 0 ? "" : ", ").append(ember::Toy2d<T>::names[k]);
  dataset_help += ") or a stress set (" + ember::Stress2d<T>::known() + ")";
  app.add_option("--dataset", c.dataset, dataset_help)->capture_default_str();
  app.add_option("--data-file", c.data_file, "a CSV file with two numeric columns (optional header), instead");
  app.add_option("--standardize", c.standardize, "on: train on the data's standard scores (each column less its "
                 "training rows' mean, over their standard deviation; NLL, KL and samples.csv in the data's units); off: "
                 "on the points as given (a file's must lie in [-6, 6]^2); auto: on for --data-file, off for the "
                 "built-in sets")
      ->capture_default_str()->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--method", c.method, "cd, pcd, icd, dcd, drl (diffusion recovery likelihood), dsm or all")
      ->capture_default_str();
  app.add_option("--iters", c.iters, "optimizer updates per method")->capture_default_str()->check(ex::integer_in<Index>(1, most));
  ex::add_seed_options(app, c.seed, c.seeds, c.threads);
  app.add_option("--out", c.out, "output directory")->capture_default_str();
  app.add_flag("--quiet", c.quiet, "no progress line");
  app.add_option("--grid-cells", c.grid_cells, "quadrature cells per axis on [-6, 6] (even)")->capture_default_str()
      ->check(ex::integer_in<Index>(4, most));
  app.add_option("--batch", c.batch, "minibatch size")->capture_default_str()->check(ex::integer_in<Index>(1, most));
  app.add_option("--steps", c.sampler_steps, "sampler steps per update of every MCMC method (default: 20 for DCD, 10 for "
                 "CD, PCD, improved CD and DRL's levels)")
      ->check(ex::integer_in<Index>(1, most));
  app.add_option("--lr", c.learning_rate, "Adam learning rate")->capture_default_str()->check(ex::positive_finite());
  ex::add_lr_decay_option(app, c.lr_decay, "cosine (from --lr down to 0 at update --iters; a resumed run follows the "
                          "curve of its own --iters) or none (a constant rate, the default before 2026-12-06)");
  app.add_option("--warmup", c.warmup, "updates of linear learning-rate warm-up before the decay (0: none)")
      ->capture_default_str()->check(ex::integer_in<Index>(0, most));
  app.add_option("--step-size", c.step_size, "step ε of the CD, PCD and improved CD samplers (default: 0.1 with "
                 "MALA, 0.01 with ULA and for improved CD)")->check(ex::positive_finite());
  ex::add_sampler_option(app, c.sampler, "CD, PCD, DCD, DRL and improved CD's first K-1 steps (its last step is always "
                         "ULA at --step-size)", "mala");
  app.add_option("--mala-adapt", c.mala_adapt, "on: the MALA of CD, PCD, DRL (each level's), DCD and improved CD's "
                 "first K-1 steps tunes its step toward 0.574 acceptance (dual averaging) over the whole run, from "
                 "--step-size (improved CD: 0.1; DCD: --dcd-step; DRL: its level's step); off: the step stays; default: "
                 "off for cd, on for the others")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--jumps", c.jumps, "on: before each update's chain steps, every chain of CD, PCD, improved CD, DCD "
                 "or DRL (each level's) takes one Metropolis-Hastings jump by the difference of two training points, "
                 "so that chains cross between far-apart modes; off: none; default: on but for drl")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--dcd-start", c.dcd_start, "where DCD's posterior chains start: noisy (x~/a, Luo et al.) or data "
                 "(the datum x~ was drawn from)")->capture_default_str()->check(CLI::IsMember({"noisy", "data"}));
  app.add_option("--dcd-step", c.dcd_step, "step ε of the sampler on DCD's posterior (ULA or MALA: --sampler)")->capture_default_str()
      ->check(ex::positive_finite());
  auto* noise_min = app.add_option("--noise-min", c.noise_min, "DCD's smallest VP noise level s, in (0, 1)")
      ->capture_default_str()->check(ex::positive_finite());
  auto* noise_max = app.add_option("--noise-max", c.noise_max, "DCD's largest VP noise level s, in [s_min, 1) (default: "
                                   "the larger of 0.99 and --noise-min; Luo et al.: one level, --noise-max 0.2)")->capture_default_str()->check(ex::positive_finite());
  app.add_option("--noise-draw", c.noise_draw, "how DCD draws each example's level from [s_min, s_max]: uniform, or "
                 "log_uniform (uniform in log s: small levels more often)")->capture_default_str()
      ->check(CLI::IsMember({"uniform", "log_uniform"}));
  app.add_option("--pcd-chains", c.pcd_chains, "PCD's chains: in_order (Tieleman: one persistent chain per batch row, "
                 "advanced at every update, never re-initialised) or sampled (a replay buffer of 10000, slots drawn "
                 "with replacement, 5% re-initialised; the default before 2026-12-07)")->capture_default_str()
      ->check(CLI::IsMember({"sampled", "in_order"}));
  app.add_option("--dsm-noise", c.dsm_noise, "DSM's noise draws: independent (one eps per point) or antithetic (each "
                 "point noised with eps and -eps: the loss's terms odd in eps cancel)")->capture_default_str()
      ->check(CLI::IsMember({"independent", "antithetic"}));
  app.add_option("--icd-entropy-weight", c.icd_entropy_weight, "improved CD's entropy weight (the dimension; Du et "
                 "al.: 0.3)")
      ->capture_default_str()->check(ex::non_negative_finite());
  app.add_option("--dsm-sigma-max", c.dsm_sigma_max, "DSM over the scales [--dsm-sigma, this] with a time-conditioned "
                 "MLP, sampled by annealed Langevin (Song & Ermon); 0: one scale")->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--dsm-sample-step", c.dsm_sample_step, "with --dsm-sigma-max: the annealed Langevin step at the "
                 "smallest scale (x (sigma/sigma_min)^2 above it)")->capture_default_str()->check(ex::positive_finite());
  app.add_option("--dsm-sigma", c.dsm_sigma, "DSM's noise scale sigma")->capture_default_str()
      ->check(ex::positive_finite());
  app.add_option("--energy-reg", c.energy_reg, "alpha of the energy penalty alpha * mean(E+^2 + E-^2) (Du & Mordatch) "
                 "in cd, pcd, icd, dcd and drl; 0: off; default: 0.01 for pcd, icd and drl, 0.001 for dcd, 0 for cd")
      ->check(ex::positive_finite() | CLI::IsMember({"0"}));
  app.add_option("--drl-b2", c.drl_b2, "DRL's step at level t is b2 * sigma_{t+1}^2 (MALA's first, then tuned)")->capture_default_str()
      ->check(ex::positive_finite());
  app.add_option("--drl-levels", c.drl_levels, "DRL's level boundaries (indices into DDPM's 1000 linear betas)")
      ->capture_default_str()->delimiter(',')->check(ex::integer_in<Index>(0, 999));
  app.add_option("--hidden", c.hidden, "the energy MLP's hidden widths (SiLU), a linear output unit on top; "
                 "128,128,1 is the network of the programs before 2026-12-07")
      ->capture_default_str()->delimiter(',')->check(ex::integer_in<Index>(1, 4096));
  app.add_option("--checkpoint", c.checkpoint, "write a checkpoint here (atomically) at the end of training");
  app.add_option("--checkpoint-every", c.checkpoint_every, "also every K iterations (0: only at the end)")
      ->capture_default_str()->check(ex::integer_in<Index>(0, most));
  app.add_option("--resume", c.resume, "resume from this checkpoint (same data and settings); --iters stays the total");
  app.add_flag("--allow-changed-settings", c.allow_changed_settings,
               "with --resume: allow another --batch, --steps, --lr, --lr-decay, --warmup, --sampler, --step-size, --dcd-step, --noise-min/max, --noise-draw, --drl-b2, --dsm-noise");
  ex::add_divergence_options(app, c.divergence);
  app.add_option("--nll-refinement-limit", c.refinement_limit,
                 "NLL and KL are reported unresolved when log Z changes by more than this (nats) between the grid and "
                 "one twice as coarse")->capture_default_str()->check(ex::positive_finite());
  app.add_option("--edge-mass-limit", c.edge_mass_limit,
                 "NLL and KL are reported unresolved when more than this fraction of the model's mass lies in the "
                 "outer 5% band of [-6, 6]^2")->capture_default_str()->check(ex::positive_finite());
  ex::Ranks ranks(argc, argv);  // under mpirun: MPI started, every rank but 0 silent
  return ex::run_program(program, app, argc, argv, [&]() -> int {
    // Only the default follows --noise-min up; an explicit --noise-max below it is refused.
    if (noise_min->count() > 0 && noise_max->count() == 0) c.noise_max = std::max(c.noise_max, c.noise_min);
    check_config(c);
    // Seed k's run is the run `--seed seed + k` would make alone: its own data draw (or CSV split) too.
    std::vector<std::uint64_t> seeds;
    for (Index k = 0; k < c.seeds; ++k) seeds.push_back(c.seed + static_cast<std::uint64_t>(k));
    std::vector<Data> datas;
    for (const auto seed : seeds) {
      Config cs = c;
      cs.seed = seed;
      datas.push_back(load_data(cs));
    }
    const Data& data = datas.front();
    check_resume(c, data);
    check_outputs(c);
    std::vector<std::string> methods = c.method == "all" ? all_methods : std::vector<std::string>{c.method};
    const std::size_t runs = methods.size() * seeds.size();
    // Run k: method k / seeds, seed k % seeds, on rank k mod N. A run's numbers depend on its seed only, not on
    // --threads or the rank count.
    std::mutex lock;
    const std::vector<ex::SeedRun> every_run =
        ex::run_methods_and_seeds(program, ranks, methods, seeds, c.iters, c.threads,
                                  [&](std::size_t m, std::size_t si, Index& done) {
                                    Config cs = c;
                                    cs.seed = seeds[si];
                                    return pack(run_method(methods[m], cs, datas[si], lock, done));
                                  });
    std::vector<Result> all;
    for (const auto& run : every_run) all.push_back(unpack(run, methods[run.method], seeds[run.seed]));
    const bool every_run_failed = std::all_of(all.begin(), all.end(), [](const Result& r) { return !r.error.empty(); });
    if (!ranks.writes_outputs()) return every_run_failed ? ex::exit_numerical_failure : ex::exit_success;
    const auto run_of = [&](std::size_t m, std::size_t si) -> const Result& { return all[m * seeds.size() + si]; };
    // The first seed's run of each method (pictures, montage).
    std::vector<Result> results;
    for (std::size_t m = 0; m < methods.size(); ++m) results.push_back(run_of(m, 0));
    if (runs == 1) {
      write_outputs(c.out, c, data, results[0], 320);
      if (!results[0].unresolved.empty())
        ex::print_error(program, results[0].method + ": NLL and KL unresolved: " + results[0].unresolved);
      std::printf("%s\n", metrics_json(c, data, results[0]).dump().c_str());
      return 0;
    }
    // Several runs: one sub-directory per run, a comparison table, summary.md/json (and a montage for --method all).
    std::vector<std::vector<std::string>> rows;
    nlohmann::json per_run = nlohmann::json::array(), aggregate = nlohmann::json::array();
    std::size_t failed = 0;
    for (std::size_t m = 0; m < methods.size(); ++m)
      for (std::size_t si = 0; si < seeds.size(); ++si) {
        const Result& r = run_of(m, si);
        per_run.push_back(metrics_json(c, datas[si], r));
        if (!r.error.empty()) {
          ++failed;
          continue;
        }
        std::string dir = c.out;
        if (seeds.size() > 1) dir += "/seed-" + std::to_string(r.seed);
        if (methods.size() > 1) dir += "/" + r.method;
        write_outputs(dir, c, datas[si], r, 320);
      }
    if (seeds.size() == 1) {
      for (const auto& r : results) {
        if (!r.error.empty()) {  // the row names the iteration and the quantity; the message is in summary.json
          rows.push_back({r.method, std::to_string(r.iters), ex::headline(r.failure), "–", "–", "–", "–"});
          continue;
        }
        const std::string unresolved = r.unresolved.empty() ? "" : "unresolved";
        rows.push_back({r.method, std::to_string(r.iters), unresolved.empty() ? ex::format("%.3f", r.nll) : unresolved,
                        ex::format("%.4f", r.mmd) + " ± " + ex::format("%.4f", r.mmd_se),
                        !data.exact ? "–" : unresolved.empty() ? ex::format("%.3f", r.kl) : unresolved,
                        !generates(c, r.method) ? "–" : ex::format("%.4f", r.generated_mmd) + " ± " + ex::format("%.4f", r.generated_mmd_se),
                        ex::format("%.1f", r.seconds)});
      }
    } else {
      // Over seeds: mean ± standard error (worst seed) of each metric; diverged and unresolved seeds counted,
      // never averaged.
      for (std::size_t m = 0; m < methods.size(); ++m) {
        std::vector<std::optional<double>> nll, mmd, kl, generated_mmd, seconds;
        std::size_t diverged = 0, unresolved = 0;
        std::string first_divergence;
        for (std::size_t si = 0; si < seeds.size(); ++si) {
          const Result& r = run_of(m, si);
          const auto value = [&](double v) { return r.error.empty() ? std::optional<double>(v) : std::nullopt; };
          if (!r.error.empty()) {
            ++diverged;
            if (first_divergence.empty())
              first_divergence = "seed " + std::to_string(r.seed) + " " + ex::headline(r.failure);
          } else if (!r.unresolved.empty()) {
            ++unresolved;
          }
          nll.push_back(value(r.nll));
          mmd.push_back(value(r.mmd));
          kl.push_back(data.exact ? value(r.kl) : std::nullopt);
          generated_mmd.push_back(generates(c, methods[m]) ? value(r.generated_mmd) : std::nullopt);
          seconds.push_back(value(r.seconds));
        }
        const auto s_nll = ex::summarise(nll, seeds), s_mmd = ex::summarise(mmd, seeds), s_kl = ex::summarise(kl, seeds),
                   s_generated = ex::summarise(generated_mmd, seeds), s_seconds = ex::summarise(seconds, seeds);
        std::string failures = std::to_string(diverged) + "/" + std::to_string(seeds.size());
        if (!first_divergence.empty()) failures += " (" + first_divergence + ")";
        rows.push_back({methods[m], failures, std::to_string(unresolved), ex::cell(s_nll, "%.3f"),
                        ex::cell(s_mmd, "%.4f"), data.exact ? ex::cell(s_kl, "%.3f") : "–",
                        generates(c, methods[m]) ? ex::cell(s_generated, "%.4f") : "–", ex::format("%.1f", s_seconds.mean)});
        aggregate.push_back({{"method", methods[m]}, {"seeds", seeds.size()}, {"diverged", diverged},
                             {"unresolved", unresolved}, {"nll", ex::to_json(s_nll)}, {"mmd", ex::to_json(s_mmd)},
                             {"kl", data.exact ? ex::to_json(s_kl) : nlohmann::json()},
                             {"seconds", ex::to_json(s_seconds)}});
        if (generates(c, methods[m])) aggregate.back()["generated_mmd"] = ex::to_json(s_generated);
      }
    }
    const std::string table =
        seeds.size() == 1
            ? ex::markdown_table({"method", "iters", "NLL (nats)", "MMD² ± se", "KL(data‖model)",
                                  "MMD² of its own sampler", "seconds"}, rows)
            : ex::markdown_table({"method", "diverged", "NLL unresolved", "NLL (nats)", "MMD²", "KL(data‖model)",
                                  "MMD² of its own sampler", "seconds (mean)"},
                                 rows);
    const std::string seeds_text =
        seeds.size() == 1 ? "seed " + std::to_string(c.seed)
                          : std::to_string(seeds.size()) + " seeds " + std::to_string(seeds.front()) + "-" +
                                std::to_string(seeds.back()) + " (mean ± standard error, worst seed)";
    const std::string steps_text = steps_summary(c, methods);
    std::printf("%s: %lld iterations per method, batch %lld, %s, %s\n\n%s", data.name.c_str(),
                static_cast<long long>(c.iters), static_cast<long long>(c.batch), steps_text.c_str(),
                seeds_text.c_str(), table.c_str());
    ex::make_directory(c.out);
    nlohmann::json summary{{"dataset", data.name}, {"iters", c.iters}, {"seeds", seeds}, {"ranks", ranks.size()},
                           {"results", per_run}};
    if (seeds.size() > 1) summary["aggregate"] = aggregate;
    ex::write_json(c.out + "/summary.json", summary);
    std::FILE* md = std::fopen((c.out + "/summary.md").c_str(), "w");
    if (!md) throw ember::invalid_argument("cannot write " + c.out + "/summary.md");
    std::fprintf(md, "# %s\n\n%lld iterations per method, batch %lld, %s, %s\n\n%s", data.name.c_str(),
                 static_cast<long long>(c.iters), static_cast<long long>(c.batch), steps_text.c_str(),
                 seeds_text.c_str(), table.c_str());
    std::fclose(md);
    if (failed == runs) {
      ex::print_error(program, runs == methods.size() ? "every method diverged" : "every run diverged");
      return ex::exit_numerical_failure;
    }
    if (methods.size() == 1) return ex::exit_success;
    // Montage (the first seed): the data density, then each method's learned density, on one colour scale (capped
    // at twice the data's peak, so that one method's spike does not darken every other panel; the colour bar says so).
    std::vector<ex::DensityPanel> panels{data_panel(data, 180)};
    for (const auto& r : results)
      panels.push_back(r.error.empty() ? ex::DensityPanel{r.method, shown_density(r.grid)}
                                       : ex::DensityPanel{r.method + ": diverged", Eigen::MatrixXd::Constant(1, 1, std::nan(""))});
    ex::density_figure(panels, {.title = {ex::printable(data.name) + ": the data density, then the density each method learned",
                                          std::to_string(c.iters) + " updates per method, seed " + std::to_string(seeds.front())},
                                .colour_label = "density p(x, y)",
                                .half_width = picture_half_width,
                                .top_cap = 2 * panels[0].values.maxCoeff(),
                                .panel_pixels = 200,
                                .columns = 4,
                                .caption = with_axes_note({"one colour scale for every panel"}, data)})
        .save_png(c.out + "/montage.png");
    return ex::exit_success;
  });
}
