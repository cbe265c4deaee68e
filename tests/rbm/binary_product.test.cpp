// Tests the table-lookup products with a binary factor (simd/binary_product.hpp), the SIMD layout changes
// (simd/transpose.hpp), and the RBM functions that use them for binary batches: every result against a
// double-precision product computed entry by entry, on shapes with ragged chunks, strips and blocks; the
// binary check (anything but 0 or 1, NaN included, sends a batch to the GEMM); and the RBM's block cache,
// which must never return a product for weights or data that have changed since.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <tuple>

#include "ember/core/random.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/mcmc/gibbs.hpp"
#include "ember/simd/binary_product.hpp"
#include "ember/simd/transpose.hpp"
#include "support/random_batch.hpp"
#include "support/random_rbm.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using ember_test::binary_batch;
using ember_test::normal_batch;

namespace {

// Relative error bound of a length-K float or double sum, with room for the different summation order.
template <class T>
double tolerance(Index depth) {
  return 4.0 * static_cast<double>(depth) * static_cast<double>(std::numeric_limits<T>::epsilon());
}

// max |a − b| / (1 + |b|) over all entries.
template <class A, class B>
double max_relative_error(const A& a, const B& b) {
  return ((a.template cast<double>() - b).array().abs() / (1.0 + b.array().abs())).maxCoeff();
}

}  // namespace

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

