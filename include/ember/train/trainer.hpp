#pragma once
/// @file
/// @brief ember::train: the training loop — minibatches, any estimator, any optimizer, progress, NaN guard.
///
/// Each iteration draws a minibatch (draw_minibatch), calls `estimator.estimate(energy, batch, rng)`, checks
/// the loss, the mean energies and the gradient for NaN/Inf, optionally clips the gradient norm, applies
/// `optimizer.step(energy.params(), gradient)`, checks the new parameters, and reports progress. A non-finite
/// quantity stops training with ember::numerical_error "ember::train: iteration 137: the parameter gradient is
/// not finite" BEFORE the bad update is applied, so the energy keeps its last good parameters (and the last
/// checkpoint a callback wrote stays the last good state). A sampler that diverges inside `estimate` (chains
/// gone NaN/Inf) is reported as "ember::train: iteration 812: the negatives (sampler output) are not finite in
/// 3 of 256 rows (…; first error: …)" whatever error it first caused; this check runs only after `estimate`
/// has failed, never per kernel step. One ember::Philox seeded
/// from the settings drives minibatches and estimators: a run is reproducible from its seed.
///
/// Resume (io/checkpoint.hpp, io/checkpoint_train.hpp, io/checkpoint_mcmc.hpp): a callback saves the energy, optimizer and estimator state with
/// TrainProgress::iteration and ::generator_position; a later call restores them and passes
/// `.start_iteration` and `.generator_position`, and continues bit for bit where the first run was.
///
/// Learning rate: `learning_rate_schedule` (train/learning_rate.hpp) scales the optimizer's own rate per update
/// (warm-up, cosine, exponential); the factor depends on the update number only, so a resumed run continues it.
/// Minibatches: drawn with replacement by default; `epochs = true` visits every row once per epoch instead
/// (train/minibatch.hpp). Subnormal numbers are flushed to zero while training (`flush_subnormals`,
/// core/subnormals.hpp: a trained network's gradients reach them, and each can cost an x86 core a microcode
/// assist); the callback runs in the caller's own floating-point mode.
///
/// The callback receives an ember::TrainProgress after every `report_every`-th update (and the last); it may
/// return `bool` (false stops training early) or nothing. The default ember::TerminalProgress prints one
/// line on stderr, rewritten in place at most every `interval_seconds` on a terminal, and plain lines at most
/// every `log_interval_seconds` when stderr is redirected to a file or pipe.
///
/// @code
/// ember::Adam<double> adam({.learning_rate = 1e-2});
/// auto summary = ember::train(estimator, energy, adam, data, {.iterations = 2000, .batch_size = 256, .seed = 7});
/// @endcode

#include <chrono>
#include <concepts>
#include <exception>
#include <optional>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // isatty, fileno
#endif

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/subnormals.hpp"
#include "ember/simd/random.hpp"
#include "ember/train/clip.hpp"
#include "ember/train/learning_rate.hpp"
#include "ember/train/minibatch.hpp"

namespace ember {

/// @brief A training run that diverged: the iteration (1-based update) and the quantity that left its band or
/// stopped being finite. Thrown by ember::train and ember::DivergenceGuard (train/divergence_guard.hpp).
class training_diverged : public numerical_error {
 public:
  training_diverged(Index iteration, std::string quantity, double value, const std::string& message)
      : numerical_error(message), iteration_(iteration), quantity_(std::move(quantity)), value_(value) {}
  [[nodiscard]] Index iteration() const { return iteration_; }
  /// A short name: "loss", "E+" (mean energy of the data), "E-" (of the negatives), "|grad|" (parameter gradient
  /// norm), "params" (after the update) or "negatives" (the sampler's output; value = rows not finite).
  [[nodiscard]] const std::string& quantity() const { return quantity_; }
  [[nodiscard]] double value() const { return value_; }

