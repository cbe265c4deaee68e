#pragma once
/// @file
/// @brief ember::Checkpoint: the whole training state in one versioned, checksummed binary file, written
/// atomically, loaded with every size checked before anything is allocated.
///
/// A checkpoint is a set of named entries, each a rows × cols array of uint64, float32 or float64 (a
/// scalar is a 1 × 1 array). `store`/`restore` overloads map ember's stateful objects onto entries under a
/// key prefix: ember::Philox (seed, position), ember::Sgd and ember::Adam (moments, step count),
/// ember::ParameterEma (average, updates), ember::ReplayBuffer (samples, fill count, write slot, pushed),
/// ember::Mala and ember::Hmc (adapted step size, steps taken, warm-up state, acceptance statistics),
/// ember::MlpEnergy (its architecture: widths, activation, base scale; and its parameters: `restore_mlp`
/// rebuilds the network from the file alone); other parameters are a float entry (`restore_parameters`). Resuming from them is exact: the training loop
/// continues bit for bit as if it had never stopped (tests/io/checkpoint.test.cpp).
///
/// File format, version 1 (all integers little-endian, floats IEEE-754 little-endian):
///
///     offset  0  8 bytes   magic "EMBERCKP"
///     offset  8  uint32    format version (1)
///     offset 12  uint32    reserved, 0
///     offset 16  uint64    payload size in bytes (the file is exactly 32 + this long)
///     offset 24  uint64    FNV-1a 64 checksum of the payload
///     offset 32  payload:  uint64 entry count, then per entry: uint32 name length (1..256), the name,
///                          uint8 scalar type tag (1 = uint64, 2 = float32, 3 = float64), uint64 rows,
///                          uint64 cols, rows·cols values column-major.
///
/// `save` writes a temporary file `<path>.tmp-<pid>` in the same directory, fsyncs it and renames it over the
/// target, so a crash mid-write leaves the previous checkpoint intact; the next `save` to the same path removes
/// the temporaries of such crashed writes (those whose process is gone). It writes only to a regular file or a
/// new path: a directory, FIFO, device, socket or symbolic link at the path is refused (the rename would replace
/// the node, or the link itself, by a file); `check_writable` makes the same checks without writing, so that a
/// program can refuse a bad path before hours of training. `load` reads only a regular file (a symbolic link to
/// one is followed) and rejects a truncated file, a bad magic number, an
/// unknown version, a checksum mismatch, an unknown type tag, duplicate names, and any size that the bytes
/// actually present cannot hold (so absurd sizes never allocate) with ember::checkpoint_error naming the file
/// and the problem. Reading an entry that is missing, has another scalar type or shape, or holds NaN/Inf
/// throws the same error.
///
/// @code
/// ember::Checkpoint ck;  ck.set("params", energy.params());  ember::store(ck, "adam", adam);  ck.save("run.ckpt");
/// auto back = ember::Checkpoint::load("run.ckpt");  ember::restore_parameters(back, "params", energy.params());
/// @endcode

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/random.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/io/detail/binary.hpp"
#include "ember/mcmc/detail/acceptance.hpp"
#include "ember/mcmc/replay_buffer.hpp"
#include "ember/train/adam.hpp"
#include "ember/train/ema.hpp"
#include "ember/train/sgd.hpp"

namespace ember {

/// @brief A checkpoint that cannot be read or does not fit: the message names the file and the problem.
class checkpoint_error : public ember::invalid_argument {
 public:
  using ember::invalid_argument::invalid_argument;
};

/// The scalar type of a checkpoint entry (the tag stored in the file).
enum class CheckpointType : std::uint8_t { uint64 = 1, float32 = 2, float64 = 3 };

/// @brief Named uint64 / float32 / float64 arrays with a binary file format (see the file comment).
class Checkpoint {
 public:
  static constexpr std::uint32_t format_version = 1;
  static constexpr std::size_t header_size = 32;
  static constexpr std::size_t max_name_length = 256;
  static constexpr std::string_view magic{"EMBERCKP", 8};

  Checkpoint() = default;

  /// @brief Sets (or replaces) a uint64 scalar entry. @pre name is 1..256 printable characters.
  void set(const std::string& name, std::uint64_t value) {
    Entry e;
    e.type = CheckpointType::uint64;
    e.rows = e.cols = 1;
    e.integers = {value};
    put(name, std::move(e));
  }

