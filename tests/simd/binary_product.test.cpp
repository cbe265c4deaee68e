// Tests include/ember/simd/binary_product.hpp: the table-lookup products with a binary factor against a
// double-precision product computed entry by entry, on shapes with ragged chunks, strips and blocks, and the
// binary check (anything but 0 or 1, NaN included, is refused).
#include "ember/simd/binary_product.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "support/product_error.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using ember::test::binary_batch;
using ember::test::max_relative_error;
using ember::test::tolerance;
using ember::test::normal_batch;

TEMPLATE_TEST_CASE("binary_product: X D for binary X equals the dense product", "[rbm][binary_product]", float,
                   double) {
  using T = TestType;
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  // n, K (ragged last chunk when K % 4 != 0), m (ragged last strip, several strips, several table groups; the
  // last strip takes 1, 2 or 4 registers, ragged or whole, depending on m and the lane count: 80 and 96 floats,
  // 40 and 48 doubles end in a whole 1- and 2-register strip with AVX-512)
  const auto [n, depth, m] = GENERATE(table<Index, Index, Index>({{1, 1, 1},
                                                                   {3, 7, 17},
                                                                   {100, 784, 128},
                                                                   {37, 201, 300},
                                                                   {16, 64, 65},
                                                                   {5, 130, 3},
                                                                   {20, 50, 88},
                                                                   {20, 50, 80},
                                                                   {20, 50, 96},
                                                                   {9, 33, 40},
                                                                   {9, 33, 48}}));
  CAPTURE(n, depth, m);
  const Batch<T> x = binary_batch<T>(n, depth, 11 + static_cast<std::uint64_t>(depth));
  const RowMajor dense = normal_batch<T>(depth, m, 12);
  const Eigen::MatrixXd expected = x.template cast<double>() * dense.template cast<double>();

  ember::simd::BinaryCodes codes;
  REQUIRE(ember::simd::encode_rows(x.data(), n, depth, n, codes));
  ember::simd::BinaryProductWorkspace<T> ws;
  RowMajor out(n, m);
  ember::simd::binary_product(codes, dense.data(), m, m, out.data(), m, ws);
  CHECK(max_relative_error(out, expected) <= tolerance<T>(depth));

  // Xᵀ D' through the column codes of the same X: the summed dimension is X's rows.
  const RowMajor dense_t = normal_batch<T>(n, m, 13);
  const Eigen::MatrixXd expected_t = x.transpose().template cast<double>() * dense_t.template cast<double>();
  REQUIRE(ember::simd::encode_columns(x.data(), n, depth, n, codes));
  RowMajor out_t(depth, m);
  ember::simd::binary_product(codes, dense_t.data(), m, m, out_t.data(), m, ws);
  CHECK(max_relative_error(out_t, expected_t) <= tolerance<T>(n));
}

TEST_CASE("binary_product: a zero or all-ones X gives zero or the column sums, exactly", "[rbm][binary_product]") {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Index n = 20, depth = 9, m = 40;
  const RowMajor dense = normal_batch<float>(depth, m, 3);
  ember::simd::BinaryCodes codes;
  ember::simd::BinaryProductWorkspace<float> ws;
  RowMajor out(n, m);
  const Batch<float> zeros = Batch<float>::Zero(n, depth);
  REQUIRE(ember::simd::encode_rows(zeros.data(), n, depth, n, codes));
  ember::simd::binary_product(codes, dense.data(), m, m, out.data(), m, ws);
  CHECK(out.isZero(0.0f));
  const Batch<float> ones = Batch<float>::Ones(n, depth);
  REQUIRE(ember::simd::encode_rows(ones.data(), n, depth, n, codes));
  ember::simd::binary_product(codes, dense.data(), m, m, out.data(), m, ws);
  const Eigen::RowVectorXd sums = dense.cast<double>().colwise().sum();
  for (Index s = 0; s < n; ++s) CHECK(max_relative_error(out.row(s), sums) <= tolerance<float>(depth));
}

TEMPLATE_TEST_CASE("encode_rows/encode_columns: anything but 0 and 1 is refused", "[rbm][binary_product]", float,
                   double) {
  using T = TestType;
  const T bad = GENERATE(T(0.5), T(-1), T(2), std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity());
  CAPTURE(bad);
  Batch<T> x = binary_batch<T>(24, 10, 5);
  ember::simd::BinaryCodes codes;
  CHECK(ember::simd::encode_rows(x.data(), 24, 10, 24, codes));
  CHECK(ember::simd::encode_columns(x.data(), 24, 10, 24, codes));
  x(23, 9) = bad;  // the very last entry: no early exit can skip it
  CHECK_FALSE(ember::simd::encode_rows(x.data(), 24, 10, 24, codes));
  CHECK_FALSE(ember::simd::encode_columns(x.data(), 24, 10, 24, codes));
  x(23, 9) = T(-0.0);  // −0 == 0: a binary entry
  CHECK(ember::simd::encode_rows(x.data(), 24, 10, 24, codes));

  // A block of a taller batch (leading dimension > rows) whose rows below the block are not binary: the encoders
  // read only the block's rows, and give the codes of the same block stored compactly.
  const Index n = 21, depth = 9, ld = 40;
  Batch<T> tall = Batch<T>::Constant(ld, depth, bad);
  const Batch<T> block = binary_batch<T>(n, depth, 6);
  tall.topRows(n) = block;
  ember::simd::BinaryCodes expected, got;
  REQUIRE(ember::simd::encode_rows(block.data(), n, depth, n, expected));
  REQUIRE(ember::simd::encode_rows(tall.data(), n, depth, ld, got));
  CHECK(got.code == expected.code);
  REQUIRE(ember::simd::encode_columns(block.data(), n, depth, n, expected));
  REQUIRE(ember::simd::encode_columns(tall.data(), n, depth, ld, got));
  CHECK(got.code == expected.code);
}
