#pragma once
/// @file
/// @brief NumPy's array files: .npy (one array) and .npz (a zip archive of named .npy entries), written and read
/// byte-compatibly with numpy.save / numpy.load / numpy.savez.
///
/// .npy, format 1.0 (read: 1.0, 2.0, 3.0): the magic "\x93NUMPY", the version, a little-endian header length,
/// then an ASCII Python dict `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces
/// and ended by '\n' so that the data starts at a multiple of 64 bytes, then the values in C (row-major) or
/// Fortran (column-major) order. ember writes element types float32 '<f4', float64 '<f8', int32 '<i4' and int64
/// '<i8', 0-, 1- or 2-dimensional; it reads those in either byte order ('<', '>', '=' on this little-endian
/// build). An Eigen vector (one column at compile time) is written 1-dimensional, shape (n,); anything else 2-D.
///
/// .npz: a zip archive with one stored (uncompressed) entry "name.npy" per array, each with its CRC-32. ember
/// writes zip archives of stored entries and reads stored entries (also numpy's zip64 headers); a compressed
/// entry (numpy.savez_compressed) is refused with ember::npy_error, as is a CRC mismatch.
///
/// Reading checks every size against the bytes present before allocating (a truncated or hostile file throws,
/// never overreads); values convert to the requested scalar type (an integer type refuses floating values).
/// Writing replaces the file atomically (io/detail/binary.hpp).
///
/// @code
/// ember::write_npy("samples.npy", samples);                          // numpy.load gives an (N, d) array
/// ember::Batch<float> back = ember::read_npy<float>("samples.npy");
/// ember::write_npz("run.npz", {{"samples", ember::NpyArray(samples)}, {"losses", ember::NpyArray(losses)}});
/// ember::Vector<double> again = ember::read_npz("run.npz").at("losses").vector<double>();
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"
#include "ember/io/detail/binary.hpp"

namespace ember {

static_assert(std::endian::native == std::endian::little, "ember/io/npy.hpp assumes a little-endian machine.");

/// @brief A .npy/.npz file that cannot be read or written: the message names the function, the file and the problem.
class npy_error : public ember::invalid_argument {
 public:
  using ember::invalid_argument::invalid_argument;
};

/// The element types ember reads and writes (NumPy's '<f4', '<f8', '<i4', '<i8').
enum class NpyType : std::uint8_t { float32, float64, int32, int64 };

namespace detail {

template <class T>
inline constexpr bool is_npy_scalar = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                      std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>;

template <class T>
constexpr NpyType npy_type_of() {
  static_assert(is_npy_scalar<T>, "ember: .npy arrays hold float, double, std::int32_t or std::int64_t.");
  if constexpr (std::is_same_v<T, float>) return NpyType::float32;
  else if constexpr (std::is_same_v<T, double>) return NpyType::float64;
  else if constexpr (std::is_same_v<T, std::int32_t>) return NpyType::int32;
  else return NpyType::int64;
}

constexpr std::size_t npy_item_size(NpyType type) {
  return type == NpyType::float32 || type == NpyType::int32 ? 4 : 8;
}

constexpr std::string_view npy_descr(NpyType type) {
  constexpr std::array<std::string_view, 4> names{"<f4", "<f8", "<i4", "<i8"};
  return names[static_cast<std::size_t>(type)];
}

constexpr bool npy_is_floating(NpyType type) { return type == NpyType::float32 || type == NpyType::float64; }

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip archives store it.
inline std::uint32_t crc32(const unsigned char* data, std::size_t size) {
  static constexpr auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

[[noreturn]] inline void npy_fail(std::string_view function, const std::string& source, const std::string& problem) {
  throw npy_error(std::string(function) + ": file \"" + source + "\": " + problem);
}

}  // namespace detail

/// @brief One array of a .npy file or .npz entry: element type, shape (0 to 2 dimensions) and values.
///
/// Holds the values as little-endian bytes in the array's own order (C or Fortran), exactly as in the file.
class NpyArray {
 public:
  NpyArray() = default;

