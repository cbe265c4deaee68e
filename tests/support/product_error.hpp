#pragma once
// How far a float or double product may stray from a double-precision reference: the bound and the measure
// shared by the table-lookup product tests (tests/simd/binary_product, tests/energy/rbm_binary).
#include <limits>

#include "ember/core/batch.hpp"

namespace ember::test {

// Relative error bound of a length-K float or double sum, with room for the different summation order.
template <class T>
double tolerance(ember::Index depth) {
  return 4.0 * static_cast<double>(depth) * static_cast<double>(std::numeric_limits<T>::epsilon());
}

// max |a − b| / (1 + |b|) over all entries.
template <class A, class B>
double max_relative_error(const A& a, const B& b) {
  return ((a.template cast<double>() - b).array().abs() / (1.0 + b.array().abs())).maxCoeff();
}

}  // namespace ember::test
