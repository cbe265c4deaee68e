#pragma once
// The example programs under mpirun: independent jobs (one per method, or per method and seed) are dealt out to
// the ranks (job j to rank j mod N), run to completion there, and gathered in job order, so that every output
// is byte-identical to one process for any rank count; rank 0 alone prints and writes.
//
// Task parallelism, not data parallelism, because a program's jobs never talk to each other: it needs no
// communication while training and changes no arithmetic (ember::mpi::DataParallel splits one run instead).
//
// Built with MPI (EMBER_EXAMPLES_MPI, where CMake finds it) a program starts MPI only when a launcher started it
// (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK in the environment): a plain run does not pay MPI's start-up.
//
// Within a rank, a rank's jobs run on `threads` threads (--threads): the numbers never depend on either count.
//
//   ex::Ranks ranks(argc, argv);
//   const auto results = ranks.run(methods.size(), [&](std::size_t j) { return train_method(j); }, threads);
//   ex::rethrow_first_failure(results);   // on every rank: the same exit status everywhere
//   if (ranks.writes_outputs()) write(results);
//
// A job with several kinds of numbers and strings packs them with ex::JobWriter and its reader unpacks them in
// the same order with ex::JobReader.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <ember/core/error.hpp>

#if defined(EMBER_EXAMPLES_MPI)
#include <ember/mpi/communicator.hpp>
#endif

