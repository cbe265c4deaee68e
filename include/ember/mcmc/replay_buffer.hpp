#pragma once
/// @file
/// @brief ember::ReplayBuffer: a fixed-capacity store of past samples (persistent chains), with re-initialisation.
///
/// `sample(n, rng)` returns n rows; each comes from a uniformly chosen stored sample, except that with
/// probability ρ (and always while the buffer is empty) it is a fresh draw from the user's initial
/// distribution — Du & Mordatch's replay buffer, Tieleman's persistent chains when ρ = 0. Each sampled row
/// remembers its slot, so `write_back(x)` returns moved chains to where they came from (PCD), while `push(x)`
/// adds new samples by the FIFO or reservoir policy (Improved CD). The initial distribution is a policy type
/// called as `init(out, rng)` (ember::UniformInit, ember::NormalInit, or any callable with that signature; no
/// std::function). The whole state (samples, fill count, write position, number pushed) is public for
/// checkpoints; the random numbers come from the caller's generator, whose position the caller saves.
///
/// @code
/// ember::ReplayBuffer buffer(2, ember::UniformInit<float>{-1.0f, 1.0f}, {.capacity = 10000, .reinit_probability = 0.05f});
/// ember::Batch<float> x = buffer.sample(128, rng);   // then run a kernel on x and buffer.push(x, rng)
/// @endcode

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/size_limit.hpp"

namespace ember {

/// Where `push` writes once the buffer is full.
enum class ReplayPolicy {
  fifo,      ///< overwrite the oldest sample (a ring buffer)
  reservoir  ///< keep a uniform sample of everything ever pushed (Vitter's algorithm R)
};

/// Settings of ember::ReplayBuffer (aggregate; designated initialisers welcome).
template <Scalar T>
struct ReplayBufferSettings {
  Index capacity = 10000;            ///< number of stored samples, ≥ 1
  T reinit_probability = T(0.05);    ///< ρ ∈ [0, 1]: probability that a sampled row is a fresh initial draw
  ReplayPolicy policy = ReplayPolicy::fifo;
};

/// @brief Initial distribution: independent uniforms on [low, high) per coordinate.
template <Scalar T>
struct UniformInit {
  T low = T(-1);
  T high = T(1);
  template <class G>
  void operator()(BatchRef<T> out, G& rng) const {
    rng.draw().template uniform<T>(out, 0);
    out.array() = low + (high - low) * out.array();
  }
};

/// @brief Initial distribution: independent N(mean, stddev²) per coordinate.
template <Scalar T>
struct NormalInit {
  T mean = T(0);
  T stddev = T(1);
  template <class G>
  void operator()(BatchRef<T> out, G& rng) const {
    rng.draw().template normal<T>(out, 0);
    out.array() = mean + stddev * out.array();
  }
};

/// The state of a ReplayBuffer, everything a checkpoint needs.
template <Scalar T>
struct ReplayBufferState {
  Batch<T> samples;          ///< capacity × d; the first `fill_count` rows are valid
  Index fill_count = 0;      ///< number of valid rows
  Index next_slot = 0;       ///< FIFO write position
  std::uint64_t pushed = 0;  ///< number of samples ever pushed (the reservoir policy needs it)
};

/// @brief Fixed-capacity replay buffer of d-dimensional samples with re-initialisation probability ρ.
/// @tparam Init the initial distribution, callable as `init(BatchRef<T> out, G& rng)`
template <Scalar T, class Init>
class ReplayBuffer {
 public:
  using scalar_type = T;

  /// @pre dim ≥ 1, 1 ≤ capacity < 2³², capacity × dim within ember::max_allocation_bytes, 0 ≤ reinit_probability ≤ 1.
  ReplayBuffer(Index dim, Init init, ReplayBufferSettings<T> settings = {})
      : settings_(settings), init_(std::move(init)) {
    constexpr const char* fn = "ember::ReplayBuffer";
    detail::require_at_least_one(dim, fn, "dim");
    detail::require_at_least_one(settings.capacity, fn, "capacity");
    // Slots are drawn as 32-bit indices (Philox's index(chain, bound)): a larger capacity would wrap.
    detail::require(settings.capacity <= Index{0xFFFFFFFF}, fn, "capacity", settings.capacity,
                    "must be < 2^32 (slots are drawn as 32-bit indices)");
    (void)detail::checked_allocation<T>(settings.capacity, dim, fn, "capacity", settings.capacity, "the samples");
    detail::require(std::isfinite(settings.reinit_probability) && settings.reinit_probability >= T(0) &&
                        settings.reinit_probability <= T(1),
                    fn, "reinit_probability", settings.reinit_probability, "must be in [0, 1]");
    state_.samples = Batch<T>::Zero(settings.capacity, dim);
  }

