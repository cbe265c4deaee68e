#pragma once
/// @file
/// @brief ember::FlushSubnormals: a scope in which the calling thread's SSE/AVX arithmetic flushes subnormal
/// numbers to zero, and the thread's floating-point control word that ember's thread pool hands to its workers.
///
/// A subnormal float (0 < |x| < 2⁻¹²⁶ ≈ 1.2·10⁻³⁸) makes many x86 cores (Intel's in particular) take a microcode
/// assist in an add, multiply or FMA that produces or reads one, at tens to hundreds of cycles each. Gradients of a
/// trained network fall into that range (a SiLU far in its negative tail, products of small backpropagated terms),
/// and a run that meets them can train many times slower for nothing (docs/performance.md, "Session 20 … subnormal
/// numbers"). Flush-to-zero (a subnormal result becomes 0) and denormals-are-zero (a subnormal input reads as 0)
/// remove the assists. They change a result only where a subnormal occurs, by less than 2⁻¹²⁶ in absolute value per
/// operation — and they change it the same way on every worker: the thread pool runs each job in its caller's mode
/// (`fp_control`), so results stay bit-identical across worker counts. ember::train flushes by default
/// (TrainSettings::flush_subnormals); anything else runs in the caller's mode unless the caller opens a
/// FlushSubnormals scope. On targets other than x86 it does nothing.
///
/// @code
/// {
///   ember::FlushSubnormals flush;                 // this thread, until the end of the scope
///   kernel.run(energy, x, rng, 1000);             // pool workers adopt the caller's mode per job
/// }                                               // the previous mode is back
/// @endcode

#include "ember/core/detail/fp_control_x86.hpp"

namespace ember {

/// @brief Whether the calling thread flushes subnormal results to zero and reads subnormal inputs as zero.
inline bool flushes_subnormals() {
  constexpr unsigned both = detail::flush_to_zero_bit | detail::denormals_are_zero_bit;
  return both != 0 && (detail::fp_control() & both) == both;
}

/// @brief For its lifetime, the calling thread flushes subnormals to zero (FTZ and DAZ); the destructor restores
/// the thread's previous mode. `enable = false` leaves the mode as it is (a scope that can be switched off).
class FlushSubnormals {
 public:
  explicit FlushSubnormals(bool enable = true) : saved_(detail::fp_control()) {
    if (enable) detail::set_fp_control(saved_ | detail::flush_to_zero_bit | detail::denormals_are_zero_bit);
  }
  ~FlushSubnormals() { detail::set_fp_control(saved_); }
  FlushSubnormals(const FlushSubnormals&) = delete;
  FlushSubnormals& operator=(const FlushSubnormals&) = delete;

 private:
  unsigned saved_;
};

}  // namespace ember
