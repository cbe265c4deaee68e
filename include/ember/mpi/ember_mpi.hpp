#pragma once
/// @file
/// @brief The MPI layer's umbrella: includes every header of ember/mpi/ (each needs mpi.h; link ember::mpi).
///
/// The core (ember/ember.hpp) never includes these: it depends on Eigen and xsimd alone.

#include "ember/mpi/ais.hpp"
#include "ember/mpi/communicator.hpp"
#include "ember/mpi/data_parallel.hpp"
#include "ember/mpi/grid_nll.hpp"
#include "ember/mpi/mmd.hpp"
#include "ember/mpi/sampling.hpp"
#include "ember/mpi/shard.hpp"
