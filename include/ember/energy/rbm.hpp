#pragma once
/// @file
/// @brief Restricted Boltzmann machines as energies over their visible units: the free energy F(v).
///
/// Bernoulli–Bernoulli: F(v) = −bᵀv − Σⱼ softplus(cⱼ + Wⱼᵀv), v ∈ {0, 1}ᵈ.
/// Gaussian–Bernoulli (unit variance): F(v) = ½‖v − b‖² − Σⱼ softplus(cⱼ + Wⱼᵀv), v ∈ ℝᵈ.
/// Both come from the joint energy E(v, h) = −bᵀv − cᵀh − vᵀWh (Bernoulli visible) or
/// ½‖v − b‖² − cᵀh − vᵀWh (Gaussian visible) with h ∈ {0, 1}ʰ summed out, so F is an ordinary
/// ember::ParametricEnergy: every estimator applies, and block Gibbs (mcmc/gibbs.hpp) is its natural kernel.
///
/// Parameter layout (flat and contiguous): θ = [W | b | c] where W is the d × h weight matrix stored
/// column-major, so column j is hidden unit j's weight vector Wⱼ (d entries), followed by the d visible
/// biases b and the h hidden biases c. With the N × d batch layout of core/batch.hpp the hidden inputs
/// are the plain GEMM A = V W + 1cᵀ (N × h), the visible inputs H Wᵀ + 1bᵀ, and the weight gradient is
/// Vᵀ S (d × h): every product runs on contiguous memory and writes straight into θ's W block.
///
/// Threads: every product is cut into blocks of `column_block` output columns (hidden units, or visible
/// units for H Wᵀ); the cut depends on the shape only, and `set_workers(n)` merely spreads the blocks over a
/// ember::ThreadPool, each block to the same worker from call to call (parallel_for_owned); every result is
/// bit-identical for any worker count. Training (CD/PCD through ember::Contrastive) uses
/// `energy_and_accumulate_param_gradient`: one V W product feeds both F(V) and ∇θF.
///
/// Binary batches: when the left factor of V W, H Wᵀ or Vᵀ S is binary (data, sampled visible or hidden
/// states) and has at least 16 rows, the product is computed by table lookup (simd/binary_product.hpp: sums of
/// the same terms, about 2.5× faster than the GEMM for an MNIST-sized RBM); any other batch gets the GEMM. The
/// check is exact and per call, so both paths are used by the same functions alike and results never depend
/// on threads; they differ from a GEMM's by rounding only. Memory: a thread that evaluates an RBM on binary
/// batches keeps one copy of W in its workspace (W as last seen, row-major: d·h scalars; see
/// detail::RbmBlockCache in energy/detail/rbm_workspace.hpp) plus the last N × h product.
///
/// @code
/// auto rbm = ember::BernoulliRbm<float>::random(16, 8, rng);   // 16 visible, 8 hidden, W ~ N(0, 0.01²)
/// rbm.energy(v, f);                                             // f(i) = F(v_i)
/// @endcode

#include <xsimd/xsimd.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/size_limit.hpp"
#include "ember/energy/detail/rbm_workspace.hpp"
#include "ember/simd/activations.hpp"
#include "ember/simd/binary_product.hpp"
#include "ember/simd/transpose.hpp"

namespace ember {


/// @brief A restricted Boltzmann machine with d visible and h hidden units, seen as its free energy F(v).
///
/// Models ember::ParametricEnergy (and ember::RbmEnergy). Evaluation functions are const and thread-safe.
/// @tparam T       float or double
/// @tparam Visible the kind of visible units (VisibleUnits::bernoulli or VisibleUnits::gaussian)
template <Scalar T, VisibleUnits Visible = VisibleUnits::bernoulli>
class Rbm {
 public:
  using scalar_type = T;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  static constexpr VisibleUnits visible_units = Visible;
  /// Output columns per block of every product (the unit of work a thread takes; fixed, see the file comment).
  static constexpr Index column_block = 128;
  /// What hidden_input and visible_input run on each block of their result by default: nothing.
  struct NoEpilogue {
    void operator()(Index, Index) const {}
  };

