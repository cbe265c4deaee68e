#pragma once
/// @file
/// @brief ember::MlpEnergy: a dense MLP energy d → h₁ → … → h_k → 1 with hand-written gradients,
/// including the mixed second-derivative product by forward-over-reverse (Pearlmutter's R-operator).
///
/// Forward, in the batch layout (N × d, one row per point): H₀ = X,
///     Z_l = H_{l−1} W_lᵀ + 1 b_lᵀ,  H_l = σ(Z_l)   (N × h_l, l = 1..k),
///     E = H_k w + b (+ ‖x‖²/(2s²) when settings.base_scale = s > 0).
/// The output layer is treated as layer k + 1 with width 1, W_{k+1} = wᵀ (1 × h_k), b_{k+1} = b and no
/// activation, so `weight(k + 1)`, `bias(k + 1)` view w and b.
///
/// **Parameter layout** (fixed: the CUDA backend and fused SIMD kernels rely on it): for l = 1..k+1 in
/// order, W_l (h_l × h_{l−1}, column-major, h_{k+1} = 1) then b_l (h_l). That is, for each hidden layer its
/// weights then its biases, then the output weights w (h_k entries) and the output bias (1 entry).
///
/// Initialisation as PyTorch's default nn.Linear: every W_l and b_l entry ~ U(−1/√h_{l−1}, 1/√h_{l−1}); the
/// weights (not the biases) are then multiplied by settings.init_gain. The uniforms come from one draw of
/// ember::Philox(seed), one per parameter in layout order, so a float and a double network built from the
/// same seed agree to float rounding.
///
/// Gradients (all hand-written; weights ω for the parameter gradient, directions V for the mixed one):
/// - ∇ₓ: G_{k} = 1 wᵀ, Δ_l = G_l ⊙ σ′(Z_l), G_{l−1} = Δ_l W_l, ∇ₓE = G₀ (+ X/s²);
/// - ∇θ Σ ωᵢEᵢ: the same with G_k = ω wᵀ, and ∂W_l = Δ_lᵀ H_{l−1}, ∂b_l = Δ_lᵀ 1, ∂w = H_kᵀ ω, ∂b = Σω;
/// - ∇θ Σ ⟨∇ₓEᵢ, vᵢ⟩ = d/dε ∇θ Σ E(xᵢ + ε vᵢ): tangents Ḣ₀ = V, Ż_l = Ḣ_{l−1} W_lᵀ, Ḣ_l = σ′(Z_l) ⊙ Ż_l, so the
///   objective is F = 1ᵀ Ḣ_k w; then its reverse pass: Ḡ_k = 1 wᵀ, G_k = 0,
///   Δ̇_l = Ḡ_l ⊙ σ′(Z_l), Δ_l = G_l ⊙ σ′(Z_l) + Ḡ_l ⊙ σ″(Z_l) ⊙ Ż_l,
///   ∂W_l = Δ̇_lᵀ Ḣ_{l−1} + Δ_lᵀ H_{l−1}, ∂b_l = Δ_lᵀ 1, Ḡ_{l−1} = Δ̇_l W_l, G_{l−1} = Δ_l W_l, ∂w = Ḣ_kᵀ 1, ∂b = 0.
///   The base term ‖x‖²/(2s²) has no parameters, so it adds nothing here.
///
/// `energy` and `energy_and_gradient` (the samplers' hot path) run the fused, register-blocked SIMD kernels
/// of ember/simd/dense.hpp (bias, activation and σ′ fused into the products; no allocation after the first
/// call); a chain's result depends only on its own row. The parameter gradients use Eigen GEMMs into
/// column blocks of a thread-local workspace that only grows (`.noalias()`), over the batch in passes of
/// pass_rows() rows, sized so that Eigen packs every operand on the stack: a training loop's parameter
/// gradients allocate nothing once a batch size has been seen, however large the batch (layers up to 512 floats
/// or 256 doubles wide).
///
/// @code
/// ember::MlpEnergy<float> energy({2, 64, 64}, /*seed=*/7, {.base_scale = 4.0f});
/// energy.energy_and_gradient(x, e, g);
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/size_limit.hpp"
#include "ember/simd/activations.hpp"
#include "ember/simd/dense.hpp"
#include "ember/simd/random.hpp"

