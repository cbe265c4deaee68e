// The machine's measured fp32 FMA peak on one core: the yardstick for every GFLOP/s that ember_bench
// reports (run_peers.py prints each workload's fraction of it).
//
// An xsimd loop of `chains` independent FMA dependency chains, enough to cover the FMA latency times the
// number of FMA pipes (Zen 1: 5 cycles × 1 256-bit FMA per cycle; Skylake: 4 × 2), with operands that
// stay bounded. FLOPs = iterations × chains × lanes × 2 (one multiply and one add per lane per FMA).
#include <benchmark/benchmark.h>

#include <xsimd/xsimd.hpp>

#include <cstdint>

namespace {
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
}  // namespace

static void fma_peak(benchmark::State& state) {
  constexpr int chains = 12;
  constexpr std::int64_t iterations = 1 << 16;
  for (auto _ : state) benchmark::DoNotOptimize(fma_chains<chains>(iterations));
  const double flops = static_cast<double>(iterations) * chains * xsimd::batch<float>::size * 2;
  state.counters["gflops"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(fma_peak)->ArgName("workers")->Arg(1);