  [[nodiscard]] Index dim() const { return state_.samples.cols(); }
  [[nodiscard]] Index capacity() const { return state_.samples.rows(); }
  [[nodiscard]] Index fill_count() const { return state_.fill_count; }
  [[nodiscard]] const ReplayBufferSettings<T>& settings() const { return settings_; }
  [[nodiscard]] const Init& initial_distribution() const { return init_; }
  /// The valid stored samples (fill_count × d), a view into the buffer.
  [[nodiscard]] auto stored() const { return state_.samples.topRows(state_.fill_count); }

  /// @brief Fills `out` (n × d): each row is a stored sample chosen uniformly, or with probability ρ (always
  /// while the buffer is empty) a fresh draw from the initial distribution. Uses one draw for the choices and
  /// the initial distribution's draw when a row is re-initialised. Remembers each row's slot for write_back.
  template <class G>
  void sample(BatchRef<T> out, G& rng) {
    static_assert(Generator<G>, "ember::ReplayBuffer::sample: the generator must model ember::Generator.");
    constexpr const char* fn = "ember::ReplayBuffer::sample";
    detail::require(out.rows() > 0, fn, "out", detail::shape_of(out.rows(), out.cols()), "the batch is empty");
    detail::require_shape(out, out.rows(), dim(), fn, "out");
    const Index n = out.rows();
    slots_.assign(static_cast<std::size_t>(n), -1);
    fresh_rows_.assign(static_cast<std::size_t>(n), false);
    const auto choice = rng.draw();
    constexpr std::uint32_t resolution = 1u << 24;
    const auto threshold = static_cast<std::uint32_t>(static_cast<double>(settings_.reinit_probability) * resolution);
    bool any_fresh = false;
    for (Index i = 0; i < n; ++i) {
      const auto chain = static_cast<std::uint32_t>(i);
      const auto k = static_cast<std::size_t>(i);
      if (state_.fill_count > 0)  // the slot this row comes from, or that a fresh chain replaces
        slots_[k] = static_cast<Index>(choice.index(chain, static_cast<std::uint32_t>(state_.fill_count), 0, 1));
      fresh_rows_[k] = state_.fill_count == 0 || settings_.reinit_probability >= T(1) ||
                       choice.index(chain, resolution, 0, 0) < threshold;
      if (fresh_rows_[k]) {
        any_fresh = true;
      } else {
        out.row(i) = state_.samples.row(slots_[k]);
      }
    }
    if (!any_fresh) return;
    fresh_.resize(n, dim());
    init_(BatchRef<T>(fresh_), rng);
    for (Index i = 0; i < n; ++i)
      if (fresh_rows_[static_cast<std::size_t>(i)]) out.row(i) = fresh_.row(i);
  }

  /// @brief Fills `out` (n × d) with the next n stored samples in slot order, cyclically from the cursor
  /// `next_slot`, and advances the cursor by n: Tieleman's persistent chains, each visited once per pass over
  /// the buffer and never twice in one call. No randomness and no re-initialisation. Remembers the slots for
  /// write_back. The cursor is the FIFO write position (part of the state checkpoints save).
  /// @pre the buffer is full (`fill` first), 1 ≤ n ≤ capacity, out has the buffer's width.
  void sample_in_order(BatchRef<T> out) {
    constexpr const char* fn = "ember::ReplayBuffer::sample_in_order";
    detail::require(out.rows() >= 1 && out.rows() <= capacity(), fn, "out.rows()", out.rows(),
                    "must be in [1, capacity = ", capacity(), "] (no chain is advanced twice in one call)");
    detail::require_shape(out, out.rows(), dim(), fn, "out");
    detail::require(state_.fill_count == capacity(), fn, "fill_count()", state_.fill_count,
                    "must equal capacity = ", capacity(), " (call fill first)");
    const Index n = out.rows();
    slots_.resize(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) {
      const Index slot = (state_.next_slot + i) % capacity();
      slots_[static_cast<std::size_t>(i)] = slot;
      out.row(i) = state_.samples.row(slot);
    }
    state_.next_slot = (state_.next_slot + n) % capacity();
  }

  /// @brief `sample` into a new n × d batch.
  template <class G>
  [[nodiscard]] Batch<T> sample(Index n, G& rng) {
    detail::require_at_least_one(n, "ember::ReplayBuffer::sample", "n");
    (void)detail::checked_allocation<T>(n, dim(), "ember::ReplayBuffer::sample", "n", n, "the samples");
    Batch<T> out(n, dim());
    sample(BatchRef<T>(out), rng);
    return out;
  }

