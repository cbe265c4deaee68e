#pragma once
// Random batches for the tests, each from its own seed (one draw of a fresh Philox generator).
#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/simd/random.hpp"

namespace ember_test {

// n × d standard normals times `scale`.
template <class T>
ember::Batch<T> normal_batch(ember::Index n, ember::Index d, std::uint64_t seed, T scale = T(1)) {
  ember::Philox rng(seed);
  ember::Batch<T> x(n, d);
  rng.normal(x);
  return scale * x;
}

// n × d independent Bernoulli(probability) entries (0 or 1); the same draws as ember::BernoulliInit (not
// included here, so that CUDA tests can use this header without the RBM and xsimd headers).
template <class T>
ember::Batch<T> binary_batch(ember::Index n, ember::Index d, std::uint64_t seed, T probability = T(0.5)) {
  ember::Philox rng(seed);
  ember::Batch<T> x(n, d);
  rng.draw().template uniform<T>(x, 0);
  x = (x.array() < probability).template cast<T>();
  return x;
}

}  // namespace ember_test