  /// @brief Copies a dense Eigen object: a compile-time vector becomes shape (n,), anything else (rows, cols).
  /// @param fortran_order store column-major (no transpose; numpy reads it alike) instead of row-major
  template <class Derived>
  explicit NpyArray(const Eigen::DenseBase<Derived>& values, bool fortran_order = false) {
    using T = typename Derived::Scalar;
    type_ = detail::npy_type_of<T>();
    fortran_order_ = fortran_order;
    if constexpr (Derived::ColsAtCompileTime == 1) {
      shape_ = {static_cast<std::size_t>(values.rows())};
    } else {
      shape_ = {static_cast<std::size_t>(values.rows()), static_cast<std::size_t>(values.cols())};
    }
    bytes_.resize(static_cast<std::size_t>(values.size()) * sizeof(T));
    std::size_t k = 0;
    auto put = [&](Index i, Index j) {
      const T v = values.derived().coeff(i, j);
      std::memcpy(bytes_.data() + sizeof(T) * k++, &v, sizeof(T));
    };
    if (fortran_order || values.rows() == 1 || values.cols() == 1) {
      for (Index j = 0; j < values.cols(); ++j)
        for (Index i = 0; i < values.rows(); ++i) put(i, j);
    } else {
      for (Index i = 0; i < values.rows(); ++i)
        for (Index j = 0; j < values.cols(); ++j) put(i, j);
    }
  }

  [[nodiscard]] NpyType type() const { return type_; }
  /// NumPy's descr string of the element type ('<f4', '<f8', '<i4', '<i8').
  [[nodiscard]] std::string_view descr() const { return detail::npy_descr(type_); }
  [[nodiscard]] const std::vector<std::size_t>& shape() const { return shape_; }
  [[nodiscard]] bool fortran_order() const { return fortran_order_; }
  /// Number of values (1 for shape ()).
  [[nodiscard]] std::size_t size() const { return bytes_.size() / detail::npy_item_size(type_); }
  /// The values' bytes, little-endian, in the array's order.
  [[nodiscard]] const std::vector<unsigned char>& bytes() const { return bytes_; }

  /// @brief The values as a rows × cols matrix: shape () is 1 × 1, (n,) is n × 1, (r, c) is r × c.
  /// @throws ember::npy_error if T is an integer type and the array holds floating-point values
  template <class T>
  [[nodiscard]] Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> matrix() const {
    static_assert(detail::is_npy_scalar<T>, "ember::NpyArray::matrix: T must be float, double, std::int32_t or "
                                            "std::int64_t.");
    if (std::is_integral_v<T> && detail::npy_is_floating(type_))
      throw npy_error("ember::NpyArray::matrix: the array holds " + std::string(descr()) +
                      " values, which an integer matrix cannot hold without rounding");
    const Index rows = shape_.empty() ? 1 : static_cast<Index>(shape_[0]);
    const Index cols = shape_.size() < 2 ? 1 : static_cast<Index>(shape_[1]);
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> out(rows, cols);
    std::size_t k = 0;
    if (fortran_order_ || rows == 1 || cols == 1) {
      for (Index j = 0; j < cols; ++j)
        for (Index i = 0; i < rows; ++i) out(i, j) = value<T>(k++);
    } else {
      for (Index i = 0; i < rows; ++i)
        for (Index j = 0; j < cols; ++j) out(i, j) = value<T>(k++);
    }
    return out;
  }

  /// @brief The values of a 0-, 1-D or single-column array as a vector. @throws ember::npy_error otherwise.
  template <class T>
  [[nodiscard]] Eigen::Matrix<T, Eigen::Dynamic, 1> vector() const {
    if (shape_.size() == 2 && shape_[1] != 1)
      throw npy_error("ember::NpyArray::vector: the array has shape (" + std::to_string(shape_[0]) + ", " +
                      std::to_string(shape_[1]) + "), not one column");
    return matrix<T>().col(0);
  }

