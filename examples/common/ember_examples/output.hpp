#pragma once
// Shared output helpers of the example programs: JSON files, a directory, exact sampling from a density on a
// quadrature grid, and a table printer.
#include <ember/core/error.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <ember/core/batch.hpp>
#include <ember/simd/random.hpp>
#include <ember/metrics/grid_nll.hpp>

namespace ember::examples {

inline void make_directory(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw ember::invalid_argument("cannot create directory " + dir + ": " + error.message());
}

inline void write_json(const std::string& path, const nlohmann::json& value) {
  std::ofstream out(path);
  if (!out) throw ember::invalid_argument("cannot open " + path + " for writing");
  out << value.dump(2) << '\n';
}

/// A JSON number, or null when the value is not finite (JSON has no NaN/Inf).
inline nlohmann::json number_or_null(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(); }

/// n exact draws from the piecewise-constant density of a quadrature grid (each cell carries its mass p·h²;
/// a point is uniform inside its cell). Two generator draws; chain i's point depends on (seed, draw, i) only.
template <class T>
ember::Batch<T> sample_from_grid(const ember::GridDensity2d& grid, ember::Index n, ember::Philox& rng) {
  const ember::Index cells = grid.cells;
  std::vector<double> cumulative(static_cast<std::size_t>(cells * cells));
  double total = 0;
  for (ember::Index k = 0; k < cells * cells; ++k) cumulative[static_cast<std::size_t>(k)] = total += std::exp(grid.log_density.data()[k]);
  ember::Batch<double> u(n, 3);
  rng.draw().template uniform<double>(u, 0);
  ember::Batch<T> out(n, 2);
  const double h = grid.cell_size();
  for (ember::Index i = 0; i < n; ++i) {
    const auto at = std::lower_bound(cumulative.begin(), cumulative.end(), u(i, 0) * total);
    const auto flat = std::min<ember::Index>(cells * cells - 1, at - cumulative.begin());
    out(i, 0) = static_cast<T>(grid.centre(flat % cells) + (u(i, 1) - 0.5) * h);
    out(i, 1) = static_cast<T>(grid.centre(flat / cells) + (u(i, 2) - 0.5) * h);
  }
  return out;
}

/// Prints a Markdown table (header + rows) to `out` and returns it as a string.
inline std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  std::string text;
  const auto line = [&](const std::vector<std::string>& cells) {
    text += "|";
    for (std::size_t c = 0; c < cells.size(); ++c) text += " " + cells[c] + std::string(width[c] - cells[c].size(), ' ') + " |";
    text += "\n";
  };
  line(header);
  text += "|";
  for (std::size_t c = 0; c < header.size(); ++c) text += std::string(width[c] + 2, '-') + "|";
  text += "\n";
  for (const auto& row : rows) line(row);
  return text;
}

inline std::string format(const char* spec, double value) {
  if (!std::isfinite(value)) return "–";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}

}  // namespace ember::examples