  /// @brief All parameters zero. @pre n_visible ≥ 1, n_hidden ≥ 1, d h + d + h parameters within
  /// ember::max_allocation_bytes.
  Rbm(Index n_visible, Index n_hidden) : d_(n_visible), h_(n_hidden) {
    detail::require_at_least_one(n_visible, "ember::Rbm", "n_visible");
    detail::require_at_least_one(n_hidden, "ember::Rbm", "n_hidden");
    // d h + d + h in checked arithmetic and within the memory budget, before anything is allocated.
    const Index weights = detail::checked_allocation<T>(d_, h_, "ember::Rbm", "n_hidden", n_hidden, "the weights");
    const Index biases = detail::checked_sum(d_, h_, "ember::Rbm", "n_hidden", n_hidden, "the biases");
    const Index size = detail::checked_sum(weights, biases, "ember::Rbm", "n_hidden", n_hidden, "the parameters");
    detail::require_allocation_within<T>(size, "ember::Rbm", "n_hidden", n_hidden, "the parameters");
    params_ = Vector<T>::Zero(size);
  }

  /// @brief Weights W ~ N(0, weight_std²) from one draw of `rng`, biases zero (Hinton's practical guide).
  /// @pre weight_std ≥ 0 and finite.
  template <class G>
  static Rbm random(Index n_visible, Index n_hidden, G& rng, T weight_std = T(0.01)) {
    static_assert(Generator<G>, "ember::Rbm::random: the generator must model ember::Generator (for example ember::Philox).");
    detail::require_non_negative(weight_std, "ember::Rbm::random", "weight_std");
    Rbm rbm(n_visible, n_hidden);
    Batch<T> w(n_visible, n_hidden);
    rng.draw().template normal<T>(w, 0);
    rbm.weights() = weight_std * w;
    return rbm;
  }

  [[nodiscard]] Index dim() const { return d_; }
  [[nodiscard]] Index n_visible() const { return d_; }
  [[nodiscard]] Index n_hidden() const { return h_; }
  [[nodiscard]] Index num_params() const { return params_.size(); }
  Vector<T>& params() { return params_; }
  const Vector<T>& params() const { return params_; }

  /// @brief Threads for the products from the next call on (1: serial). Results do not depend on it.
  /// Copies of the RBM share the pool. @pre workers ≥ 1.
  void set_workers(int workers) {
    detail::require_at_least_one(workers, "ember::Rbm::set_workers", "workers");
    pool_ = workers > 1 ? std::make_shared<ThreadPool>(workers) : nullptr;
  }
  [[nodiscard]] int workers() const { return pool_ ? pool_->workers() : 1; }
  /// @brief The pool of set_workers (null: serial). Each column block has an owner in it (parallel_for_owned);
  /// the estimators zero the gradient, and ember::train passes the pool to the optimizer's step, by the same
  /// owners, so that every worker keeps its part of W, ∇W and the update in its own cache.
  [[nodiscard]] ThreadPool* pool() const { return pool_.get(); }

  /// @brief ember::hold_parameters: while the guard lives, the caller promises that the parameters do not change,
  /// and W's transposed copy in the calling thread's cache is validated on its first use only (else on every
  /// call: a full pass over W). The estimators take one per estimate. Holds nest; one thread's hold does not
  /// affect other threads' calls (their caches are their own), nor other RBMs'.
  [[nodiscard]] detail::RbmParameterHold<T> hold_parameters() const {
    return detail::RbmParameterHold<T>(params_.data());
  }

  /// W, d × h (column j = hidden unit j's weights), a view into params().
  Eigen::Map<Matrix> weights() { return Eigen::Map<Matrix>(params_.data(), d_, h_); }
  Eigen::Map<const Matrix> weights() const { return Eigen::Map<const Matrix>(params_.data(), d_, h_); }
  /// b, the d visible biases (a view into params()).
  auto visible_bias() { return params_.segment(d_ * h_, d_); }
  auto visible_bias() const { return params_.segment(d_ * h_, d_); }
  /// c, the h hidden biases (a view into params()).
  auto hidden_bias() { return params_.segment(d_ * h_ + d_, h_); }
  auto hidden_bias() const { return params_.segment(d_ * h_ + d_, h_); }

