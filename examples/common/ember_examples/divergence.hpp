#pragma once
// How the example programs stop and report a run that blows up: an ember::DivergenceGuard with limits from
// --diverge-energy / --diverge-grad (on by default), and a failed run turned into "diverged at iteration k
// (quantity = value)" for the table and {"status": "diverged", "diverged_at": k, ...} for the JSON.
//
//   ember::DivergenceLimits limits;
//   ex::add_divergence_options(app, limits);
//   try { ... } catch (const ember::numerical_error& e) { const auto f = ex::failure_of(e, done, iters); ... }
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <string>

#include <ember/core/error.hpp>
#include <ember/train/divergence_guard.hpp>
#include <ember/train/trainer.hpp>

#include "ember_examples/cli.hpp"
#include "ember_examples/output.hpp"

namespace ember::examples {

/// Adds --diverge-energy and --diverge-grad (each ≥ 0; 0 turns that check off) to `app`.
inline void add_divergence_options(CLI::App& app, ember::DivergenceLimits& limits) {
  const auto non_negative = CLI::Validator(
      [](std::string& text) -> std::string {
        if (text == "0") return {};
        return positive_finite()(text).empty() ? std::string() : text + " is not a finite number >= 0";
      },
      "NUMBER >= 0");
  app.add_option("--diverge-energy", limits.energy,
                 "stop a run (reported as diverged) when |mean energy| of the data or of the negatives exceeds this "
                 "many times its first update's scale max(1, |E+|, |E-|); 0: off")
      ->capture_default_str()->check(non_negative);
  app.add_option("--diverge-grad", limits.gradient_norm,
                 "stop a run (reported as diverged) when the parameter gradient norm exceeds this many times "
                 "max(1, its first update's norm); 0: off")
      ->capture_default_str()->check(non_negative);
}

/// A run that failed: the iteration, the quantity and its value where known, and the full message.
struct RunFailure {
  ember::Index iteration = 0;
  std::string quantity;  // "E+", "E-", "|grad|", "loss", "params", "negatives", ... or "" when not known
  double value = std::nan("");
  std::string message;   // headline(*this) + ": " + the error's own message
  /// "collapsed": a trained energy found flat when measured (ember-toy2d); "stalled": a Metropolis sampler that
  /// accepted almost no proposal, so its chains stood still (ember-toy2d); otherwise "diverged".
  [[nodiscard]] const char* kind() const {
    if (quantity == "learned-energy spread") return "collapsed";
    if (quantity == "acceptance") return "stalled";
    return "diverged";
  }
};

inline std::string headline(const RunFailure& f);

/// `done` is the number of updates completed when the error came (the failing update is done + 1, unless
/// training had finished and the failure came while measuring).
inline RunFailure failure_of(const ember::numerical_error& e, ember::Index done, ember::Index iters) {
  RunFailure f;
  if (const auto* d = dynamic_cast<const ember::training_diverged*>(&e)) {
    f.iteration = d->iteration();
    f.quantity = d->quantity();
    f.value = d->value();
  } else {
    f.iteration = done < iters ? done + 1 : done;
  }
  f.message = headline(f) + ": " + e.what();
  return f;
}

/// "diverged at iteration k (E- = -1.3e+07)": the table's cell and the start of the one-line message.
inline std::string headline(const RunFailure& f) {
  std::string text = std::string(f.kind()) + " at iteration " + std::to_string(f.iteration);
  if (f.quantity == "negatives") return text + " (sampler output not finite in " + format("%.0f", f.value) + " rows)";
  if (f.quantity == "estimator") return text + " (inside the estimator)";
  if (f.quantity.empty()) return text;
  char value[64];
  std::snprintf(value, sizeof value, "%.3g", f.value);
  return text + " (" + f.quantity + " = " + value + ")";
}

/// The JSON fields of a diverged run (its metrics are null, never numbers).
inline nlohmann::json failure_json(const RunFailure& f) {
  return {{"status", f.kind()}, {"diverged_at", f.iteration},
          {"diverged_quantity", f.quantity.empty() ? nlohmann::json() : nlohmann::json(f.quantity)},
          {"diverged_value", number_or_null(f.value)}, {"error", f.message}};
}

}  // namespace ember::examples