  /// @brief Stores `x`'s rows by the policy (FIFO: overwrite the oldest; reservoir: algorithm R, one draw).
  template <class G>
  void push(BatchView<T> x, G& rng) {
    static_assert(Generator<G>, "ember::ReplayBuffer::push: the generator must model ember::Generator.");
    constexpr const char* fn = "ember::ReplayBuffer::push";
    detail::require_batch(x, dim(), fn, "x");
    const auto choice = rng.draw();
    for (Index i = 0; i < x.rows(); ++i) {
      if (settings_.policy == ReplayPolicy::fifo) {
        state_.samples.row(state_.next_slot) = x.row(i);
        state_.next_slot = (state_.next_slot + 1) % capacity();
        state_.fill_count = std::min(state_.fill_count + 1, capacity());
      } else if (state_.fill_count < capacity()) {
        state_.samples.row(state_.fill_count++) = x.row(i);
      } else {
        const std::uint64_t seen = std::min<std::uint64_t>(state_.pushed + 1, 0xFFFFFFFFull);
        const auto j = choice.index(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(seen), 0, 0);
        if (static_cast<Index>(j) < capacity()) state_.samples.row(static_cast<Index>(j)) = x.row(i);
      }
      ++state_.pushed;
    }
  }

  /// @brief Writes the rows of `x` back to the slots the last `sample` call drew them from (persistent chains).
  /// Rows sampled while the buffer was empty are pushed (FIFO order) instead.
  /// @pre x has as many rows as the last sample call.
  void write_back(BatchView<T> x) {
    constexpr const char* fn = "ember::ReplayBuffer::write_back";
    detail::require(x.rows() == static_cast<Index>(slots_.size()), fn, "x.rows()", x.rows(),
                    "must equal the number of rows of the last sample() call (", slots_.size(), ")");
    detail::require_batch(x, dim(), fn, "x");
    for (Index i = 0; i < x.rows(); ++i) {
      const Index slot = slots_[static_cast<std::size_t>(i)];
      if (slot >= 0) {
        state_.samples.row(slot) = x.row(i);
      } else if (state_.fill_count < capacity()) {
        state_.samples.row(state_.fill_count++) = x.row(i);
        state_.next_slot = state_.fill_count % capacity();
        ++state_.pushed;
      }
    }
  }

  /// @brief Fills every empty slot with draws from the initial distribution (one init call).
  template <class G>
  void fill(G& rng) {
    const Index missing = capacity() - state_.fill_count;
    if (missing == 0) return;
    fresh_.resize(missing, dim());
    init_(BatchRef<T>(fresh_), rng);
    state_.samples.bottomRows(missing) = fresh_;
    state_.fill_count = capacity();
    state_.next_slot = 0;
    state_.pushed += static_cast<std::uint64_t>(missing);
  }

  /// Slots of the rows of the last `sample` call (−1 where the buffer was empty).
  [[nodiscard]] const std::vector<Index>& last_slots() const { return slots_; }

  /// State for checkpoints: read it, or assign it back (same capacity and dimension) to resume exactly.
  [[nodiscard]] const ReplayBufferState<T>& state() const { return state_; }
  void set_state(ReplayBufferState<T> state) {
    constexpr const char* fn = "ember::ReplayBuffer::set_state";
    detail::require_shape(state.samples, capacity(), dim(), fn, "state.samples");
    detail::require(state.fill_count >= 0 && state.fill_count <= capacity(), fn, "state.fill_count", state.fill_count,
                    "must be in [0, capacity]");
    detail::require(state.next_slot >= 0 && state.next_slot < capacity(), fn, "state.next_slot", state.next_slot,
                    "must be in [0, capacity)");
    state_ = std::move(state);
  }

 private:
  ReplayBufferSettings<T> settings_;
  Init init_;
  ReplayBufferState<T> state_;
  std::vector<Index> slots_;
  std::vector<bool> fresh_rows_;
  Batch<T> fresh_;
};

/// Deduces T from ember's initial distributions (a user's callable names T explicitly: ReplayBuffer<T, Init>).
template <Scalar T>
ReplayBuffer(Index, UniformInit<T>) -> ReplayBuffer<T, UniformInit<T>>;
template <Scalar T>
ReplayBuffer(Index, UniformInit<T>, ReplayBufferSettings<T>) -> ReplayBuffer<T, UniformInit<T>>;
template <Scalar T>
ReplayBuffer(Index, NormalInit<T>) -> ReplayBuffer<T, NormalInit<T>>;
template <Scalar T>
ReplayBuffer(Index, NormalInit<T>, ReplayBufferSettings<T>) -> ReplayBuffer<T, NormalInit<T>>;

}  // namespace ember