  /// @brief The whole .npy file: header (format 1.0, padded to 64 bytes) and values.
  [[nodiscard]] std::vector<unsigned char> npy_file() const {
    std::string header = "{'descr': '" + std::string(descr()) + "', 'fortran_order': " +
                         (fortran_order_ ? "True" : "False") + ", 'shape': (";
    for (std::size_t k = 0; k < shape_.size(); ++k) header += (k ? ", " : "") + std::to_string(shape_[k]);
    header += shape_.size() == 1 ? ",), }" : "), }";
    // magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header.push_back('\n');
    std::vector<unsigned char> out{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    out.push_back(static_cast<unsigned char>(header.size() & 0xFFu));
    out.push_back(static_cast<unsigned char>(header.size() >> 8));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), bytes_.begin(), bytes_.end());
    return out;
  }

  /// @brief Parses a whole .npy file held in memory; `source` names it in error messages.
  /// @throws ember::npy_error naming the problem (bad magic, unsupported version or dtype, malformed header,
  ///         more than 2 dimensions, a size that the bytes present do not match)
  static NpyArray parse(const unsigned char* data, std::size_t size, const std::string& source) {
    constexpr const char* fn = "ember::read_npy";
    if (size < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) detail::npy_fail(fn, source, "not a .npy file (bad magic)");
    const unsigned major = data[6];
    std::size_t header_length = 0, header_start = 0;
    if (major == 1) {
      header_length = std::size_t{data[8]} | (std::size_t{data[9]} << 8);
      header_start = 10;
    } else if (major == 2 || major == 3) {
      if (size < 12) detail::npy_fail(fn, source, "truncated header");
      for (int k = 0; k < 4; ++k) header_length |= std::size_t{data[8 + k]} << (8 * k);
      header_start = 12;
    } else {
      detail::npy_fail(fn, source, "unsupported format version " + std::to_string(major) + "." + std::to_string(data[7]));
    }
    if (header_length > size - header_start) detail::npy_fail(fn, source, "truncated header");
    NpyArray array;
    const std::string_view header(reinterpret_cast<const char*>(data + header_start), header_length);
    char byte_order = '<';
    array.parse_header(header, source, byte_order);
    const std::size_t item = detail::npy_item_size(array.type_);
    std::size_t count = 1;
    for (const std::size_t extent : array.shape_) {
      if (extent != 0 && count > std::numeric_limits<std::size_t>::max() / item / extent)
        detail::npy_fail(fn, source, "the shape's size overflows");
      count *= extent;
    }
    const std::size_t available = size - header_start - header_length;
    if (count * item != available)
      detail::npy_fail(fn, source, "the shape needs " + std::to_string(count * item) + " bytes of values, the file has " +
                                       std::to_string(available));
    const unsigned char* values = data + header_start + header_length;
    array.bytes_.assign(values, values + available);
    if (byte_order == '>')
      for (std::size_t k = 0; k < count; ++k)
        std::reverse(array.bytes_.begin() + static_cast<std::ptrdiff_t>(k * item),
                     array.bytes_.begin() + static_cast<std::ptrdiff_t>((k + 1) * item));
    return array;
  }

 private:
  template <class T>
  T value(std::size_t k) const {
    const unsigned char* p = bytes_.data() + k * detail::npy_item_size(type_);
    auto load = [p](auto v) {
      std::memcpy(&v, p, sizeof v);
      return static_cast<T>(v);
    };
    switch (type_) {
      case NpyType::float32: return load(float{});
      case NpyType::float64: return load(double{});
      case NpyType::int32: return load(std::int32_t{});
      case NpyType::int64: return load(std::int64_t{});
    }
    return T{};
  }