  /// @brief a = V W + 1cᵀ: the N × h hidden inputs (logits of p(h = 1 | v)). `then(first, count)` runs on columns
  /// [first, first + count) of a as soon as they are computed, by the same worker (block Gibbs draws there).
  template <class Then = NoEpilogue>
  void hidden_input(BatchView<T> v, BatchRef<T> a, Then&& then = {}) const {
    constexpr const char* fn = "ember::Rbm::hidden_input";
    check(v, v.rows(), fn);
    detail::require_shape(a, v.rows(), h_, fn, "a");
    auto* binary = binary_rows_for_hidden(v, detail::rbm_workspace<T>());
    for_column_blocks(h_, [&](Index first, Index count) {
      hidden_input_block(v, binary, a, first, count);
      then(first, count);
    });
  }

  /// @brief p(h = 1 | v) = σ(V W + 1cᵀ), N × h.
  void hidden_probabilities(BatchView<T> v, BatchRef<T> p) const {
    constexpr const char* fn = "ember::Rbm::hidden_probabilities";
    check(v, v.rows(), fn);
    detail::require_shape(p, v.rows(), h_, fn, "p");
    auto* binary = binary_rows_for_hidden(v, detail::rbm_workspace<T>());
    for_column_blocks(h_, [&](Index first, Index count) {
      hidden_input_block(v, binary, p, first, count);
      sigmoid_columns(p, first, count);
    });
  }

  /// @brief H Wᵀ + 1bᵀ: the N × d visible inputs (logits for Bernoulli visible units, means for Gaussian);
  /// `then` as for hidden_input.
  template <class Then = NoEpilogue>
  void visible_input(BatchView<T> h, BatchRef<T> a, Then&& then = {}) const {
    constexpr const char* fn = "ember::Rbm::visible_input";
    detail::require(h.rows() > 0, fn, "h", detail::shape_of(h.rows(), h.cols()), "the batch is empty");
    detail::require_shape(h, h.rows(), h_, fn, "h");
    detail::require_shape(a, h.rows(), d_, fn, "a");
    const simd::BinaryCodes* codes = binary_rows(h, detail::rbm_workspace<T>().rows);
    for_column_blocks(d_, [&](Index first, Index count) {
      auto block = a.middleCols(first, count);
      if (codes) {
        // Row j of Wᵀ, restricted to the block's visible units, is W(first.., j): contiguous, stride d.
        auto& bw = detail::rbm_block_workspace<T>();
        bw.result.resize(static_cast<std::size_t>(h.rows() * count));
        simd::binary_product(*codes, weights().data() + first, d_, count, bw.result.data(), count, bw.lut);
        simd::row_to_column_major(bw.result.data(), count, h.rows(), count, a.data() + first * a.outerStride(),
                                  a.outerStride(), visible_bias().data() + first);
      } else {
        block.noalias() = h * weights().middleRows(first, count).transpose();
        block.rowwise() += visible_bias().segment(first, count).transpose();
      }
      then(first, count);
    });
  }

  /// @brief E[v | h]: σ(H Wᵀ + 1bᵀ) for Bernoulli visible units, H Wᵀ + 1bᵀ for Gaussian ones (N × d).
  void visible_mean(BatchView<T> h, BatchRef<T> m) const {
    visible_input(h, m);
    if constexpr (Visible == VisibleUnits::bernoulli)
      for (Index k = 0; k < d_; ++k) detail::sigmoid_inplace(m.col(k).data(), static_cast<std::size_t>(m.rows()));
  }

  /// @brief e(i) = E(vᵢ, hᵢ), the joint energy of visible and hidden states (row i of v and of h).
  void joint_energy(BatchView<T> v, BatchView<T> h, VectorRef<T> e) const {
    constexpr const char* fn = "ember::Rbm::joint_energy";
    check(v, e.size(), fn);
    detail::require_shape(h, v.rows(), h_, fn, "h");
    const Batch<T> vw = v * weights();
    e = -(vw.cwiseProduct(h).rowwise().sum()) - h * hidden_bias();
    if constexpr (Visible == VisibleUnits::bernoulli) {
      e.noalias() -= v * visible_bias();
    } else {
      e += T(0.5) * (v.rowwise() - visible_bias().transpose()).rowwise().squaredNorm();
    }
  }

  /// @brief e(i) = F(vᵢ).
  void energy(BatchView<T> x, VectorRef<T> e) const {
    check(x, e.size(), "ember::Rbm::energy");
    auto& ws = detail::rbm_workspace<T>();
    ws.input.resize(x.rows(), h_);
    auto* binary = binary_rows_for_hidden(x, ws);
    for_column_blocks(h_, [&](Index first, Index count) {
      hidden_input_block(x, binary, ws.input, first, count);
      softplus_columns(ws.input, first, count);
    });
    free_energy_from_softplus(x, ws.input, e);
  }

