#pragma once
/// @file
/// @brief Deprecated forward: ember::Philox now lives in ember/simd/random.hpp (its draws are vectorised, and core/
/// depends on nothing above it); include that. Kept so that code including this path still builds: nothing in
/// include/ but the umbrella ember.hpp uses it, and it is the one include from core/ upward that
/// tests/layering.cmake allows.
///
/// @code
/// ember::Philox rng(7);  // from <ember/simd/random.hpp>
/// @endcode

#include "ember/simd/random.hpp"
