#pragma once
// The command-line contract shared by ember-toy2d, ember-gaussian and ember-rbm.
//
// Exit status: 0 success; 2 bad input or a bad file (an option, the data, a checkpoint, an output path), always
// found before any training starts; 1 a numerical failure (a run that diverged, collapsed or stalled, named with
// its iteration). Every error is one line "program: message" on stderr.
//
//   CLI::App app{"..."};
//   app.add_option("--iters", iters)->check(ex::integer_in<Index>(1, ex::max_of<Index>()));
//   return ex::run_program("ember-x", app, argc, argv, [&] { ex::require_output_directory("ember-x", "--out", out); ...; return 0; });
#include <CLI/CLI.hpp>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <ember/core/error.hpp>
#include <ember/io/checkpoint.hpp>
#include <ember/train/learning_rate.hpp>

namespace ember::examples {

inline constexpr int exit_success = 0;
inline constexpr int exit_numerical_failure = 1;
inline constexpr int exit_bad_input = 2;

/// The most memory a program may plan to use. Sizes (dimensions, sample counts, grid cells, batch sizes) whose
/// estimated need exceeds it are refused before anything is allocated, naming the flag.
inline constexpr double memory_budget_bytes = 4.0 * 1024 * 1024 * 1024;

template <class I>
constexpr I max_of() {
  return std::numeric_limits<I>::max();
}

/// A CLI11 check that the text is a whole decimal integer in [lo, hi]: no clamping of 99999999999999999999 to
/// 2⁶³ − 1, no wrapping of −1 to 2⁶⁴ − 1 (what strtoll / strtoull would do). CLI11 runs it on each element of
/// a delimited list too.
template <class I>
CLI::Validator integer_in(I lo, I hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        // std::from_chars for an unsigned type rejects a sign; parse both signs through the widest types.
        const char* first = text.data();
        const char* last = text.data() + text.size();
        if (first != last && *first == '+') ++first;
        bool in_range = false, parsed = false;
        if (first != last && *first == '-') {
          long long v = 0;
          const auto [end, error] = std::from_chars(first, last, v);
          parsed = end == last && error != std::errc::invalid_argument;
          in_range = parsed && error == std::errc() && std::cmp_greater_equal(v, lo) && std::cmp_less_equal(v, hi);
        } else {
          unsigned long long v = 0;
          const auto [end, error] = std::from_chars(first, last, v);
          parsed = end == last && error != std::errc::invalid_argument;
          in_range = parsed && error == std::errc() && std::cmp_greater_equal(v, lo) && std::cmp_less_equal(v, hi);
        }
        if (!parsed || first == last) return "\"" + text + "\" is not an integer (expected one in " + range + ")";
        if (!in_range) return text + " is outside " + range;
        return {};
      },
      "INT in " + range);
}

/// A CLI11 check that the whole text is a number v with accept(v) (NaN is refused by any accept written as the
/// condition that holds); the message is "text is not <what>" and `name` CLI11's type label.
template <class Accept>
CLI::Validator number_where(Accept accept, const std::string& what, const std::string& name) {
  return CLI::Validator(
      [accept, what](std::string& text) -> std::string {
        double v = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (end != text.data() + text.size() || error != std::errc() || !accept(v)) return text + " is not " + what;
        return {};
      },
      name);
}

/// A finite number > 0 (CLI11's PositiveNumber accepts "inf" and 1e400).
inline CLI::Validator positive_finite() {
  return number_where([](double v) { return std::isfinite(v) && v > 0; }, "a finite number > 0", "POSITIVE");
}

/// A finite number >= 0.
inline CLI::Validator non_negative_finite() {
  return number_where([](double v) { return std::isfinite(v) && v >= 0; }, "a finite number >= 0", "NONNEGATIVE");
}

/// A number in [0, 1] (a probability; CLI11's Range lets "nan" through).
inline CLI::Validator probability() {
  return number_where([](double v) { return v >= 0 && v <= 1; }, "a number in [0, 1]", "[0, 1]");
}