namespace ember {
namespace detail {

/// @brief N × cols column-major blocks carved, in order, out of one thread-local buffer per scalar type that
/// only grows: the MLP's parameter passes reuse it from call to call instead of allocating their N × Σh
/// blocks (fresh blocks of that size came from the OS, page by page, on every call). Each block starts on
/// a 64-byte boundary, as a freshly allocated Eigen matrix does, so Eigen's reductions over it split their
/// work as they would over such a matrix (the same bits). Not re-entrant on a thread: one carving at a time.
template <class T>
class MlpWorkspace {
 public:
  static constexpr Index align = 64 / static_cast<Index>(sizeof(T));  // entries per 64 bytes
  using Block = Eigen::Map<Batch<T>, Eigen::Aligned64>;

  /// Blocks of `rows` rows and cols[0], cols[1], … columns; room for `copies` such sets (of at most `rows` rows).
  template <std::size_t Count>
  MlpWorkspace(Index rows, const Index (&cols)[Count], Index copies = 1) : rows_(rows) {
    Index total = 0;
    for (std::size_t i = 0; i < Count; ++i) total += padded(rows * cols[i]);
    reserve(total * copies);
  }
  /// The next block (rows × cols), uninitialised.
  Block take(Index cols) { return take(rows_, cols); }
  Block take(Index rows, Index cols) {
    T* first = next_;
    next_ += padded(rows * cols);
    return Block(first, rows, cols);
  }

 private:
  static Index padded(Index size) { return (size + align - 1) / align * align; }
  void reserve(Index total) {
    auto& buffer = storage();
    if (static_cast<Index>(buffer.size()) < total) buffer.resize(static_cast<std::size_t>(total));
    next_ = buffer.data();
  }
  static std::vector<T, Eigen::aligned_allocator<T>>& storage() {
    static_assert(EIGEN_MAX_ALIGN_BYTES <= 64, "ember::detail::MlpWorkspace: blocks are aligned to 64 bytes only.");
    thread_local std::vector<T, Eigen::aligned_allocator<T>> buffer;
    return buffer;
  }
  Index rows_;
  T* next_ = nullptr;
};

}  // namespace detail

/// Settings of an MLP energy (aggregate; designated initialisers welcome).
template <Scalar T>
struct MlpSettings {
  T base_scale = T(0);  ///< s ≥ 0: s > 0 adds the quadratic base ‖x‖²/(2s²) (a normalisable tail); 0 = off
  T init_gain = T(1);   ///< g ≥ 0: multiplies the initial weights (PyTorch's default bound 1/√fan_in)
};

/// @brief Dense MLP energy with a compile-time activation (ember::Silu, Softplus, Tanh, SmoothLeaky).
template <Scalar T, class Activation = Silu>
class MlpEnergy {
 public:
  using scalar_type = T;
  using activation_type = Activation;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// @brief A network with widths {d, h₁, …, h_k} (k ≥ 0 hidden layers) and a scalar output.
  /// The output unit comes on top of the last width: {2, 128, 128} is 2 → 128 → 128 → 1. A trailing width of 1
  /// adds a one-unit activation layer under the output through which every gradient passes; with SiLU the energy
  /// goes flat for good once that unit's input is negative everywhere (docs/results/robustness.md, session 22).
  /// @pre every width ≥ 1, at least one entry (d); settings.base_scale ≥ 0, settings.init_gain ≥ 0, finite; the
  /// parameters fit in ember::max_allocation_bytes (core/size_limit.hpp).
  MlpEnergy(std::vector<Index> widths, std::uint64_t seed, MlpSettings<T> settings = {})
      : widths_(std::move(widths)), settings_(settings) {
    constexpr const char* fn = "ember::MlpEnergy::MlpEnergy";
    detail::require_at_least_one(widths_.size(), fn, "widths.size()", " (the input dimension, then the hidden widths)");
    for (std::size_t l = 0; l < widths_.size(); ++l)
      detail::require_at_least_one(widths_[l], fn, "widths[" + std::to_string(l) + "]");
    detail::require_non_negative(settings.base_scale, fn, "settings.base_scale", " (0 = no base term)");
    detail::require_non_negative(settings.init_gain, fn, "settings.init_gain");
    layers_ = static_cast<Index>(widths_.size());  // hidden layers + the output layer
    offsets_.resize(static_cast<std::size_t>(layers_) + 1);
    // The parameter count Σ h_l h_{l−1} + h_l, in checked arithmetic: a huge width must fail here, naming it,
    // not overflow or reach the allocator.
    Index size = 0;
    for (Index l = 1; l <= layers_; ++l) {
      offsets_[static_cast<std::size_t>(l - 1)] = size;
      const Index named = l < layers_ ? l : l - 1;  // the output layer's size follows from the last width
      const std::string argument = "widths[" + std::to_string(named) + "]";
      const Index value = widths_[static_cast<std::size_t>(named)];
      const Index weights = detail::checked_product(width(l), width(l - 1), fn, argument, value, "the weights");
      size = detail::checked_sum(size, detail::checked_sum(weights, width(l), fn, argument, value, "the parameters"),
                                 fn, argument, value, "the parameters");
      detail::require_allocation_within<T>(size, fn, argument, value, "the parameters");
    }
    offsets_.back() = size;
    hidden_total_ = std::accumulate(widths_.begin() + 1, widths_.end(), Index{0});
    max_width_ = *std::max_element(widths_.begin(), widths_.end());
    params_.resize(size);
    Batch<T> uniform(size, 1);
    Philox rng(seed);
    rng.draw().template uniform<T>(uniform, 0);
    for (Index l = 1; l <= layers_; ++l) {
      const T bound = T(1) / std::sqrt(static_cast<T>(width(l - 1)));
      const Index w_begin = offsets_[static_cast<std::size_t>(l - 1)];
      const Index w_size = width(l) * width(l - 1);
      params_.segment(w_begin, w_size) =
          (settings.init_gain * bound) * (T(2) * uniform.col(0).segment(w_begin, w_size).array() - T(1));
      params_.segment(w_begin + w_size, width(l)) =
          bound * (T(2) * uniform.col(0).segment(w_begin + w_size, width(l)).array() - T(1));
    }
  }

