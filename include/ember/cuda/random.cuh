#pragma once
/// @file
/// @brief The host's Philox stream on the device: same bits, same uniforms, same Box–Muller normals.
///
/// The arithmetic lives in ember/cuda/detail/random_stream.hpp (plain C++, tested on the CPU by
/// tests/cuda_host/random_stream.test.cpp): chain c, coordinate j of draw n gets the bits of counter
/// {j / 4, c, lo(n), hi(n)}, word j % 4, exactly what `PhiloxDraw::normal/uniform` fill on the host. The bits
/// and uniforms are identical on both sides; the normals agree to a few ulps (the device's logf/sincosf and
/// xsimd's differ in the last bits).
///
/// @code
/// const ember::PhiloxDraw draw = rng.draw();                           // on the host, passed by value
/// float z = ember::cuda::philox_normal<float>(draw, chain, coordinate);  // in a kernel
/// @endcode

#include "ember/cuda/detail/random_stream.hpp"
#include "ember/cuda/error.cuh"
