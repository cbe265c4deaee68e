#pragma once
/// @file
/// @brief Internals of ember's checkpoint format: little-endian encoding, a bounds-checked reader, FNV-1a 64,
/// and an atomic file replacement (temporary file in the same directory, write, fsync, rename, fsync dir).
///
/// @code
/// std::uint64_t h = ember::io::detail::fnv1a64(bytes.data(), bytes.size());
/// ember::io::detail::write_file_atomically("run.ckpt", bytes);   // all or nothing
/// @endcode

#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ember::io::detail {

/// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
inline std::uint64_t fnv1a64(const unsigned char* data, std::size_t size) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

/// Appends little-endian integers and IEEE-754 values to a byte vector.
class ByteWriter {
 public:
  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u32(std::uint32_t v) {
    for (int k = 0; k < 4; ++k) bytes_.push_back(static_cast<unsigned char>(v >> (8 * k)));
  }
  void u64(std::uint64_t v) {
    for (int k = 0; k < 8; ++k) bytes_.push_back(static_cast<unsigned char>(v >> (8 * k)));
  }
  void f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
  void raw(std::string_view s) { bytes_.insert(bytes_.end(), s.begin(), s.end()); }
  void reserve(std::size_t n) { bytes_.reserve(n); }
  [[nodiscard]] std::vector<unsigned char>& bytes() { return bytes_; }

 private:
  std::vector<unsigned char> bytes_;
};

/// Reads little-endian values from a byte range; every read is bounds-checked (`ok()` turns false and the
/// read returns 0 instead of touching memory past the end).
class ByteReader {
 public:
  ByteReader(const unsigned char* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] std::size_t remaining() const { return size_ - offset_; }
  [[nodiscard]] std::size_t offset() const { return offset_; }
  [[nodiscard]] bool ok() const { return ok_; }
  bool skip(std::size_t n) {
    if (!take(n)) return false;
    offset_ += n;
    return true;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(read(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(read(4)); }
  std::uint64_t u64() { return read(8); }
  float f32() { return std::bit_cast<float>(u32()); }
  double f64() { return std::bit_cast<double>(u64()); }
  std::string string(std::size_t n) {
    if (!take(n)) return {};
    std::string s(reinterpret_cast<const char*>(data_ + offset_), n);
    offset_ += n;
    return s;
  }

 private:
  bool take(std::size_t n) {
    if (!ok_ || n > remaining()) ok_ = false;
    return ok_;
  }
  std::uint64_t read(int n) {
    if (!take(static_cast<std::size_t>(n))) return 0;
    std::uint64_t v = 0;
    for (int k = 0; k < n; ++k) v |= std::uint64_t{data_[offset_ + static_cast<std::size_t>(k)]} << (8 * k);
    offset_ += static_cast<std::size_t>(n);
    return v;
  }

  const unsigned char* data_;
  std::size_t size_;
  std::size_t offset_ = 0;
  bool ok_ = true;
};

/// Reads a whole file; returns false (with `error` set) if it cannot be opened or read.
inline bool read_file(const std::string& path, std::vector<unsigned char>& out, std::string& error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = "cannot be opened for reading";
    return false;
  }
  const std::streamoff size = in.tellg();
  if (size < 0) {
    error = "cannot determine its size";
    return false;
  }
  out.resize(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(out.data()), size)) {
    error = "read failed";
    return false;
  }
  return true;
}

/// The directory part of a path ("." when it has none).
inline std::string directory_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

/// Replaces `path` by `bytes` atomically: writes `path.tmp-<pid>` in the same directory, fsyncs it, renames
/// it over `path` and fsyncs the directory. A crash at any point leaves either the old or the new file.
/// Returns false with `error` set (and removes the temporary file) on failure.
inline bool write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes,
                                  std::string& error) {
  const std::string temporary = path + ".tmp-" + std::to_string(static_cast<long long>(::getpid()));
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create " + temporary + ": " + std::strerror(errno);
    return false;
  }
  const auto fail = [&](const std::string& what) {
    error = what + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(temporary.c_str());
    return false;
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ::ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write to " + temporary + " failed");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync of " + temporary + " failed");
  if (::close(fd) != 0) {
    error = "close of " + temporary + " failed: " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return false;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "rename of " + temporary + " failed: " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return false;
  }
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {  // make the rename itself durable; a failure here cannot corrupt either file
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

}  // namespace ember::io::detail