  /// @brief Sets (or replaces) a float32 or float64 array entry from any dense Eigen object (copied).
  template <class Derived>
  void set(const std::string& name, const Eigen::DenseBase<Derived>& values) {
    using T = typename Derived::Scalar;
    static_assert(Scalar<T>, "ember::Checkpoint::set: arrays must hold float or double.");
    Entry e;
    e.type = std::is_same_v<T, float> ? CheckpointType::float32 : CheckpointType::float64;
    e.rows = static_cast<std::uint64_t>(values.rows());
    e.cols = static_cast<std::uint64_t>(values.cols());
    e.reals.resize(static_cast<std::size_t>(values.size()));
    std::size_t k = 0;
    for (Index j = 0; j < values.cols(); ++j)
      for (Index i = 0; i < values.rows(); ++i) e.reals[k++] = static_cast<double>(values.derived().coeff(i, j));
    put(name, std::move(e));
  }

  /// @brief Sets (or replaces) a uint64 column entry from counts. @pre every count is >= 0.
  template <class Derived>
  void set_counts(const std::string& name, const Eigen::DenseBase<Derived>& counts) {
    static_assert(std::is_same_v<typename Derived::Scalar, Index>, "ember::Checkpoint::set_counts: counts must be ember::Index.");
    Entry e;
    e.type = CheckpointType::uint64;
    e.rows = static_cast<std::uint64_t>(counts.size());
    e.cols = 1;
    e.integers.resize(static_cast<std::size_t>(counts.size()));
    for (Index i = 0; i < counts.size(); ++i) {
      const Index c = counts.derived().coeff(i);
      detail::require(c >= 0, "ember::Checkpoint::set_counts", "counts", c, "must be >= 0 (entry '", name, "')");
      e.integers[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(c);
    }
    put(name, std::move(e));
  }

  /// Whether an entry of this name exists.
  [[nodiscard]] bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  /// The entry names, sorted.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }
  /// @brief Copies every entry of `other` into this checkpoint, replacing entries of the same name (used to
  /// join the parts of a state that several MPI ranks hold; see ember/mpi/data_parallel.hpp).
  void merge(const Checkpoint& other) {
    for (const auto& [name, entry] : other.entries_) entries_[name] = entry;
  }
  /// The file this checkpoint was loaded from ("(memory)" otherwise), used in error messages.
  [[nodiscard]] const std::string& source() const { return source_; }

  /// @brief A uint64 scalar entry. @throws ember::checkpoint_error if missing or not a uint64 scalar.
  [[nodiscard]] std::uint64_t integer(const std::string& name) const {
    const Entry& e = find(name, CheckpointType::uint64);
    if (e.rows != 1 || e.cols != 1) fail_entry("ember::Checkpoint::integer", name, "has shape " + shape(e) + ", expected 1 x 1");
    return e.integers[0];
  }

  /// @brief A uint64 column entry as counts; size = −1 accepts any length.
  /// @throws ember::checkpoint_error if missing, not uint64, of another shape, or a count exceeds ember::Index.
  [[nodiscard]] Eigen::Matrix<Index, Eigen::Dynamic, 1> counts(const std::string& name, Index size = -1) const {
    constexpr const char* fn = "ember::Checkpoint::counts";
    const Entry& e = find(name, CheckpointType::uint64);
    if (e.cols != 1 || (size >= 0 && e.rows != static_cast<std::uint64_t>(size)))
      fail_entry(fn, name, "has shape " + shape(e) + ", expected " + (size < 0 ? std::string("any") : std::to_string(size)) + " x 1");
    Eigen::Matrix<Index, Eigen::Dynamic, 1> out(static_cast<Index>(e.rows));
    for (Index i = 0; i < out.size(); ++i) {
      const std::uint64_t v = e.integers[static_cast<std::size_t>(i)];
      if (v > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()))
        fail_entry(fn, name, "holds " + std::to_string(v) + " at " + std::to_string(i) + ", more than a count can be");
      out(i) = static_cast<Index>(v);
    }
    return out;
  }

