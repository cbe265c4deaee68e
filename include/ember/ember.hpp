#pragma once
/// @file
/// @brief The umbrella header: includes every public header of ember, and nothing else.

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/config.hpp"
#include "ember/core/error.hpp"
#include "ember/core/philox.hpp"
#include "ember/core/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/mcmc/langevin.hpp"
