#pragma once
/// @file
/// @brief Checkpoint store/restore for mcmc/'s stateful objects: ember::ReplayBuffer (samples, fill count, write
/// slot, pushed), the Metropolis-adjusted kernels ember::Mala and ember::Hmc (adapted step size, steps taken,
/// warm-up state, acceptance statistics) and ember::WithJumps (its place in the period, the jumps' statistics and
/// its inner kernel's state), under a key prefix (format: io/checkpoint.hpp).
///
/// @code
/// ember::Checkpoint ck;  ember::store(ck, "kernel", kernel);  /* ... */  ember::restore(ck, "kernel", kernel);
/// @endcode

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/io/checkpoint.hpp"
#include "ember/mcmc/detail/acceptance.hpp"
#include "ember/mcmc/difference_jump.hpp"
#include "ember/mcmc/replay_buffer.hpp"

namespace ember {

/// @brief Stores a replay buffer's samples, fill count, FIFO slot and push count under `key.*`.
template <Scalar T, class Init>
void store(Checkpoint& ck, const std::string& key, const ReplayBuffer<T, Init>& buffer) {
  const auto& s = buffer.state();
  ck.set(key + ".samples", s.samples);
  ck.set(key + ".fill_count", static_cast<std::uint64_t>(s.fill_count));
  ck.set(key + ".next_slot", static_cast<std::uint64_t>(s.next_slot));
  ck.set(key + ".pushed", s.pushed);
}
/// @brief Restores a replay buffer; the stored one must have the same capacity and dimension.
template <Scalar T, class Init>
void restore(const Checkpoint& ck, const std::string& key, ReplayBuffer<T, Init>& buffer) {
  ReplayBufferState<T> s;
  s.samples = ck.matrix<T>(key + ".samples", buffer.capacity(), buffer.dim());
  const std::uint64_t fill = ck.integer(key + ".fill_count");
  const std::uint64_t slot = ck.integer(key + ".next_slot");
  const auto capacity = static_cast<std::uint64_t>(buffer.capacity());
  if (fill > capacity || slot >= capacity)
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entries '" + key + ".fill_count' = " +
                           std::to_string(fill) + " / '" + key + ".next_slot' = " + std::to_string(slot) +
                           " do not fit a buffer of capacity " + std::to_string(capacity));
  s.fill_count = static_cast<Index>(fill);
  s.next_slot = static_cast<Index>(slot);
  s.pushed = ck.integer(key + ".pushed");
  buffer.set_state(std::move(s));
}

/// @brief Stores the state of a Metropolis-adjusted kernel (ember::Mala, ember::Hmc) under `key.*`: the step
/// size in use, the steps taken, the warm-up's dual-averaging state, the last mean acceptance and the
/// per-chain statistics — what a resumed run needs to continue the kernel bit for bit.
template <class T, class K>
void store(Checkpoint& ck, const std::string& key, const detail::MetropolisKernel<T, K>& kernel) {
  const MetropolisState<T> s = kernel.state();
  const auto real = [](T v) { return Eigen::Matrix<T, 1, 1>::Constant(v); };
  ck.set(key + ".step_size", real(s.step_size));
  ck.set(key + ".steps_taken", static_cast<std::uint64_t>(s.steps_taken));
  ck.set(key + ".last_mean_acceptance", real(s.last_mean_acceptance));
  ck.set(key + ".adaptation_iteration", static_cast<std::uint64_t>(s.adaptation_iteration));
  ck.set(key + ".adaptation_h_bar", real(s.adaptation_h_bar));
  ck.set(key + ".adaptation_log_step_bar", real(s.adaptation_log_step_bar));
  ck.set_counts(key + ".accepted", s.accepted);
  ck.set_counts(key + ".divergent", s.divergent);
  ck.set(key + ".proposed", static_cast<std::uint64_t>(s.proposed));
}
/// @brief Restores a Metropolis-adjusted kernel built with the same settings as the stored one.
/// @throws ember::checkpoint_error if an entry is missing, of the wrong type, or the entries are inconsistent.
template <class T, class K>
void restore(const Checkpoint& ck, const std::string& key, detail::MetropolisKernel<T, K>& kernel) {
  const auto real = [&](const char* name) { return ck.matrix<T>(key + "." + name, 1, 1)(0, 0); };
  const auto count = [&](const char* name) {
    const std::uint64_t v = ck.integer(key + "." + name);
    if (v > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()))
      throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entry '" + key + "." + name + "' = " +
                             std::to_string(v) + " is more than a count can be");
    return static_cast<Index>(v);
  };
  MetropolisState<T> s;
  s.step_size = real("step_size");
  s.steps_taken = count("steps_taken");
  s.last_mean_acceptance = real("last_mean_acceptance");
  s.adaptation_iteration = static_cast<long>(count("adaptation_iteration"));
  s.adaptation_h_bar = real("adaptation_h_bar");
  s.adaptation_log_step_bar = real("adaptation_log_step_bar");
  s.accepted = ck.counts(key + ".accepted");
  s.divergent = ck.counts(key + ".divergent");
  s.proposed = count("proposed");
  try {
    kernel.set_state(std::move(s));
  } catch (const ember::invalid_argument& e) {
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entries '" + key +
                           ".*' are inconsistent (" + e.what() + ")");
  }
}