  /// @brief A float array entry as a rows × cols matrix; rows or cols = −1 accepts any extent.
  /// @throws ember::checkpoint_error if missing, of the other scalar type, of another shape, or not finite.
  template <Scalar T>
  [[nodiscard]] Batch<T> matrix(const std::string& name, Index rows = -1, Index cols = -1) const {
    constexpr const char* fn = "ember::Checkpoint::matrix";
    const Entry& e = find(name, std::is_same_v<T, float> ? CheckpointType::float32 : CheckpointType::float64);
    if ((rows >= 0 && e.rows != static_cast<std::uint64_t>(rows)) || (cols >= 0 && e.cols != static_cast<std::uint64_t>(cols)))
      fail_entry(fn, name, "has shape " + shape(e) + ", expected " + (rows < 0 ? std::string("any") : std::to_string(rows)) +
                               " x " + (cols < 0 ? std::string("any") : std::to_string(cols)));
    Batch<T> out(static_cast<Index>(e.rows), static_cast<Index>(e.cols));
    std::size_t k = 0;
    for (Index j = 0; j < out.cols(); ++j)
      for (Index i = 0; i < out.rows(); ++i) {
        const double v = e.reals[k++];
        if (!std::isfinite(v))
          fail_entry(fn, name, "holds a non-finite value at (" + std::to_string(i) + ", " + std::to_string(j) + ")");
        out(i, j) = static_cast<T>(v);
      }
    return out;
  }

  /// @brief A float vector entry (an n × 1 array); size = −1 accepts any length.
  template <Scalar T>
  [[nodiscard]] Vector<T> vector(const std::string& name, Index size = -1) const {
    return matrix<T>(name, size, 1);
  }

  /// @brief The file's bytes (header + payload).
  [[nodiscard]] std::vector<unsigned char> serialize() const {
    io::detail::ByteWriter payload;
    payload.u64(entries_.size());
    for (const auto& [name, e] : entries_) {
      payload.u32(static_cast<std::uint32_t>(name.size()));
      payload.raw(name);
      payload.u8(static_cast<std::uint8_t>(e.type));
      payload.u64(e.rows);
      payload.u64(e.cols);
      if (e.type == CheckpointType::uint64)
        for (std::uint64_t v : e.integers) payload.u64(v);
      else if (e.type == CheckpointType::float32)
        for (double v : e.reals) payload.f32(static_cast<float>(v));
      else
        for (double v : e.reals) payload.f64(v);
    }
    const auto& body = payload.bytes();
    io::detail::ByteWriter file;
    file.reserve(header_size + body.size());
    file.raw(magic);
    file.u32(format_version);
    file.u32(0);
    file.u64(body.size());
    file.u64(io::detail::fnv1a64(body.data(), body.size()));
    auto& bytes = file.bytes();
    bytes.insert(bytes.end(), body.begin(), body.end());
    return std::move(bytes);
  }