 private:
  Index iteration_;
  std::string quantity_;
  double value_;
};

/// Settings of ember::train (aggregate; designated initialisers welcome).
struct TrainSettings {
  Index iterations = 1000;    ///< number of optimizer updates, ≥ 0
  Index batch_size = 128;     ///< minibatch rows, ≥ 1
  std::uint64_t seed = 0;     ///< seed of the run's ember::Philox
  double gradient_clip = 0;   ///< > 0: clip the gradient's norm to this value; 0: off
  Index report_every = 1;     ///< the callback is called every this many iterations (and after the last), ≥ 1
  /// Resume: updates already done (0 ≤ start_iteration ≤ iterations); the loop runs start_iteration + 1 ..
  /// iterations, so `iterations` stays the total. Restore the energy, optimizer and estimator state first.
  Index start_iteration = 0;
  /// Resume: the Philox position at start_iteration (TrainProgress::generator_position of that iteration).
  std::uint64_t generator_position = 0;
  /// > 0: also stop with ember::numerical_error when |loss|, |mean E⁺|, |mean E⁻| or ‖∇θ‖ exceeds this
  /// (an exploding run); 0: only NaN/Inf stop training.
  double divergence_threshold = 0;
  /// false: minibatch rows drawn uniformly with replacement; true: every row once per epoch, reshuffled each
  /// epoch (ember::EpochMinibatches keyed by `seed`; minibatch k depends on k only, so resume is exact).
  bool epochs = false;
  /// The factor applied to the optimizer's learning rate at each update (default: constant 1).
  LearningRateSchedule learning_rate_schedule = {};
  /// true: the updates run with subnormal numbers flushed to zero (ember::FlushSubnormals, on the pool's workers
  /// too): a result changes only where a subnormal occurs, by less than 2⁻¹²⁶ per operation, and training never
  /// slows down by the x86 assists they cost (docs/performance.md). false: the caller's mode, as it is.
  bool flush_subnormals = true;
};

/// What the progress callback sees.
struct TrainProgress {
  Index iteration = 0;             ///< updates done so far (1-based after the first update)
  Index iterations = 0;            ///< total planned
  double loss = 0;                 ///< the estimator's loss on this iteration's minibatch
  double positive_energy = 0;      ///< mean energy of the data minibatch
  double negative_energy = 0;      ///< mean energy of the negatives
  double gradient_norm = 0;        ///< ‖∇θ‖ before clipping
  double iterations_per_second = 0;
  double eta_seconds = 0;          ///< estimated time to finish
  std::uint64_t generator_position = 0;  ///< the run's Philox position after this update (for checkpoints)
  /// The estimator's mean Metropolis–Hastings acceptance on this update; empty where no MH step ran (ULA, DSM).
  /// A rate near 0 means the chains did not move: the negatives are the chains' starts, not samples.
  std::optional<double> acceptance{};
};

/// What ember::train returns.
struct TrainSummary {
  Index iterations = 0;                ///< updates applied
  bool stopped_early = false;          ///< the callback asked to stop
  double seconds = 0;                  ///< wall time
  TrainProgress last;                  ///< the last iteration's numbers
  std::uint64_t generator_position = 0;  ///< position of the run's Philox (to resume: same seed, this position)
};

/// @brief The default progress callback: on a terminal, one line on stderr rewritten in place ("\r"),
/// throttled; in a log file or pipe (not a terminal, by isatty), one plain line per report at a lower rate.
struct TerminalProgress {
  double interval_seconds = 0.25;     ///< terminal: at most one redraw per interval (the last is always drawn)
  double log_interval_seconds = 10;   ///< file or pipe: at most one line per interval (first and last always)
  std::FILE* stream = stderr;

  void operator()(const TrainProgress& p) {
    if (!checked) {
      interactive = is_terminal(stream);
      checked = true;
    }
    const auto now = std::chrono::steady_clock::now();
    const bool last = p.iteration >= p.iterations;
    const double interval = interactive ? interval_seconds : log_interval_seconds;
    if (!last && drawn && std::chrono::duration<double>(now - last_draw).count() < interval) return;
    last_draw = now;
    drawn = true;
    char acceptance[32] = "";
    if (p.acceptance) std::snprintf(acceptance, sizeof acceptance, "  acc %.2f", *p.acceptance);
    std::fprintf(stream, "%s[ember] iteration %lld/%lld  loss % .4e  E+ % .4e  E- % .4e%s  %.1f it/s  ETA %.0fs%s",
                 interactive ? "\r" : "", static_cast<long long>(p.iteration), static_cast<long long>(p.iterations),
                 p.loss, p.positive_energy, p.negative_energy, acceptance, p.iterations_per_second, p.eta_seconds,
                 interactive ? "   " : "\n");
    if (interactive && last) std::fputc('\n', stream);
    std::fflush(stream);
  }

  /// Whether `stream` is a terminal (POSIX isatty; false where it cannot be told).
  static bool is_terminal(std::FILE* stream) {
#if defined(__unix__) || defined(__APPLE__)
    return stream != nullptr && isatty(fileno(stream)) != 0;
#else
    (void)stream;
    return false;
#endif
  }

