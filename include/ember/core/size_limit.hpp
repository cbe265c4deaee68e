#pragma once
/// @file
/// @brief ember::max_allocation_bytes and the checks that keep a size computed from user arguments from
/// overflowing or from asking for more memory than that budget.
///
/// Where user-given sizes multiply (an MLP's widths, an RBM's d × h, a buffer's capacity × dim, N points
/// of d coordinates), the entry count is formed with checked arithmetic and compared with the budget
/// before anything is allocated. Signed overflow would be undefined behaviour, and a wrapped or huge size
/// would ask the allocator for tens of gigabytes; instead the call throws ember::invalid_argument naming
/// the argument, e.g. `ember::MlpEnergy::MlpEnergy: widths[1] = 4: the weights would have
/// 4 x 4611686018427387904 entries, which overflows the index type`.
///
/// @code
/// const ember::Index entries = ember::detail::checked_product(capacity, dim, fn, "capacity", capacity, "the samples");
/// ember::detail::require_allocation_within<float>(entries, fn, "capacity", capacity, "the samples");
/// @endcode

#include <cstdint>
#include <string_view>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// The most bytes one array sized from a user's arguments may take: 2³⁴ bytes (16 GiB), far beyond any
/// model or batch ember is meant for and below what a typical machine can give, so that a mistyped size
/// fails at once with a message instead of in the allocator (or the system's OOM killer).
inline constexpr std::uint64_t max_allocation_bytes = std::uint64_t{1} << 34;

namespace detail {

/// a × b, or throws "function: argument = value: `what` would have a x b entries, which overflows the index type".
/// @pre a ≥ 0, b ≥ 0.
template <class Value>
[[nodiscard]] Index checked_product(Index a, Index b, std::string_view function, std::string_view argument,
                                    const Value& value, std::string_view what) {
  Index product = 0;
  if (__builtin_mul_overflow(a, b, &product))
    fail(function, argument, value, what, " would have ", a, " x ", b, " entries, which overflows the index type");
  return product;
}

/// a + b, or throws "function: argument = value: `what` would have a + b entries, which overflows the index type".
/// @pre a ≥ 0, b ≥ 0.
template <class Value>
[[nodiscard]] Index checked_sum(Index a, Index b, std::string_view function, std::string_view argument,
                                const Value& value, std::string_view what) {
  Index sum = 0;
  if (__builtin_add_overflow(a, b, &sum))
    fail(function, argument, value, what, " would have ", a, " + ", b, " entries, which overflows the index type");
  return sum;
}

/// `entries` values of type T must fit in ember::max_allocation_bytes; else throws "function: argument =
/// value: `what` would take N bytes, more than ember::max_allocation_bytes = 17179869184".
template <class T, class Value>
void require_allocation_within(Index entries, std::string_view function, std::string_view argument,
                               const Value& value, std::string_view what) {
  constexpr auto limit = static_cast<Index>(max_allocation_bytes / sizeof(T));
  if (entries <= limit) [[likely]]
    return;
  // entries × sizeof(T) may itself exceed 64 bits: then the product is stated as such.
  const auto count = static_cast<std::uint64_t>(entries);
  if (count <= UINT64_MAX / sizeof(T))
    fail(function, argument, value, what, " would take ", count * sizeof(T),
         " bytes, more than ember::max_allocation_bytes = ", max_allocation_bytes);
  fail(function, argument, value, what, " would take ", count, " x ", sizeof(T),
       " bytes, more than ember::max_allocation_bytes = ", max_allocation_bytes);
}

/// The entry count rows × cols of an array of T sized from user arguments: checked for overflow and against
/// ember::max_allocation_bytes (the throw names `argument` and `value`).
template <class T, class Value>
[[nodiscard]] Index checked_allocation(Index rows, Index cols, std::string_view function, std::string_view argument,
                                       const Value& value, std::string_view what) {
  const Index entries = checked_product(rows, cols, function, argument, value, what);
  require_allocation_within<T>(entries, function, argument, value, what);
  return entries;
}

}  // namespace detail
}  // namespace ember
