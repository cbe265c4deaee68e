#pragma once
/// @file
/// @brief Products whose left factor is binary (every entry 0 or 1), by table lookup: the "method of the
/// Four Russians" (Arlazarov, Dinic, Kronrod, Faradzev 1970), here with a dense real right factor.
///
/// C = X D with X ∈ {0, 1}ⁿˣᴷ and D ∈ ℝᴷˣᵐ. Cut X's K columns (D's K rows) into chunks of k = 4. For one
/// chunk, the 2ᵏ sums of subsets of its k rows of D are tabulated, one vector add per entry; row s of C is
/// then the sum, over the chunks, of the entry that row s of X selects with its k bits (its code). The dense
/// product costs n·K·m multiply-adds; this costs (K / k)·(2ᵏ + n)·m adds — 3.4× fewer vector operations for
/// an RBM's n = 100 (k = 4). Every entry of C is a sum of exactly the terms of the dense product (those
/// D(i, j) with X(s, i) = 1), grouped differently: it is not an approximation, and it differs from a GEMM by
/// rounding only. (Its speed against a GEMM: docs/performance.md, "Kernel notes".)
///
/// Bernoulli RBMs meet such products everywhere: visible data and sampled visible or hidden states are
/// binary, so V W, H Wᵀ and the weight gradient Vᵀ S all qualify (energy/rbm.hpp). Whether a batch is binary
/// is checked entry by entry when it is encoded (`encode_rows`, `encode_columns`): anything else (Gaussian
/// visible units, probabilities instead of samples, NaN) gets the dense product instead.
///
/// Layout: X is column-major (ember's N × d batches); D and C are row-major tiles (row stride given), which is
/// what the tables need (a row of D is one vector). Results depend on the shapes and the data only, never on
/// threads: each call is serial and callers cut work into fixed column blocks.

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/simd/detail/binary_encode_avx512.hpp"