  /// @brief Also g(i, :) = ∇ᵥF(vᵢ) = −b − W σ(aᵢ) (Bernoulli) or vᵢ − b − W σ(aᵢ) (Gaussian).
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    constexpr const char* fn = "ember::Rbm::energy_and_gradient";
    check(x, e.size(), fn);
    detail::require_shape(g, x.rows(), d_, fn, "g");
    auto& ws = detail::rbm_workspace<T>();
    hidden_softplus_and_sigmoid(x, ws);
    free_energy_from_softplus(x, ws.input, e);
    for_column_blocks(d_, [&](Index first, Index count) {
      auto block = g.middleCols(first, count);
      if constexpr (Visible == VisibleUnits::bernoulli) {
        block.rowwise() = -visible_bias().segment(first, count).transpose();
      } else {
        block = x.middleCols(first, count).rowwise() - visible_bias().segment(first, count).transpose();
      }
      block.noalias() -= ws.other * weights().middleRows(first, count).transpose();
    });
  }

  /// @brief g += ∇θ Σᵢ wᵢ F(vᵢ): W part −Vᵀ diag(w) S, b part −Vᵀw (Bernoulli) or −(V − 1bᵀ)ᵀw
  /// (Gaussian), c part −Sᵀw, with S = σ(V W + 1cᵀ).
  void accumulate_param_gradient(BatchView<T> x, VectorView<T> w, VectorRef<T> g) const {
    constexpr const char* fn = "ember::Rbm::accumulate_param_gradient";
    check(x, w.size(), fn);
    detail::require_shape(g, num_params(), 1, fn, "g");
    auto& ws = detail::rbm_workspace<T>();
    ws.other.resize(x.rows(), h_);
    auto* binary = binary_rows_for_hidden(x, ws);
    const simd::BinaryCodes* columns = binary ? binary_columns(x, ws.columns) : nullptr;
    for_column_blocks(h_, [&](Index first, Index count) {
      hidden_input_block(x, binary, ws.other, first, count);
      sigmoid_columns(ws.other, first, count);
      weighted_gradient_block(x, columns, w, ws.other, g, first, count);
    });
    visible_bias_gradient(x, w, g);
  }

  /// @brief The fused training hook (ember::FusedParametricEnergy): e(i) = F(vᵢ) and g += ∇θ Σᵢ wᵢ F(vᵢ)
  /// with wᵢ = a + b·e(i), from one product A = V W + 1cᵀ shared by F and ∇θF (the separate
  /// energy + accumulate_param_gradient calls make it twice). Same arithmetic as those calls, in the same
  /// order: the results agree bit for bit.
  void energy_and_accumulate_param_gradient(BatchView<T> x, VectorRef<T> e, T a, T b, VectorRef<T> g) const {
    constexpr const char* fn = "ember::Rbm::energy_and_accumulate_param_gradient";
    check(x, e.size(), fn);
    detail::require_shape(g, num_params(), 1, fn, "g");
    auto& ws = detail::rbm_workspace<T>();
    const simd::BinaryCodes* columns = hidden_softplus_and_sigmoid(x, ws) ? binary_columns(x, ws.columns) : nullptr;
    free_energy_from_softplus(x, ws.input, e);
    ws.weighted.resize(x.rows());
    ws.weighted = (a + b * e.array()).matrix();
    const VectorView<T> w(ws.weighted);
    for_column_blocks(h_, [&](Index first, Index count) {
      weighted_gradient_block(x, columns, w, ws.other, g, first, count);
    });
    visible_bias_gradient(x, w, g);
  }

