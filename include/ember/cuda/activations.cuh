#pragma once
/// @file
/// @brief The MLP activations in device code: value σ(z) and slope σ′(z), the same formulas as the host's.
///
/// Each activation (Silu, Softplus, Tanh) is a stateless type with static EMBER_HOST_DEVICE `value` and
/// `slope`, defined in ember/cuda/detail/activations.hpp (plain C++, tested on the CPU against the host's
/// scalar reference by tests/cuda_host/activations.test.cpp). Only a device MLP needs these two; the host
/// classes (simd/activations.hpp) also carry σ″.
///
/// @code
/// float h = ember::cuda::Silu::value(0.5f);   // 0.5 · σ(0.5)
/// float s = ember::cuda::Silu::slope(0.5f);   // σ(0.5) (1 + 0.5 (1 − σ(0.5)))
/// @endcode

#include "ember/cuda/detail/activations.hpp"
