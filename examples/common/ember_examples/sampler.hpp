#pragma once
// The sampler choice the example programs share: --sampler ula|mala, and the kernel it names.
//
//   ex::add_sampler_option(app, c.sampler, "CD and PCD", "mala");
//   ex::with_sampler<T>(c.sampler, [&](auto make) { ember::ContrastiveDivergence cd(make(0.1), {.steps = 10}); ... });
#include <CLI/CLI.hpp>

#include <string>

#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/mala.hpp>

namespace ember::examples {

/// Calls f with a factory of the kernel `sampler` names, "ula" or "mala": make(ε) builds one of step ε — textbook
/// ULA, or MALA (the same proposal, accepted or rejected by Metropolis–Hastings, so that a chain cannot run away on
/// an energy sharper than its step).
template <class T, class F>
void with_sampler(const std::string& sampler, F&& f) {
  if (sampler == "mala")
    f([](double step) { return ember::Mala<T>({.step_size = static_cast<T>(step)}); });
  else
    f([](double step) { return ember::Langevin<T>({.step_size = static_cast<T>(step)}); });
}

/// --sampler ula|mala for the methods `which` names; `default_text` says what an absent option means.
inline CLI::Option* add_sampler_option(CLI::App& app, std::string& sampler, const std::string& which,
                                       const std::string& default_text) {
  return app
      .add_option("--sampler", sampler, "the kernel of " + which + ": ula (unadjusted Langevin) or mala (the same "
                  "proposal with a Metropolis-Hastings correction); default: " + default_text)
      ->check(CLI::IsMember({"ula", "mala"}));
}

}  // namespace ember::examples
