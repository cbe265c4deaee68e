#pragma once
/// @file
/// @brief ember::mpi::Communicator: an owned MPI communicator (RAII) whose every MPI call is checked.
///
/// A failed call throws ember::mpi::mpi_error naming the call and MPI's own error string (the communicator
/// is duplicated with MPI_ERRORS_RETURN, so MPI reports instead of aborting), as the CUDA layer does. An
/// ember::mpi::Environment initialises and finalises MPI. Argument checks in the mpi/ functions depend only
/// on what every rank holds alike, so bad input is refused on every rank with the same message; an error
/// that only one rank meets goes through `run_or_abort`, which prints it and aborts the whole job (no hang).
///
/// @code
/// ember::mpi::Environment mpi(argc, argv);
/// ember::mpi::Communicator world;                        // a duplicate of MPI_COMM_WORLD
/// return ember::mpi::run_or_abort([&] { train_on(world); });  // one rank's exception ends the job
/// @endcode

// Only MPI's C interface is used; its deprecated C++ bindings (which warn under -Wextra) are kept out.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"

namespace ember::mpi {

/// @brief An MPI call failed. The message reads `ember::mpi: <call> failed: <MPI's error string>`.
class mpi_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// Throws ember::mpi::mpi_error naming `call` unless `code` is MPI_SUCCESS.
inline void check(int code, std::string_view call) {
  if (code == MPI_SUCCESS) [[likely]] return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  std::string message = "ember::mpi: ";
  message.append(call).append(" failed: ");
  if (length > 0) message.append(text, static_cast<std::size_t>(length));
  else message.append("error code ").append(std::to_string(code));
  throw mpi_error(message);
}

/// The MPI datatype of a scalar type ember sends.
template <class T>
MPI_Datatype datatype() {
  if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return MPI_UINT64_T;
  else if constexpr (std::is_same_v<T, int>) return MPI_INT;
  else if constexpr (std::is_same_v<T, unsigned char>) return MPI_UNSIGNED_CHAR;
  else if constexpr (std::is_same_v<T, char>) return MPI_CHAR;
  else static_assert(sizeof(T) == 0, "ember::mpi: no MPI datatype for this type.");
}

/// An element count as MPI's int, refused (on every rank alike) when it does not fit.
inline int count_of(Index n, std::string_view fn, std::string_view what) {
  ember::detail::require(n >= 0 && n <= std::numeric_limits<int>::max(), fn, what, n,
                         "must fit MPI's int count (at most 2^31 - 1 elements per message)");
  return static_cast<int>(n);
}

inline bool finalized() {
  int done = 0;
  MPI_Finalized(&done);
  return done != 0;
}

}  // namespace detail

/// @brief Initialises MPI on construction and finalises it on destruction (once per process).
/// Requests MPI_THREAD_FUNNELED: ember's thread pools compute, only the calling thread talks to MPI.
class Environment {
 public:
  Environment(int& argc, char**& argv) {
    int initialised = 0;
    detail::check(MPI_Initialized(&initialised), "MPI_Initialized");
    if (initialised) return;
    int provided = 0;
    detail::check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owner_ = true;
  }
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  ~Environment() {
    if (owner_ && !detail::finalized()) MPI_Finalize();
  }

 private:
  bool owner_ = false;
};