  /// @brief Parses a checkpoint from bytes (what `load` does after reading the file).
  /// @param source the name used in error messages
  /// @throws ember::checkpoint_error on any malformed input; never reads out of bounds or over-allocates.
  [[nodiscard]] static Checkpoint parse(const unsigned char* data, std::size_t size, std::string source) {
    constexpr const char* fn = "ember::Checkpoint::load";
    Checkpoint ck;
    ck.source_ = std::move(source);
    const auto fail = [&](const std::string& problem) { ck.fail_file(fn, problem); };
    if (size < header_size)
      fail("is " + std::to_string(size) + " bytes, shorter than the " + std::to_string(header_size) +
           "-byte header (truncated or not a checkpoint)");
    io::detail::ByteReader header(data, header_size);
    if (header.string(magic.size()) != magic) fail("bad magic number: not an ember checkpoint");
    const std::uint32_t version = header.u32();
    if (version != format_version)
      fail("format version " + std::to_string(version) + " is not supported (this build reads version " +
           std::to_string(format_version) + ")");
    if (const std::uint32_t reserved = header.u32(); reserved != 0)
      fail("reserved header field is " + std::to_string(reserved) + ", expected 0 (corrupted, or a newer format)");
    const std::uint64_t payload_size = header.u64();
    const std::uint64_t checksum = header.u64();
    const std::uint64_t present = size - header_size;
    if (payload_size > present)
      fail("truncated: the header announces " + std::to_string(payload_size) + " payload bytes but only " +
           std::to_string(present) + " follow");
    if (payload_size < present)
      fail("has " + std::to_string(present - payload_size) + " unexpected bytes after the payload");
    const unsigned char* body = data + header_size;
    const std::uint64_t computed = io::detail::fnv1a64(body, static_cast<std::size_t>(payload_size));
    if (computed != checksum)
      fail("checksum mismatch (stored " + hex(checksum) + ", computed " + hex(computed) + "): the file is corrupted");

    io::detail::ByteReader in(body, static_cast<std::size_t>(payload_size));
    const std::uint64_t count = in.u64();
    if (!in.ok()) fail("truncated payload: no entry count");
    constexpr std::uint64_t min_entry_bytes = 4 + 1 + 1 + 8 + 8;
    if (count > in.remaining() / min_entry_bytes)
      fail("entry count " + std::to_string(count) + " is more than the " + std::to_string(in.remaining()) +
           " remaining bytes can hold");
    for (std::uint64_t k = 0; k < count; ++k) {
      const std::string where = "entry " + std::to_string(k);
      const std::uint32_t length = in.u32();
      if (!in.ok()) fail(where + ": truncated");
      if (length == 0 || length > max_name_length)
        fail(where + ": name length " + std::to_string(length) + " is outside [1, " + std::to_string(max_name_length) + "]");
      std::string name = in.string(length);
      if (!in.ok()) fail(where + ": truncated name");
      if (!valid_name(name)) fail(where + ": the name holds non-printable characters");
      const std::string what = where + " '" + name + "'";
      const std::uint8_t tag = in.u8();
      const std::uint64_t rows = in.u64();
      const std::uint64_t cols = in.u64();
      if (!in.ok()) fail(what + ": truncated");
      if (tag < 1 || tag > 3) fail(what + ": unknown scalar type tag " + std::to_string(tag));
      const auto type = static_cast<CheckpointType>(tag);
      const std::uint64_t width = type == CheckpointType::float32 ? 4 : 8;
      const std::uint64_t room = in.remaining() / width;  // the most values the remaining bytes can hold
      if ((cols != 0 && rows > room / cols) || (rows != 0 && cols > room / rows) ||
          rows > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()) ||
          cols > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()))
        fail(what + ": size " + std::to_string(rows) + " x " + std::to_string(cols) + " needs more than the " +
             std::to_string(in.remaining()) + " bytes left in the file");
      Entry e;
      e.type = type;
      e.rows = rows;
      e.cols = cols;
      const auto n = static_cast<std::size_t>(rows * cols);
      if (type == CheckpointType::uint64) {
        e.integers.resize(n);
        for (auto& v : e.integers) v = in.u64();
      } else {
        e.reals.resize(n);
        for (auto& v : e.reals) v = type == CheckpointType::float32 ? static_cast<double>(in.f32()) : in.f64();
      }
      if (!in.ok()) fail(what + ": truncated values");
      if (ck.entries_.count(name) != 0) fail(what + ": duplicate name");
      ck.entries_.emplace(std::move(name), std::move(e));
    }
    if (in.remaining() != 0) fail("has " + std::to_string(in.remaining()) + " unparsed payload bytes after the last entry");
    return ck;
  }

  /// @brief Writes the checkpoint to `path` atomically (temporary file, fsync, rename), first removing the
  /// temporaries that crashed writes to `path` left behind.
  /// @throws ember::checkpoint_error if the file cannot be written or `path` exists and is not a regular file
  /// (the previous file, if any, is untouched).
  void save(const std::string& path) const {
    std::string error;
    if (!io::detail::write_file_atomically(path, serialize(), error))
      throw checkpoint_error("ember::Checkpoint::save: file \"" + path + "\": " + error);
  }

  /// @brief Whether `save(path)` can succeed: the path is absent or a regular file (not a symbolic link) and a
  /// file can be created in its directory (a probe file is created and removed; nothing else is written).
  /// @throws ember::checkpoint_error naming the file and the problem.
  static void check_writable(const std::string& path) {
    std::string error;
    if (!io::detail::check_writable_target(path, error))
      throw checkpoint_error("ember::Checkpoint::check_writable: file \"" + path + "\": " + error);
  }

  /// @brief Reads and validates a checkpoint file (a regular file: a directory, FIFO or device is refused).
  /// @throws ember::checkpoint_error naming the file and problem.
  [[nodiscard]] static Checkpoint load(const std::string& path) {
    std::vector<unsigned char> bytes;
    std::string error;
    if (!io::detail::read_file(path, bytes, error))
      throw checkpoint_error("ember::Checkpoint::load: file \"" + path + "\": " + error);
    return parse(bytes.data(), bytes.size(), path);
  }

 private:
  struct Entry {
    CheckpointType type = CheckpointType::uint64;
    std::uint64_t rows = 0, cols = 0;
    std::vector<std::uint64_t> integers;  // uint64 entries
    std::vector<double> reals;            // float32 and float64 entries (float32 values are exact in double)
  };

  static bool valid_name(std::string_view name) {
    for (char c : name)
      if (c < 0x20 || c > 0x7e) return false;
    return !name.empty() && name.size() <= max_name_length;
  }
  static std::string hex(std::uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int k = 15; k >= 0; --k) s += digits[(v >> (4 * k)) & 0xF];
    return s;
  }
  static const char* type_name(CheckpointType t) {
    return t == CheckpointType::uint64 ? "uint64" : t == CheckpointType::float32 ? "float32" : "float64";
  }
  static std::string shape(const Entry& e) { return std::to_string(e.rows) + " x " + std::to_string(e.cols); }

  void put(const std::string& name, Entry e) {
    detail::require(valid_name(name), "ember::Checkpoint::set", "name", "\"" + name + "\"",
                    "must be 1 to 256 printable ASCII characters");
    entries_[name] = std::move(e);
  }
  [[noreturn]] void fail_file(std::string_view fn, const std::string& problem) const {
    throw checkpoint_error(std::string(fn) + ": file \"" + source_ + "\": " + problem);
  }
  [[noreturn]] void fail_entry(std::string_view fn, const std::string& name, const std::string& problem) const {
    fail_file(fn, "entry '" + name + "' " + problem);
  }
  const Entry& find(const std::string& name, CheckpointType type) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) fail_entry("ember::Checkpoint", name, "is missing");
    if (it->second.type != type)
      fail_entry("ember::Checkpoint", name,
                 std::string("is ") + type_name(it->second.type) + ", requested " + type_name(type));
    return it->second;
  }

  std::map<std::string, Entry> entries_;
  std::string source_ = "(memory)";
};