TEMPLATE_TEST_CASE("row_to_column_major and subtract_row_major: exact layout changes", "[rbm][binary_product]", float,
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

TEMPLATE_TEST_CASE("Rbm: binary batches (table lookup) agree with the dense formulas", "[rbm][binary_product]",
                   ember::BernoulliRbm<float>, ember::BernoulliRbm<double>, ember::GaussianBernoulliRbm<float>) {
  using R = TestType;
  using T = typename R::scalar_type;
  const Index visible = 140, hidden = 300, n = 40;  // several column blocks, ragged last ones
  const R rbm = ember_test::random_rbm<R>(visible, hidden, 21, 0.2);
  const Batch<T> v = binary_batch<T>(n, visible, 22);
  const Batch<T> h = binary_batch<T>(n, hidden, 23);
  const Eigen::MatrixXd w = rbm.weights().template cast<double>();
  const Eigen::VectorXd b = rbm.visible_bias().template cast<double>(), c = rbm.hidden_bias().template cast<double>();
  const Eigen::MatrixXd a_exact = (v.template cast<double>() * w).rowwise() + c.transpose();

  Batch<T> a(n, hidden);
  rbm.hidden_input(v, a);
  CHECK(max_relative_error(a, a_exact) <= tolerance<T>(visible));
  Batch<T> va(n, visible);
  rbm.visible_input(h, va);
  CHECK(max_relative_error(va, Eigen::MatrixXd((h.template cast<double>() * w.transpose()).rowwise() + b.transpose())) <=
        tolerance<T>(hidden));

  // F(v) and ∇θ Σ wᵢ F(vᵢ) against the formulas in double.
  const Eigen::ArrayXXd softplus = a_exact.array().max(0.0) + (-a_exact.array().abs()).exp().log1p();
  const Eigen::ArrayXXd sigma = 1.0 / (1.0 + (-a_exact.array()).exp());
  Eigen::VectorXd f_exact = -softplus.rowwise().sum().matrix();
  if constexpr (R::visible_units == ember::VisibleUnits::bernoulli) f_exact -= v.template cast<double>() * b;
  else f_exact += 0.5 * (v.template cast<double>().rowwise() - b.transpose()).rowwise().squaredNorm();
  Vector<T> f(n);
  rbm.energy(v, f);
  CHECK(max_relative_error(f, f_exact) <= 4 * tolerance<T>(hidden));

  const Vector<T> weight = Vector<T>::LinSpaced(n, T(-1), T(2));
  Vector<T> g = Vector<T>::Zero(rbm.num_params());
  rbm.accumulate_param_gradient(v, weight, g);
  const Eigen::ArrayXXd s = sigma.colwise() * weight.template cast<double>().array();
  const Eigen::MatrixXd gw_exact = -(v.template cast<double>().transpose() * s.matrix());
  const Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>> gw(g.data(), visible, hidden);
  CHECK(max_relative_error(gw, gw_exact) <= tolerance<T>(n) + 1e-5);
  CHECK(max_relative_error(g.tail(hidden), Eigen::VectorXd(-s.colwise().sum().transpose().matrix())) <=
        tolerance<T>(n) + 1e-5);

  // The fused hook equals energy() + accumulate_param_gradient(), bit for bit.
  Vector<T> f_fused(n), g_fused = Vector<T>::Zero(rbm.num_params());
  rbm.energy_and_accumulate_param_gradient(v, f_fused, T(0), T(0), g_fused);  // w = 0: gradient unchanged
  CHECK(f_fused == f);
  CHECK(g_fused.isZero(0));
}

TEST_CASE("Rbm: a product remembered for the block cache never outlives a change of W, c or the batch",
          "[rbm][binary_product]") {
  using R = ember::BernoulliRbm<float>;
  const Index visible = 50, hidden = 260, n = 32;
  R rbm = ember_test::random_rbm<R>(visible, hidden, 31, 0.3);
  const Batch<float> v = binary_batch<float>(n, visible, 32);
  const auto exact = [&](const Batch<float>& x) {
    return Eigen::MatrixXd((x.cast<double>() * rbm.weights().cast<double>()).rowwise() +
                           rbm.hidden_bias().cast<double>().transpose());
  };
  Batch<float> a(n, hidden);
  rbm.hidden_input(v, a);
  CHECK(max_relative_error(a, exact(v)) <= tolerance<float>(visible));
  rbm.hidden_input(v, a);  // the same W and v: served from the cache, still right
  CHECK(max_relative_error(a, exact(v)) <= tolerance<float>(visible));

  // One weight in the last (ragged) column block, then one hidden bias, then one entry of the batch.
  rbm.weights()(visible - 1, hidden - 1) += 5.0f;
  rbm.hidden_input(v, a);
  CHECK(max_relative_error(a, exact(v)) <= tolerance<float>(visible));
  rbm.hidden_bias()(0) -= 3.0f;
  rbm.hidden_input(v, a);
  CHECK(max_relative_error(a, exact(v)) <= tolerance<float>(visible));
  Batch<float> v2 = v;
  v2(n - 1, visible - 1) = 1.0f - v2(n - 1, visible - 1);
  rbm.hidden_input(v2, a);
  CHECK(max_relative_error(a, exact(v2)) <= tolerance<float>(visible));

  // Another RBM of another shape on the same thread: its own products.
  const R other = ember_test::random_rbm<R>(hidden, visible, 33, 0.3);
  const Batch<float> u = binary_batch<float>(n, hidden, 34);
  Batch<float> b(n, visible);
  other.hidden_input(u, b);
  CHECK(max_relative_error(b, Eigen::MatrixXd((u.cast<double>() * other.weights().cast<double>()).rowwise() +
                                              other.hidden_bias().cast<double>().transpose())) <= tolerance<float>(hidden));
  rbm.hidden_input(v2, a);
  CHECK(max_relative_error(a, exact(v2)) <= tolerance<float>(visible));
}

TEST_CASE("Rbm::hold_parameters: W is validated once per hold, for the held RBM only, and again after the hold",
          "[rbm][binary_product]") {
  using R = ember::BernoulliRbm<float>;
  const Index visible = 40, hidden = 150, n = 24;
  R rbm = ember_test::random_rbm<R>(visible, hidden, 41, 0.3);
  const R other = ember_test::random_rbm<R>(visible, hidden, 42, 0.3);  // same shape: the same cache entries
  const Batch<float> v = binary_batch<float>(n, visible, 43), v2 = binary_batch<float>(n, visible, 44);
  const auto exact = [](const R& r, const Batch<float>& x) {
    return Eigen::MatrixXd((x.cast<double>() * r.weights().cast<double>()).rowwise() +
                           r.hidden_bias().cast<double>().transpose());
  };
  Batch<float> a(n, hidden);
  {
    const auto hold = ember::hold_parameters(rbm);
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
    other.hidden_input(v2, a);  // not held: validated, and its W replaces rbm's in the shared cache entries
    CHECK(max_relative_error(a, exact(other, v2)) <= tolerance<float>(visible));
    rbm.hidden_input(v2, a);  // held, but the entries now hold other's W: validated again
    CHECK(max_relative_error(a, exact(rbm, v2)) <= tolerance<float>(visible));

    // Breaking the promise shows that the hold does skip the validation: a new batch is multiplied by the W
    // seen at the hold's first use.
    const Eigen::MatrixXd before = exact(rbm, v);
    rbm.weights()(0, 0) += 100.0f;
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, before) <= tolerance<float>(visible));
  }
  rbm.hidden_input(v, a);  // the hold has ended: the change is seen
  CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
  {
    const auto outer = ember::hold_parameters(other);
    {
      const auto inner = ember::hold_parameters(rbm);
      rbm.hidden_input(v2, a);  // validated under the inner hold
      CHECK(max_relative_error(a, exact(rbm, v2)) <= tolerance<float>(visible));
    }
    rbm.weights()(1, 1) -= 50.0f;  // rbm is no longer held once the inner hold has ended
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
  }
  {
    // Holds ending out of order leave no hold: here the outer one ends first, and a change of W made while the
    // inner one still lives (a broken promise, to make the state visible) is seen.
    using Hold = decltype(rbm.hold_parameters());
    auto outer = std::unique_ptr<Hold>(new auto(rbm.hold_parameters()));
    auto inner = std::unique_ptr<Hold>(new auto(rbm.hold_parameters()));
    rbm.hidden_input(v2, a);
    outer.reset();
    rbm.weights()(2, 2) += 7.0f;
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
    inner.reset();  // must not bring back the ended outer hold
    rbm.hidden_input(v2, a);
    rbm.weights()(3, 3) -= 4.0f;
    rbm.hidden_input(v, a);
    CHECK(max_relative_error(a, exact(rbm, v)) <= tolerance<float>(visible));
  }
}

TEST_CASE("Rbm: non-binary batches and short ones take the GEMM, with the same results as before",
          "[rbm][binary_product]") {
  using R = ember::BernoulliRbm<float>;
  const Index visible = 30, hidden = 20;
  const R rbm = ember_test::random_rbm<R>(visible, hidden, 41, 0.3);
  for (const Index n : {Index(5), Index(40)}) {
    Batch<float> v = binary_batch<float>(n, visible, 42);
    v(0, 0) = 0.25f;  // a probability, not a sample
    Batch<float> a(n, hidden);
    rbm.hidden_input(v, a);
    const Batch<float> gemm = (v * rbm.weights()).rowwise() + rbm.hidden_bias().transpose();
    CHECK(max_relative_error(a, gemm.cast<double>()) <= 1e-6);
  }
}
