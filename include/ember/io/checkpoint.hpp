#pragma once
/// @file
/// @brief ember::Checkpoint: the whole training state in one versioned, checksummed binary file, written
/// atomically, loaded with every size checked before anything is allocated.
///
/// A checkpoint is a set of named entries, each a rows × cols array of uint64, float32 or float64 (a
/// scalar is a 1 × 1 array). `store`/`restore` overloads map ember's stateful objects onto entries under a
/// key prefix. This header holds the format, a parameter vector (`restore_parameters`) and ember::Philox (seed,
/// position), and depends on core/ only; the other overloads sit in one io/ header per layer of the types they
/// store, so that this one includes nothing above core/:
/// - io/checkpoint_train.hpp: ember::Sgd and ember::Adam (moments, step count), ember::ParameterEma (average,
///   updates);
/// - io/checkpoint_mcmc.hpp: ember::ReplayBuffer (samples, fill count, write slot, pushed), ember::Mala and
///   ember::Hmc (adapted step size, steps taken, warm-up state, acceptance statistics);
/// - io/checkpoint_mlp.hpp: ember::MlpEnergy (its architecture: widths, activation, base scale; and its
///   parameters: `restore_mlp` rebuilds the network from the file alone).
/// Resuming from them is exact: the training loop continues bit for bit as if it had never stopped
/// (tests/io/checkpoint.test.cpp).
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
/// ember::Checkpoint ck;  ck.set("params", energy.params());  ember::store(ck, "rng", rng);  ck.save("run.ckpt");
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
#include "ember/io/detail/binary.hpp"
#include "ember/simd/random.hpp"

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

// ---- Core state: a parameter vector and the generator ----------------------------------------------------------

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

}  // namespace ember