// ---- The training state: store / restore under a key prefix --------------------------------------------------

/// @brief Restores a parameter vector: entry `key` must be a finite float vector of params.size() entries.
template <Scalar T>
void restore_parameters(const Checkpoint& ck, const std::string& key, Vector<T>& params) {
  params = ck.vector<T>(key, params.size());
}

/// @brief Stores a generator's seed and position as `key.seed`, `key.position`.
inline void store(Checkpoint& ck, const std::string& key, const Philox& rng) {
  ck.set(key + ".seed", rng.seed());
  ck.set(key + ".position", rng.position());
}
/// @brief Restores a generator (seed and position) so that its next draw is the one after the stored state.
inline void restore(const Checkpoint& ck, const std::string& key, Philox& rng) {
  const std::uint64_t seed = ck.integer(key + ".seed");
  const std::uint64_t position = ck.integer(key + ".position");
  rng = Philox(seed, position);
}

namespace detail {
/// An optimizer buffer is either empty (before the first step) or one entry per parameter.
template <Scalar T>
Vector<T> optimizer_buffer(const Checkpoint& ck, const std::string& name, Index parameters) {
  Vector<T> v = ck.vector<T>(name);
  if (v.size() != 0 && v.size() != parameters)
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entry '" + name + "' has " +
                           std::to_string(v.size()) + " entries, expected 0 or " + std::to_string(parameters) +
                           " (one per parameter)");
  return v;
}

/// The state SGD and the EMA share in shape: one per-parameter buffer and one count, as `key.<buffer>` and
/// `key.<count>`.
template <Scalar T>
void store_buffer_and_count(Checkpoint& ck, const std::string& key, const char* buffer_name, const Vector<T>& buffer,
                            const char* count_name, std::uint64_t count) {
  ck.set(key + "." + buffer_name, buffer);
  ck.set(key + "." + count_name, count);
}
/// Reads back what store_buffer_and_count wrote, as a {buffer, count} aggregate (SgdState, EmaState).
template <class State, Scalar T>
State restore_buffer_and_count(const Checkpoint& ck, const std::string& key, const char* buffer_name,
                               const char* count_name, Index parameters) {
  return State{optimizer_buffer<T>(ck, key + "." + buffer_name, parameters), ck.integer(key + "." + count_name)};
}
}  // namespace detail

