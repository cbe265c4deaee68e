#include "ember/train/minibatch.hpp"

#include <catch2/catch.hpp>

#include "ember/simd/random.hpp"
#include "support/statistics.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

using ember::Batch;

TEST_CASE("draw_minibatch draws rows uniformly and reproducibly", "[minibatch]") {
  const Batch<double> data = ember::Vector<double>::LinSpaced(10, 0.0, 9.0).replicate(1, 2);
  ember::Philox a(1), b(1);
  Batch<double> x(20000, 2), y(20000, 2);
  ember::draw_minibatch<double>(data, x, a);
  ember::draw_minibatch<double>(data, y, b);
  CHECK(x == y);
  CHECK(x.col(0) == x.col(1));  // whole rows are copied
  // Uniform over 0..9: mean 4.5, variance 8.25.
  CHECK(std::abs(x.col(0).mean() - 4.5) < ember::test::z_bound * std::sqrt(8.25 / 20000));
  Batch<double> wrong(4, 3);
  CHECK_THROWS_WITH(ember::draw_minibatch<double>(data, wrong, a), Catch::Matchers::Contains("out"));
}

TEMPLATE_TEST_CASE("EpochMinibatches: every row exactly once per epoch, reshuffled, reproducible from (seed, b)",
                   "[minibatch][epochs]", float, double) {
  using T = TestType;
  const ember::Index n = 23, width = 5;  // B does not divide N: minibatches span epoch boundaries
  const Batch<T> data = ember::Vector<T>::LinSpaced(n, T(0), T(n - 1)).replicate(1, 2);
  ember::EpochMinibatches<T> epochs(n, 11);
  std::vector<int> stream;
  Batch<T> batch(width, 2);
  for (ember::Index b = 0; b < 4 * n; ++b) {  // 4·N·B rows = 4·B = 20 whole epochs
    epochs.fill(data, batch, b);
    CHECK(batch.col(0) == batch.col(1));  // whole rows
    for (ember::Index i = 0; i < width; ++i) stream.push_back(static_cast<int>(batch(i, 0)));
  }
  std::vector<std::vector<int>> orders;
  for (std::size_t e = 0; e < 20; ++e) {
    std::vector<int> epoch(stream.begin() + static_cast<std::ptrdiff_t>(e * n),
                           stream.begin() + static_cast<std::ptrdiff_t>((e + 1) * n));
    orders.push_back(epoch);
    std::sort(epoch.begin(), epoch.end());
    std::vector<int> all(n);
    std::iota(all.begin(), all.end(), 0);
    INFO("epoch " << e);
    CHECK(epoch == all);  // each row once: no repeats, none missing
  }
  CHECK(orders[0] != orders[1]);  // a new order each epoch (equal with probability 1/23!)
  // Random access: minibatch b does not depend on which were filled before (resume), nor on the object.
  ember::EpochMinibatches<T> other(n, 11);
  Batch<T> again(width, 2);
  other.fill(data, again, 37);
  epochs.fill(data, batch, 37);
  CHECK(again == batch);
  ember::EpochMinibatches<T> reseeded(n, 12);
  CHECK(reseeded.order(0) != other.order(0));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(epochs.fill(data, batch, -1), Contains("ember::EpochMinibatches::fill") && Contains("batch = -1"));
  CHECK_THROWS_WITH(ember::EpochMinibatches<T>(0, 1), Contains("ember::EpochMinibatches") && Contains("rows = 0"));
}

TEST_CASE("EpochMinibatches: the first position of each row is uniform over the epoch (a fair shuffle)",
          "[minibatch][epochs]") {
  // Over E epochs, row 0 sits at each of the N positions E/N times on average: a χ² test with N − 1 dof.
  const ember::Index n = 8, epochs_count = 8000;
  ember::EpochMinibatches<double> epochs(n, 3);
  std::vector<double> counts(n, 0.0);
  for (ember::Index e = 0; e < epochs_count; ++e) {
    const auto& order = epochs.order(e);
    for (ember::Index p = 0; p < n; ++p)
      if (order[static_cast<std::size_t>(p)] == 0) counts[static_cast<std::size_t>(p)] += 1;
  }
  const double expected = static_cast<double>(epochs_count) / n;
  double chi2 = 0;
  for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < 24.3);  // χ²(7) upper 0.1 % point
}
