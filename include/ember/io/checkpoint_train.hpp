#pragma once
/// @file
/// @brief Checkpoint store/restore for train/'s stateful objects: ember::Sgd (velocity, steps), ember::Adam
/// (moments, steps) and ember::ParameterEma (average, updates), under a key prefix (format: io/checkpoint.hpp).
///
/// @code
/// ember::Checkpoint ck;  ember::store(ck, "adam", adam);  /* ... */  ember::restore(ck, "adam", adam, n);
/// @endcode

#include <cstdint>
#include <string>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/io/checkpoint.hpp"
#include "ember/train/adam.hpp"
#include "ember/train/ema.hpp"
#include "ember/train/sgd.hpp"

namespace ember {

namespace detail {
/// An optimizer buffer is either empty (before the first step) or one entry per parameter.
template <Scalar T>
Vector<T> optimizer_buffer(const Checkpoint& ck, const std::string& name, Index parameters) {
  Vector<T> v = ck.vector<T>(name);
  if (v.size() != 0 && v.size() != parameters)
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entry '" + name + "' has " +
                           std::to_string(v.size()) + " entries, expected 0 or " + std::to_string(parameters) +
                           " (one per parameter)");
  return v;
}

/// The state SGD and the EMA share in shape: one per-parameter buffer and one count, as `key.<buffer>` and
/// `key.<count>`.
template <Scalar T>
void store_buffer_and_count(Checkpoint& ck, const std::string& key, const char* buffer_name, const Vector<T>& buffer,
                            const char* count_name, std::uint64_t count) {
  ck.set(key + "." + buffer_name, buffer);
  ck.set(key + "." + count_name, count);
}
/// Reads back what store_buffer_and_count wrote, as a {buffer, count} aggregate (SgdState, EmaState).
template <class State, Scalar T>
State restore_buffer_and_count(const Checkpoint& ck, const std::string& key, const char* buffer_name,
                               const char* count_name, Index parameters) {
  return State{optimizer_buffer<T>(ck, key + "." + buffer_name, parameters), ck.integer(key + "." + count_name)};
}
}  // namespace detail

/// @brief Stores SGD's velocity and step count as `key.velocity`, `key.steps`.
template <Scalar T>
void store(Checkpoint& ck, const std::string& key, const Sgd<T>& sgd) {
  detail::store_buffer_and_count(ck, key, "velocity", sgd.state().velocity, "steps", sgd.state().steps);
}
/// @brief Restores SGD's state. @param parameters the length of the parameter vector it optimizes
template <Scalar T>
void restore(const Checkpoint& ck, const std::string& key, Sgd<T>& sgd, Index parameters) {
  sgd.set_state(detail::restore_buffer_and_count<SgdState<T>, T>(ck, key, "velocity", "steps", parameters));
}

/// @brief Stores Adam's moments and step count as `key.first_moment`, `key.second_moment`, `key.steps`.
template <Scalar T>
void store(Checkpoint& ck, const std::string& key, const Adam<T>& adam) {
  ck.set(key + ".first_moment", adam.state().first_moment);
  ck.set(key + ".second_moment", adam.state().second_moment);
  ck.set(key + ".steps", adam.state().steps);
}
/// @brief Restores Adam's state. @param parameters the length of the parameter vector it optimizes
template <Scalar T>
void restore(const Checkpoint& ck, const std::string& key, Adam<T>& adam, Index parameters) {
  AdamState<T> s;
  s.first_moment = detail::optimizer_buffer<T>(ck, key + ".first_moment", parameters);
  s.second_moment = detail::optimizer_buffer<T>(ck, key + ".second_moment", parameters);
  s.steps = ck.integer(key + ".steps");
  if (s.first_moment.size() != s.second_moment.size() || (s.steps > 0) != (s.first_moment.size() > 0))
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entries '" + key +
                           ".*' are inconsistent (moment sizes " + std::to_string(s.first_moment.size()) + " and " +
                           std::to_string(s.second_moment.size()) + " after " + std::to_string(s.steps) + " steps)");
  adam.set_state(std::move(s));
}

/// @brief Stores the parameter average and update count as `key.average`, `key.updates`.
template <Scalar T>
void store(Checkpoint& ck, const std::string& key, const ParameterEma<T>& ema) {
  detail::store_buffer_and_count(ck, key, "average", ema.state().average, "updates", ema.state().updates);
}
/// @brief Restores an EMA. @param parameters the length of the parameter vector it averages
template <Scalar T>
void restore(const Checkpoint& ck, const std::string& key, ParameterEma<T>& ema, Index parameters) {
  ema.set_state(detail::restore_buffer_and_count<EmaState<T>, T>(ck, key, "average", "updates", parameters));
}

}  // namespace ember