  [[nodiscard]] Index dim() const { return widths_.front(); }
  /// {d, h₁, …, h_k} as given.
  [[nodiscard]] const std::vector<Index>& widths() const { return widths_; }
  /// k, the number of hidden layers (weight(l)/bias(l) take l = 1..k+1, k + 1 being the output layer).
  [[nodiscard]] Index num_hidden_layers() const { return layers_ - 1; }
  [[nodiscard]] Index num_params() const { return offsets_.back(); }
  [[nodiscard]] const MlpSettings<T>& settings() const { return settings_; }
  Vector<T>& params() { return params_; }
  const Vector<T>& params() const { return params_; }

  /// @brief W_l (h_l × h_{l−1}) as a view into params(); l = 1..k+1 (k + 1: the output row wᵀ).
  [[nodiscard]] Eigen::Map<Matrix> weight(Index l) {
    check_layer(l, "ember::MlpEnergy::weight");
    return Eigen::Map<Matrix>(params_.data() + weight_offset(l), width(l), width(l - 1));
  }
  [[nodiscard]] Eigen::Map<const Matrix> weight(Index l) const {
    check_layer(l, "ember::MlpEnergy::weight");
    return Eigen::Map<const Matrix>(params_.data() + weight_offset(l), width(l), width(l - 1));
  }
  /// @brief b_l (h_l) as a view into params(); l = 1..k+1 (k + 1: the output bias, one entry).
  [[nodiscard]] Eigen::Map<Vector<T>> bias(Index l) {
    check_layer(l, "ember::MlpEnergy::bias");
    return Eigen::Map<Vector<T>>(params_.data() + bias_offset(l), width(l));
  }
  [[nodiscard]] Eigen::Map<const Vector<T>> bias(Index l) const {
    check_layer(l, "ember::MlpEnergy::bias");
    return Eigen::Map<const Vector<T>>(params_.data() + bias_offset(l), width(l));
  }

  /// @brief e(i) = E(xᵢ). @pre x is N × d (N ≥ 1, finite), e has length N.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    check(x, e.size(), "ember::MlpEnergy::energy");
    if (layers_ > 1) {
      simd::mlp_energy<Activation>(view(), x.data(), x.outerStride(), x.rows(), e.data());
    } else {
      output(x, e);
    }
    add_base_energy(x, e);
  }

