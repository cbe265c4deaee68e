#pragma once
// Random batches for the tests, each from its own seed (one draw of a fresh Philox generator).
#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/simd/random.hpp"

namespace ember::test {

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

// Entries uniform on (−1, 1) from a seeded Philox: the tests' one replacement for std::srand + Eigen's ::Random,
// whose hidden global std::rand state couples a test's numbers to whatever ran before it and to the standard
// library. Each call takes the next draw:
//   ember::test::Uniform uniform(7);
//   const Batch<double> x = uniform.next<Batch<double>>(6, 3);
//   const Vector<double> w = uniform.next<Vector<double>>(6);
class Uniform {
 public:
  explicit Uniform(std::uint64_t seed) : rng_(seed) {}

  template <class M>
  M next(ember::Index rows, ember::Index cols) {
    M m(rows, cols);
    fill(m);
    return m;
  }
  template <class M>
  M next(ember::Index size) {
    M m(size);
    fill(m);
    return m;
  }

 private:
  template <class M>
  void fill(M& m) {
    using T = typename M::Scalar;
    ember::Batch<T> u(m.rows(), m.cols());
    rng_.draw().template uniform<T>(u, 0);
    m = (T(2) * u.array() - T(1)).matrix();
  }
  ember::Philox rng_;
};

}  // namespace ember::test
