// tests include/ember/cuda/detail/activations.hpp: the device activations, compiled by g++, equal the CPU's
// scalar reference (ember::Silu/Softplus/Tanh value and first) bit for bit, and the CPU's batch path
// (simd::activate, what ember::MlpEnergy runs) within a measured bound; slope is the derivative of value.
#include "ember/cuda/detail/activations.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "ember/simd/activations.hpp"

namespace {

// Inputs: a dense sweep of [−40, 40], the edges of the exponential's range, and the special values.
template <class T>
std::vector<T> inputs() {
  std::vector<T> z;
  for (int k = -400000; k <= 400000; ++k) z.push_back(T(k) * T(1e-4));
  for (T v : {T(0), -T(0), T(1e-30), T(-1e-30), T(87), T(-87), T(88.7), T(-88.7), T(-103), T(700), T(-745), T(1e30),
              T(-1e30), std::numeric_limits<T>::denorm_min(), std::numeric_limits<T>::infinity(),
              -std::numeric_limits<T>::infinity()})
    z.push_back(v);
  return z;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class Device, class Host, class T>
void check_bitwise_equal_to_scalar_reference() {
  std::size_t value_mismatches = 0, slope_mismatches = 0;
  for (T z : inputs<T>()) {
    value_mismatches += !same_bits(Device::value(z), Host::value(z));
    slope_mismatches += !same_bits(Device::slope(z), Host::first(z));
  }
  CHECK(value_mismatches == 0);
  CHECK(slope_mismatches == 0);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  CHECK(std::isnan(Device::value(nan)));
  CHECK(std::isnan(Device::slope(nan)));
}

// max |device − batch| / (ε (1 + |batch|)) over the inputs (finite ones).
template <class Device, class Host, class T>
void measure_against_batch_path(double& value_error, double& slope_error) {
  std::vector<T> z = inputs<T>();
  z.erase(std::remove_if(z.begin(), z.end(), [](T v) { return !std::isfinite(v); }), z.end());
  std::vector<T> value = z, first(z.size());
  ember::simd::activate<Host>(value.data(), first.data(), static_cast<T*>(nullptr), z.size());
  const double eps = std::numeric_limits<T>::epsilon();
  value_error = slope_error = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    value_error = std::max(value_error, std::abs(double(Device::value(z[i])) - value[i]) / (eps * (1 + std::abs(double(value[i])))));
    slope_error = std::max(slope_error, std::abs(double(Device::slope(z[i])) - first[i]) / (eps * (1 + std::abs(double(first[i])))));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("cuda activations equal the CPU's scalar reference bit for bit", "[cuda_host][activations]", float,
                   double) {
  check_bitwise_equal_to_scalar_reference<ember::cuda::Silu, ember::Silu, TestType>();
  check_bitwise_equal_to_scalar_reference<ember::cuda::Softplus, ember::Softplus, TestType>();
  check_bitwise_equal_to_scalar_reference<ember::cuda::Tanh, ember::Tanh, TestType>();
}

// The CPU's batch path uses its own exponential (float SiLU: a polynomial kernel, simd/activations.hpp) or
// xsimd's; the scalar path uses libm. Measured maxima of |Δ|/(ε(1 + |σ|)) over these 800 016 inputs on
// x86-64 (-march=native, AVX-512), float and double alike, value and slope: SiLU 1.53 and 1.06, Softplus 0.74
// and 0.59, Tanh 0.81 and 1.07. Each side is within about one ulp of the exact value; the bound is 4.
TEMPLATE_TEST_CASE("cuda activations agree with the CPU's batch path within 4 ulps of 1 + |σ|",
                   "[cuda_host][activations]", float, double) {
  double value_error = 0, slope_error = 0;
  measure_against_batch_path<ember::cuda::Silu, ember::Silu, TestType>(value_error, slope_error);
  INFO("SiLU: value " << value_error << ", slope " << slope_error);
  CHECK(value_error <= 4);
  CHECK(slope_error <= 4);
  measure_against_batch_path<ember::cuda::Softplus, ember::Softplus, TestType>(value_error, slope_error);
  INFO("Softplus: value " << value_error << ", slope " << slope_error);
  CHECK(value_error <= 4);
  CHECK(slope_error <= 4);
  measure_against_batch_path<ember::cuda::Tanh, ember::Tanh, TestType>(value_error, slope_error);
  INFO("Tanh: value " << value_error << ", slope " << slope_error);
  CHECK(value_error <= 4);
  CHECK(slope_error <= 4);
}

TEST_CASE("cuda activations: slope is the derivative of value (central differences, double)", "[cuda_host][activations]") {
  const auto check = [](auto activation, const char* name) {
    using A = decltype(activation);
    for (double z : {-30.0, -4.0, -1.3, -0.2, 0.0, 0.7, 2.5, 30.0}) {
      const double h = 1e-5 * std::max(1.0, std::abs(z));
      const double numeric = (A::value(z + h) - A::value(z - h)) / (2 * h);
      INFO(name << " at " << z);
      CHECK(std::abs(A::slope(z) - numeric) <= 1e-8 * (1 + std::abs(numeric)));
    }
  };
  check(ember::cuda::Silu{}, "Silu");
  check(ember::cuda::Softplus{}, "Softplus");
  check(ember::cuda::Tanh{}, "Tanh");
  CHECK(ember::cuda::Softplus::value(-800.0) == 0.0);  // no overflow, no NaN
  CHECK(ember::cuda::Softplus::value(800.0) == 800.0);
  CHECK(ember::cuda::Silu::value(-800.0f) == -0.0f);
  CHECK(ember::cuda::Tanh::value(-800.0f) == -1.0f);
}