  /// @brief g += ∇θ Σᵢ ⟨∇ᵥF(vᵢ), uᵢ⟩. With S = σ(A), S' = S ∘ (1 − S), R = U W and Q = R ∘ S':
  /// W part −(Uᵀ S + Vᵀ Q), b part −Uᵀ1, c part −Qᵀ1 (the same for both kinds of visible units).
  void accumulate_mixed_gradient(BatchView<T> x, BatchView<T> u, VectorRef<T> g) const {
    constexpr const char* fn = "ember::Rbm::accumulate_mixed_gradient";
    check(x, x.rows(), fn);
    detail::require_shape(u, x.rows(), d_, fn, "u");
    detail::require_shape(g, num_params(), 1, fn, "g");
    auto& ws = detail::rbm_workspace<T>();
    ws.input.resize(x.rows(), h_);
    ws.input.noalias() = x * weights();
    ws.input.rowwise() += hidden_bias().transpose();
    detail::sigmoid_inplace(ws.input.data(), static_cast<std::size_t>(ws.input.size()));
    ws.other.resize(x.rows(), h_);
    ws.other.noalias() = u * weights();
    ws.other.array() *= ws.input.array() * (T(1) - ws.input.array());
    Eigen::Map<Matrix> gw(g.data(), d_, h_);
    gw.noalias() -= u.transpose() * ws.input;
    gw.noalias() -= x.transpose() * ws.other;
    g.segment(d_ * h_, d_) -= u.colwise().sum().transpose();
    g.segment(d_ * h_ + d_, h_) -= ws.other.colwise().sum().transpose();
  }

  /// @brief Adds the sparsity regulariser's gradient for the data batch v into g (Hinton 2010, §11).
  ///
  /// With q̂ⱼ = (1/N) Σᵢ σ(aᵢⱼ) the batch's mean activation of hidden unit j, target ρ and strength λ,
  /// the penalty λ Σⱼ CE(ρ ‖ q̂ⱼ) is given the gradient dⱼ = λ (q̂ⱼ − ρ) with respect to unit j's total
  /// input, applied to its bias and its incoming weights:
  /// g_c(j) += dⱼ and g_W(k, j) += dⱼ · v̄ₖ, with v̄ = (1/N) Σᵢ vᵢ. Descending g pushes q̂ toward ρ.
  /// ember::WithSparsity (divergence/with_sparsity.hpp) adds it to any estimator's gradient.
  /// @pre 0 < target < 1, strength ≥ 0.
  void accumulate_sparsity_gradient(BatchView<T> v, T target, T strength, VectorRef<T> g) const {
    constexpr const char* fn = "ember::Rbm::accumulate_sparsity_gradient";
    check(v, v.rows(), fn);
    detail::require(std::isfinite(target) && target > T(0) && target < T(1), fn, "target", target,
                    "must lie in (0, 1)");
    detail::require_non_negative(strength, fn, "strength");
    detail::require_shape(g, num_params(), 1, fn, "g");
    auto& ws = detail::rbm_workspace<T>();
    ws.input.resize(v.rows(), h_);
    ws.input.noalias() = v * weights();
    ws.input.rowwise() += hidden_bias().transpose();
    detail::sigmoid_inplace(ws.input.data(), static_cast<std::size_t>(ws.input.size()));
    const T inv_n = T(1) / static_cast<T>(v.rows());
    const Vector<T> d = strength * ((inv_n * ws.input.colwise().sum().transpose()).array() - target).matrix();
    const Vector<T> v_mean = inv_n * v.colwise().sum().transpose();
    Eigen::Map<Matrix> gw(g.data(), d_, h_);
    gw.noalias() += v_mean * d.transpose();
    g.segment(d_ * h_ + d_, h_) += d;
  }

