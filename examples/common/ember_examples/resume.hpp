#pragma once
// What a checkpoint must share with the run that resumes it: the training data (a fingerprint) and the settings
// that shape the training. A resumed run that differs in either is refused (exit status 2) naming what differs;
// settings marked changeable may differ when the user asks for it (--allow-changed-settings).
//
//   ex::store_run(ck, "toy2d", ex::fingerprint(data), settings);                        // when saving
//   ex::require_same_run("ember-toy2d", ck, "toy2d", ex::fingerprint(data), settings, allow_changed);  // resuming
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include <ember/core/error.hpp>
#include <ember/io/checkpoint.hpp>
#include <ember/io/detail/binary.hpp>

namespace ember::examples {

/// A setting recorded in a checkpoint: its flag, its value(s), and whether a resumed run may change it.
struct RunSetting {
  std::string flag;            // "--batch"
  std::vector<double> values;  // one number, or a list (--drl-levels); integers up to 2⁵³ are exact
  bool changeable = false;     // true: may differ on resume with --allow-changed-settings
  // A setting added after checkpoints were already written: the value those checkpoints ran with, which one that
  // records no such setting is taken to hold (empty: a checkpoint without it differs).
  std::vector<double> before_it_existed = {};
};

/// FNV-1a 64 of the values of a dense array, in column-major order, each widened to double: equal data give
/// equal fingerprints on every machine.
template <class Derived>
std::uint64_t fingerprint(const Eigen::DenseBase<Derived>& values) {
  ember::io::detail::ByteWriter out;
  out.u64(static_cast<std::uint64_t>(values.rows()));
  out.u64(static_cast<std::uint64_t>(values.cols()));
  for (Eigen::Index j = 0; j < values.cols(); ++j)
    for (Eigen::Index i = 0; i < values.rows(); ++i) out.f64(static_cast<double>(values.derived().coeff(i, j)));
  return ember::io::detail::fnv1a64(out.bytes().data(), out.bytes().size());
}

/// Stores the data fingerprint as `prefix.data` and each setting as `prefix.setting<flag>`.
inline void store_run(ember::Checkpoint& ck, const std::string& prefix, std::uint64_t data,
                      const std::vector<RunSetting>& settings) {
  ck.set(prefix + ".data", data);
  for (const auto& s : settings)
    ck.set(prefix + ".setting" + s.flag,
           Eigen::Map<const Eigen::VectorXd>(s.values.data(), static_cast<Eigen::Index>(s.values.size())));
}

namespace detail {
inline std::string list(const std::vector<double>& values) {
  std::string text;
  for (double v : values) {
    if (!text.empty()) text += ',';
    text += ember::detail::describe(v);
  }
  return text;
}
}  // namespace detail

/// Refuses to resume from `ck` unless its data fingerprint and settings equal this run's (changeable settings
/// may differ when `allow_changed` is set; each change is then noted on stderr). Throws ember::invalid_argument
/// "program: --resume = file: ..." naming every setting that differs.
inline void require_same_run(std::string_view program, const ember::Checkpoint& ck, const std::string& prefix,
                             std::uint64_t data, const std::vector<RunSetting>& settings, bool allow_changed) {
  if (!ck.contains(prefix + ".data"))
    ember::detail::fail(program, "--resume", ck.source(),
                        "the checkpoint records no data fingerprint (written by an older version): it cannot be "
                        "checked against this run");
  if (ck.integer(prefix + ".data") != data)
    ember::detail::fail(program, "--resume", ck.source(),
                        "the training data differ from the checkpoint's (another --dataset, --data-file or --seed)");
  std::string fixed, changeable;
  for (const auto& s : settings) {
    const std::string key = prefix + ".setting" + s.flag;
    std::vector<double> stored = s.before_it_existed;
    if (ck.contains(key)) {
      const auto v = ck.vector<double>(key);
      stored.assign(v.data(), v.data() + v.size());
    }
    const bool recorded = !stored.empty();
    if (recorded && stored == s.values) continue;
    const std::string what = s.flag + " (checkpoint " + (recorded ? detail::list(stored) : "none") +
                             ", this run " + detail::list(s.values) + ")";
    std::string& into = s.changeable ? changeable : fixed;
    if (!into.empty()) into += ", ";
    into += what;
  }
  if (!fixed.empty())
    ember::detail::fail(program, "--resume", ck.source(), "written by a run with other settings: ", fixed,
                        changeable.empty() ? "" : ", ", changeable);
  if (!changeable.empty() && !allow_changed)
    ember::detail::fail(program, "--resume", ck.source(), "written by a run with other settings: ", changeable,
                        " (--allow-changed-settings resumes with these changed)");
  if (!changeable.empty())
    std::fprintf(stderr, "%.*s: resuming %s with changed settings: %s\n", static_cast<int>(program.size()),
                 program.data(), ck.source().c_str(), changeable.c_str());
}

}  // namespace ember::examples
