#pragma once
/// @file
/// @brief Fused, register-blocked SIMD kernels for dense MLP energies (ember::MlpEnergy's hot path):
/// the forward pass with bias and activation fused into the matrix products, and the input-gradient
/// backward pass with σ′ fused into its products, written once against xsimd::batch.
///
/// Layout. Chains run across SIMD lanes: a batch is processed in blocks of `block_rows<T>` chains, and
/// inside a block every hidden unit of the block is a contiguous column (one register per unit and
/// `lanes` chains). The micro-kernel keeps an R × J tile of accumulators (R registers of chains × J
/// units) in registers over the whole reduction, broadcasting one weight per unit and step; the bias
/// initialises the accumulators and the activation (σ, σ′) runs on the tile before it is stored. The
/// output layer e = H_k w + b is folded into the last hidden layer's epilogue, and so is the first
/// backward factor Δ_k = w ⊙ σ′(Z_k).
///
/// Numerics. Every chain's sums run in the same order (k = 0, 1, …) whatever its position in the batch
/// or its block, so a chain's energy and gradient never depend on N, on the block split or on the
/// thread count. They differ from a GEMM library's only by float rounding.
///
/// Memory. Scratch space is one thread-local aligned buffer per scalar type that only grows, so after
/// the first call of a given size no call allocates.
///
/// Parameter layout: exactly ember::MlpEnergy's (for l = 1..k+1: W_l, h_l × h_{l−1} column-major, then
/// b_l; the output layer has width 1).
///
/// @code
/// const ember::simd::MlpView<float> net{energy.params().data(), energy.widths().data(), 3};
/// ember::simd::mlp_energy_and_gradient<ember::Silu>(net, x.data(), x.outerStride(), n, e.data(), g.data(), g.outerStride());
/// @endcode

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/simd/detail/fused.hpp"

namespace ember::simd {

/// @brief A read-only view of an MLP's parameters in ember::MlpEnergy's layout.
template <class T>
struct MlpView {
  const T* params = nullptr;    ///< the flat parameter vector
  const Index* widths = nullptr;  ///< {d, h₁, …, h_k}
  Index num_widths = 0;         ///< k + 1 (≥ 2: the fused kernels need at least one hidden layer)