  /// @brief Also g(i, :) = ∇ₓE(xᵢ). @pre g is N × d.
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    constexpr const char* fn = "ember::MlpEnergy::energy_and_gradient";
    check(x, e.size(), fn);
    if (g.rows() != x.rows() || g.cols() != dim()) detail::require_shape(g, x.rows(), dim(), fn, "g");
    if (layers_ > 1) {
      simd::mlp_energy_and_gradient<Activation>(view(), x.data(), x.outerStride(), x.rows(), e.data(), g.data(),
                                                g.outerStride());
    } else {
      output(x, e);
      g.rowwise() = weight(1).row(0);
    }
    add_base_energy(x, e);
    if (settings_.base_scale > T(0)) {  // g += x/s², entry by entry (the same rounding for every row)
      const T inverse_variance = inverse_base_variance();
      for (Index j = 0; j < x.cols(); ++j)
        for (Index i = 0; i < x.rows(); ++i) g(i, j) = fused_multiply_add(inverse_variance, x(i, j), g(i, j));
    }
  }

  /// @brief g += ∇θ Σᵢ wᵢ E(xᵢ). @pre w has length N, g has length num_params().
  /// The rows are taken in passes of at most pass_rows() rows, each pass's sums added to g in row order.
  void accumulate_param_gradient(BatchView<T> x, VectorView<T> w, VectorRef<T> g) const {
    constexpr const char* fn = "ember::MlpEnergy::accumulate_param_gradient";
    check(x, w.size(), fn);
    detail::require_shape(g, num_params(), 1, fn, "g");
    const RowPasses passes(x.rows(), pass_rows());
    for (Index p = 0; p < passes.count; ++p) {
      const Index begin = passes.begin(p), rows = passes.rows(p);
      if (layers_ == 1) {  // E = xᵀw + b: ∂w = Σ ωᵢ xᵢ, ∂b = Σ ωᵢ
        weight_gradient(g, 1).noalias() += w.segment(begin, rows).transpose() * x.middleRows(begin, rows);
        bias_gradient(g, 1)(0) += w.segment(begin, rows).sum();
        continue;
      }
      detail::MlpWorkspace<T> work(rows, {hidden_total_, hidden_total_, max_width_});
      ParamPass pass = take_pass(x, w, begin, rows, work);
      backward_deltas(pass);
      add_output_and_bias_gradients(pass, g);
      Index column = 0;
      for (Index l = 1; l < layers_; ++l) {
        add_weight_gradient(l, column, 0, width(l - 1), pass, g);
        column += width(l);
      }
    }
  }

  /// @brief g += ∇θ Σᵢ w⁺ᵢ E(x⁺ᵢ), then g += ∇θ Σⱼ w⁻ⱼ E(x⁻ⱼ), on `pool`'s threads (serially when null): the
  /// same bits as the two `accumulate_param_gradient` calls in that order, for any worker count. The forward
  /// and backward pass of each row pass (of either side) runs as one task with the GEMM shapes of the serial
  /// call; then every entry of g receives its contributions in the serial order, column blocks of a weight
  /// split between tasks only where Eigen's blocking of the product cannot change with the split (column_parts).
  /// @pre x⁺ is N × d, w⁺ of length N; x⁻ is M × d, w⁻ of length M; g has length num_params().
  void accumulate_param_gradients(BatchView<T> positives, VectorView<T> positive_weights, BatchView<T> negatives,
                                  VectorView<T> negative_weights, VectorRef<T> g, ThreadPool* pool) const {
    if (pool == nullptr || pool->workers() < 2 || layers_ < 2) {
      accumulate_param_gradient(positives, positive_weights, g);
      accumulate_param_gradient(negatives, negative_weights, g);
      return;
    }
    constexpr const char* fn = "ember::MlpEnergy::accumulate_param_gradients";
    check(positives, positive_weights.size(), fn);
    check(negatives, negative_weights.size(), fn);
    detail::require_shape(g, num_params(), 1, fn, "g");
    const RowPasses positive_passes(positives.rows(), pass_rows()), negative_passes(negatives.rows(), pass_rows());
    const Index count = positive_passes.count + negative_passes.count;
    // Every pass's blocks as the serial call carves them (same sizes, 64-byte aligned: the same bits).
    detail::MlpWorkspace<T> work(std::max(positive_passes.max_rows(), negative_passes.max_rows()),
                                 {hidden_total_, hidden_total_, max_width_}, count);
    std::vector<ParamPass>& passes = pass_list();  // thread-local; only grows, so no allocation after a first call
    passes.clear();
    for (Index p = 0; p < positive_passes.count; ++p)
      passes.push_back(take_pass(positives, positive_weights, positive_passes.begin(p), positive_passes.rows(p), work));
    for (Index p = 0; p < negative_passes.count; ++p)
      passes.push_back(take_pass(negatives, negative_weights, negative_passes.begin(p), negative_passes.rows(p), work));
    pool->parallel_for(count, [&](Index p) { backward_deltas(passes[static_cast<std::size_t>(p)]); });
    // Tasks over the parameter blocks: task 0 the output layer and every bias, then the column parts of each W_l.
    const Index k = layers_ - 1, depth = std::min(positive_passes.min_rows(), negative_passes.min_rows());
    Index tasks = 1;
    for (Index l = 1; l <= k; ++l) tasks += column_parts(depth, width(l), width(l - 1));
    pool->parallel_for(tasks, [&](Index task) {
      if (task == 0) {
        for (const ParamPass& pass : passes) add_output_and_bias_gradients(pass, g);
        return;
      }
      Index l = 1, part = task - 1, column = 0;  // task − 1 counts the column parts, layer by layer
      for (; part >= column_parts(depth, width(l), width(l - 1)); ++l) {
        part -= column_parts(depth, width(l), width(l - 1));
        column += width(l);
      }
      const Index parts = column_parts(depth, width(l), width(l - 1));
      const Index begin = column_split(width(l - 1), parts, part);
      const Index columns = column_split(width(l - 1), parts, part + 1) - begin;
      for (const ParamPass& pass : passes) add_weight_gradient(l, column, begin, columns, pass, g);
    });
  }

  /// @brief g += ∇θ Σᵢ ⟨∇ₓE(xᵢ), vᵢ⟩ (forward-over-reverse; see the file notes). @pre v is N × d.
  /// The rows are taken in passes of at most pass_rows() rows, as in accumulate_param_gradient.
  void accumulate_mixed_gradient(BatchView<T> x, BatchView<T> v, VectorRef<T> g) const {
    constexpr const char* fn = "ember::MlpEnergy::accumulate_mixed_gradient";
    check(x, x.rows(), fn);
    detail::require_shape(v, x.rows(), dim(), fn, "v");
    detail::require_shape(g, num_params(), 1, fn, "g");
    const RowPasses passes(x.rows(), pass_rows());
    for (Index p = 0; p < passes.count; ++p)
      add_mixed_gradient(x.middleRows(passes.begin(p), passes.rows(p)), v.middleRows(passes.begin(p), passes.rows(p)),
                         g);
  }

  /// @brief The most rows one parameter pass takes. Eigen's GEMM packs its operands on the stack up to 128 KB
  /// and into a fresh heap block above that, which glibc returns to the OS and faults in again on every call
  /// (docs/scaling.md); passes of at most this many rows keep each packed operand (rows × the widest layer)
  /// under that limit, so the parameter gradients allocate nothing at any batch size where no layer is wider
  /// than 2 KB of scalars (512 floats, 256 doubles); a pass takes at least 64 rows, so the products of wider
  /// layers stay efficient and allocate as before. The passes' sums are added in row order, so a batch of more
  /// rows than this rounds differently from one product over all rows.
  [[nodiscard]] Index pass_rows() const {
    const Index widest = (max_width_ + 15) / 16 * 16;
    return std::max<Index>(64, packing_limit_entries / widest / 16 * 16);
  }

 private:
  // One pass of accumulate_mixed_gradient (the checks done).
  void add_mixed_gradient(BatchView<T> x, BatchView<T> v, VectorRef<T> g) const {
    const Index n = x.rows();
    const Index k = layers_ - 1;
    if (k == 0) {  // E = xᵀw + b: ⟨∇ₓE, v⟩ = vᵀw, so ∂w = Σ vᵢ
      weight_gradient(g, 1).noalias() += v.colwise().sum();
      return;
    }
    detail::MlpWorkspace<T> work(n, {hidden_total_, hidden_total_, hidden_total_, hidden_total_, max_width_,
                                     max_width_, max_width_});
    auto h = work.take(hidden_total_);      // H_l
    auto d1 = work.take(hidden_total_);     // σ′(Z_l), then Δ̇_l in place
    auto s = work.take(hidden_total_);      // σ″(Z_l), then σ″ ⊙ Ż_l, then Δ_l in place
    auto h_dot = work.take(hidden_total_);  // Ḣ_l
    auto scratch = work.take(max_width_);
    auto g_bar = work.take(max_width_);     // Ḡ_l (the x-gradient's backward pass)
    auto g_primal = work.take(max_width_);  // G_l
    forward_store(x, h, d1, &s);
    // Tangents: Ż_l = Ḣ_{l−1} W_lᵀ (into a scratch block), Ḣ_l = σ′ ⊙ Ż_l, s_l ← σ″ ⊙ Ż_l.
    Index column = 0;
    for (Index l = 1; l <= k; ++l) {
      auto z_dot = scratch.leftCols(width(l));
      if (l == 1) {
        multiply_in_column_blocks(v, weight(1).transpose(), z_dot);
      } else {
        multiply_in_column_blocks(h_dot.middleCols(column - width(l - 1), width(l - 1)), weight(l).transpose(), z_dot);
      }
      h_dot.middleCols(column, width(l)).array() = d1.middleCols(column, width(l)).array() * z_dot.array();
      s.middleCols(column, width(l)).array() *= z_dot.array();
      column += width(l);
    }
    // Output layer: F = 1ᵀ Ḣ_k w, so ∂w = Ḣ_kᵀ 1 and ∂b = 0.
    weight_gradient(g, layers_).noalias() += h_dot.middleCols(column - width(k), width(k)).colwise().sum();
    for (Index l = k; l >= 1; --l) {
      column -= width(l);
      auto delta_dot = d1.middleCols(column, width(l));
      auto delta = s.middleCols(column, width(l));
      if (l == k) {  // Ḡ_k = 1 wᵀ, G_k = 0
        delta.array().rowwise() *= weight(layers_).row(0).array();
        delta_dot.array().rowwise() *= weight(layers_).row(0).array();
      } else {
        delta.array() = delta.array() * g_bar.leftCols(width(l)).array() +
                        delta_dot.array() * g_primal.leftCols(width(l)).array();
        delta_dot.array() *= g_bar.leftCols(width(l)).array();
      }
      if (l == 1) {
        weight_gradient(g, 1).noalias() += delta_dot.transpose() * v;
        weight_gradient(g, 1).noalias() += delta.transpose() * x;
      } else {
        const Index previous = column - width(l - 1);
        weight_gradient(g, l).noalias() += delta_dot.transpose() * h_dot.middleCols(previous, width(l - 1));
        weight_gradient(g, l).noalias() += delta.transpose() * h.middleCols(previous, width(l - 1));
        multiply_in_column_blocks(delta_dot, weight(l), g_bar.leftCols(width(l - 1)));
        multiply_in_column_blocks(delta, weight(l), g_primal.leftCols(width(l - 1)));
      }
      bias_gradient(g, l).noalias() += delta.colwise().sum().transpose();
    }
  }

  // Width of layer l: h₀ = d, h_l for hidden layers, 1 for the output layer l = layers_.
  [[nodiscard]] Index width(Index l) const { return l < layers_ ? widths_[static_cast<std::size_t>(l)] : 1; }
  [[nodiscard]] Index weight_offset(Index l) const { return offsets_[static_cast<std::size_t>(l - 1)]; }
  [[nodiscard]] Index bias_offset(Index l) const { return weight_offset(l) + width(l) * width(l - 1); }
  [[nodiscard]] simd::MlpView<T> view() const {
    return {params_.data(), widths_.data(), static_cast<Index>(widths_.size())};
  }
  [[nodiscard]] T inverse_base_variance() const { return T(1) / (settings_.base_scale * settings_.base_scale); }

  Eigen::Map<Matrix> weight_gradient(VectorRef<T> g, Index l) const {
    return Eigen::Map<Matrix>(g.data() + weight_offset(l), width(l), width(l - 1));
  }
  Eigen::Map<Vector<T>> bias_gradient(VectorRef<T> g, Index l) const {
    return Eigen::Map<Vector<T>>(g.data() + bias_offset(l), width(l));
  }

  // Eigen's GEMM packs an operand on the stack up to this many entries (EIGEN_STACK_ALLOCATION_LIMIT's default,
  // 128 KB), on the heap above.
  static constexpr Index packing_limit_entries = Index{131072} / static_cast<Index>(sizeof(T));

  // N rows split into `count` passes of at most `most` rows, as even as integer division makes them (sizes differ
  // by one at most, so the shortest is not a short remainder: column_parts needs a depth of 20).
  struct RowPasses {
    RowPasses(Index rows_in_all, Index most) : total(rows_in_all), count((rows_in_all + most - 1) / most) {}
    [[nodiscard]] Index begin(Index p) const { return p * total / count; }
    [[nodiscard]] Index rows(Index p) const { return begin(p + 1) - begin(p); }
    [[nodiscard]] Index max_rows() const { return (total + count - 1) / count; }
    [[nodiscard]] Index min_rows() const { return total / count; }
    Index total, count;
  };

  // One row pass of a parameter gradient: the points, their weights and its workspace blocks.
  using Block = typename detail::MlpWorkspace<T>::Block;
  struct ParamPass {
    BatchView<T> x;
    VectorView<T> w;
    Block h;     // H_l
    Block d1;    // σ′(Z_l), then Δ_l
    Block back;  // G_{l−1} = Δ_l W_l
  };
  ParamPass take_pass(BatchView<T> x, VectorView<T> w, Index begin, Index rows, detail::MlpWorkspace<T>& work) const {
    return {x.middleRows(begin, rows), w.segment(begin, rows), work.take(rows, hidden_total_),
            work.take(rows, hidden_total_), work.take(rows, max_width_)};
  }
  // The passes of one accumulate_param_gradients call, per thread: the vector only grows.
  static std::vector<ParamPass>& pass_list() {
    thread_local std::vector<ParamPass> passes;
    return passes;
  }
  // The forward pass and every Δ_l of a pass, without touching g.
  void backward_deltas(ParamPass& pass) const {
    forward_store(pass.x, pass.h, pass.d1, nullptr);
    const Index k = layers_ - 1;
    Index column = hidden_total_;
    for (Index l = k; l >= 1; --l) {
      column -= width(l);
      auto delta = pass.d1.middleCols(column, width(l));
      if (l == k) {
        delta.array().colwise() *= pass.w.array();
        delta.array().rowwise() *= weight(layers_).row(0).array();
      } else {
        delta.array() *= pass.back.leftCols(width(l)).array();
      }
      if (l > 1) multiply_in_column_blocks(delta, weight(l), pass.back.leftCols(width(l - 1)));
    }
  }
  // g's output layer (∂w = H_kᵀ ω, ∂b = Σω) and every bias (∂b_l = Δ_lᵀ 1) from one pass.
  void add_output_and_bias_gradients(const ParamPass& pass, VectorRef<T> g) const {
    const Index k = layers_ - 1;
    weight_gradient(g, layers_).noalias() += pass.w.transpose() * pass.h.middleCols(hidden_total_ - width(k), width(k));
    bias_gradient(g, layers_)(0) += pass.w.sum();
    Index column = 0;
    for (Index l = 1; l <= k; ++l) {
      bias_gradient(g, l).noalias() += pass.d1.middleCols(column, width(l)).colwise().sum().transpose();
      column += width(l);
    }
  }
  // Columns [begin, begin + count) of ∂W_l += Δ_lᵀ H_{l−1} (Δ_l at `column` of d1) from one pass.
  void add_weight_gradient(Index l, Index column, Index begin, Index count, const ParamPass& pass,
                           VectorRef<T> g) const {
    const auto delta = pass.d1.middleCols(column, width(l));
    if (l == 1) {
      weight_gradient(g, 1).middleCols(begin, count).noalias() += delta.transpose() * pass.x.middleCols(begin, count);
    } else {
      weight_gradient(g, l).middleCols(begin, count).noalias() +=
          delta.transpose() * pass.h.middleCols(column - width(l - 1) + begin, count);
    }
  }
  // dst = lhs · rhs, in column blocks narrow enough that Eigen packs rhs (depth × columns) on the stack: a layer
  // wider than 128 KB / depth would otherwise allocate. Splitting columns at multiples of 8 changes no bit (see
  // column_parts).
  template <class Lhs, class Rhs, class Dst>
  static void multiply_in_column_blocks(const Lhs& lhs, const Rhs& rhs, Dst&& dst) {
    const Index depth = (rhs.rows() + 15) / 16 * 16;
    const Index step = std::max<Index>(8, packing_limit_entries / depth / 8 * 8);
    for (Index c = 0; c < rhs.cols(); c += step) {
      const Index count = std::min(step, rhs.cols() - c);
      dst.middleCols(c, count).noalias() = lhs * rhs.middleCols(c, count);
    }
  }
  // How many column blocks ∂W_l = Δ_lᵀ H_{l−1} (depth = the batch) is split into. Each entry of an Eigen GEMM is
  // computed the same way for any column split at multiples of 8: its depth blocking depends on the depth
  // alone, its row blocks are multiples of the register tile, and columns are independent; a block of
  // one column or row would be a GEMV and a tiny product (rows + depth + columns < 20) a lazy one, hence the bounds.
  static Index column_parts(Index depth, Index rows, Index cols) {
    return rows >= 2 && cols >= 16 && depth >= 20 ? 2 : 1;
  }
  static Index column_split(Index cols, Index parts, Index part) {
    return part >= parts ? cols : part * (cols / parts) / 8 * 8;
  }
  // z = input W_lᵀ + 1 b_lᵀ.
  template <class Input, class Output>
  void affine(const Input& input, Index l, Output& z) const {
    multiply_in_column_blocks(input, weight(l).transpose(), z);
    z.rowwise() += bias(l).transpose();
  }
  // e = H_k w + b.
  template <class Input>
  void output(const Input& hk, VectorRef<T> e) const {
    e.noalias() = hk * weight(layers_).row(0).transpose();
    e.array() += bias(layers_)(0);
  }
  // e(i) += ‖xᵢ‖²/(2s²), row by row with explicit fused multiply-adds: Eigen's vectorised
  // rowwise().squaredNorm() rounds its aligned body and its unaligned head differently (the compiler
  // contracts one, not the other), which made a chain's energy depend on its row in the batch.
  void add_base_energy(BatchView<T> x, VectorRef<T> e) const {
    if (settings_.base_scale <= T(0)) return;
    const T half_inverse_variance = T(0.5) * inverse_base_variance();
    for (Index i = 0; i < x.rows(); ++i) {
      T sum = x(i, 0) * x(i, 0);
      for (Index j = 1; j < x.cols(); ++j) sum = fused_multiply_add(x(i, j), x(i, j), sum);
      e(i) = fused_multiply_add(half_inverse_variance, sum, e(i));
    }
  }
  // a·b + c, rounded once where the target has FMA (std::fma is then one instruction), else twice (no
  // FMA hardware: the compiler cannot contract it either); the same for every row either way.
  static T fused_multiply_add(T a, T b, T c) {
#if defined(FP_FAST_FMA) && defined(FP_FAST_FMAF)
    return std::fma(a, b, c);
#else
    return a * b + c;
#endif
  }
  // All hidden layers: h ← H_l, d1 ← σ′(Z_l), and *d2 ← σ″(Z_l) when given (column blocks per layer).
  void forward_store(BatchView<T> x, Block& h, Block& d1, Block* d2) const {
    Index column = 0;
    for (Index l = 1; l < layers_; ++l) {
      auto z = h.middleCols(column, width(l));
      if (l == 1) {
        affine(x, l, z);
      } else {
        affine(h.middleCols(column - width(l - 1), width(l - 1)), l, z);
      }
      simd::activate<Activation>(z.data(), d1.middleCols(column, width(l)).data(),
                                 d2 != nullptr ? d2->middleCols(column, width(l)).data() : static_cast<T*>(nullptr),
                                 static_cast<std::size_t>(z.size()));
      column += width(l);
    }
  }
  void check_layer(Index l, const char* fn) const {
    detail::require(l >= 1 && l <= layers_, fn, "l", l,
                    "must be in [1, ", layers_, "] (hidden layers 1..k, then the output layer)");
  }
  // O(1) checks plus the finiteness scan of x; the messages are only built on failure, so a call that
  // passes allocates nothing (the samplers' loop is allocation-free, tests/core/allocation.test.cpp).
  void check(BatchView<T> x, Index n, const char* fn) const {
    if (x.rows() <= 0 || x.cols() != dim()) detail::require_batch(x, dim(), fn, "x");
    detail::require_all_finite(x, fn, "x");
    if (n != x.rows())
      detail::require(false, fn, "the per-point vector's size", n,
                      "must equal the number of points ", x.rows());
    if (params_.size() != num_params())
      detail::require(false, fn, "params().size()", params_.size(),
                      "must stay ", num_params(), " (the layout is fixed by the widths)");
  }

  std::vector<Index> widths_;
  MlpSettings<T> settings_;
  Index layers_ = 0;  // k + 1
  std::vector<Index> offsets_;
  Index hidden_total_ = 0;
  Index max_width_ = 0;
  Vector<T> params_;
};

}  // namespace ember
