#pragma once
/// @file
/// @brief Bars-and-stripes (MacKay 2003): n × n binary images whose rows are all equal (bars) or whose
/// columns are all equal (stripes) — the classic benchmark for small RBMs (16 visible units for n = 4).
///
/// Image layout: pixel (r, c) is column r·n + c of the batch (row-major within an image), one image per row.
/// Pattern index p ∈ [0, 2^{n+1} − 2) names each distinct image: for p < 2ⁿ, bit r of p switches image
/// row r on (horizontal stripes, including the empty and the full image); for p ≥ 2ⁿ, q = p − 2ⁿ + 1 ∈
/// [1, 2ⁿ − 1) has bit c switching image column c on (vertical bars other than empty and full).
///
/// @code
/// const auto all = ember::bars_and_stripes_patterns<float>(4);          // 30 × 16, every pattern once
/// const auto data = ember::sample_bars_and_stripes<float>(4, 1000, rng); // 1000 uniform draws
/// @endcode

#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/size_limit.hpp"

namespace ember {

/// The number of distinct n × n bars-and-stripes images, 2^{n+1} − 2.
constexpr std::uint64_t bars_and_stripes_count(Index n) {
  return (std::uint64_t{1} << (n + 1)) - 2;
}

namespace detail {

inline void require_bars_and_stripes_size(Index n, const char* fn) {
  require(n >= 1 && n <= 30, fn, "n", n, "must lie in [1, 30] (the image is n x n)");
}

/// Writes pattern `p` (see the file comment) into row `row` of `out`.
template <class T>
void write_bars_and_stripes(Index n, std::uint64_t p, BatchRef<T> out, Index row) {
  const std::uint64_t half = std::uint64_t{1} << n;
  const bool rows = p < half;
  const std::uint64_t bits = rows ? p : p - half + 1;
  for (Index r = 0; r < n; ++r)
    for (Index c = 0; c < n; ++c) out(row, r * n + c) = static_cast<T>((bits >> (rows ? r : c)) & 1u);
}

}  // namespace detail

/// @brief Every distinct n × n bars-and-stripes image once, in pattern-index order.
/// @pre 1 ≤ n ≤ 14 (the table has 2^{n+1} − 2 rows of n² pixels).
/// @return a (2^{n+1} − 2) × n² batch of 0/1 values
template <Scalar T>
Batch<T> bars_and_stripes_patterns(Index n) {
  constexpr const char* fn = "ember::bars_and_stripes_patterns";
  detail::require(n >= 1 && n <= 14, fn, "n", n, "must lie in [1, 14] (the table holds 2^(n+1) - 2 images)");
  const auto count = bars_and_stripes_count(n);
  Batch<T> out(static_cast<Index>(count), n * n);
  for (std::uint64_t p = 0; p < count; ++p) detail::write_bars_and_stripes<T>(n, p, out, static_cast<Index>(p));
  return out;
}

/// @brief `count` images drawn uniformly from the distinct n × n bars-and-stripes patterns; one draw of
/// `rng` (image i uses chain i's numbers, so the first k images never depend on `count`).
/// @pre 1 ≤ n ≤ 30, count ≥ 1.
template <Scalar T, class G>
Batch<T> sample_bars_and_stripes(Index n, Index count, G& rng) {
  static_assert(Generator<G>, "ember::sample_bars_and_stripes: the generator must model ember::Generator "
                              "(for example ember::Philox).");
  constexpr const char* fn = "ember::sample_bars_and_stripes";
  detail::require_bars_and_stripes_size(n, fn);
  detail::require_at_least_one(count, fn, "count");
  (void)detail::checked_allocation<T>(count, n * n, fn, "count", count, "the images");
  const auto patterns = static_cast<std::uint32_t>(bars_and_stripes_count(n));
  Batch<T> out(count, n * n);
  const auto draw = rng.draw();
  for (Index i = 0; i < count; ++i)
    detail::write_bars_and_stripes<T>(n, draw.index(static_cast<std::uint32_t>(i), patterns), out, i);
  return out;
}

}  // namespace ember
