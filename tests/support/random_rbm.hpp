#pragma once
// A random RBM for the tests: weights N(0, weight_std²) from R::random, then visible and hidden biases
// N(0, bias_std²) drawn from the same generator (one draw of visible + hidden normals).
#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/simd/random.hpp"

namespace ember::test {

template <class R>
R random_rbm(ember::Index visible, ember::Index hidden, ember::Philox& rng, double weight_std,
             double bias_std = 1.0) {
  using T = typename R::scalar_type;
  R rbm = R::random(visible, hidden, rng, T(weight_std));
  ember::Batch<T> biases(visible + hidden, 1);
  rng.normal(biases);
  rbm.visible_bias() = T(bias_std) * biases.col(0).head(visible);
  rbm.hidden_bias() = T(bias_std) * biases.col(0).tail(hidden);
  return rbm;
}

template <class R>
R random_rbm(ember::Index visible, ember::Index hidden, std::uint64_t seed, double weight_std,
             double bias_std = 1.0) {
  ember::Philox rng(seed);
  return random_rbm<R>(visible, hidden, rng, weight_std, bias_std);
}

}  // namespace ember::test
