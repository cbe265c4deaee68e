#pragma once
/// @file
/// @brief ember::mpi::grid_density and ember::mpi::grid_nll: the quadrature of metrics/grid_nll.hpp with the
/// energy evaluations (the grid's cells, the held-out points) split across ranks.
///
/// Each rank evaluates a contiguous range of blocks of cells (and of held-out points); the values are gathered
/// in cell (point) order and every rank finishes the computation exactly as ember::grid_density and
/// ember::grid_nll do. Since a cell's energy depends on that cell alone, the result is bit-identical to the
/// one-process functions for any rank count.
///
/// @code
/// ember::GridDensity2d g = ember::mpi::grid_density(comm, energy);   // every rank gets the grid
/// double nll = ember::mpi::grid_nll(comm, energy, held_out, g);
/// @endcode

#include <Eigen/Core>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/metrics/grid_nll.hpp"
#include "ember/mpi/communicator.hpp"
#include "ember/mpi/sampling.hpp"
#include "ember/mpi/shard.hpp"

namespace ember::mpi {

namespace detail {

/// −E on the n × n grid, this rank's blocks of cells evaluated here, the rest gathered.
template <class E>
Eigen::MatrixXd negative_energy_on_grid(const Communicator& comm, const E& energy, double half_width, Index cells,
                                        Index block_rows, const char* fn) {
  const Shard shard = shard_of(comm, cells * cells, block_rows, fn);
  Eigen::MatrixXd out(cells, cells);
  ember::detail::negative_energy_on_cells(energy, half_width, cells, shard.first_row, shard.rows,
                                          out.data() + shard.first_row);
  Eigen::Map<Eigen::VectorXd> flat(out.data(), cells * cells);
  gather_rows(comm, shard, flat);
  ember::detail::check_numerics(out, "ember::grid_density", "the energy on the quadrature grid");
  return out;
}

}  // namespace detail

/// @brief ember::grid_density over the ranks of `comm`; every rank returns the whole grid.
/// @pre as ember::grid_density, and (cells/2)² ≥ shard.block_rows · comm.size().
template <class E>
GridDensity2d grid_density(const Communicator& comm, const E& energy, const GridSettings& settings = {},
                           const ShardSettings& shard_settings = {.block_rows = 1024}) {
  static_assert(Energy<E>, "ember::mpi::grid_density: the energy type must model ember::Energy.");
  constexpr const char* fn = "ember::mpi::grid_density";
  ember::detail::check_grid(settings, fn);
  ember::detail::require(energy.dim() == 2, fn, "energy.dim()", energy.dim(), "must be 2 (a 2D energy)");
  const Index block = shard_settings.block_rows;
  return ember::detail::grid_density_from(
      detail::negative_energy_on_grid(comm, energy, settings.half_width, settings.cells, block, fn),
      detail::negative_energy_on_grid(comm, energy, settings.half_width, settings.cells / 2, block, fn), settings);
}

/// @brief ember::grid_nll over the ranks of `comm`: the held-out points' energies are split across ranks.
/// @pre as ember::grid_nll, and x.rows() ≥ shard.block_rows · comm.size().
template <class E>
double grid_nll(const Communicator& comm, const E& energy, BatchView<typename E::scalar_type> x,
                const GridDensity2d& grid, const ShardSettings& shard_settings = {.block_rows = 64}) {
  static_assert(Energy<E>, "ember::mpi::grid_nll: the energy type must model ember::Energy.");
  constexpr const char* fn = "ember::mpi::grid_nll";
  ember::detail::require_batch(x, 2, fn, "x");
  const Shard shard = shard_of(comm, x.rows(), shard_settings.block_rows, fn);
  Vector<typename E::scalar_type> e(x.rows());
  energy.energy(x.middleRows(shard.first_row, shard.rows), e.segment(shard.first_row, shard.rows));
  gather_rows(comm, shard, e);
  ember::detail::check_numerics(e, "ember::grid_nll", "the energy of the held-out points");
  return e.template cast<double>().mean() + grid.log_z;
}

}  // namespace ember::mpi