namespace ember::simd {

/// Bits per code: each table holds the 2⁴ = 16 subset sums of 4 rows of the dense factor. With n = 100 rows of
/// C, k = 4 and k = 5 do about the same number of adds; k = 4's tables are half as large, so more of them stay in
/// the L1 cache.
inline constexpr Index binary_chunk_bits = 4;

/// @brief The codes of a binary matrix, one byte per (row, chunk) in row-major order: code(r, c) has bit b set
/// iff entry (r, c·k + b) of the encoded matrix is 1 (rows of X for `encode_rows`, columns for `encode_columns`).
struct BinaryCodes {
  Index rows = 0;    ///< rows of C the codes produce
  Index chunks = 0;  ///< ⌈K / k⌉
  Index depth = 0;   ///< K, the summed dimension
  std::vector<std::uint8_t> code;     // rows × chunks
  std::vector<std::uint32_t> scratch;  // while encoding
  [[nodiscard]] const std::uint8_t* row(Index r) const { return code.data() + r * chunks; }
};

namespace detail {

/// 1 if value is 1, 0 if it is 0; anything else (NaN included) sets `not_binary`. Branch-free on 32-bit lanes,
/// so that the encoders' loops over a column vectorise.
template <class T>
inline unsigned binary_bit(T value, unsigned& not_binary) {
  const unsigned one = value == T(1), zero = value == T(0);
  not_binary |= (one | zero) ^ 1u;
  return one;
}

static_assert(binary_chunk_bits == 4, "the mask encoders (simd/detail/binary_encode_avx512.hpp) build 4-bit codes");

}  // namespace detail

/// @brief Codes of the rows of the column-major n × K matrix x (leading dimension ld), for C = X D.
/// @return false, leaving `codes` unspecified, if an entry is neither 0 nor 1 (NaN included): use a GEMM then.
template <class T>
bool encode_rows(const T* x, Index n, Index depth, Index ld, BinaryCodes& codes) {
  codes.rows = n;
  codes.depth = depth;
  codes.chunks = (depth + binary_chunk_bits - 1) / binary_chunk_bits;
  if constexpr (detail::has_mask_encoders<T>) return detail::encode_rows_by_masks(x, n, depth, ld, codes);
  // Chunk-major 32-bit codes first, so that the inner loop runs down a column of x with branch-free 32-bit
  // lanes (it vectorises); then narrowed and transposed.
  codes.scratch.assign(static_cast<std::size_t>(n * codes.chunks), 0);
  unsigned not_binary = 0;
  for (Index i = 0; i < depth; ++i) {
    const T* column = x + i * ld;
    std::uint32_t* out = codes.scratch.data() + (i / binary_chunk_bits) * n;
    const unsigned shift = static_cast<unsigned>(i % binary_chunk_bits);
    for (Index s = 0; s < n; ++s) out[s] |= detail::binary_bit(column[s], not_binary) << shift;
  }
  if (not_binary != 0) return false;
  codes.code.resize(codes.scratch.size());
  for (Index s = 0; s < n; ++s)
    for (Index c = 0; c < codes.chunks; ++c)
      codes.code[static_cast<std::size_t>(s * codes.chunks + c)] =
          static_cast<std::uint8_t>(codes.scratch[static_cast<std::size_t>(c * n + s)]);
  return true;
}

/// @brief Codes of the columns of the column-major n × K matrix x (leading dimension ld), for C = Xᵀ D: the
/// summed dimension is X's rows (n), and C has K rows.
/// @return false, leaving `codes` unspecified, if an entry is neither 0 nor 1 (NaN included).
template <class T>
bool encode_columns(const T* x, Index n, Index columns, Index ld, BinaryCodes& codes) {
  codes.rows = columns;
  codes.depth = n;
  codes.chunks = (n + binary_chunk_bits - 1) / binary_chunk_bits;
  if constexpr (detail::has_mask_encoders<T>) return detail::encode_columns_by_masks(x, n, columns, ld, codes);
  codes.code.assign(static_cast<std::size_t>(columns * codes.chunks), 0);
  codes.scratch.resize(static_cast<std::size_t>(codes.chunks * binary_chunk_bits));
  unsigned not_binary = 0;
  for (Index i = 0; i < columns; ++i) {
    const T* column = x + i * ld;
    std::uint32_t* ones = codes.scratch.data();  // ones[s] = 1 if x(s, i) = 1; zero-padded to whole chunks
    for (Index s = 0; s < n; ++s) ones[s] = detail::binary_bit(column[s], not_binary);
    std::fill(ones + n, ones + codes.chunks * binary_chunk_bits, 0u);
    std::uint8_t* out = codes.code.data() + i * codes.chunks;
    for (Index c = 0; c < codes.chunks; ++c) {
      const std::uint32_t* bits = ones + c * binary_chunk_bits;
      static_assert(binary_chunk_bits == 4, "four bits per code, assembled here");
      out[c] = static_cast<std::uint8_t>(bits[0] | bits[1] << 1 | bits[2] << 2 | bits[3] << 3);
    }
  }
  return not_binary == 0;
}

/// @brief Reusable buffers of `binary_product` (no allocation once warm).
template <class T>
struct BinaryProductWorkspace {
  std::vector<T, xsimd::aligned_allocator<T>> tables;  // chunks of one group × 2ᵏ × strip width
  std::vector<T, xsimd::aligned_allocator<T>> rows;    // k rows of D, zero-padded to the strip width
  std::vector<T, xsimd::aligned_allocator<T>> sums;    // n × strip width partial sums over the groups
};

namespace detail {

/// Rows of C for one strip and one group of chunks: row s gets the sum of the table entries its codes select,
/// in `registers` accumulators. The row loop is kept free of everything else (GCC otherwise hoists the
/// group's entry addresses into spare vector registers, which is slower). `sums` carries the partial sums between
/// groups; `target` (the strip's first column in C) is given on the last group of a whole strip.
template <class T, Index registers>
void sum_selected_entries(const T* tables, const std::uint8_t* code, Index code_stride, Index group_chunks, Index n,
                          bool first_group, T* sums, T* target, Index ld_out) {
  using batch = xsimd::batch<T>;
  constexpr Index lanes = static_cast<Index>(batch::size);
  constexpr Index strip = registers * lanes;
  constexpr Index table_size = (Index(1) << binary_chunk_bits) * strip;
  for (Index s = 0; s < n; ++s, code += code_stride, sums += strip) {
    batch acc[registers];
    for (Index r = 0; r < registers; ++r) acc[r] = first_group ? batch(T(0)) : batch::load_aligned(sums + r * lanes);
    const T* table = tables;
    for (Index c = 0; c < group_chunks; ++c, table += table_size) {
      const T* entry = table + Index(code[c]) * strip;
      for (Index r = 0; r < registers; ++r) acc[r] += batch::load_aligned(entry + r * lanes);
    }
    T* store = target ? target + s * ld_out : sums;
    for (Index r = 0; r < registers; ++r) acc[r].store_unaligned(store + r * lanes);
  }
}

/// C(:, first_column .. first_column + width) for one strip of `registers` SIMD registers (width ≤ strip).
template <class T, Index registers>
void binary_product_strip(const BinaryCodes& codes, const T* dense, Index ld_dense, Index first_column, Index width,
                          T* out, Index ld_out, BinaryProductWorkspace<T>& ws) {
  using batch = xsimd::batch<T>;
  constexpr Index lanes = static_cast<Index>(batch::size);
  constexpr Index strip = registers * lanes;
  constexpr Index entries = Index(1) << binary_chunk_bits;
  // Tables of one group: at most 24 KiB, so that they stay in a 32 KiB L1 cache with the codes and sums.
  constexpr Index group = std::max<Index>(1, (Index(24) << 10) / (entries * strip * Index(sizeof(T))));
  const Index n = codes.rows, depth = codes.depth, chunks = codes.chunks;
  const bool whole = width == strip;  // a whole strip is read and written in place; a partial one via padding
  // Grown, never shrunk: a narrower last strip must not make the next product's strips value-initialise them again.
  const auto at_least = [](auto& buffer, Index size) {
    if (buffer.size() < static_cast<std::size_t>(size)) buffer.resize(static_cast<std::size_t>(size));
  };
  at_least(ws.tables, std::min(group, chunks) * entries * strip);
  at_least(ws.rows, binary_chunk_bits * strip);
  at_least(ws.sums, n * strip);
  for (Index first_chunk = 0; first_chunk < chunks; first_chunk += group) {
    const Index group_chunks = std::min(group, chunks - first_chunk);
    const bool last_group = first_chunk + group_chunks == chunks;
    // Tables: entry p of chunk c is the sum of the rows b of the chunk whose bit b is set in p, built one
    // register column at a time with all 2ᵏ entries in registers (entry p + 2ᵇ = entry p + row b).
    for (Index c = 0; c < group_chunks; ++c) {
      const Index first_row = (first_chunk + c) * binary_chunk_bits;
      const Index bits = std::min(binary_chunk_bits, depth - first_row);
      const T* source[binary_chunk_bits];
      for (Index b = 0; b < bits; ++b) {
        source[b] = dense + (first_row + b) * ld_dense + first_column;
        if (!whole) {  // a partial strip: its rows zero-padded to the strip's width first
          T* padded = ws.rows.data() + b * strip;
          for (Index r = 0; r < strip; ++r) padded[r] = r < width ? source[b][r] : T(0);
          source[b] = padded;
        }
      }
      T* table = ws.tables.data() + c * entries * strip;
      for (Index r = 0; r < strip; r += lanes) {
        batch entry[entries];
        entry[0] = batch(T(0));
        for (Index b = 0; b < binary_chunk_bits; ++b) {
          const batch row = b < bits ? batch::load_unaligned(source[b] + r) : batch(T(0));
          for (Index p = 0; p < (Index(1) << b); ++p) entry[p + (Index(1) << b)] = entry[p] + row;
        }
        for (Index p = 0; p < entries; ++p) entry[p].store_aligned(table + p * strip + r);
      }
    }
    sum_selected_entries<T, registers>(ws.tables.data(), codes.row(0) + first_chunk, chunks, group_chunks, n,
                                       first_chunk == 0, ws.sums.data(),
                                       last_group && whole ? out + first_column : nullptr, ld_out);
  }
  if (!whole)
    for (Index s = 0; s < n; ++s)
      for (Index r = 0; r < width; ++r) out[s * ld_out + first_column + r] = ws.sums[static_cast<std::size_t>(s * strip + r)];
}

}  // namespace detail

/// @brief C = X D, X binary given by its codes (codes.rows × codes.depth), D the row-major codes.depth × m
/// tile at `dense` (row stride ld_dense), C the row-major codes.rows × m tile at `out` (row stride ld_out).
///
/// Columns go in strips of 4 SIMD registers (64 floats with AVX-512; a last, narrower strip in 1 or 2 when
/// that covers it), each strip's chunks in groups whose tables (16 entries of one strip each) fit the L1
/// cache; within a group a row of C is summed in registers.
template <class T>
void binary_product(const BinaryCodes& codes, const T* dense, Index ld_dense, Index m, T* out, Index ld_out,
                    BinaryProductWorkspace<T>& ws) {
  constexpr Index lanes = static_cast<Index>(xsimd::batch<T>::size);
  Index first_column = 0;
  for (; first_column + 4 * lanes <= m; first_column += 4 * lanes)
    detail::binary_product_strip<T, 4>(codes, dense, ld_dense, first_column, 4 * lanes, out, ld_out, ws);
  const Index rest = m - first_column;  // a ragged last strip: as few registers as cover it
  if (rest > 2 * lanes) {
    detail::binary_product_strip<T, 4>(codes, dense, ld_dense, first_column, rest, out, ld_out, ws);
  } else if (rest > lanes) {
    detail::binary_product_strip<T, 2>(codes, dense, ld_dense, first_column, rest, out, ld_out, ws);
  } else if (rest > 0) {
    detail::binary_product_strip<T, 1>(codes, dense, ld_dense, first_column, rest, out, ld_out, ws);
  }
}

}  // namespace ember::simd