  // The header dict: exactly the keys 'descr', 'fortran_order' and 'shape', in any order.
  void parse_header(std::string_view h, const std::string& source, char& byte_order) {
    constexpr const char* fn = "ember::read_npy";
    auto bad = [&](const std::string& what) {
      detail::npy_fail(fn, source, "malformed header (" + what + "): " + std::string(h.substr(0, 200)));
    };
    std::size_t at = 0;
    auto skip_space = [&] {
      while (at < h.size() && (h[at] == ' ' || h[at] == '\n' || h[at] == '\t')) ++at;
    };
    auto expect = [&](char c) {
      skip_space();
      if (at >= h.size() || h[at] != c) bad(std::string("expected '") + c + "'");
      ++at;
    };
    auto quoted = [&] {
      skip_space();
      if (at >= h.size() || (h[at] != '\'' && h[at] != '"')) bad("expected a string");
      const char quote = h[at++];
      const std::size_t end = h.find(quote, at);
      if (end == std::string_view::npos) bad("unterminated string");
      const std::string s(h.substr(at, end - at));
      at = end + 1;
      return s;
    };
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    for (;;) {
      skip_space();
      if (at < h.size() && h[at] == '}') break;
      const std::string key = quoted();
      expect(':');
      skip_space();
      if (key == "descr") {
        const std::string d = quoted();
        if (d.size() != 3 || (d[0] != '<' && d[0] != '>' && d[0] != '=' && d[0] != '|'))
          detail::npy_fail(fn, source, "unsupported dtype '" + d + "' (ember reads f4, f8, i4, i8)");
        const std::string kind = d.substr(1);
        if (kind == "f4") type_ = NpyType::float32;
        else if (kind == "f8") type_ = NpyType::float64;
        else if (kind == "i4") type_ = NpyType::int32;
        else if (kind == "i8") type_ = NpyType::int64;
        else detail::npy_fail(fn, source, "unsupported dtype '" + d + "' (ember reads f4, f8, i4, i8)");
        byte_order = d[0] == '>' ? '>' : '<';
        seen_descr = true;
      } else if (key == "fortran_order") {
        if (h.substr(at, 4) == "True") fortran_order_ = true, at += 4;
        else if (h.substr(at, 5) == "False") fortran_order_ = false, at += 5;
        else bad("fortran_order must be True or False");
        seen_order = true;
      } else if (key == "shape") {
        expect('(');
        shape_.clear();
        for (;;) {
          skip_space();
          if (at < h.size() && h[at] == ')') break;
          std::size_t extent = 0, digits = 0;
          while (at < h.size() && h[at] >= '0' && h[at] <= '9' && digits < 19) {
            extent = extent * 10 + static_cast<std::size_t>(h[at++] - '0');
            ++digits;
          }
          if (digits == 0 || (at < h.size() && h[at] >= '0' && h[at] <= '9')) bad("a shape entry is not a size");
          shape_.push_back(extent);
          skip_space();
          if (at < h.size() && h[at] == ',') ++at;
        }
        ++at;
        if (shape_.size() > 2)
          detail::npy_fail(fn, source, "has " + std::to_string(shape_.size()) + " dimensions; ember reads 0 to 2");
        seen_shape = true;
      } else {
        bad("unknown key '" + key + "'");
      }
      skip_space();
      if (at < h.size() && h[at] == ',') ++at;
    }
    if (!seen_descr || !seen_order || !seen_shape) bad("'descr', 'fortran_order' and 'shape' are required");
  }

  NpyType type_ = NpyType::float64;
  std::vector<std::size_t> shape_;
  bool fortran_order_ = false;
  std::vector<unsigned char> bytes_;
};

namespace detail {

inline void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes, std::string_view function) {
  std::string error;
  if (!io::detail::write_file_atomically(path, bytes, error)) npy_fail(function, path, error);
}

inline std::vector<unsigned char> read_bytes(const std::string& path, std::string_view function) {
  std::vector<unsigned char> bytes;
  std::string error;
  if (!io::detail::read_file(path, bytes, error)) npy_fail(function, path, error);
  return bytes;
}

}  // namespace detail

/// @brief Writes one array as a .npy file (replacing `path` atomically). @throws ember::npy_error on I/O failure.
inline void write_npy(const std::string& path, const NpyArray& array) {
  detail::write_bytes(path, array.npy_file(), "ember::write_npy");
}

/// @brief Writes a dense Eigen object (float, double, int32 or int64) as a .npy file; see NpyArray's constructor.
template <class Derived>
void write_npy(const std::string& path, const Eigen::DenseBase<Derived>& values, bool fortran_order = false) {
  write_npy(path, NpyArray(values, fortran_order));
}

/// @brief Reads a .npy file. @throws ember::npy_error naming the file and the problem.
inline NpyArray read_npy(const std::string& path) {
  const std::vector<unsigned char> bytes = detail::read_bytes(path, "ember::read_npy");
  return NpyArray::parse(bytes.data(), bytes.size(), path);
}

