#pragma once
/// @file
/// @brief ember::StandardScores: train on each column's standard scores z = (x − m) / s, and map back.
///
/// ember's defaults (step sizes, learning rates, an MLP's confining base, a quadrature square) are chosen for data of
/// unit scale near the origin. Data in other units or far from the origin meets them through its standard scores:
/// m and s are the per-column mean and sample standard deviation of the *training* rows (never of held-out or
/// evaluation rows), computed in double whatever T. Densities map with the Jacobian: for z = S⁻¹(x − m) with
/// S = diag(s), log p_x(x) = log p_z(z) − Σ log s_k (`log_det()`), so a held-out NLL in the data's units is the
/// NLL of the scores plus `log_det()`; a KL between two densities is the same in either space.
///
/// @code
/// ember::Batch<float> train(1000, 2), samples(500, 2);                // data in any units; a model's samples
/// const auto scores = ember::StandardScores::fit<float>(train);      // per-column mean and standard deviation
/// ember::Batch<float> z = scores.to_scores<float>(train);             // columns of mean 0, standard deviation 1
/// ember::Batch<float> x = scores.from_scores<float>(samples);         // back in the data's units
/// const double log_p_x = -2.3 - scores.log_det();                    // a log-density of the scores, carried over
/// @endcode

#include <Eigen/Core>

#include <cmath>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief Per-column shift and scale of a training set; maps points to their standard scores and back.
class StandardScores {
 public:
  /// @brief The mean and sample standard deviation (divisor n − 1) of each column of `train`.
  /// @pre at least 2 rows, finite entries, no constant column (it has nothing to learn and no scale).
  template <class T>
  static StandardScores fit(BatchView<T> train) {
    constexpr const char* fn = "ember::StandardScores::fit";
    detail::require(train.rows() >= 2, fn, "train", detail::shape_of(train.rows(), train.cols()),
                    "needs at least 2 rows for a standard deviation");
    detail::require_all_finite(train, fn, "train");
    StandardScores s;
    s.mean_.resize(train.cols());
    s.scale_.resize(train.cols());
    for (Index k = 0; k < train.cols(); ++k) {
      const Eigen::ArrayXd column = train.col(k).template cast<double>().array();
      const double mean = column.mean();
      const double sd = std::sqrt((column - mean).square().sum() / static_cast<double>(column.size() - 1));
      detail::require(sd > 0 && std::isfinite(sd), fn, "column", k + 1,
                      sd > 0 ? "has a standard deviation that is not finite (too large a range)"
                             : "has standard deviation 0 (a constant column: nothing to learn, no scale)");
      s.mean_(k) = mean;
      s.scale_(k) = sd;
    }
    return s;
  }

  /// @brief The identity map on `columns` columns (mean 0, scale 1): data trained on as given.
  static StandardScores identity(Index columns) {
    detail::require_at_least_one(columns, "ember::StandardScores::identity", "columns");
    StandardScores s;
    s.mean_ = Eigen::VectorXd::Zero(columns);
    s.scale_ = Eigen::VectorXd::Ones(columns);
    return s;
  }

  [[nodiscard]] Index columns() const { return mean_.size(); }
  [[nodiscard]] const Eigen::VectorXd& mean() const { return mean_; }    ///< m, per column
  [[nodiscard]] const Eigen::VectorXd& scale() const { return scale_; }  ///< s, per column
  /// @brief Σ log s_k: log p_x(x) = log p_z(z) − log_det().
  [[nodiscard]] double log_det() const { return scale_.array().log().sum(); }

  /// @brief z = (x − m) / s, column by column (in double, rounded once to T).
  template <class T>
  [[nodiscard]] Batch<T> to_scores(BatchView<T> x) const {
    check(x.cols(), "ember::StandardScores::to_scores");
    return ((x.template cast<double>().rowwise() - mean_.transpose()).array().rowwise() / scale_.transpose().array())
        .template cast<T>()
        .matrix();
  }

  /// @brief x = m + s z, column by column (in double, rounded once to T).
  template <class T>
  [[nodiscard]] Batch<T> from_scores(BatchView<T> z) const {
    check(z.cols(), "ember::StandardScores::from_scores");
    return ((z.template cast<double>().array().rowwise() * scale_.transpose().array()).rowwise() +
            mean_.transpose().array())
        .template cast<T>()
        .matrix();
  }

 private:
  void check(Index cols, const char* fn) const {
    detail::require(cols == columns(), fn, "the points' columns", cols, "must equal the fitted columns ", columns());
  }

  Eigen::VectorXd mean_, scale_;
};

}  // namespace ember