/// @brief A duplicate of an MPI communicator (MPI_COMM_WORLD by default), freed on destruction.
/// Move-only. Collective calls must be made by every rank in the same order, as MPI requires.
class Communicator {
 public:
  /// @brief Duplicates `parent` (default MPI_COMM_WORLD) and sets MPI_ERRORS_RETURN on the duplicate.
  explicit Communicator(MPI_Comm parent = MPI_COMM_WORLD) {
    detail::check(MPI_Comm_dup(parent, &comm_), "MPI_Comm_dup");
    detail::check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  /// @brief This process alone (MPI_COMM_SELF): the one-rank reference of any sharded computation.
  static Communicator self() { return Communicator(MPI_COMM_SELF); }

  Communicator(Communicator&& other) noexcept
      : comm_(std::exchange(other.comm_, MPI_COMM_NULL)), rank_(other.rank_), size_(other.size_) {}
  Communicator& operator=(Communicator&& other) noexcept {
    if (this != &other) {
      release();
      comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
      rank_ = other.rank_;
      size_ = other.size_;
    }
    return *this;
  }
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  ~Communicator() { release(); }

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  /// True on rank 0, the rank that writes files and prints progress.
  [[nodiscard]] bool is_root() const { return rank_ == 0; }
  [[nodiscard]] MPI_Comm handle() const { return comm_; }

  /// @brief The ranks of equal `color`, ordered by `key` (MPI_Comm_split): a smaller rank count.
  [[nodiscard]] Communicator split(int color, int key) const {
    MPI_Comm part = MPI_COMM_NULL;
    detail::check(MPI_Comm_split(comm_, color, key, &part), "MPI_Comm_split");
    Communicator out(part);
    MPI_Comm_free(&part);
    return out;
  }

  void barrier() const { detail::check(MPI_Barrier(comm_), "MPI_Barrier"); }

  /// @brief Every rank receives every rank's `mine` concatenated in rank order (MPI_Allgatherv).
  template <class T>
  std::vector<T> allgather(const std::vector<T>& mine) const {
    std::vector<T> all;
    allgather(mine, all);
    return all;
  }

  /// @brief The same into `all`, whose storage is reused: a loop that gathers every iteration allocates once
  /// (a fresh megabyte a call is returned to the kernel and faulted back in, page by page, each time).
  template <class T>
  void allgather(const std::vector<T>& mine, std::vector<T>& all) const {
    constexpr const char* fn = "ember::mpi::Communicator::allgather";
    const int count = detail::count_of(static_cast<Index>(mine.size()), fn, "mine.size()");
    std::vector<int> counts(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
    detail::check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_), "MPI_Allgather");
    Index total = 0;
    for (int r = 0; r < size_; ++r) {
      offsets[static_cast<std::size_t>(r)] = static_cast<int>(total);
      total += counts[static_cast<std::size_t>(r)];
    }
    detail::count_of(total, fn, "the gathered size");
    all.resize(static_cast<std::size_t>(total));
    detail::check(MPI_Allgatherv(mine.data(), count, detail::datatype<T>(), all.data(), counts.data(), offsets.data(),
                                 detail::datatype<T>(), comm_),
                  "MPI_Allgatherv");
  }

  /// @brief Broadcasts `data` (the same length on every rank) from `root`.
  template <class T>
  void broadcast(std::vector<T>& data, int root = 0) const {
    const int count = detail::count_of(static_cast<Index>(data.size()), "ember::mpi::Communicator::broadcast",
                                       "data.size()");
    detail::check(MPI_Bcast(data.data(), count, detail::datatype<T>(), root, comm_), "MPI_Bcast");
  }

  /// @brief Ends every rank of the job with `code` after printing `message` on stderr (MPI_Abort).
  [[noreturn]] void abort(std::string_view message, int code = 1) const;

 private:
  void release() noexcept {
    if (comm_ != MPI_COMM_NULL && !detail::finalized()) MPI_Comm_free(&comm_);
    comm_ = MPI_COMM_NULL;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

/// @brief Prints "ember::mpi: rank r of n: <message>" on stderr and ends every rank of the job with `code`
/// (MPI_Abort on MPI_COMM_WORLD; no collective call, so it is safe from one failing rank alone).
[[noreturn]] inline void abort_job(std::string_view message, int code = 1) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::fprintf(stderr, "ember::mpi: rank %d of %d: %.*s\n", rank, size, static_cast<int>(message.size()),
               message.data());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::terminate();  // MPI_Abort does not return
}

inline void Communicator::abort(std::string_view message, int code) const { abort_job(message, code); }

/// @brief Runs `body()` and returns its int (0 if it returns nothing); an exception on any rank prints
/// "ember::mpi: rank r of n: <what>" and aborts the whole job with MPI_Abort, so the other ranks never wait
/// in a collective for a rank that has died.
template <class Body>
int run_or_abort(Body&& body) {
  try {
    if constexpr (std::is_void_v<decltype(body())>) {
      body();
      return 0;
    } else {
      return static_cast<int>(body());
    }
  } catch (const std::exception& error) {
    abort_job(error.what());
  } catch (...) {
    abort_job("an exception that is not a std::exception");
  }
}

}  // namespace ember::mpi