/// @brief Reads a .npy file as a rows × cols matrix of T (see NpyArray::matrix).
template <class T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> read_npy(const std::string& path) {
  return read_npy(path).matrix<T>();
}

/// @brief Writes named arrays as a .npz archive (stored entries "name.npy"; numpy.load(path)[name] reads them).
/// @pre names are distinct, non-empty, at most 250 characters, without '/' or '\\'; the archive is under 4 GiB.
/// @throws ember::npy_error naming the offending name, or on I/O failure
inline void write_npz(const std::string& path, const std::vector<std::pair<std::string, NpyArray>>& arrays) {
  constexpr const char* fn = "ember::write_npz";
  io::detail::ByteWriter out, directory;
  std::map<std::string, int> seen;
  auto u16 = [](io::detail::ByteWriter& w, std::size_t v) {
    w.u8(static_cast<std::uint8_t>(v & 0xFFu));
    w.u8(static_cast<std::uint8_t>((v >> 8) & 0xFFu));
  };
  constexpr std::size_t zip_limit = 0xFFFFFFFFu;
  for (const auto& [name, array] : arrays) {
    if (name.empty() || name.size() > 250 || name.find_first_of("/\\") != std::string::npos || seen[name]++)
      detail::npy_fail(fn, path, "array name '" + name + "' must be non-empty, unique, <= 250 characters, without / or \\");
    const std::string entry = name + ".npy";
    const std::vector<unsigned char> file = array.npy_file();
    const std::size_t offset = out.bytes().size();
    if (file.size() >= zip_limit || offset >= zip_limit)
      detail::npy_fail(fn, path, "array '" + name + "' lies beyond 4 GiB (ember writes no zip64 archives)");
    const std::uint32_t crc = detail::crc32(file.data(), file.size());
    // Fixed modification time 1980-01-01 00:00 (DOS date 0x21), so the same arrays give the same bytes.
    auto common = [&](io::detail::ByteWriter& w) {
      u16(w, 20);  // version needed to extract: 2.0
      u16(w, 0);   // flags
      u16(w, 0);   // method: stored
      u16(w, 0);   // time
      u16(w, 0x21);  // date
      w.u32(crc);
      w.u32(static_cast<std::uint32_t>(file.size()));  // compressed size
      w.u32(static_cast<std::uint32_t>(file.size()));  // uncompressed size
      u16(w, entry.size());
      u16(w, 0);  // extra field length
    };
    out.u32(0x04034b50u);  // local file header
    common(out);
    out.raw(entry);
    out.bytes().insert(out.bytes().end(), file.begin(), file.end());
    directory.u32(0x02014b50u);  // central directory header
    u16(directory, 20);          // version made by
    common(directory);
    u16(directory, 0);  // comment length
    u16(directory, 0);  // disk number
    u16(directory, 0);  // internal attributes
    directory.u32(0);   // external attributes
    directory.u32(static_cast<std::uint32_t>(offset));
    directory.raw(entry);
  }
  const std::size_t directory_offset = out.bytes().size(), directory_size = directory.bytes().size();
  if (directory_offset + directory_size >= zip_limit || arrays.size() >= 0xFFFFu)
    detail::npy_fail(fn, path, "the archive exceeds 4 GiB or 65535 arrays (ember writes no zip64 archives)");
  out.bytes().insert(out.bytes().end(), directory.bytes().begin(), directory.bytes().end());
  out.u32(0x06054b50u);  // end of central directory
  u16(out, 0);
  u16(out, 0);
  u16(out, arrays.size());
  u16(out, arrays.size());
  out.u32(static_cast<std::uint32_t>(directory_size));
  out.u32(static_cast<std::uint32_t>(directory_offset));
  u16(out, 0);  // comment length
  detail::write_bytes(path, out.bytes(), fn);
}