/// @brief Stores SGD's velocity and step count as `key.velocity`, `key.steps`.
template <Scalar T>
void store(Checkpoint& ck, const std::string& key, const Sgd<T>& sgd) {
  detail::store_buffer_and_count(ck, key, "velocity", sgd.state().velocity, "steps", sgd.state().steps);
}
/// @brief Restores SGD's state. @param parameters the length of the parameter vector it optimizes
template <Scalar T>
void restore(const Checkpoint& ck, const std::string& key, Sgd<T>& sgd, Index parameters) {
  sgd.set_state(detail::restore_buffer_and_count<SgdState<T>, T>(ck, key, "velocity", "steps", parameters));
}

/// @brief Stores Adam's moments and step count as `key.first_moment`, `key.second_moment`, `key.steps`.
template <Scalar T>
void store(Checkpoint& ck, const std::string& key, const Adam<T>& adam) {
  ck.set(key + ".first_moment", adam.state().first_moment);
  ck.set(key + ".second_moment", adam.state().second_moment);
  ck.set(key + ".steps", adam.state().steps);
}
/// @brief Restores Adam's state. @param parameters the length of the parameter vector it optimizes
template <Scalar T>
void restore(const Checkpoint& ck, const std::string& key, Adam<T>& adam, Index parameters) {
  AdamState<T> s;
  s.first_moment = detail::optimizer_buffer<T>(ck, key + ".first_moment", parameters);
  s.second_moment = detail::optimizer_buffer<T>(ck, key + ".second_moment", parameters);
  s.steps = ck.integer(key + ".steps");
  if (s.first_moment.size() != s.second_moment.size() || (s.steps > 0) != (s.first_moment.size() > 0))
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entries '" + key +
                           ".*' are inconsistent (moment sizes " + std::to_string(s.first_moment.size()) + " and " +
                           std::to_string(s.second_moment.size()) + " after " + std::to_string(s.steps) + " steps)");
  adam.set_state(std::move(s));
}

/// @brief Stores the parameter average and update count as `key.average`, `key.updates`.
template <Scalar T>
void store(Checkpoint& ck, const std::string& key, const ParameterEma<T>& ema) {
  detail::store_buffer_and_count(ck, key, "average", ema.state().average, "updates", ema.state().updates);
}
/// @brief Restores an EMA. @param parameters the length of the parameter vector it averages
template <Scalar T>
void restore(const Checkpoint& ck, const std::string& key, ParameterEma<T>& ema, Index parameters) {
  ema.set_state(detail::restore_buffer_and_count<EmaState<T>, T>(ck, key, "average", "updates", parameters));
}

/// @brief Stores a replay buffer's samples, fill count, FIFO slot and push count under `key.*`.
template <Scalar T, class Init>
void store(Checkpoint& ck, const std::string& key, const ReplayBuffer<T, Init>& buffer) {
  const auto& s = buffer.state();
  ck.set(key + ".samples", s.samples);
  ck.set(key + ".fill_count", static_cast<std::uint64_t>(s.fill_count));
  ck.set(key + ".next_slot", static_cast<std::uint64_t>(s.next_slot));
  ck.set(key + ".pushed", s.pushed);
}
/// @brief Restores a replay buffer; the stored one must have the same capacity and dimension.
template <Scalar T, class Init>
void restore(const Checkpoint& ck, const std::string& key, ReplayBuffer<T, Init>& buffer) {
  ReplayBufferState<T> s;
  s.samples = ck.matrix<T>(key + ".samples", buffer.capacity(), buffer.dim());
  const std::uint64_t fill = ck.integer(key + ".fill_count");
  const std::uint64_t slot = ck.integer(key + ".next_slot");
  const auto capacity = static_cast<std::uint64_t>(buffer.capacity());
  if (fill > capacity || slot >= capacity)
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entries '" + key + ".fill_count' = " +
                           std::to_string(fill) + " / '" + key + ".next_slot' = " + std::to_string(slot) +
                           " do not fit a buffer of capacity " + std::to_string(capacity));
  s.fill_count = static_cast<Index>(fill);
  s.next_slot = static_cast<Index>(slot);
  s.pushed = ck.integer(key + ".pushed");
  buffer.set_state(std::move(s));
}

