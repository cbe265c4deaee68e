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
//   ex::Ranks ranks(argc, argv);
//   const auto results = ranks.run(methods.size(), [&](std::size_t j) { return train_method(j); });
//   ex::rethrow_first_failure(results);   // on every rank: the same exit status everywhere
//   if (ranks.writes_outputs()) write(results);
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
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
  template <class Job>
  std::vector<JobResult> run(std::size_t jobs, Job&& job) const {
    std::vector<JobResult> results(jobs);
    const auto n = static_cast<std::size_t>(size()), me = static_cast<std::size_t>(rank());
    for (std::size_t j = me; j < jobs; j += n) results[j] = run_one(job, j);
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