/// @brief Reads every array of a .npz archive, keyed by name (the entry name without ".npy").
/// @throws ember::npy_error naming the file and the problem: not a zip archive, a compressed or encrypted
///         entry (numpy.savez_compressed: ember reads stored entries only), a CRC-32 mismatch, an entry that
///         is not a .npy file, or any size that the bytes present cannot hold
inline std::map<std::string, NpyArray> read_npz(const std::string& path) {
  constexpr const char* fn = "ember::read_npz";
  const std::vector<unsigned char> bytes = detail::read_bytes(path, fn);
  const std::size_t size = bytes.size();
  auto fail = [&](const std::string& problem) { detail::npy_fail(fn, path, problem); };
  auto u16 = [&](std::size_t at) { return std::size_t{bytes[at]} | (std::size_t{bytes[at + 1]} << 8); };
  auto u32 = [&](std::size_t at) { return u16(at) | (u16(at + 2) << 16); };
  auto u64 = [&](std::size_t at) { return u32(at) | (std::uint64_t{u32(at + 4)} << 32); };

  // The end-of-central-directory record: the last 22 bytes, or earlier if the archive has a comment.
  if (size < 22) fail("not a zip archive (too short)");
  std::size_t end = size - 22;
  const std::size_t lowest = size > 22 + 0xFFFF ? size - 22 - 0xFFFF : 0;
  while (u32(end) != 0x06054b50u) {
    if (end == lowest) fail("not a zip archive (no end-of-central-directory record)");
    --end;
  }
  const std::size_t entries = u16(end + 10);
  std::size_t at = u32(end + 16);
  std::map<std::string, NpyArray> arrays;
  for (std::size_t n = 0; n < entries; ++n) {
    if (at > end || end - at < 46 || u32(at) != 0x02014b50u) fail("corrupt central directory");
    const std::size_t flags = u16(at + 8), method = u16(at + 10);
    const std::uint32_t crc = static_cast<std::uint32_t>(u32(at + 16));
    std::uint64_t stored = u32(at + 20), uncompressed = u32(at + 24), offset = u32(at + 42);
    const std::size_t name_length = u16(at + 28), extra_length = u16(at + 30), comment_length = u16(at + 32);
    if (end - at - 46 < name_length + extra_length + comment_length) fail("corrupt central directory");
    const std::string entry(reinterpret_cast<const char*>(bytes.data() + at + 46), name_length);
    // zip64: sizes and offset saturated at 0xFFFFFFFF are in the extra field 0x0001, in this order.
    for (std::size_t x = at + 46 + name_length, x_end = x + extra_length; x + 4 <= x_end;) {
      const std::size_t id = u16(x), length = u16(x + 2);
      if (x + 4 + length > x_end) fail("corrupt extra field of entry '" + entry + "'");
      if (id == 0x0001) {
        std::size_t field = x + 4;
        for (std::uint64_t* value : {&uncompressed, &stored, &offset})
          if (*value == 0xFFFFFFFFu) {
            if (field + 8 > x + 4 + length) fail("corrupt zip64 field of entry '" + entry + "'");
            *value = u64(field);
            field += 8;
          }
      }
      x += 4 + length;
    }
    at += 46 + name_length + extra_length + comment_length;
    if (flags & 1u) fail("entry '" + entry + "' is encrypted");
    if (method != 0)
      fail("entry '" + entry + "' is compressed (method " + std::to_string(method) +
           "); ember reads stored entries only: save with numpy.savez, not numpy.savez_compressed");
    if (stored != uncompressed) fail("entry '" + entry + "' has different stored and uncompressed sizes");
    if (entry.size() < 5 || entry.compare(entry.size() - 4, 4, ".npy") != 0)
      fail("entry '" + entry + "' is not a .npy file");
    if (offset > size || size - offset < 30 || u32(offset) != 0x04034b50u)
      fail("entry '" + entry + "': no local header at offset " + std::to_string(offset));
    const std::size_t data_at = offset + 30 + u16(offset + 26) + u16(offset + 28);
    if (data_at > size || size - data_at < stored) fail("entry '" + entry + "' is truncated");
    const unsigned char* data = bytes.data() + data_at;
    const auto length = static_cast<std::size_t>(stored);
    if (detail::crc32(data, length) != crc) fail("entry '" + entry + "' fails its CRC-32 check: the file is corrupted");
    const std::string name = entry.substr(0, entry.size() - 4);
    if (arrays.count(name)) fail("entry '" + entry + "' appears twice");
    arrays.emplace(name, NpyArray::parse(data, length, path + ":" + entry));
  }
  return arrays;
}

}  // namespace ember
