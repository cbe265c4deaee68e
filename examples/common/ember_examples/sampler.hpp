#pragma once
// The sampler choice the example programs share: --sampler ula|mala, the kernel it names, and the check that a
// Metropolis sampler's chains moved.
//
//   ex::add_sampler_option(app, c.sampler, "CD and PCD", "mala");
//   ex::with_sampler<T>(c.sampler, [&](auto make) { ember::ContrastiveDivergence cd(make(0.1), {.steps = 10}); ... });
//   ex::StallWatch stall;   // stall(p) in the progress callback, stall.check(...) after training
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <ember/core/error.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/mala.hpp>
#include <ember/train/trainer.hpp>

#include "ember_examples/output.hpp"

namespace ember::examples {

/// Calls f with a factory of the kernel `sampler` names, "ula" or "mala": make(ε) builds one of step ε — textbook
/// ULA, or MALA (the same proposal, accepted or rejected by Metropolis–Hastings, so that a chain cannot run away on
/// an energy sharper than its step). MALA tunes ε toward 0.574 acceptance during its first `mala_adapt_steps`
/// steps (dual averaging; 0: ε stays as given).
template <class T, class F>
void with_sampler(const std::string& sampler, F&& f, ember::Index mala_adapt_steps = 0) {
  if (sampler == "mala")
    f([=](double step) { return ember::Mala<T>({.step_size = static_cast<T>(step), .adapt_steps = mala_adapt_steps}); });
  else
    f([](double step) { return ember::Langevin<T>({.step_size = static_cast<T>(step)}); });
}

/// The MALA steps over which a kernel tunes its step (`--mala-adapt`): the whole run's (iters × its MALA steps per
/// update, saturated) when `adapt`, else none (also when the kernel takes no step).
inline ember::Index mala_adapt_steps(bool adapt, ember::Index iters, ember::Index steps) {
  if (!adapt || steps == 0) return 0;
  const ember::Index most = std::numeric_limits<ember::Index>::max();
  return iters > most / steps ? most : iters * steps;
}

/// --sampler ula|mala for the methods `which` names; `default_text` says what an absent option means.
inline CLI::Option* add_sampler_option(CLI::App& app, std::string& sampler, const std::string& which,
                                       const std::string& default_text) {
  return app
      .add_option("--sampler", sampler, "the kernel of " + which + ": ula (unadjusted Langevin) or mala (the same "
                  "proposal with a Metropolis-Hastings correction); default: " + default_text)
      ->check(CLI::IsMember({"ula", "mala"}));
}

/// Whether update `p` is among the last tenth of the run's updates (at least the last one): the window over which the
/// programs average a sampler's acceptance.
inline bool in_last_tenth(const ember::TrainProgress& p) {
  return p.iteration > p.iterations - std::max<ember::Index>(1, p.iterations / 10);
}

/// A Metropolis sampler's mean acceptance over the last tenth of a run's updates (fed every update by the
/// progress callback). A sampler that accepts (almost) nothing leaves its negatives where they started: the
/// gradient then compares the data with itself and nothing is learned, so such a run is reported, not measured.
class StallWatch {
 public:
  static constexpr double stalled_below = 0.01;  // accepted fraction of proposals

  void operator()(const ember::TrainProgress& p) {
    if (p.acceptance && in_last_tenth(p)) {
      accepted_ += *p.acceptance;
      ++updates_;
    }
  }
  /// The mean acceptance watched; NaN where no Metropolis–Hastings step ran.
  [[nodiscard]] double acceptance() const {
    return updates_ > 0 ? accepted_ / static_cast<double>(updates_) : std::nan("");
  }
  /// @throws ember::training_diverged (quantity "acceptance", reported as "stalled") when the mean acceptance is
  /// below stalled_below; `advice` names the options that would help.
  void check(ember::Index iteration, const std::string& advice) const {
    if (updates_ == 0 || accepted_ >= stalled_below * static_cast<double>(updates_)) return;
    const double rate = acceptance();
    throw ember::training_diverged(iteration, "acceptance", rate,
                                   "the MALA sampler accepted " + format("%.2g", 100 * rate) +
                                       "% of its proposals over the last " + std::to_string(updates_) +
                                       " updates: its chains stood still (" + advice + ")");
  }

 private:
  double accepted_ = 0;
  ember::Index updates_ = 0;
};

}  // namespace ember::examples
