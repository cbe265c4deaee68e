#pragma once
/// @file
/// @brief Minibatches of an N × d data set: ember::draw_minibatch (rows drawn uniformly with replacement)
/// and ember::EpochMinibatches (every row exactly once per epoch, in a fresh random order each epoch).
///
/// draw_minibatch: one generator draw per minibatch; row i of the minibatch depends only on (seed, draw, i),
/// like every other random number in ember.
/// EpochMinibatches: the data are read as one endless stream, epoch after epoch, each epoch a uniformly random
/// permutation of the N rows (Fisher–Yates); minibatch b holds stream positions b·B … b·B + B − 1, so a
/// minibatch may span two epochs when B does not divide N. Epoch e's permutation depends only on (seed, e),
/// not on the caller's generator, so minibatch b is a function of (seed, b): a resumed run sees the same ones.
///
/// @code
/// ember::Batch<double> batch(128, data.cols());
/// ember::draw_minibatch<double>(data, batch, rng);          // with replacement
/// ember::EpochMinibatches<double> epochs(data.rows(), 7);
/// epochs.fill(data, batch, 0);                              // minibatch 0 of the epoch stream
/// @endcode

#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/simd/random.hpp"

namespace ember {

/// @brief Fills `out` (B × d) with rows of `data` (N × d) chosen uniformly with replacement.
/// @pre data non-empty with fewer than 2³² rows; out has data's width. Data are not checked for NaN here
/// (the trainer checks the data set once).
template <Scalar T, class G>
void draw_minibatch(BatchView<T> data, BatchRef<T> out, G& rng) {
  static_assert(Generator<G>, "ember::draw_minibatch: the generator must model ember::Generator.");
  constexpr const char* fn = "ember::draw_minibatch";
  detail::require(data.rows() > 0, fn, "data", detail::shape_of(data.rows(), data.cols()), "the data set is empty");
  detail::require(data.rows() <= static_cast<Index>(std::numeric_limits<std::uint32_t>::max()), fn, "data.rows()",
                  data.rows(), "must be < 2^32");
  detail::require_shape(out, out.rows(), data.cols(), fn, "out");
  const auto draw = rng.draw();
  const auto n = static_cast<std::uint32_t>(data.rows());
  for (Index i = 0; i < out.rows(); ++i) out.row(i) = data.row(static_cast<Index>(draw.index(static_cast<std::uint32_t>(i), n)));
}

/// @brief Epoch-wise minibatches: every row of the data once per epoch, reshuffled each epoch.
template <Scalar T>
class EpochMinibatches {
 public:
  /// @param rows the data set's N (≥ 1, < 2³²)   @param seed the key of the permutations
  EpochMinibatches(Index rows, std::uint64_t seed) : rows_(rows), seed_(seed) {
    constexpr const char* fn = "ember::EpochMinibatches";
    detail::require(rows >= 1 && rows <= static_cast<Index>(std::numeric_limits<std::uint32_t>::max()), fn, "rows",
                    rows, "must be in [1, 2^32)");
  }

  [[nodiscard]] Index rows() const { return rows_; }

  /// @brief The order in which epoch `epoch` (0-based) visits the rows: a permutation of 0 … N − 1.
  const std::vector<Index>& order(Index epoch) {
    detail::require(epoch >= 0, "ember::EpochMinibatches::order", "epoch", epoch, "must be >= 0");
    if (epoch == epoch_) return order_;
    order_.resize(static_cast<std::size_t>(rows_));
    std::iota(order_.begin(), order_.end(), Index{0});
    // Draw numbers from 2⁶³ on: never reached by a run's own generator, so no stream is shared with it.
    const PhiloxDraw draw = Philox(seed_, (std::uint64_t{1} << 63) + static_cast<std::uint64_t>(epoch)).draw();
    for (Index i = rows_ - 1; i > 0; --i) {  // Fisher–Yates: swap i with a uniform j ∈ [0, i]
      const auto j = draw.index(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + 1));
      std::swap(order_[static_cast<std::size_t>(i)], order_[j]);
    }
    epoch_ = epoch;
    return order_;
  }

  /// @brief Fills `out` (B × d) with minibatch `batch` (0-based) of the epoch stream.
  /// @pre data has N rows, batch ≥ 0, out has data's width. Data are not checked for NaN here.
  void fill(BatchView<T> data, BatchRef<T> out, Index batch) {
    constexpr const char* fn = "ember::EpochMinibatches::fill";
    detail::require(data.rows() == rows_, fn, "data.rows()", data.rows(), "must equal rows() = ", rows_);
    detail::require(batch >= 0, fn, "batch", batch, "must be >= 0");
    detail::require_shape(out, out.rows(), data.cols(), fn, "out");
    const Index first = batch * out.rows();
    for (Index i = 0; i < out.rows(); ++i) {
      const Index position = first + i;
      out.row(i) = data.row(order(position / rows_)[static_cast<std::size_t>(position % rows_)]);
    }
  }

 private:
  Index rows_;
  std::uint64_t seed_;
  Index epoch_ = -1;  // the epoch whose permutation order_ holds
  std::vector<Index> order_;
};

}  // namespace ember
