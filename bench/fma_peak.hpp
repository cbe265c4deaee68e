#pragma once
// The machine's fp32 FMA peak on one core, measured by an xsimd loop: the yardstick of every GFLOP/s that
// ember_bench reports (peak.bench.cpp reports it as fma_peak; the training benchmarks divide by it).
//
// `Chains` independent FMA dependency chains, enough to cover the FMA latency times the number of FMA pipes
// (Zen 1: 5 cycles × 1 256-bit FMA per cycle; Skylake: 4 × 2; Zen 5: 4 × 2 512-bit), with operands that stay
// bounded. FLOPs = iterations × chains × lanes × 2 (one multiply and one add per lane per FMA).
#include <benchmark/benchmark.h>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace ember_bench {

// An empty asm statement that claims to modify a register: the compiler must keep every FMA (no constant
// folding, no hoisting) and it costs no instruction.
template <class B>
inline void opaque(B& value) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  auto reg = static_cast<typename B::register_type>(value);
  asm volatile("" : "+x"(reg));
  value = B(reg);
#else
  benchmark::DoNotOptimize(value);
#endif
}

template <int Chains>
float fma_chains(std::int64_t iterations) {
  using B = xsimd::batch<float>;
  B acc[Chains];
  for (int c = 0; c < Chains; ++c) acc[c] = B(static_cast<float>(c) * 1e-3f);
  const B a(0.999999f), b(1e-6f);
  for (std::int64_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < Chains; ++c) {
      acc[c] = xsimd::fma(acc[c], a, b);
      opaque(acc[c]);
    }
  }
  B sum(0.f);
  for (int c = 0; c < Chains; ++c) sum += acc[c];
  return xsimd::hadd(sum);
}

inline constexpr int peak_chains = 12;

/// FLOPs of one fma_chains<peak_chains>(iterations) call.
inline double fma_chain_flops(std::int64_t iterations) {
  return static_cast<double>(iterations) * peak_chains * xsimd::batch<float>::size * 2;
}

/// One core's fp32 FMA peak in GFLOP/s, measured once per process (the best of 20 short runs: the least
/// disturbed by other load).
inline double measured_fma_peak_gflops() {
  static const double peak = [] {
    constexpr std::int64_t iterations = 1 << 16;
    double best = 0;
    for (int run = 0; run < 20; ++run) {
      const auto start = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(fma_chains<peak_chains>(iterations));
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::max(best, fma_chain_flops(iterations) * 1e-9 / seconds);
    }
    return best;
  }();
  return peak;
}

}  // namespace ember_bench