namespace ember::examples {

/// What a job left: its numbers (its own layout), or how it failed.
struct JobResult {
  enum Status : int { ok = 0, numerical_failure = 1, bad_input = 2, other_failure = 3 };
  int status = ok;
  std::string message;         ///< the exception's what() where status != ok
  std::vector<double> values;  ///< the job's numbers (floats round-trip exactly through double)
  std::string text;            ///< the job's text (e.g. a JSON document of its strings and metrics)
};

/// What a job returns when it has text as well as numbers.
struct JobOutput {
  std::vector<double> values;
  std::string text;
};

/// Calls job(k) for k = 0 .. count − 1 on `threads` threads (the calling thread is one). The first exception a
/// job lets escape is rethrown after every thread has finished; jobs should catch what they report themselves.
template <class Job>
void run_jobs(std::size_t count, int threads, Job&& job) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex lock;
  const auto worker = [&] {
    for (std::size_t k; (k = next++) < count;) {
      try {
        job(k);
      } catch (...) {
        std::lock_guard guard(lock);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min<int>(threads, static_cast<int>(count)); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

/// Packs a job's numbers, strings and matrices into a JobOutput (numbers as doubles: floats round-trip exactly).
class JobWriter {
 public:
  JobWriter& number(double v) {
    output_.values.push_back(v);
    return *this;
  }
  JobWriter& numbers(const std::vector<double>& v) {
    number(static_cast<double>(v.size()));
    output_.values.insert(output_.values.end(), v.begin(), v.end());
    return *this;
  }
  JobWriter& string(const std::string& s) {
    number(static_cast<double>(s.size()));
    output_.text += s;
    return *this;
  }
  /// A dense column-major matrix or vector (an Eigen object with storage: rows(), cols(), data()).
  template <class Matrix>
  JobWriter& matrix(const Matrix& m) {
    number(static_cast<double>(m.rows())).number(static_cast<double>(m.cols()));
    output_.values.insert(output_.values.end(), m.data(), m.data() + m.size());
    return *this;
  }
  [[nodiscard]] JobOutput take() { return std::move(output_); }

 private:
  JobOutput output_;
};

/// Reads back what a JobWriter packed, in the same order; throws std::logic_error past the end.
class JobReader {
 public:
  JobReader(const std::vector<double>& values, const std::string& text) : values_(values), text_(text) {}
  double number() {
    if (at_ >= values_.size()) throw std::logic_error("ember::examples::JobReader: read past the job's numbers");
    return values_[at_++];
  }
  std::vector<double> numbers() {
    const std::size_t n = count();
    if (n > values_.size() - at_) throw std::logic_error("ember::examples::JobReader: a list runs past the job's numbers");
    std::vector<double> v(values_.begin() + static_cast<std::ptrdiff_t>(at_), values_.begin() + static_cast<std::ptrdiff_t>(at_ + n));
    at_ += n;
    return v;
  }
  std::string string() {
    const std::size_t n = count();
    if (n > text_.size() - text_at_) throw std::logic_error("ember::examples::JobReader: a string runs past the job's text");
    std::string s = text_.substr(text_at_, n);
    text_at_ += n;
    return s;
  }
  template <class Matrix>
  void matrix(Matrix& m) {
    const std::size_t rows = count(), cols = count();
    if (rows * cols > values_.size() - at_) throw std::logic_error("ember::examples::JobReader: a matrix runs past the job's numbers");
    m.resize(static_cast<decltype(m.rows())>(rows), static_cast<decltype(m.cols())>(cols));
    using Scalar = std::remove_reference_t<decltype(*m.data())>;
    for (std::size_t k = 0; k < rows * cols; ++k) m.data()[k] = static_cast<Scalar>(values_[at_ + k]);
    at_ += rows * cols;
  }
  /// Whether every number and character was read (a reader that stops short reads another layout).
  [[nodiscard]] bool done() const { return at_ == values_.size() && text_at_ == text_.size(); }

 private:
  std::size_t count() { return static_cast<std::size_t>(number()); }
  const std::vector<double>& values_;
  const std::string& text_;
  std::size_t at_ = 0, text_at_ = 0;
};

/// Rethrows the failure of the first failed job in job order (on every rank: every rank exits alike).
inline void rethrow_first_failure(const std::vector<JobResult>& results) {
  for (const JobResult& r : results) {
    if (r.status == JobResult::numerical_failure) throw ember::numerical_error(r.message);
    if (r.status == JobResult::bad_input) throw ember::invalid_argument(r.message);
    if (r.status == JobResult::other_failure) throw std::runtime_error(r.message);
  }
}

class Ranks {
 public:
  Ranks(int& argc, char**& argv) {
#if defined(EMBER_EXAMPLES_MPI)
    if (launched_by_mpi()) {
      environment_ = std::make_unique<ember::mpi::Environment>(argc, argv);
      comm_ = std::make_unique<ember::mpi::Communicator>();
      // Every rank checks the same input and gets the same results; rank 0 alone speaks.
      if (comm_->rank() != 0) {
        static_cast<void>(std::freopen("/dev/null", "w", stdout));
        static_cast<void>(std::freopen("/dev/null", "w", stderr));
      }
    }
#else
    static_cast<void>(argc);
    static_cast<void>(argv);
#endif
  }

  [[nodiscard]] int size() const {
#if defined(EMBER_EXAMPLES_MPI)
    if (comm_) return comm_->size();
#endif
    return 1;
  }
  [[nodiscard]] int rank() const {
#if defined(EMBER_EXAMPLES_MPI)
    if (comm_) return comm_->rank();
#endif
    return 0;
  }
  [[nodiscard]] bool writes_outputs() const { return rank() == 0; }

  /// @brief Runs job(j) for j < jobs, job j on rank j mod size(), and returns every job's result on every rank.
  /// @param job job(j) returns std::vector<double> or ex::JobOutput; an exception becomes the job's failure (not a crash), so
  ///            that every rank learns of it and exits with the same status.
  /// @param threads a rank's jobs run on this many threads at once (job must then be safe to call concurrently).
  template <class Job>
  std::vector<JobResult> run(std::size_t jobs, Job&& job, int threads = 1) const {
    std::vector<JobResult> results(jobs);
    const auto n = static_cast<std::size_t>(size()), me = static_cast<std::size_t>(rank());
    const std::size_t own = jobs > me ? (jobs - me + n - 1) / n : 0;  // jobs me, me + n, me + 2n, …
    run_jobs(own, threads, [&](std::size_t k) { results[me + k * n] = run_one(job, me + k * n); });
    if (n == 1) return results;
#if defined(EMBER_EXAMPLES_MPI)
    // Each rank's jobs as doubles [status, message length, text length, value count, values…] and their messages
    // and texts as chars, gathered in rank order; job j's packet is the (j div n)-th of rank j mod n.
    std::vector<double> mine;
    std::vector<char> text;
    for (std::size_t j = me; j < jobs; j += n) {
      const JobResult& r = results[j];
      mine.push_back(r.status);
      mine.push_back(static_cast<double>(r.message.size()));
      mine.push_back(static_cast<double>(r.text.size()));
      mine.push_back(static_cast<double>(r.values.size()));
      mine.insert(mine.end(), r.values.begin(), r.values.end());
      text.insert(text.end(), r.message.begin(), r.message.end());
      text.insert(text.end(), r.text.begin(), r.text.end());
    }
    const std::vector<std::size_t> doubles = gathered_sizes(mine.size()), chars = gathered_sizes(text.size());
    const std::vector<double> all = comm_->allgather(mine);
    const std::vector<char> all_text = comm_->allgather(text);
    std::size_t at = 0, at_text = 0;  // rank r's packets start where rank r − 1's end
    for (std::size_t r = 0; r < n; ++r) {
      const std::size_t end = at + doubles[r], end_text = at_text + chars[r];
      for (std::size_t j = r; j < jobs; j += n) {
        JobResult& out = results[j];
        out.status = static_cast<int>(all.at(at));
        const auto length = static_cast<std::size_t>(all.at(at + 1)), text_length = static_cast<std::size_t>(all.at(at + 2)),
                   count = static_cast<std::size_t>(all.at(at + 3));
        const auto chars_at = [&](std::size_t k) { return all_text.begin() + static_cast<std::ptrdiff_t>(k); };
        out.values.assign(all.begin() + static_cast<std::ptrdiff_t>(at + 4),
                          all.begin() + static_cast<std::ptrdiff_t>(at + 4 + count));
        out.message.assign(chars_at(at_text), chars_at(at_text + length));
        out.text.assign(chars_at(at_text + length), chars_at(at_text + length + text_length));
        at += 4 + count;
        at_text += length + text_length;
      }
      if (at != end || at_text != end_text)
        throw std::logic_error("ember::examples::Ranks::run: rank " + std::to_string(r) + "'s packets do not add up");
    }
#endif
    return results;
  }

 private:
  template <class Job>
  static JobResult run_one(Job& job, std::size_t j) {
    JobResult r;
    try {
      if constexpr (std::is_same_v<std::decay_t<decltype(job(j))>, JobOutput>) {
        JobOutput output = job(j);
        r.values = std::move(output.values);
        r.text = std::move(output.text);
      } else {
        r.values = job(j);
      }
    } catch (const ember::numerical_error& e) {
      r.status = JobResult::numerical_failure;
      r.message = e.what();
    } catch (const ember::invalid_argument& e) {
      r.status = JobResult::bad_input;
      r.message = e.what();
    } catch (const std::exception& e) {
      r.status = JobResult::other_failure;
      r.message = e.what();
    }
    return r;
  }

#if defined(EMBER_EXAMPLES_MPI)
  static bool launched_by_mpi() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
      if (std::getenv(name) != nullptr) return true;
    return false;
  }
  std::vector<std::size_t> gathered_sizes(std::size_t mine) const {
    const std::vector<std::uint64_t> all = comm_->allgather(std::vector<std::uint64_t>{mine});
    return {all.begin(), all.end()};
  }
  std::unique_ptr<ember::mpi::Environment> environment_;
  std::unique_ptr<ember::mpi::Communicator> comm_;
#endif
};

}  // namespace ember::examples