  std::chrono::steady_clock::time_point last_draw{};  ///< throttle state (set by the call operator)
  bool drawn = false;                                 ///< throttle state: a line has been drawn
  bool checked = false;                               ///< whether `interactive` has been determined
  bool interactive = false;                           ///< the stream is a terminal (set on the first call)
};

/// A progress callback that prints nothing.
struct SilentProgress {
  void operator()(const TrainProgress&) const {}
};

namespace detail {

/// After `estimate` threw: if the estimator keeps its negatives (`negatives()`, every contrastive estimator)
/// and some are not finite, the sampler diverged — whatever the first error was (often an energy's input
/// check on the next step, which would blame the user's input). Throws ember::training_diverged naming the
/// iteration, the quantity and the count of bad rows; returns otherwise. Costs nothing on the success path.
template <class S, class Where>
void blame_diverged_negatives(const S& estimator, [[maybe_unused]] Index iteration, const Where& where,
                              const std::exception& first) {
  if constexpr (requires { { estimator.negatives().allFinite() } -> std::convertible_to<bool>; }) {
    const auto& x = estimator.negatives();
    if (all_finite(x)) return;
    const Index bad = (!x.array().isFinite()).rowwise().any().count();
    throw training_diverged(iteration, "negatives", static_cast<double>(bad),
                            where() + "the negatives (sampler output) are not finite in " + std::to_string(bad) +
                                " of " + std::to_string(x.rows()) +
                                " rows (the sampler diverged: reduce its step size; first error: " + first.what() + ")");
  }
}

}  // namespace detail

/// @brief Trains `energy` in place.
/// @param estimator an ember::Estimator for E: `estimate(energy, batch, rng)` returning a result with `loss`,
///        `gradient`, `positive_energy`, `negative_energy` (every ember::divergence estimator)
/// @param energy    an ember::ParametricEnergy or ember::TimeConditionedEnergy; its params() are updated
/// @param optimizer an ember::Optimizer: `step(params, gradient)` (ember::Sgd, ember::Adam)
/// @param data      the N × d data set (checked once for NaN/Inf; not modified)
/// @throws ember::invalid_argument on bad settings or data; ember::training_diverged (an ember::numerical_error
///         with the iteration, a short name of the quantity and its value) "ember::train: iteration k:
///         …" naming the quantity when the sampler's negatives, the loss, an energy, the gradient or the updated
///         parameters are not finite (the parameters are then those before the failed iteration).
template <class S, class E, class O, class Callback = TerminalProgress>
  requires Estimator<S, E, Philox> && Optimizer<O, typename E::scalar_type>
TrainSummary train(S& estimator, E& energy, O& optimizer, BatchView<typename E::scalar_type> data,
                   TrainSettings settings, Callback&& callback = {}) {
  static_assert(ParametricEnergy<E> || TimeConditionedEnergy<E>,
                "ember::train: the energy must model ember::ParametricEnergy or ember::TimeConditionedEnergy.");
  using T = typename E::scalar_type;
  constexpr const char* fn = "ember::train";
  detail::require(settings.iterations >= 0, fn, "iterations", settings.iterations, "must be >= 0");
  detail::require_at_least_one(settings.batch_size, fn, "batch_size");
  detail::require_at_least_one(settings.report_every, fn, "report_every");
  detail::require_non_negative(settings.gradient_clip, fn, "gradient_clip", " (0 disables clipping)");
  detail::require(settings.start_iteration >= 0 && settings.start_iteration <= settings.iterations, fn,
                  "start_iteration", settings.start_iteration, "must be in [0, iterations]");
  detail::require_non_negative(settings.divergence_threshold, fn, "divergence_threshold", " (0 disables it)");
  detail::require_batch(data, static_cast<Index>(energy.dim()), fn, "data");
  detail::require_all_finite(energy.params(), fn, "energy.params()");
  detail::ScheduledLearningRate<O> learning_rate(optimizer, settings.learning_rate_schedule,
                                                         settings.iterations, fn);  // restores the base rate on exit

  const unsigned caller_mode = detail::fp_control();  // the callback's
  FlushSubnormals flush(settings.flush_subnormals);
  const unsigned training_mode = detail::fp_control();
  Philox rng(settings.seed, settings.generator_position);
  Batch<T> batch(settings.batch_size, data.cols());
  EpochMinibatches<T> epoch_batches(data.rows(), settings.seed);
  Vector<T> saved;
  TrainSummary summary;
  const auto start = std::chrono::steady_clock::now();
  summary.iterations = settings.start_iteration;
  for (Index it = settings.start_iteration + 1; it <= settings.iterations; ++it) {
    // Messages are built only on failure: "ember::train: iteration 812: <what>".
    const auto where = [&] { return std::string(fn) + ": iteration " + std::to_string(it) + ": "; };
    auto fail = [&](const char* quantity, double value, const std::string& what) {
      throw training_diverged(it, quantity, value, where() + what);
    };
    if (settings.epochs) {
      epoch_batches.fill(data, batch, it - 1);
    } else {
      draw_minibatch<T>(data, batch, rng);
    }
    auto result = [&] {
      try {
        return estimator.estimate(std::as_const(energy), BatchView<T>(batch), rng);
      } catch (const numerical_error& error) {
        detail::blame_diverged_negatives(estimator, it, where, error);
        throw training_diverged(it, "estimator", std::nan(""), where() + error.what());
      } catch (const ember::invalid_argument& error) {
        detail::blame_diverged_negatives(estimator, it, where, error);
        throw;
      }
    }();
    if (!std::isfinite(static_cast<double>(result.loss))) fail("loss", static_cast<double>(result.loss), "the loss is not finite");
    if (!std::isfinite(static_cast<double>(result.positive_energy))) fail("E+", static_cast<double>(result.positive_energy), "the energy of the data is not finite");
    if (!std::isfinite(static_cast<double>(result.negative_energy))) fail("E-", static_cast<double>(result.negative_energy), "the energy of the negatives is not finite");
    // One pass: a NaN/Inf entry makes the norm non-finite (a finite gradient whose norm overflows goes on, as
    // before, to the divergence threshold).
    const double norm = static_cast<double>(result.gradient.norm());
    if (!std::isfinite(norm) && !detail::all_finite(result.gradient)) fail("|grad|", norm, "the parameter gradient is not finite");
    if (const double limit = settings.divergence_threshold; limit > 0) {
      const auto check = [&](double value, const char* quantity, const char* what) {
        if (std::abs(value) > limit)
          fail(quantity, value, std::string(what) + " = " + detail::describe(value) + " exceeds divergence_threshold = " +
               detail::describe(limit) + " (the run is diverging)");
      };
      check(static_cast<double>(result.loss), "loss", "the loss");
      check(static_cast<double>(result.positive_energy), "E+", "the mean energy of the data");
      check(static_cast<double>(result.negative_energy), "E-", "the mean energy of the negatives");
      check(norm, "|grad|", "the parameter gradient norm");
    }
    if (settings.gradient_clip > 0) clip_gradient_norm<T>(result.gradient, static_cast<T>(settings.gradient_clip));
    // An energy with a thread pool (an RBM after set_workers) lends it to the passes over θ and to an optimizer
    // that can split its step: each worker then copies, updates and checks the part of θ whose gradient it computed.
    ThreadPool* const pool = pool_of(energy);
    saved.resize(energy.params().size());
    for_owned_ranges(pool, saved.size(), [&](Index begin, Index end) {
      saved.segment(begin, end - begin) = energy.params().segment(begin, end - begin);
    });
    learning_rate.apply(it);
    if constexpr (requires { optimizer.step(energy.params(), result.gradient, pool); }) {
      optimizer.step(energy.params(), result.gradient, pool);
    } else {
      optimizer.step(energy.params(), result.gradient);
    }
    if (!all_finite_by_ranges(pool, energy.params())) {
      const double bad = static_cast<double>(energy.params().norm());
      energy.params() = saved;
      fail("params", bad, "the parameters after the update are not finite");
    }
    summary.iterations = it;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    TrainProgress& p = summary.last;
    const auto done = static_cast<double>(it - settings.start_iteration);
    p = {it, settings.iterations, static_cast<double>(result.loss), static_cast<double>(result.positive_energy),
         static_cast<double>(result.negative_energy), norm,
         elapsed > 0 ? done / elapsed : 0.0,
         elapsed > 0 ? elapsed / done * static_cast<double>(settings.iterations - it) : 0.0,
         rng.position(), std::nullopt};
    if constexpr (requires { result.acceptance.has_value(); })
      if (result.acceptance) p.acceptance = static_cast<double>(*result.acceptance);
    if (it % settings.report_every == 0 || it == settings.iterations) {
      detail::set_fp_control(caller_mode);
      bool go_on = true;
      if constexpr (std::is_convertible_v<decltype(callback(std::as_const(p))), bool>) {
        go_on = callback(std::as_const(p));
      } else {
        callback(std::as_const(p));
      }
      detail::set_fp_control(training_mode);
      if (!go_on) {
        summary.stopped_early = true;
        break;
      }
    }
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.generator_position = rng.position();
  return summary;
}

}  // namespace ember
