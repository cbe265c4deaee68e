// Tests include/ember/simd/transpose.hpp: the exact layout changes between row- and column-major blocks (with a
// bias, subtracting, and refresh_column_major's bit-for-bit comparison).
#include "ember/simd/transpose.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>

#include "ember/core/batch.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using ember::test::normal_batch;

TEMPLATE_TEST_CASE("row_to_column_major and subtract_row_major: exact layout changes", "[simd][transpose]", float,
                   double) {
  using T = TestType;
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto [rows, cols] = GENERATE(table<Index, Index>({{1, 1}, {16, 16}, {37, 53}, {100, 128}, {3, 40}}));
  CAPTURE(rows, cols);
  const RowMajor src = normal_batch<T>(rows, cols, 7);
  const Vector<T> bias = normal_batch<T>(cols, 1, 8).col(0);
  // Destination with a larger leading dimension than its rows (a block of a bigger batch).
  Batch<T> dst = Batch<T>::Constant(rows + 3, cols, T(9));
  ember::simd::row_to_column_major(src.data(), cols, rows, cols, dst.data(), rows + 3);
  CHECK(dst.topRows(rows) == Batch<T>(src));
  CHECK((dst.bottomRows(3).array() == T(9)).all());
  ember::simd::row_to_column_major(src.data(), cols, rows, cols, dst.data(), rows + 3, bias.data());
  CHECK(dst.topRows(rows) == Batch<T>(src.rowwise() + bias.transpose()));
  const Batch<T> before = dst;
  ember::simd::subtract_row_major(src.data(), cols, rows, cols, dst.data(), rows + 3);
  CHECK(dst.topRows(rows) == Batch<T>(before.topRows(rows) - Batch<T>(src)));
  CHECK((dst.bottomRows(3).array() == T(9)).all());

  // refresh_column_major: a copy already equal bit for bit is reported unchanged; any entry differing in any bit
  // (−0 for +0 and a NaN among them, which == comparisons would miss or always report) is rewritten and reported.
  RowMajor changed = src;
  Batch<T> copy(rows + 3, cols);
  ember::simd::row_to_column_major(src.data(), cols, rows, cols, copy.data(), rows + 3);
  CHECK_FALSE(ember::simd::refresh_column_major(src.data(), cols, rows, cols, copy.data(), rows + 3));
  for (const T value : {T(-0.0), std::numeric_limits<T>::quiet_NaN(), T(1.5)}) {
    changed(rows - 1, cols - 1) = T(0);
    ember::simd::row_to_column_major(changed.data(), cols, rows, cols, copy.data(), rows + 3);
    changed(rows - 1, cols - 1) = value;  // the last entry: in the scalar tail or the last SIMD block
    CHECK(ember::simd::refresh_column_major(changed.data(), cols, rows, cols, copy.data(), rows + 3));
    CHECK(std::memcmp(&copy(rows - 1, cols - 1), &changed(rows - 1, cols - 1), sizeof(T)) == 0);
    CHECK_FALSE(ember::simd::refresh_column_major(changed.data(), cols, rows, cols, copy.data(), rows + 3));
  }
  changed(0, 0) += T(1);  // the first entry
  CHECK(ember::simd::refresh_column_major(changed.data(), cols, rows, cols, copy.data(), rows + 3));
  CHECK(copy(0, 0) == changed(0, 0));
}
