#pragma once
/// @file
/// @brief Changing a matrix between row-major and column-major layout, in SIMD blocks.
///
/// The table-lookup products (simd/binary_product.hpp) read and write row-major tiles while ember's batches and
/// an RBM's W are column-major, so every such product has a layout change on its way in or out. Done entry by
/// entry, one side of it strides through memory and it cost as much as a fifth of the product; here square
/// blocks of one SIMD register's width are loaded row by row, transposed in registers (Eigen's ptranspose:
/// 16 × 16 floats with AVX-512) and stored column by column, so both sides move whole registers.
///
/// Eigen's packet functions (Eigen::internal) are used because they have the in-register transposes for every
/// instruction set Eigen targets; xsimd 8 has none. Only their documented-by-use PacketBlock interface is used.

#include <Eigen/Core>

#include <array>
#include <cstring>

#include "ember/core/batch.hpp"

namespace ember::simd {

namespace detail {

// PacketBlock<__m512, 16> drops the vector type's alignment attribute in a template argument; harmless here
// (the block lives in registers), and Eigen silences the same warning in its own sources.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif

template <class T, Index lanes>
const std::array<T, lanes>& zero_bits() {
  alignas(64) static const std::array<T, lanes> zeros{};
  return zeros;
}

enum class LayoutOp { assign, subtract, refresh };

// dst(i, j) = src(i, j) + bias(j) (assign; no bias if null), dst(i, j) −= src(i, j) (subtract) or dst(i, j) = src(i, j)
// where it differs bit for bit (refresh), where src is the row-major rows × cols tile at `src`
// (src[i * ld_src + j]) and dst the column-major one at `dst` (dst[i + j * ld_dst]). Returns whether any entry
// of dst changed (refresh; the other operations return true).
template <LayoutOp Op, class T>
bool row_to_column_major(const T* src, Index ld_src, Index rows, Index cols, const T* bias, T* dst, Index ld_dst) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<T>::type;
  constexpr Index lanes = ei::unpacket_traits<Packet>::size;
  bool changed = Op != LayoutOp::refresh;
  const auto scalar = [&](Index i, Index j) {
    T& d = dst[i + j * ld_dst];
    const T s = src[i * ld_src + j];
    if constexpr (Op == LayoutOp::subtract) {
      d -= s;
    } else if constexpr (Op == LayoutOp::refresh) {
      if (changed || std::memcmp(&d, &s, sizeof(T)) != 0) {
        d = s;
        changed = true;
      }
    } else {
      d = bias ? s + bias[j] : s;
    }
  };
  Index i0 = 0;
  if constexpr (lanes > 1) {
    // Whether the transposed block differs from dst's, bit for bit (xor is exact on any bit pattern, NaN and −0
    // included).
    const auto block_differs = [&](const ei::PacketBlock<Packet, lanes>& block, const T* d) {
      Packet differ = ei::pzero(block.packet[0]);
      for (Index c = 0; c < lanes; ++c)
        differ = ei::por(differ, ei::pxor(ei::ploadu<Packet>(d + c * ld_dst), block.packet[c]));
      alignas(64) std::array<T, lanes> bits;
      ei::pstore(bits.data(), differ);
      return std::memcmp(bits.data(), zero_bits<T, lanes>().data(), sizeof bits) != 0;
    };
    for (; i0 + lanes <= rows; i0 += lanes) {
      Index j0 = 0;
      for (; j0 + lanes <= cols; j0 += lanes) {
        ei::PacketBlock<Packet, lanes> block;
        for (Index r = 0; r < lanes; ++r) block.packet[r] = ei::ploadu<Packet>(src + (i0 + r) * ld_src + j0);
        ei::ptranspose(block);  // block.packet[c] is now column j0 + c over rows i0 .. i0 + lanes
        if constexpr (Op == LayoutOp::refresh) {
          // Once a block has differed the answer is known, and the rest is copied without reading dst.
          if (!changed && !block_differs(block, dst + i0 + j0 * ld_dst)) continue;
          changed = true;
        }
        for (Index c = 0; c < lanes; ++c) {
          T* d = dst + i0 + (j0 + c) * ld_dst;
          if constexpr (Op == LayoutOp::subtract) {
            ei::pstoreu(d, ei::psub(ei::ploadu<Packet>(d), block.packet[c]));
          } else {
            ei::pstoreu(d, bias ? ei::padd(block.packet[c], ei::pset1<Packet>(bias[j0 + c])) : block.packet[c]);
          }
        }
      }
      for (; j0 < cols; ++j0)
        for (Index i = i0; i < i0 + lanes; ++i) scalar(i, j0);
    }
  }
  for (; i0 < rows; ++i0)
    for (Index j = 0; j < cols; ++j) scalar(i0, j);
  return changed;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace detail

/// @brief dst = src (+ 1 biasᵀ): the row-major rows × cols tile `src` (row stride ld_src) copied into the
/// column-major one `dst` (leading dimension ld_dst), plus bias(j) on column j if `bias` is not null.
/// A column-major a × b matrix is a row-major b × a one: the same call transposes either way.
template <class T>
void row_to_column_major(const T* src, Index ld_src, Index rows, Index cols, T* dst, Index ld_dst,
                         const T* bias = nullptr) {
  detail::row_to_column_major<detail::LayoutOp::assign>(src, ld_src, rows, cols, bias, dst, ld_dst);
}

/// @brief dst = src as row_to_column_major does, writing only the blocks that differ bit for bit.
/// @return whether any entry of `dst` changed: a cache of a transposed copy validates itself with this in one pass.
template <class T>
bool refresh_column_major(const T* src, Index ld_src, Index rows, Index cols, T* dst, Index ld_dst) {
  return detail::row_to_column_major<detail::LayoutOp::refresh>(src, ld_src, rows, cols, static_cast<const T*>(nullptr),
                                                                dst, ld_dst);
}

/// @brief dst −= src, for `src` row-major and `dst` column-major (as row_to_column_major).
template <class T>
void subtract_row_major(const T* src, Index ld_src, Index rows, Index cols, T* dst, Index ld_dst) {
  detail::row_to_column_major<detail::LayoutOp::subtract>(src, ld_src, rows, cols, static_cast<const T*>(nullptr), dst,
                                                         ld_dst);
}

}  // namespace ember::simd
