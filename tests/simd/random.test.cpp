// Tests include/ember/simd/random.hpp (ember::Philox: known answers, the vectorised draws against the scalar ones).
#include "ember/simd/random.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;

TEMPLATE_TEST_CASE("Philox normals pass a KS test against N(0, 1) in every column", "[random]", float, double) {
  ember::Philox rng(20261123);
  Batch<TestType> z(20000, 6);  // 6 columns: a full block of four plus a partial one
  rng.normal(z);
  for (Index j = 0; j < z.cols(); ++j) {
    std::vector<double> column(z.col(j).data(), z.col(j).data() + z.rows());
    INFO("column " << j);
    CHECK(ember::test::ks_statistic(column, ember::test::normal_cdf) < ember::test::ks_critical(column.size()));
  }
  // Coordinates of one chain are independent: correlation between paired columns is ~ N(0, 1/n).
  const double n = static_cast<double>(z.rows());
  for (Index j = 1; j < z.cols(); ++j)
    CHECK(std::abs(static_cast<double>(z.col(0).dot(z.col(j)))) / n < ember::test::z_bound / std::sqrt(n));
}

TEMPLATE_TEST_CASE("Philox uniforms lie in (0, 1) and pass a KS test", "[random]", float, double) {
  ember::Philox rng(7);
  Batch<TestType> u(20000, 3);
  rng.uniform(u);
  CHECK(u.minCoeff() > TestType(0));
  CHECK(u.maxCoeff() < TestType(1));
  for (Index j = 0; j < u.cols(); ++j) {
    std::vector<double> column(u.col(j).data(), u.col(j).data() + u.rows());
    CHECK(ember::test::ks_statistic(column, [](double x) { return std::clamp(x, 0.0, 1.0); }) <
          ember::test::ks_critical(column.size()));
  }
}

TEMPLATE_TEST_CASE("a chain's numbers do not depend on the batch it is drawn in", "[random]", float, double) {
  // Same seed and draw: the whole batch at once equals row blocks filled with their first chain index.
  const auto draw = ember::Philox(99).draw();
  Batch<TestType> whole(37, 5), parts(37, 5);
  draw.template normal<TestType>(whole, 0);
  draw.template normal<TestType>(parts.topRows(10), 0);
  draw.template normal<TestType>(parts.middleRows(10, 19), 10);
  draw.template normal<TestType>(parts.bottomRows(8), 29);
  CHECK(whole == parts);  // bit-identical
}

TEMPLATE_TEST_CASE("a coordinate's numbers do not depend on the column block it is drawn in", "[random]", float,
                   double) {
  // Same draw: the whole batch at once equals column blocks filled with their first coordinate, at starts inside a
  // block of four words (3, 5) and on one (8), normals (whose words are paired) and uniforms alike.
  const auto draw = ember::Philox(17).draw();
  Batch<TestType> whole(40, 13), parts(40, 13);
  draw.template normal<TestType>(whole, 0);
  draw.template normal<TestType>(parts.leftCols(3), 0, 0);
  draw.template normal<TestType>(parts.middleCols(3, 2), 0, 3);
  draw.template normal<TestType>(parts.middleCols(5, 3), 0, 5);
  draw.template normal<TestType>(parts.rightCols(5), 0, 8);
  CHECK(whole == parts);
  draw.template uniform<TestType>(whole, 7);
  draw.template uniform<TestType>(parts.leftCols(5), 7, 0);
  draw.template uniform<TestType>(parts.rightCols(8).topRows(21), 7, 5);
  draw.template uniform<TestType>(parts.rightCols(8).bottomRows(19), 28, 5);
  CHECK(whole == parts);
}

TEMPLATE_TEST_CASE("uniforms are exactly uniform_from_bits of the scalar Philox block, for every chain and word",
                   "[random]", float, double) {
  // 300 chains (16-chain SIMD groups and a remainder), 7 coordinates (a ragged last block of 4 words), chain
  // ids that wrap around 2³² within the batch, as the scalar counter's 32-bit chain word does, and a draw number
  // above 2³² (both 32-bit words of the draw in the counter are nonzero).
  const auto draw = ember::Philox(0x1234567890abcdefULL, (std::uint64_t{1} << 32) + 41).draw();
  const Index first_chain = (Index(1) << 32) - 150;
  Batch<TestType> u(300, 7);
  draw.template uniform<TestType>(u, first_chain);
  Index mismatches = 0;
  for (Index i = 0; i < u.rows(); ++i)
    for (Index k = 0; k < u.cols(); ++k) {
      const auto bits = draw.bits(static_cast<std::uint32_t>(first_chain + i), static_cast<std::uint32_t>(k / 4));
      mismatches += u(i, k) != ember::simd::uniform_from_bits<TestType>(bits[static_cast<std::size_t>(k % 4)]);
    }
  CHECK(mismatches == 0);
}

TEMPLATE_TEST_CASE("SIMD Box-Muller agrees with the scalar reference", "[random]", float, double) {
  const auto draw = ember::Philox(5).draw();
  Batch<TestType> z(33, 4);
  draw.template normal<TestType>(z, 0);
  for (Index i = 0; i < z.rows(); ++i) {
    const auto bits = draw.bits(static_cast<std::uint32_t>(i), 0);
    TestType z0, z1, z2, z3;
    using ember::simd::uniform_from_bits;
    ember::simd::box_muller_reference(uniform_from_bits<TestType>(bits[0]), uniform_from_bits<TestType>(bits[1]), z0, z1);
    ember::simd::box_muller_reference(uniform_from_bits<TestType>(bits[2]), uniform_from_bits<TestType>(bits[3]), z2, z3);
    const TestType tol = 64 * std::numeric_limits<TestType>::epsilon() * (1 + std::abs(z0) + std::abs(z1) + std::abs(z2) + std::abs(z3));
    CHECK(std::abs(z(i, 0) - z0) < tol);
    CHECK(std::abs(z(i, 1) - z1) < tol);
    CHECK(std::abs(z(i, 2) - z2) < tol);
    CHECK(std::abs(z(i, 3) - z3) < tol);
  }
}

TEST_CASE("the generator's state is its seed and position", "[random]") {
  ember::Philox a(123);
  Batch<double> first(8, 2), again(8, 2);
  a.normal(first);
  a.normal(again);
  CHECK(first != again);  // successive draws differ
  ember::Philox b(a.seed(), 0);
  b.normal(again);
  CHECK(first == again);  // (seed, position) reproduces the stream exactly
  CHECK(b.position() == 1);
  CHECK(ember::Philox(124).draw().bits(0, 0) != ember::Philox(123).draw().bits(0, 0));
}

TEMPLATE_TEST_CASE("uniform_from_bits maps the extreme words strictly inside (0, 1)", "[random]", float, double) {
  // The largest word is the case that rounds to exactly 1 if the mapping keeps too many bits for T.
  for (std::uint32_t bits : {0u, 1u, 0x1FFu, 0x200u, 0x7FFFFFFFu, 0xFFFFFE00u, 0xFFFFFF00u, 0xFFFFFFFFu}) {
    INFO("bits " << bits);
    const TestType u = ember::simd::uniform_from_bits<TestType>(bits);
    CHECK(u > TestType(0));
    CHECK(u < TestType(1));
  }
}