 private:
  // task(first, count) for every block of `column_block` columns out of `columns`, on the pool if there is
  // one, each block by its owner. The blocks depend on `columns` only, never on the worker count
  // (bit-identical results).
  template <class Task>
  void for_column_blocks(Index columns, Task&& task) const {
    const Index blocks = (columns + column_block - 1) / column_block;
    parallel_for_owned(pool_.get(), blocks, [&](Index block) {
      const Index first = block * column_block;
      task(first, std::min(column_block, columns - first));
    });
  }
  // The codes of x's rows when x is binary and tall enough for a table-lookup product, else null (GEMM).
  static const simd::BinaryCodes* binary_rows(BatchView<T> x, simd::BinaryCodes& codes) {
    if (x.rows() < detail::binary_product_min_rows) return nullptr;
    return simd::encode_rows(x.data(), x.rows(), x.cols(), x.outerStride(), codes) ? &codes : nullptr;
  }
  // For X W: the calling thread's workspace, holding X's row codes and ready block caches, when X is binary
  // and tall enough for table lookup (its blocks are then read by whichever thread runs them); else null.
  detail::RbmWorkspace<T>* binary_rows_for_hidden(BatchView<T> x, detail::RbmWorkspace<T>& ws) const {
    if (!binary_rows(x, ws.rows)) return nullptr;
    ws.blocks.resize(static_cast<std::size_t>((h_ + column_block - 1) / column_block));
    return &ws;
  }
  // The codes of x's columns (for Xᵀ S, whose result has x.cols() rows), under the same conditions.
  static const simd::BinaryCodes* binary_columns(BatchView<T> x, simd::BinaryCodes& codes) {
    if (x.rows() < detail::binary_product_min_rows || x.cols() < detail::binary_product_min_rows) return nullptr;
    return simd::encode_columns(x.data(), x.rows(), x.cols(), x.outerStride(), codes) ? &codes : nullptr;
  }
  // Columns [first, first + count) of A = X W + 1cᵀ; by table lookup when `binary` (binary_rows_for_hidden) is given.
  template <class Out>
  void hidden_input_block(BatchView<T> x, detail::RbmWorkspace<T>* binary, Out& a, Index first, Index count) const {
    auto block = a.middleCols(first, count);
    if (binary) {
      simd::row_to_column_major(cached_hidden_product(*binary, first, count), count, x.rows(), count,
                                a.data() + first * a.outerStride(), a.outerStride(), hidden_bias().data() + first);
    } else {
      block.noalias() = x * weights().middleCols(first, count);
      block.rowwise() += hidden_bias().segment(first, count).transpose();
    }
  }
  template <class M>
  static void sigmoid_columns(M& m, Index first, Index count) {
    detail::for_column_runs(m.rows(), m.outerStride(), first, count, [&](Index j, Index n) {
      detail::sigmoid_inplace(m.col(j).data(), static_cast<std::size_t>(n));
    });
  }
  template <class M>
  static void softplus_columns(M& m, Index first, Index count) {
    detail::for_column_runs(m.rows(), m.outerStride(), first, count, [&](Index j, Index n) {
      detail::softplus_inplace(m.col(j).data(), static_cast<std::size_t>(n));
    });
  }
  // X W(:, first..first+count), row-major, for the binary X whose codes are in the calling thread's `ws.rows`;
  // from the block's cache when neither W's block nor X changed since it was computed (detail::RbmBlockCache).
  const T* cached_hidden_product(detail::RbmWorkspace<T>& ws, Index first, Index count) const {
    const simd::BinaryCodes& codes = ws.rows;
    auto& cache = ws.blocks[static_cast<std::size_t>(first / column_block)];
    const T* w = weights().col(first).data();
    // W's block, column- to row-major; compared with the copy on the way, bit for bit, and rewritten where it
    // differs. Under a hold of this RBM (hold_parameters) once per hold.
    const bool held = ws.hold != 0 && ws.held == static_cast<const void*>(params_.data());
    if (!(cache.has_weights && cache.d == d_ && cache.count == count)) {
      cache.has_weights = cache.has_product = false;  // until `rows` is whole (resize may throw)
      cache.rows.resize(static_cast<std::size_t>(d_ * count));
      simd::row_to_column_major(w, d_, count, d_, cache.rows.data(), count);
      cache.d = d_;
      cache.count = count;
      cache.has_weights = true;
    } else if (!(held && cache.validated_in == ws.hold && cache.source == w) &&
               simd::refresh_column_major(w, d_, count, d_, cache.rows.data(), count)) {
      cache.has_product = false;
    }
    cache.source = w;
    cache.validated_in = held ? ws.hold : 0;
    if (!(cache.has_product && cache.rows_of_x == codes.rows && cache.chunks == codes.chunks &&
          std::equal(codes.code.begin(), codes.code.end(), cache.codes.begin(), cache.codes.end()))) {
      cache.product.resize(static_cast<std::size_t>(codes.rows * count));
      simd::binary_product(codes, cache.rows.data(), count, count, cache.product.data(), count,
                           detail::rbm_block_workspace<T>().lut);
      cache.codes = codes.code;
      cache.rows_of_x = codes.rows;
      cache.chunks = codes.chunks;
      cache.has_product = true;
    }
    return cache.product.data();
  }
  // ws.input = softplus(A), ws.other = σ(A) for A = X W + 1cᵀ (N × h). True if X W went by table lookup.
  bool hidden_softplus_and_sigmoid(BatchView<T> x, detail::RbmWorkspace<T>& ws) const {
    ws.input.resize(x.rows(), h_);
    ws.other.resize(x.rows(), h_);
    auto* binary = binary_rows_for_hidden(x, ws);
    for_column_blocks(h_, [&](Index first, Index count) {
      hidden_input_block(x, binary, ws.other, first, count);
      ws.input.middleCols(first, count) = ws.other.middleCols(first, count);
      sigmoid_columns(ws.other, first, count);
      softplus_columns(ws.input, first, count);
    });
    return binary != nullptr;
  }
  // e = visible term − Σⱼ softplus(aⱼ), the row sums in one fixed order.
  void free_energy_from_softplus(BatchView<T> x, const Batch<T>& softplus, VectorRef<T> e) const {
    visible_term(x, e);
    e.noalias() -= softplus.rowwise().sum();
  }
  // Hidden units [first, first + count): S ← S ∘ w (per point), g_W −= Xᵀ S, g_c −= Sᵀ1; Xᵀ S by table
  // lookup when `columns` (X's column codes) is given.
  void weighted_gradient_block(BatchView<T> x, const simd::BinaryCodes* columns, VectorView<T> w, Batch<T>& s,
                               VectorRef<T> g, Index first, Index count) const {
    auto block = s.middleCols(first, count);
    for (Index j = 0; j < count; ++j) block.col(j).array() *= w.array();
    Eigen::Map<Matrix> gw(g.data(), d_, h_);
    if (columns) {
      auto& bw = detail::rbm_block_workspace<T>();
      const Index n = x.rows();
      bw.dense.resize(static_cast<std::size_t>(n * count));  // S's block, row-major: the rows the tables sum
      simd::row_to_column_major(s.data() + first * n, n, count, n, bw.dense.data(), count);  // column- to row-major
      bw.result.resize(static_cast<std::size_t>(d_ * count));
      simd::binary_product(*columns, bw.dense.data(), count, count, bw.result.data(), count, bw.lut);
      simd::subtract_row_major(bw.result.data(), count, d_, count, g.data() + first * d_, d_);
    } else {
      gw.middleCols(first, count).noalias() -= x.transpose() * block;
    }
    g.segment(d_ * h_ + d_ + first, count).noalias() -= block.colwise().sum().transpose();
  }
  // g_b −= Xᵀw (Bernoulli) or −(X − 1bᵀ)ᵀw (Gaussian).
  void visible_bias_gradient(BatchView<T> x, VectorView<T> w, VectorRef<T> g) const {
    g.segment(d_ * h_, d_).noalias() -= x.transpose() * w;
    if constexpr (Visible == VisibleUnits::gaussian) g.segment(d_ * h_, d_) += w.sum() * visible_bias();
  }
  // e = −V b (Bernoulli) or ½‖V − 1bᵀ‖² row by row (Gaussian).
  void visible_term(BatchView<T> x, VectorRef<T> e) const {
    if constexpr (Visible == VisibleUnits::bernoulli) {
      e.noalias() = -(x * visible_bias());
    } else {
      e = T(0.5) * (x.rowwise() - visible_bias().transpose()).rowwise().squaredNorm();
    }
  }
  void check(BatchView<T> x, Index n, const char* fn) const {
    detail::require(x.rows() > 0, fn, "x", detail::shape_of(x.rows(), x.cols()), "the batch is empty");
    detail::require_shape(x, x.rows(), d_, fn, "x");
    detail::require(n == x.rows(), fn, "the per-point vector's size", n,
                    "must equal the number of points ", x.rows());
  }

  Index d_;
  Index h_;
  Vector<T> params_;
  std::shared_ptr<ThreadPool> pool_;  // null: serial
};

/// Bernoulli–Bernoulli RBM: F(v) = −bᵀv − Σⱼ softplus(cⱼ + Wⱼᵀv).
template <Scalar T>
using BernoulliRbm = Rbm<T, VisibleUnits::bernoulli>;

/// Gaussian–Bernoulli RBM with unit-variance visible units: F(v) = ½‖v − b‖² − Σⱼ softplus(cⱼ + Wⱼᵀv).
template <Scalar T>
using GaussianBernoulliRbm = Rbm<T, VisibleUnits::gaussian>;


}  // namespace ember