/// --lr-decay NAME, one of "cosine" (the rate falls from --lr to 0 at the last update) and "none" (constant):
/// the option both training programs offer, and the schedule's decay it names.
inline CLI::Option* add_lr_decay_option(CLI::App& app, std::string& name, const std::string& description) {
  return app.add_option("--lr-decay", name, description)->capture_default_str()->check(CLI::IsMember({"cosine", "none"}));
}
inline ember::LearningRateDecay lr_decay_of(const std::string& name) {
  return name == "cosine" ? ember::LearningRateDecay::cosine : ember::LearningRateDecay::constant;
}

/// Refuses a size whose estimated memory need exceeds the budget: "flag = value: needs about N GB (what), more
/// than the 4 GiB memory budget". `bytes` is computed in double, so that it cannot overflow.
template <class Value>
void require_memory(std::string_view program, std::string_view flag, const Value& value, double bytes,
                    std::string_view what) {
  if (bytes <= memory_budget_bytes) return;
  char amount[64];
  std::snprintf(amount, sizeof amount, "%.3g GB", bytes / 1e9);
  ember::detail::fail(program, flag, value, "needs about ", amount, " (", what, "), more than the ",
                      memory_budget_bytes / (1024.0 * 1024 * 1024), " GiB memory budget of the example programs");
}

/// Creates the output directory (and its parents) and checks that files can be created in it, so that a bad
/// --out is refused before training rather than after. Throws ember::invalid_argument naming the flag.
inline void require_output_directory(std::string_view program, std::string_view flag, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || !std::filesystem::is_directory(dir, error))
    ember::detail::fail(program, flag, dir, "cannot be used as the output directory (",
                        error ? error.message() : std::string("it exists and is not a directory"), ")");
  std::string problem;
  // The probe is the temporary a checkpoint write would use; check_writable_target creates and removes it.
  if (!ember::io::detail::check_writable_target(dir + "/.ember-probe", problem))
    ember::detail::fail(program, flag, dir, "files cannot be written there: ", problem);
}

/// Checks a --checkpoint path before training: absent or a regular file (not a symbolic link, directory, FIFO
/// or device), in a directory where files can be created. Throws ember::invalid_argument naming the flag.
inline void require_checkpoint_target(std::string_view program, std::string_view flag, const std::string& path) {
  try {
    ember::Checkpoint::check_writable(path);
  } catch (const ember::checkpoint_error& e) {
    ember::detail::fail(program, flag, path, e.what());
  }
}

/// Set while a progress line without its newline is on stderr, so that an error starts on a line of its own.
inline std::atomic<bool>& progress_line_open() {
  static std::atomic<bool> open{false};
  return open;
}

/// Prints "program: message" as one line on stderr (a message that already starts with "program: " keeps it
/// once; newlines inside become spaces).
inline void print_error(std::string_view program, std::string message) {
  const std::string prefix = std::string(program) + ": ";
  while (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  for (char& ch : message)
    if (ch == '\n' || ch == '\r') ch = ' ';
  while (!message.empty() && message.back() == ' ') message.pop_back();
  std::fprintf(stderr, "%s%s%s\n", progress_line_open().exchange(false) ? "\n" : "", prefix.c_str(), message.c_str());
}

/// Parses the command line and runs `body` (which returns the exit status) under the exit-status contract:
/// --help exits 0; a parse error or ember::invalid_argument (bad options, data, checkpoints, output paths) 2;
/// ember::numerical_error and anything else 1, each as one line "program: message" on stderr.
template <class Body>
int run_program(std::string_view program, CLI::App& app, int argc, char** argv, Body&& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(program, e.what());
    return exit_bad_input;
  }
  try {
    return body();
  } catch (const ember::invalid_argument& e) {
    print_error(program, e.what());
    return exit_bad_input;
  } catch (const ember::numerical_error& e) {
    print_error(program, e.what());
    return exit_numerical_failure;
  } catch (const std::bad_alloc&) {
    print_error(program, "out of memory (a size passed the memory budget check but could not be allocated)");
    return exit_numerical_failure;
  } catch (const std::exception& e) {
    print_error(program, e.what());
    return exit_numerical_failure;
  }
}

}  // namespace ember::examples