/// @brief Stores the state of a Metropolis-adjusted kernel (ember::Mala, ember::Hmc) under `key.*`: the step
/// size in use, the steps taken, the warm-up's dual-averaging state, the last mean acceptance and the
/// per-chain statistics — what a resumed run needs to continue the kernel bit for bit.
template <class T, class K>
void store(Checkpoint& ck, const std::string& key, const detail::MetropolisKernel<T, K>& kernel) {
  const MetropolisState<T> s = kernel.state();
  const auto real = [](T v) { return Eigen::Matrix<T, 1, 1>::Constant(v); };
  ck.set(key + ".step_size", real(s.step_size));
  ck.set(key + ".steps_taken", static_cast<std::uint64_t>(s.steps_taken));
  ck.set(key + ".last_mean_acceptance", real(s.last_mean_acceptance));
  ck.set(key + ".adaptation_iteration", static_cast<std::uint64_t>(s.adaptation_iteration));
  ck.set(key + ".adaptation_h_bar", real(s.adaptation_h_bar));
  ck.set(key + ".adaptation_log_step_bar", real(s.adaptation_log_step_bar));
  ck.set_counts(key + ".accepted", s.accepted);
  ck.set_counts(key + ".divergent", s.divergent);
  ck.set(key + ".proposed", static_cast<std::uint64_t>(s.proposed));
}
/// @brief Restores a Metropolis-adjusted kernel built with the same settings as the stored one.
/// @throws ember::checkpoint_error if an entry is missing, of the wrong type, or the entries are inconsistent.
template <class T, class K>
void restore(const Checkpoint& ck, const std::string& key, detail::MetropolisKernel<T, K>& kernel) {
  const auto real = [&](const char* name) { return ck.matrix<T>(key + "." + name, 1, 1)(0, 0); };
  const auto count = [&](const char* name) {
    const std::uint64_t v = ck.integer(key + "." + name);
    if (v > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()))
      throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entry '" + key + "." + name + "' = " +
                             std::to_string(v) + " is more than a count can be");
    return static_cast<Index>(v);
  };
  MetropolisState<T> s;
  s.step_size = real("step_size");
  s.steps_taken = count("steps_taken");
  s.last_mean_acceptance = real("last_mean_acceptance");
  s.adaptation_iteration = static_cast<long>(count("adaptation_iteration"));
  s.adaptation_h_bar = real("adaptation_h_bar");
  s.adaptation_log_step_bar = real("adaptation_log_step_bar");
  s.accepted = ck.counts(key + ".accepted");
  s.divergent = ck.counts(key + ".divergent");
  s.proposed = count("proposed");
  try {
    kernel.set_state(std::move(s));
  } catch (const ember::invalid_argument& e) {
    throw checkpoint_error("ember::restore: file \"" + ck.source() + "\": entries '" + key +
                           ".*' are inconsistent (" + e.what() + ")");
  }
}

// ---- Models with their architecture ---------------------------------------------------------------------------

namespace detail {
/// The name a checkpoint stores for an MLP activation: ember's four, or a user activation's `static constexpr
/// std::string_view name`.
template <class Activation>
constexpr std::string_view activation_name() {
  if constexpr (requires { std::string_view(Activation::name); }) return Activation::name;
  else if constexpr (std::is_same_v<Activation, Silu>) return "silu";
  else if constexpr (std::is_same_v<Activation, Softplus>) return "softplus";
  else if constexpr (std::is_same_v<Activation, Tanh>) return "tanh";
  else if constexpr (std::is_same_v<Activation, SmoothLeaky>) return "smooth_leaky";
  else static_assert(sizeof(Activation) == 0, "ember::store: give a user activation a "
                                              "`static constexpr std::string_view name` to checkpoint its MLP.");
}

/// The stored activation name (its bytes as a uint64 column, since entries hold numbers).
inline std::string stored_activation(const Checkpoint& ck, const std::string& key) {
  const auto codes = ck.counts(key + ".activation");
  std::string name;
  for (Index i = 0; i < codes.size(); ++i) name.push_back(static_cast<char>(codes(i) & 0x7f));
  return name;
}

template <class T>
std::string describe_widths(const std::vector<T>& widths) {
  std::string out = "{";
  for (std::size_t l = 0; l < widths.size(); ++l) out += (l ? ", " : "") + std::to_string(widths[l]);
  return out + "}";
}
}  // namespace detail

