#pragma once
/// @file
/// @brief The CUDA backend's umbrella: device buffers, the Philox stream on the device, device energies
/// (analytic, Gaussian, MLP), Langevin, MALA, block Gibbs and CD/DCD steps. Compile with nvcc -std=c++20
/// --expt-relaxed-constexpr; link CUDA::cudart and CUDA::cublas. Not part of ember/ember.hpp.
///
/// @code
/// #include <ember/cuda/ember_cuda.cuh>
/// ember::cuda::DeviceBatch<float> x(host_x);  ember::cuda::Langevin<float>({.step_size = 0.01f}).run(energy, x, rng, 100);
/// @endcode

#include "ember/cuda/activations.cuh"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/contrastive.cuh"
#include "ember/cuda/energy.cuh"
#include "ember/cuda/error.cuh"
#include "ember/cuda/gaussian.cuh"
#include "ember/cuda/gibbs.cuh"
#include "ember/cuda/langevin.cuh"
#include "ember/cuda/mala.cuh"
#include "ember/cuda/mlp.cuh"
#include "ember/cuda/random.cuh"
