#pragma once
/// @file
/// @brief Observing a sampler: `kernel.run(energy, x, rng, steps, observer)` calls `observer(record)` after
/// every transition with the chains' new states — and, for Metropolis-adjusted kernels, their energies and
/// which chains accepted — read from the kernel's own workspace, so observing costs no energy evaluation.
///
/// Why not `step()` in a loop: each `step` call starts from states it has not seen before, so a
/// Metropolis-adjusted kernel must evaluate the current energy and gradient again (1000 `step` calls cost
/// 2000 evaluations; `run(…, 1000, observer)` costs 1001, the same as without an observer). The views in a
/// record point into the kernel and into x: they are valid only during the call; copy what you keep
/// (ember::TraceRecorder does).
///
/// @code
/// ember::TraceRecorder<double> trace;
/// kernel.run(energy, x, rng, 1000, trace);           // trace.states()[s] = x after transition s
/// double ess = ember::effective_sample_size<double>(trace.coordinate(0));
/// @endcode

#include <concepts>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief An observer that does nothing (what `run` without an observer uses).
struct NoObserver {
  template <class Record>
  void operator()(const Record&) const {}
};

/// @brief An observer that copies every recorded transition: states always, energies where the kernel has them.
///
/// With `thin` = k it keeps transitions k−1, 2k−1, … of each `run` call (every k-th state).
template <Scalar T>
class TraceRecorder {
 public:
  /// @pre thin ≥ 1.
  explicit TraceRecorder(Index thin = 1) : thin_(thin) {
    detail::require_at_least_one(thin, "ember::TraceRecorder", "thin");
  }

  void operator()(const StepRecord<T>& record) {
    if ((record.step + 1) % thin_ != 0) return;
    states_.emplace_back(record.states);
    if (record.energy.size() > 0) energies_.emplace_back(record.energy);
  }

  /// The recorded states, in order (each N × d).
  [[nodiscard]] const std::vector<Batch<T>>& states() const { return states_; }
  /// The recorded energies, in order (each of length N); empty for kernels that do not hold them.
  [[nodiscard]] const std::vector<Vector<T>>& energies() const { return energies_; }

  /// @brief The N × S trace of coordinate j (row = chain, column = recorded step): the input of
  /// ember::effective_sample_size and ember::split_rhat. @pre something recorded, 0 ≤ j < d.
  [[nodiscard]] Batch<T> coordinate(Index j) const {
    constexpr const char* fn = "ember::TraceRecorder::coordinate";
    detail::require(!states_.empty(), fn, "states().size()", states_.size(), "nothing has been recorded");
    detail::require(j >= 0 && j < states_.front().cols(), fn, "j", j, "must be in [0, ", states_.front().cols(), ")");
    Batch<T> trace(states_.front().rows(), static_cast<Index>(states_.size()));
    for (Index s = 0; s < trace.cols(); ++s) trace.col(s) = states_[static_cast<std::size_t>(s)].col(j);
    return trace;
  }

  /// @brief The N × S trace of the energies. @pre energies were recorded.
  [[nodiscard]] Batch<T> energy_trace() const {
    detail::require(!energies_.empty(), "ember::TraceRecorder::energy_trace", "energies().size()", energies_.size(),
                    "no energies recorded (the kernel does not hold them, or nothing was run)");
    Batch<T> trace(energies_.front().size(), static_cast<Index>(energies_.size()));
    for (Index s = 0; s < trace.cols(); ++s) trace.col(s) = energies_[static_cast<std::size_t>(s)];
    return trace;
  }

  /// Forgets everything recorded.
  void clear() {
    states_.clear();
    energies_.clear();
  }

 private:
  Index thin_;
  std::vector<Batch<T>> states_;
  std::vector<Vector<T>> energies_;
};

}  // namespace ember