/// @brief Stores a kernel with difference jumps under `key.*`: its period and place in it, the jumps' statistics,
/// and the inner kernel under `key.inner` when that kernel has a state to store (ember::Mala, ember::Hmc;
/// Langevin keeps none). The reference set is the constructor's and is not stored.
template <class K, Scalar T>
void store(Checkpoint& ck, const std::string& key, const WithJumps<K, T>& kernel) {
  ck.set(key + ".period", static_cast<std::uint64_t>(kernel.period()));
  ck.set(key + ".since_jump", static_cast<std::uint64_t>(kernel.since_jump()));
  const AcceptanceStatistics<T> s = kernel.jump().statistics();
  ck.set_counts(key + ".jump.accepted", s.accepted);
  ck.set_counts(key + ".jump.divergent", s.divergent);
  ck.set(key + ".jump.proposed", static_cast<std::uint64_t>(s.proposed));
  ck.set(key + ".jump.last_mean_acceptance", Eigen::Matrix<T, 1, 1>::Constant(kernel.jump().last_mean_acceptance()));
  if constexpr (requires { store(ck, key, kernel.inner()); }) store(ck, key + ".inner", kernel.inner());
}
/// @brief Restores a kernel with difference jumps built with the same inner kernel, reference set and period.
/// @throws ember::checkpoint_error if an entry is missing or inconsistent, or the period differs.
template <class K, Scalar T>
void restore(const Checkpoint& ck, const std::string& key, WithJumps<K, T>& kernel) {
  const std::uint64_t period = ck.integer(key + ".period"), since = ck.integer(key + ".since_jump");
  const auto fail = [&](const std::string& what) {
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entries '" + key + ".*' " + what);
  };
  if (period != static_cast<std::uint64_t>(kernel.period()))
    fail("were written by a kernel with period " + std::to_string(period) + ", this one has " +
         std::to_string(kernel.period()));
  if (since >= period) fail("place " + std::to_string(since) + " in a period of " + std::to_string(period));
  const std::uint64_t proposed = ck.integer(key + ".jump.proposed");
  if (proposed > static_cast<std::uint64_t>(std::numeric_limits<Index>::max())) fail("count more jumps than an Index holds");
  AcceptanceStatistics<T> s{ck.counts(key + ".jump.accepted"), ck.counts(key + ".jump.divergent"),
                            static_cast<Index>(proposed)};
  try {
    kernel.jump().set_statistics(std::move(s), ck.matrix<T>(key + ".jump.last_mean_acceptance", 1, 1)(0, 0));
  } catch (const ember::invalid_argument& e) {
    fail(std::string("are inconsistent (") + e.what() + ")");
  }
  kernel.set_since_jump(static_cast<Index>(since));
  if constexpr (requires { restore(ck, key, kernel.inner()); }) restore(ck, key + ".inner", kernel.inner());
}

}  // namespace ember
