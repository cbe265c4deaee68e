#pragma once
/// @file
/// @brief Exact NLL and KL for 2D energies: log Z by quadrature on a fine grid.
///
/// The normalised model density is p(x) = exp(−E(x))/Z. Z = ∫ exp(−E) is computed with the midpoint rule on
/// the box B = [−L, L]² cut into n × n cells of side h = 2L/n (`GridSettings`), summing in log space.
///
/// Error bound. |log Z − log Z_h| ≤ (tail + quad)/Z_h, where tail = ∫_{ℝ²∖B} exp(−E) and, for a twice
/// differentiable integrand f = exp(−E), quad ≤ (h²/24) ∫_B (|∂²f/∂x²| + |∂²f/∂y²|) (the midpoint rule's
/// error on each cell). For densities that are smooth and negligible at the border of B the midpoint rule
/// (like the trapezoid rule) converges exponentially fast, error ~ exp(−2π²σ²/h²) for features of width σ
/// (Poisson summation), so the tail dominates. Neither term is known for an arbitrary learned energy, so the
/// result carries two measured checks: `refinement_difference` = |log Z_h − log Z_{2h}| (a grid twice as coarse;
/// the error of log Z_h is below it whenever the rule converges at least like h²/3 of it), and `edge_mass` =
/// the fraction of the mass in the outer 5% band of B (large values mean the box is too small). With the
/// defaults (L = 6, n = 480, h = 0.025) log Z of a unit Gaussian is exact to ~1e-12 (tests/metrics).
/// Cell edges fall on multiples of h, so densities that are constant on axis-aligned squares with corners
/// on that lattice (the checkerboard) are integrated exactly.
///
/// @code
/// ember::GridDensity2d g = ember::grid_density(energy);          // log Z, log p on the grid
/// double nll = ember::grid_nll(energy, held_out, g);              // mean −log p(x) over held-out points
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Settings of the quadrature grid (aggregate).
struct GridSettings {
  double half_width = 6.0;  ///< L: the box is [−L, L]²
  Index cells = 480;        ///< n cells per axis (even; the check grid has n/2)
};

/// @brief log p on the cell centres of a grid, with log Z and its two accuracy checks.
struct GridDensity2d {
  double half_width = 0;
  Index cells = 0;
  Eigen::MatrixXd log_density;        ///< (n × n): entry (i, j) is log p at (centre(i), centre(j))
  double log_z = 0;                   ///< log Z_h
  double refinement_difference = 0;  ///< |log Z_h − log Z_{2h}|
  double edge_mass = 0;               ///< fraction of the quadrature mass in the outer 5% band of the box
  /// The side h of a cell.
  [[nodiscard]] double cell_size() const { return 2 * half_width / static_cast<double>(cells); }
  /// The coordinate of the centre of cell i along either axis.
  [[nodiscard]] double centre(Index i) const { return -half_width + (static_cast<double>(i) + 0.5) * cell_size(); }
};

namespace detail {

inline void check_grid(const GridSettings& s, const char* fn) {
  require_positive(s.half_width, fn, "settings.half_width");
  require(s.cells >= 4 && s.cells % 2 == 0, fn, "settings.cells", s.cells, "must be even and >= 4");
}

/// −E at the cell centres [first, first + count) of an n × n grid on [−L, L]², in column-major cell order
/// (cell `flat` ↔ (x = c_{flat mod n}, y = c_{flat / n})), written to out[0 .. count), evaluated in chunks.
/// A cell's value depends on that cell alone, so any cut of the cells gives the same values (mpi/grid_nll.hpp).
template <class E>
void negative_energy_on_cells(const E& energy, double half_width, Index cells, Index first, Index count,
                              double* out) {
  using T = typename E::scalar_type;
  const double h = 2 * half_width / static_cast<double>(cells);
  constexpr Index chunk = 8192;
  Batch<T> x(std::min(chunk, count), 2);
  Vector<T> e(x.rows());
  for (Index start = 0; start < count; start += chunk) {
    const Index rows = std::min(chunk, count - start);
    if (rows != x.rows()) {
      x.resize(rows, 2);
      e.resize(rows);
    }
    for (Index r = 0; r < rows; ++r) {
      const Index flat = first + start + r;  // column-major: i = flat % n, j = flat / n
      x(r, 0) = static_cast<T>(-half_width + (static_cast<double>(flat % cells) + 0.5) * h);
      x(r, 1) = static_cast<T>(-half_width + (static_cast<double>(flat / cells) + 0.5) * h);
    }
    energy.energy(x, e);
    for (Index r = 0; r < rows; ++r) out[start + r] = -static_cast<double>(e(r));
  }
}

/// −E at the cell centres of an n × n grid on [−L, L]²; (i, j) ↔ (x = cᵢ, y = cⱼ).
template <class E>
Eigen::MatrixXd negative_energy_on_grid(const E& energy, double half_width, Index cells) {
  Eigen::MatrixXd out(cells, cells);
  negative_energy_on_cells(energy, half_width, cells, 0, cells * cells, out.data());
  check_numerics(out, "ember::grid_density", "the energy on the quadrature grid");
  return out;
}

/// log Σ exp(a) · h², stable.
inline double log_integral(const Eigen::MatrixXd& log_f, double h) {
  const double top = log_f.maxCoeff();
  return top + std::log((log_f.array() - top).exp().sum()) + 2 * std::log(h);
}

/// The grid density from −E on the fine (n × n) and the check (n/2 × n/2) grids.
inline GridDensity2d grid_density_from(const Eigen::MatrixXd& fine, const Eigen::MatrixXd& coarse,
                                       const GridSettings& settings) {
  GridDensity2d g;
  g.half_width = settings.half_width;
  g.cells = settings.cells;
  g.log_z = log_integral(fine, g.cell_size());
  const double log_z_coarse = log_integral(coarse, 2 * g.cell_size());
  g.refinement_difference = std::abs(g.log_z - log_z_coarse);
  g.log_density = fine.array() - g.log_z;
  const double band = 0.9 * settings.half_width;
  double edge = 0;
  for (Index j = 0; j < g.cells; ++j)
    for (Index i = 0; i < g.cells; ++i)
      if (std::abs(g.centre(i)) > band || std::abs(g.centre(j)) > band) edge += std::exp(g.log_density(i, j));
  g.edge_mass = edge * g.cell_size() * g.cell_size();
  return g;
}

}  // namespace detail