/// @brief Stores an MLP with what rebuilds it: `key.widths`, `key.activation` (its name), `key.base_scale` and
/// the parameters `key.params`.
template <Scalar T, class Activation>
void store(Checkpoint& ck, const std::string& key, const MlpEnergy<T, Activation>& mlp) {
  const std::vector<Index>& widths = mlp.widths();
  ck.set_counts(key + ".widths", Eigen::Map<const Eigen::Matrix<Index, Eigen::Dynamic, 1>>(
                                     widths.data(), static_cast<Index>(widths.size())));
  const std::string_view name = detail::activation_name<Activation>();
  Eigen::Matrix<Index, Eigen::Dynamic, 1> codes(static_cast<Index>(name.size()));
  for (std::size_t k = 0; k < name.size(); ++k) codes(static_cast<Index>(k)) = static_cast<unsigned char>(name[k]);
  ck.set_counts(key + ".activation", codes);
  ck.set(key + ".base_scale", Eigen::Matrix<T, 1, 1>::Constant(mlp.settings().base_scale));
  ck.set(key + ".params", mlp.params());
}

/// @brief Restores an MLP's parameters after checking that the stored architecture is this network's.
/// @throws ember::checkpoint_error naming what differs (widths, activation or base scale) and both values
template <Scalar T, class Activation>
void restore(const Checkpoint& ck, const std::string& key, MlpEnergy<T, Activation>& mlp) {
  const std::string where = "ember::restore: file \"" + ck.source() + "\": MLP '" + key + "': ";
  const auto stored = ck.counts(key + ".widths");
  const std::vector<Index> widths(stored.data(), stored.data() + stored.size());
  if (widths != mlp.widths())
    throw checkpoint_error(where + "widths are " + detail::describe_widths(widths) + " in the file, " +
                           detail::describe_widths(mlp.widths()) + " in the model");
  const std::string activation = detail::stored_activation(ck, key);
  if (activation != detail::activation_name<Activation>())
    throw checkpoint_error(where + "activation is '" + activation + "' in the file, '" +
                           std::string(detail::activation_name<Activation>()) + "' in the model");
  const T base_scale = ck.matrix<T>(key + ".base_scale", 1, 1)(0, 0);
  if (base_scale != mlp.settings().base_scale)
    throw checkpoint_error(where + "base_scale is " + detail::describe(base_scale) + " in the file, " +
                           detail::describe(mlp.settings().base_scale) + " in the model");
  restore_parameters(ck, key + ".params", mlp.params());
}

/// @brief Rebuilds an MLP from a checkpoint alone (widths, base scale and parameters as stored).
/// @throws ember::checkpoint_error if an entry is missing or the stored activation is not `Activation`
template <Scalar T, class Activation = Silu>
MlpEnergy<T, Activation> restore_mlp(const Checkpoint& ck, const std::string& key) {
  const std::string where = "ember::restore_mlp: file \"" + ck.source() + "\": MLP '" + key + "': ";
  const auto stored = ck.counts(key + ".widths");
  // The widths must be sensible and fit the stored parameters before any network is allocated.
  const Index stored_params = ck.vector<T>(key + ".params").size();
  const auto mismatch = [&] {
    return checkpoint_error(where + "widths " +
                            detail::describe_widths(std::vector<Index>(stored.data(), stored.data() + stored.size())) +
                            " do not describe a network of " + std::to_string(stored_params) + " parameters");
  };
  Index expected = 0;
  for (Index l = 0; l < stored.size(); ++l) {
    const Index in = stored(l), out = l + 1 < stored.size() ? stored(l + 1) : 1;
    if (in < 1 || in > stored_params || out > stored_params) throw mismatch();
    expected += (in + 1) * out;  // W_l and b_l; no overflow: each term ≤ (p + 1)·p and we stop once past p
    if (expected > stored_params) throw mismatch();
  }
  if (stored.size() == 0 || expected != stored_params) throw mismatch();
  MlpSettings<T> settings;
  settings.base_scale = ck.matrix<T>(key + ".base_scale", 1, 1)(0, 0);
  MlpEnergy<T, Activation> mlp(std::vector<Index>(stored.data(), stored.data() + stored.size()), /*seed=*/0, settings);
  restore(ck, key, mlp);
  return mlp;
}

}  // namespace ember
