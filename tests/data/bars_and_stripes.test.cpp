// Tests include/ember/data/bars_and_stripes.hpp.
#include "ember/data/bars_and_stripes.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "ember/simd/random.hpp"

using ember::Batch;
using ember::Index;

namespace {

// A row is bars-and-stripes iff all its image rows are equal or all its image columns are equal.
bool is_bars_and_stripes(const Batch<double>& images, Index i, Index n) {
  bool rows_constant = true, cols_constant = true;
  for (Index r = 0; r < n; ++r)
    for (Index c = 0; c < n; ++c) {
      const double x = images(i, r * n + c);
      if (x != 0.0 && x != 1.0) return false;
      rows_constant = rows_constant && x == images(i, r * n);   // every pixel equals its row's first
      cols_constant = cols_constant && x == images(i, c);       // every pixel equals its column's first
    }
  return rows_constant || cols_constant;
}

}  // namespace

TEST_CASE("bars_and_stripes_patterns: 2^(n+1) - 2 distinct valid images", "[bars_and_stripes]") {
  for (Index n : {1, 2, 3, 4, 5}) {
    INFO("n = " << n);
    const Batch<double> all = ember::bars_and_stripes_patterns<double>(n);
    const auto expected = (Index{1} << (n + 1)) - 2;
    REQUIRE(all.rows() == expected);
    REQUIRE(all.cols() == n * n);
    std::set<std::vector<double>> distinct;
    for (Index i = 0; i < all.rows(); ++i) {
      CHECK(is_bars_and_stripes(all, i, n));
      std::vector<double> row(static_cast<std::size_t>(n * n));
      for (Index k = 0; k < n * n; ++k) row[static_cast<std::size_t>(k)] = all(i, k);
      distinct.insert(row);
    }
    CHECK(static_cast<Index>(distinct.size()) == expected);
  }
  // Known answers for n = 2: [0 0; 0 0], [1 1; 0 0], [0 0; 1 1], [1 1; 1 1], then the bars [1 0; 1 0], [0 1; 0 1].
  Batch<float> two = ember::bars_and_stripes_patterns<float>(2);
  Batch<float> expected(6, 4);
  expected << 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1;
  CHECK(two == expected);
  CHECK(ember::bars_and_stripes_count(4) == 30);
}

TEST_CASE("sample_bars_and_stripes: uniform over the patterns (chi-squared), seeded and prefix-stable", "[bars_and_stripes]") {
  constexpr Index n = 4, count = 30000;
  ember::Philox rng(12);
  const Batch<double> sample = ember::sample_bars_and_stripes<double>(n, count, rng);
  const Batch<double> all = ember::bars_and_stripes_patterns<double>(n);
  std::map<std::vector<double>, double> counts;
  for (Index i = 0; i < all.rows(); ++i) counts[std::vector<double>(all.row(i).begin(), all.row(i).end())] = 0;
  for (Index i = 0; i < count; ++i) {
    const auto it = counts.find(std::vector<double>(sample.row(i).begin(), sample.row(i).end()));
    REQUIRE(it != counts.end());  // every sample is a valid pattern
    it->second += 1;
  }
  const double expected = static_cast<double>(count) / 30.0;
  double chi2 = 0;
  for (const auto& [pattern, c] : counts) chi2 += (c - expected) * (c - expected) / expected;
  // χ²₂₉ upper 10⁻³ quantile is 58.30.
  CHECK(chi2 < 58.30);
  ember::Philox again(12), other(13);
  const Batch<double> prefix = ember::sample_bars_and_stripes<double>(n, 100, again);
  CHECK(prefix == sample.topRows(100));
  CHECK(ember::sample_bars_and_stripes<double>(n, 100, other) != prefix);
}

TEST_CASE("bars and stripes: bad sizes are refused", "[bars_and_stripes][errors]") {
  using Catch::Matchers::Contains;
  ember::Philox rng(1);
  CHECK_THROWS_WITH(ember::bars_and_stripes_patterns<float>(0), Contains("ember::bars_and_stripes_patterns") && Contains("n = 0"));
  CHECK_THROWS_WITH(ember::bars_and_stripes_patterns<float>(15), Contains("n = 15"));
  CHECK_THROWS_WITH(ember::sample_bars_and_stripes<float>(4, 0, rng), Contains("count = 0"));
  CHECK_THROWS_WITH(ember::sample_bars_and_stripes<float>(31, 5, rng), Contains("n = 31"));
}