/// @brief The normalised log-density of a 2D energy on the quadrature grid, with log Z and its checks.
/// @pre energy.dim() == 2; settings.half_width > 0; settings.cells even and ≥ 4.
/// @throws ember::numerical_error if the energy is NaN/Inf anywhere on the grid.
template <class E>
GridDensity2d grid_density(const E& energy, const GridSettings& settings = {}) {
  static_assert(Energy<E>, "ember::grid_density: the energy type must model ember::Energy.");
  constexpr const char* fn = "ember::grid_density";
  detail::check_grid(settings, fn);
  detail::require(energy.dim() == 2, fn, "energy.dim()", energy.dim(), "must be 2 (a 2D energy)");
  return detail::grid_density_from(detail::negative_energy_on_grid(energy, settings.half_width, settings.cells),
                                   detail::negative_energy_on_grid(energy, settings.half_width, settings.cells / 2),
                                   settings);
}

/// @brief Mean negative log-likelihood −mean log p(xᵢ) = mean E(xᵢ) + log Z of held-out points x (N × 2).
template <class E>
double grid_nll(const E& energy, BatchView<typename E::scalar_type> x, const GridDensity2d& grid) {
  static_assert(Energy<E>, "ember::grid_nll: the energy type must model ember::Energy.");
  constexpr const char* fn = "ember::grid_nll";
  detail::require_batch(x, 2, fn, "x");
  Vector<typename E::scalar_type> e(x.rows());
  energy.energy(x, e);
  detail::check_numerics(e, fn, "the energy of the held-out points");
  return e.template cast<double>().mean() + grid.log_z;
}

/// @brief As above, computing the grid first.
template <class E>
double grid_nll(const E& energy, BatchView<typename E::scalar_type> x, const GridSettings& settings = {}) {
  return grid_nll(energy, x, grid_density(energy, settings));
}

/// @brief KL(p_data ‖ p_model) = ∫ p_d (log p_d − log p_model) by the same quadrature, for a data density known
/// exactly through `data_log_density(x, out)` (out(i) = log p_d(xᵢ); −∞ where p_d = 0).
/// @return the KL in nats (cells where p_d = 0 contribute 0).
template <class LogDensity>
double grid_kl(const LogDensity& data_log_density, const GridDensity2d& model) {
  const Index n = model.cells;
  const Index total = n * n;
  Batch<double> x(total, 2);
  for (Index flat = 0; flat < total; ++flat) {
    x(flat, 0) = model.centre(flat % n);
    x(flat, 1) = model.centre(flat / n);
  }
  Vector<double> log_pd(total);
  data_log_density(BatchView<double>(x), VectorRef<double>(log_pd));
  const double h2 = model.cell_size() * model.cell_size();
  double kl = 0;
  for (Index flat = 0; flat < total; ++flat) {
    const double lp = log_pd(flat);
    if (lp == -std::numeric_limits<double>::infinity()) continue;
    kl += std::exp(lp) * (lp - model.log_density.data()[flat]);
  }
  kl *= h2;
  if (!std::isfinite(kl)) throw numerical_error("ember::grid_kl: the KL is not finite (the model density underflows "
                                                "where the data has mass)");
  return kl;
}

/// @brief As above, computing the model's grid first.
template <class LogDensity, class E>
double grid_kl(const LogDensity& data_log_density, const E& energy, const GridSettings& settings = {}) {
  return grid_kl(data_log_density, grid_density(energy, settings));
}

}  // namespace ember