  [[nodiscard]] Index hidden_layers() const { return num_widths - 1; }
  /// Width of layer l (0 = input, 1..k hidden, k + 1 = the scalar output).
  [[nodiscard]] Index width(Index l) const { return l < num_widths ? widths[l] : 1; }
  /// W_l (h_l × h_{l−1}, column-major), l = 1..k+1.
  [[nodiscard]] const T* weight(Index l) const {
    const T* p = params;
    for (Index m = 1; m < l; ++m) p += width(m) * width(m - 1) + width(m);
    return p;
  }
  /// b_l (h_l entries), l = 1..k+1.
  [[nodiscard]] const T* bias(Index l) const { return weight(l) + width(l) * width(l - 1); }
};

/// Chains per register of T.
template <class T>
inline constexpr Index lanes = static_cast<Index>(xsimd::batch<T>::size);
/// Registers of chains per micro-kernel tile (R) and units per tile (J): R·J accumulators.
inline constexpr int tile_registers = 2;
inline constexpr int tile_units = 6;
/// Chains per block of the fused passes (a multiple of the tile's chains). With 512-bit registers one tile's
/// chains: a block's activations of a 128-unit layer (16 KB for float) then stay in L1 while every panel of
/// units streams over them; with narrower registers (AVX2: 16 of them, the tile uses 15) four tiles' chains
/// measured faster (docs/performance.md, "Block height"). A chain's sums never depend on the block.
template <class T>
inline constexpr Index block_rows = (lanes<T> * Index(sizeof(T)) >= 64 ? 1 : 4) * tile_registers * lanes<T>;

namespace detail {

template <class T>
using aligned_vector = std::vector<T, xsimd::aligned_allocator<T, 64>>;

/// A thread-local aligned scratch buffer of at least `size` entries (grows, never shrinks).
template <class T>
T* scratch(std::size_t size) {
  thread_local aligned_vector<T> buffer;
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

/// acc[r][j] = init(j) + Σ_k a[k·lda + r·L + i] · m[k·sk + j·so] for the R·L chains at `a`, then
/// epilogue(acc). `a` is aligned and lda a multiple of L.
template <int R, int J, class T, class Init, class Epilogue>
inline void tile(const T* a, Index lda, const T* m, Index sk, Index so, Index depth, Init init,
                 Epilogue&& epilogue) {
  using B = xsimd::batch<T>;
  constexpr Index L = static_cast<Index>(B::size);
  B acc[R][J];
  for (int j = 0; j < J; ++j) {
    const B start(init(j));
    for (int r = 0; r < R; ++r) acc[r][j] = start;
  }
  const T* column[J];
  for (int j = 0; j < J; ++j) column[j] = m + j * so;
  for (Index k = 0; k < depth; ++k) {
    B av[R];
    for (int r = 0; r < R; ++r) {
      av[r] = B::load_aligned(a + k * lda + r * L);
      // The empty asm keeps the loaded chains in a register: for J ≤ 4 GCC folds the load into every FMA as
      // a memory operand, J reloads per step, and the loads then bound the tile (docs/performance.md).
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
      typename B::register_type held = av[r];
      asm("" : "+v"(held));
      av[r] = held;
#endif
    }
    for (int j = 0; j < J; ++j) {
      const B w(column[j][k * sk]);
      for (int r = 0; r < R; ++r) acc[r][j] = detail::fma(av[r], w, acc[r][j]);
    }
  }
  epilogue(acc);
}

/// The product of a block (rows × depth at `a`, stride lda) with M (depth × out, strides sk, so), tile by
/// tile: units outermost (a J-unit panel of M stays in L1 over the block), then tiles of chains.
/// epilogue(acc, chain, unit) receives each tile with its first chain and first unit.
template <class T, class Init, class Epilogue>
void product(const T* a, Index lda, Index rows, const T* m, Index sk, Index so, Index depth, Index out, Init init,
             Epilogue&& epilogue) {
  constexpr int R = tile_registers;
  constexpr Index chains = R * lanes<T>;
  auto run = [&]<int J>(Index unit) {
    const T* panel = m + unit * so;
    auto shifted = [&](int j) { return init(unit + j); };
    for (Index c = 0; c < rows; c += chains)
      tile<R, J>(a + c, lda, panel, sk, so, depth, shifted, [&](auto& acc) { epilogue(acc, c, unit); });
  };
  // A last panel of 1 or 2 units (2 or 4 accumulators, one weight line touched per 2–4 FMAs) runs at two
  // thirds of the peak; it joins the panel before it and the 7 or 8 units run as two panels of 3–4.
  const Index narrow = out % tile_units != 0 && out % tile_units < 3 && out > tile_units ? tile_units : 0;
  Index unit = 0;
  for (; unit + tile_units + narrow <= out; unit += tile_units) run.template operator()<tile_units>(unit);
  switch (out - unit) {
    case 8: run.template operator()<4>(unit); run.template operator()<4>(unit + 4); break;
    case 7: run.template operator()<4>(unit); run.template operator()<3>(unit + 4); break;
    case 5: run.template operator()<5>(unit); break;
    case 4: run.template operator()<4>(unit); break;
    case 3: run.template operator()<3>(unit); break;
    case 2: run.template operator()<2>(unit); break;
    case 1: run.template operator()<1>(unit); break;
    default: break;
  }
}

/// σ and σ′ of unit j's R registers of a tile, interleaved where the activation offers it
/// (Silu::evaluate_interleaved: the same bits, overlapping the R dependency chains).
template <class Activation, int R, int J, class B>
inline void activate_unit(const B (&acc)[R][J], int j, B (&value)[R], B (&first)[R]) {
  B z[R];
  for (int r = 0; r < R; ++r) z[r] = acc[r][j];
  if constexpr (requires { Activation::template evaluate_interleaved<R>(z, value, first); }) {
    Activation::template evaluate_interleaved<R>(z, value, first);
  } else {
    for (int r = 0; r < R; ++r) {
      B second;
      Activation::evaluate(z[r], value[r], first[r], second);
    }
  }
}

/// Where one block's scratch lives (stride S = block_rows): x (S × d), H ping-pong (2 · S × h_max), per hidden
/// layer σ′/Δ (S × h_l, layer l at column h₁ + … + h_{l−1}), g (S × d), e (S).
template <class T>
struct BlockScratch {
  static constexpr Index S = block_rows<T>;
  T* x;
  T* h[2];
  T* sigma;
  T* g;
  T* e;

  /// Entries the block needs for `net`.
  static std::size_t size(const MlpView<T>& net) {
    const auto [h_max, h_total] = hidden_extent(net);
    return static_cast<std::size_t>(S * (2 * net.width(0) + 2 * h_max + h_total + 1));
  }
  BlockScratch(const MlpView<T>& net, T* work) {
    const auto [h_max, h_total] = hidden_extent(net);
    x = work;
    h[0] = x + S * net.width(0);
    h[1] = h[0] + S * h_max;
    sigma = h[1] + S * h_max;
    g = sigma + S * h_total;
    e = g + S * net.width(0);
  }

 private:
  struct Extent {
    Index widest, total;
  };
  static Extent hidden_extent(const MlpView<T>& net) {
    Extent extent{0, 0};
    for (Index l = 1; l <= net.hidden_layers(); ++l) {
      extent.widest = std::max(extent.widest, net.width(l));
      extent.total += net.width(l);
    }
    return extent;
  }
};

/// Hidden layer l < k of the forward pass: H = σ(input W_lᵀ + b), and σ′ kept for the backward pass.
template <class Activation, bool Gradient, class T>
void forward_hidden_layer(const T* input, Index padded, Index in, Index out, const T* w, const T* b, T* h, T* s) {
  using B = xsimd::batch<T>;
  constexpr Index S = block_rows<T>, L = lanes<T>;
  constexpr int R = tile_registers;
  product(input, S, padded, w, out, 1, in, out, [b](Index j) { return b[j]; },
          [&]<int J>(const B (&acc)[R][J], Index c, Index unit) {
            // Local pointers: the stores (may_alias vector types) would otherwise force the captured ones to be
            // reloaded after every store.
            T* const hp = h + unit * S + c;
            T* const sp = s + unit * S + c;
            // Unrolled, so that the tile's long activation chains sit side by side for the out-of-order core.
#pragma GCC unroll 8
            for (int j = 0; j < J; ++j) {
              B v[R], d1[R];
              activate_unit<Activation>(acc, j, v, d1);
              for (int r = 0; r < R; ++r) {
                v[r].store_aligned(hp + j * S + r * L);
                if constexpr (Gradient) d1[r].store_aligned(sp + j * S + r * L);
              }
            }
          });
}

/// The last hidden layer with the output layer folded in: e += σ(input W_kᵀ + b) w_out, Δ_k = w_out ⊙ σ′.
template <class Activation, bool Gradient, class T>
void forward_last_layer(const T* input, Index padded, Index in, Index out, const T* w, const T* b, const T* w_out,
                        T* e, T* s) {
  using B = xsimd::batch<T>;
  constexpr Index S = block_rows<T>, L = lanes<T>;
  constexpr int R = tile_registers;
  product(input, S, padded, w, out, 1, in, out, [b](Index j) { return b[j]; },
          [&]<int J>(const B (&acc)[R][J], Index c, Index unit) {
            T* const ep = e + c;
            T* const sp = s + unit * S + c;
            const T* const wp = w_out + unit;
            B energy[R];
            for (int r = 0; r < R; ++r) energy[r] = B::load_aligned(ep + r * L);
#pragma GCC unroll 8
            for (int j = 0; j < J; ++j) {
              const B wj(wp[j]);
              B v[R], d1[R];
              activate_unit<Activation>(acc, j, v, d1);
              for (int r = 0; r < R; ++r) {
                energy[r] = detail::fma(v[r], wj, energy[r]);
                if constexpr (Gradient) (wj * d1[r]).store_aligned(sp + j * S + r * L);
              }
            }
            for (int r = 0; r < R; ++r) energy[r].store_aligned(ep + r * L);
          });
}

/// One backward step below layer l > 1: Δ_{l−1} = (Δ_l W_l) ⊙ σ′(Z_{l−1}), in place over σ′ at `s`.
template <class T>
void backward_layer(const T* delta, Index padded, Index in, Index out, const T* w, T* s) {
  using B = xsimd::batch<T>;
  constexpr Index S = block_rows<T>, L = lanes<T>;
  constexpr int R = tile_registers;
  product(delta, S, padded, w, 1, out, out, in, [](Index) { return T(0); },
          [&]<int J>(const B (&acc)[R][J], Index c, Index unit) {
            T* const sp = s + unit * S + c;
            for (int j = 0; j < J; ++j)
              for (int r = 0; r < R; ++r) {
                T* p = sp + j * S + r * L;
                (acc[r][j] * B::load_aligned(p)).store_aligned(p);
              }
          });
}

/// The last backward step: G₀ = Δ₁ W₁ = ∇ₓE (without the base term), into g.
template <class T>
void input_gradient(const T* delta, Index padded, Index in, Index out, const T* w, T* g) {
  using B = xsimd::batch<T>;
  constexpr Index S = block_rows<T>, L = lanes<T>;
  constexpr int R = tile_registers;
  product(delta, S, padded, w, 1, out, out, in, [](Index) { return T(0); },
          [&]<int J>(const B (&acc)[R][J], Index c, Index unit) {
            T* const gp = g + unit * S + c;
            for (int j = 0; j < J; ++j)
              for (int r = 0; r < R; ++r) acc[r][j].store_aligned(gp + j * S + r * L);
          });
}

/// Forward and (when `Gradient`) input-gradient passes of one block of `rows` ≤ block_rows chains.
template <class Activation, bool Gradient, class T>
void mlp_block(const MlpView<T>& net, const T* x, Index ldx, Index rows, T* e, T* g, Index ldg, T* work) {
  constexpr Index S = block_rows<T>;
  const Index k = net.hidden_layers(), d = net.width(0);
  const BlockScratch<T> block(net, work);
  // Pad the block to whole tiles: zero rows past `rows` (their lanes are computed and dropped).
  constexpr Index tile_chains = tile_registers * lanes<T>;
  const Index padded = (rows + tile_chains - 1) / tile_chains * tile_chains;
  for (Index j = 0; j < d; ++j) {
    std::copy_n(x + j * ldx, rows, block.x + j * S);
    std::fill(block.x + j * S + rows, block.x + j * S + padded, T(0));
  }
  std::fill(block.e, block.e + padded, T(0));
  const T* input = block.x;
  Index offset = 0;  // σ′ of layer l at column h₁ + … + h_{l−1}
  for (Index l = 1; l <= k; ++l) {
    const Index in = net.width(l - 1), out = net.width(l);
    T* const s = block.sigma + S * offset;
    if (l < k) {
      forward_hidden_layer<Activation, Gradient>(input, padded, in, out, net.weight(l), net.bias(l), block.h[l % 2], s);
    } else {
      forward_last_layer<Activation, Gradient>(input, padded, in, out, net.weight(l), net.bias(l), net.weight(k + 1),
                                               block.e, s);
    }
    input = block.h[l % 2];
    offset += out;
  }
  const T b_out = net.bias(k + 1)[0];
  for (Index i = 0; i < rows; ++i) e[i] = block.e[i] + b_out;
  if constexpr (Gradient) {
    for (Index l = k; l >= 1; --l) {
      const Index in = net.width(l - 1), out = net.width(l);
      offset -= out;
      const T* delta = block.sigma + S * offset;
      if (l > 1) {
        backward_layer(delta, padded, in, out, net.weight(l), block.sigma + S * (offset - in));
      } else {
        input_gradient(delta, padded, in, out, net.weight(l), block.g);
      }
    }
    for (Index j = 0; j < d; ++j) std::copy_n(block.g + j * S, rows, g + j * ldg);
  }
}

}  // namespace detail

/// @brief e(i) = E(xᵢ) without the base term, for n chains (x: n × d column-major, column stride ldx).
/// @pre net has at least one hidden layer; e holds n entries.
template <class Activation, class T>
void mlp_energy(const MlpView<T>& net, const T* x, Index ldx, Index n, T* e) {
  T* work = detail::scratch<T>(detail::BlockScratch<T>::size(net));
  for (Index c = 0; c < n; c += block_rows<T>)
    detail::mlp_block<Activation, false>(net, x + c, ldx, std::min(block_rows<T>, n - c), e + c,
                                         static_cast<T*>(nullptr), 0, work);
}

/// @brief Also g(i, :) = ∇ₓE(xᵢ) without the base term (g: n × d column-major, column stride ldg).
template <class Activation, class T>
void mlp_energy_and_gradient(const MlpView<T>& net, const T* x, Index ldx, Index n, T* e, T* g, Index ldg) {
  T* work = detail::scratch<T>(detail::BlockScratch<T>::size(net));
  for (Index c = 0; c < n; c += block_rows<T>)
    detail::mlp_block<Activation, true>(net, x + c, ldx, std::min(block_rows<T>, n - c), e + c, g + c, ldg, work);
}

}  // namespace ember::simd
