#pragma once
/// @file
/// @brief ember::draw_minibatch: a minibatch of rows drawn uniformly (with replacement) from an N × d data set.
///
/// One generator draw per minibatch; row i of the minibatch depends only on (seed, draw, i), like every
/// other random number in ember.
///
/// @code
/// ember::Batch<double> batch(128, data.cols());
/// ember::draw_minibatch<double>(data, batch, rng);
/// @endcode

#include <cstdint>
#include <limits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

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

}  // namespace ember
