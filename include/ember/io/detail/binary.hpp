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
#include <string>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
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

/// What a non-regular file is, for messages ("a directory", "a FIFO", ...).
inline const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return S_ISREG(mode) ? "a regular file" : "not a regular file";
}

/// Reads a whole regular file (a symbolic link to one is followed: reading cannot harm the link). Returns false
/// (with `error` set) if it cannot be opened or read, or is a directory, a FIFO, a device or a socket: their
/// "size" is meaningless (a directory's is 2⁶³ − 1 to std::ifstream) and reading a FIFO or a device may block
/// or never end.
inline bool read_file(const std::string& path, std::vector<unsigned char>& out, std::string& error) {
  // O_NONBLOCK: opening a FIFO that no one writes must not wait; a regular file ignores the flag.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = "cannot be opened for reading";
    return false;
  }
  struct ::stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    error = ::fstat(fd, &info) != 0 ? std::string("cannot be examined: ") + std::strerror(errno)
                                    : std::string("is ") + file_kind(info.st_mode) + ", not a regular file";
    ::close(fd);
    return false;
  }
  out.resize(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ::ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (done != out.size()) {
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

/// The temporary file of a write to `path` by process `pid`: `path.tmp-<pid>`, in the same directory.
inline std::string temporary_of(const std::string& path, long long pid) { return path + ".tmp-" + std::to_string(pid); }

/// Removes the temporaries that earlier writes to `path` left when their process was killed mid-write: the
/// regular files `<path>.tmp-<pid>` whose process no longer exists. A temporary of a live process (another
/// writer, or a pid that was reused) is left alone; so is anything else in the directory. Pids are of this
/// machine: a temporary written by another host on a shared file system may be taken for a dead one.
inline void remove_stale_temporaries(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
  ::DIR* dir = ::opendir(directory_of(path).c_str());
  if (dir == nullptr) return;
  while (const ::dirent* entry = ::readdir(dir)) {
    const std::string_view name(entry->d_name);
    if (name.size() <= prefix.size() || name.size() > prefix.size() + 10 || name.substr(0, prefix.size()) != prefix)
      continue;
    long long pid = 0;
    bool digits = true;
    for (char c : name.substr(prefix.size())) {
      digits = digits && c >= '0' && c <= '9';
      pid = pid * 10 + (c - '0');
    }
    if (!digits || pid <= 0 || pid == static_cast<long long>(::getpid())) continue;
    // kill(pid, 0) sends nothing: it fails with ESRCH only when no such process exists (EPERM: it lives).
    if (::kill(static_cast<::pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    const std::string stale = temporary_of(path, pid);
    struct ::stat info {};
    if (::lstat(stale.c_str(), &info) == 0 && S_ISREG(info.st_mode)) ::unlink(stale.c_str());
  }
  ::closedir(dir);
}

/// Whether `path` may receive an atomic write: it is absent or a regular file (not a symbolic link: the rename
/// would replace the link itself, not what it points to; not a directory, FIFO, device or socket: the rename
/// would replace the node by a file), and a temporary file can be created beside it. Creates and removes that
/// probe file; writes nothing else. Returns false with `error` set.
inline bool check_writable_target(const std::string& path, std::string& error) {
  struct ::stat info {};
  if (path.empty() || path.back() == '/') {
    error = "is a directory name, not a file name";
    return false;
  }
  if (::lstat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    error = std::string("is ") + file_kind(info.st_mode) +
            ", not a regular file: a checkpoint is only written to a regular file or a new path" +
            (S_ISLNK(info.st_mode) ? " (give the link's target instead)" : "");
    return false;
  }
  const std::string probe = temporary_of(path, static_cast<long long>(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create a file in " + directory_of(path) + ": " + std::strerror(errno);
    return false;
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

/// Replaces `path` by `bytes` atomically: writes `path.tmp-<pid>` in the same directory, fsyncs it, renames
/// it over `path` and fsyncs the directory. A crash at any point leaves either the old or the new file (and
/// possibly the temporary, which the next write to `path` removes: remove_stale_temporaries). Refuses a target
/// that exists and is not a regular file (check_writable_target). Returns false with `error` set (and removes
/// the temporary file) on failure.
inline bool write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes,
                                  std::string& error) {
  struct ::stat info {};
  if (::lstat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode))
    return check_writable_target(path, error);  // sets the message naming what the path is
  remove_stale_temporaries(path);
  const std::string temporary = temporary_of(path, static_cast<long long>(::getpid()));
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
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
