#pragma once
/// @file
/// @brief Internal: per-chain Metropolis–Hastings bookkeeping shared by MALA and HMC — the accept/reject
/// decision from a log ratio and one uniform per chain, the masked copy of accepted rows, and the
/// per-chain counters.

#include <Eigen/Core>

#include <cmath>
#include <string>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"

namespace ember::detail {

/// Per-chain acceptance counters (proposals, acceptances, divergences).
template <class T>
class AcceptanceCounters {
 public:
  using Counts = Eigen::Matrix<Index, Eigen::Dynamic, 1>;

  void ensure(Index n) {
    if (accepted_.size() == n) return;
    accepted_ = Counts::Zero(n);
    divergent_ = Counts::Zero(n);
    proposed_ = 0;
  }
  void reset() {
    accepted_.setZero();
    divergent_.setZero();
    proposed_ = 0;
  }

  /// Decides every chain from `log_ratio` (log acceptance ratio, −∞ allowed) and uniforms `u` in (0, 1),
  /// writes 1/0 into `accept`, the acceptance probability min(1, exp(log_ratio)) into `probability`.
  /// A NaN log ratio is a numerical failure: throws ember::numerical_error naming `function`.
  void decide(const Vector<T>& log_ratio, const Batch<T>& u, Vector<T>& accept, Vector<T>& probability,
              const char* function) {
    const Index n = log_ratio.size();
    Index nan_count = 0;
    for (Index i = 0; i < n; ++i) {
      const T r = log_ratio(i);
      if (std::isnan(r)) {
        ++nan_count;
        continue;
      }
      const bool divergent = !std::isfinite(r) && r < T(0);
      const bool ok = std::log(u(i, 0)) < r;
      accept(i) = ok ? T(1) : T(0);
      probability(i) = r >= T(0) ? T(1) : std::exp(r);
      accepted_(i) += ok ? 1 : 0;
      divergent_(i) += divergent ? 1 : 0;
    }
    ++proposed_;
    if (nan_count > 0)
      throw ember::numerical_error(std::string(function) + ": the Metropolis-Hastings log ratio is NaN in " +
                                   std::to_string(nan_count) + " of " + std::to_string(n) +
                                   " chains (NaN energy or gradient at a proposal; reduce the step size)");
  }

  [[nodiscard]] const Counts& accepted() const { return accepted_; }
  [[nodiscard]] const Counts& divergent() const { return divergent_; }
  [[nodiscard]] Index proposed() const { return proposed_; }
  [[nodiscard]] Vector<T> rates() const {
    if (proposed_ == 0) return Vector<T>::Zero(accepted_.size());
    return accepted_.template cast<T>() / static_cast<T>(proposed_);
  }

 private:
  Counts accepted_;
  Counts divergent_;
  Index proposed_ = 0;
};

/// dst.row(i) = src.row(i) where mask(i) = 1, column by column (vectorised select, exact copies).
template <class T, class Dst, class Src>
void copy_accepted_rows(Dst& dst, const Src& src, const Vector<T>& mask) {
  for (Index j = 0; j < dst.cols(); ++j) dst.col(j) = (mask.array() > T(0)).select(src.col(j), dst.col(j));
}

}  // namespace ember::detail
