#pragma once
/// @file
/// @brief The calling thread's floating-point control bits on x86 (MXCSR: rounding, exception masks, flush-to-zero,
/// denormals-are-zero), read and written for core/subnormals.hpp and the thread pool; nothing on other targets.
/// The one place outside simd/detail/ that touches an x86 register: the mode is core's (its thread pool hands it to
/// the workers), not an instruction set's arithmetic.

#if defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
#define EMBER_HAS_MXCSR 1
#else
#define EMBER_HAS_MXCSR 0
#endif

namespace ember::detail {

#if EMBER_HAS_MXCSR
inline constexpr unsigned flush_to_zero_bit = 0x8000u;       // MXCSR.FTZ
inline constexpr unsigned denormals_are_zero_bit = 0x0040u;  // MXCSR.DAZ
inline constexpr unsigned fp_status_bits = 0x003Fu;          // MXCSR's sticky exception flags, left alone
/// The calling thread's SSE/AVX control bits: DAZ, exception masks, rounding, FTZ (not the exception flags).
inline unsigned fp_control() { return _mm_getcsr() & ~fp_status_bits; }
/// Makes `control` the calling thread's control bits, keeping its exception flags; no write when equal.
inline void set_fp_control(unsigned control) {
  const unsigned now = _mm_getcsr();
  if ((now & ~fp_status_bits) != control) _mm_setcsr((now & fp_status_bits) | control);
}
#else
inline constexpr unsigned flush_to_zero_bit = 0;
inline constexpr unsigned denormals_are_zero_bit = 0;
inline unsigned fp_control() { return 0; }
inline void set_fp_control(unsigned) {}
#endif

}  // namespace ember::detail
