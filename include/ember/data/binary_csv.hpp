#pragma once
/// @file
/// @brief Binary data (0/1 values) from CSV text: one point per line, comma-separated.
///
/// Blank lines and lines starting with '#' are skipped; spaces and tabs around a value and a trailing
/// '\r' are ignored. Every other line must hold the same number of values, each exactly 0 or 1. Malformed
/// input throws ember::invalid_argument naming the line, e.g.
/// `ember::read_binary_csv: data.csv line 7 = "0,1,2": column 3 holds "2", expected 0 or 1`.
///
/// @code
/// const ember::Batch<float> data = ember::load_binary_csv<float>("digits.csv");  // N × d, one row per line
/// const ember::Batch<double> small = ember::read_binary_csv<double>(stream);
/// @endcode

#include <cstddef>
#include <fstream>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

namespace detail {

inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// `text` between double quotes (built with append: GCC 12 warns falsely on `"\"" + string`).
inline std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  out.append(text);
  out.push_back('"');
  return out;
}

}  // namespace detail

/// @brief Reads binary CSV from `in` into an N × d batch (one row per non-blank, non-comment line).
/// @param in     the text
/// @param source a name for error messages (a path, or "input")
/// @throws ember::invalid_argument for a non-binary value, a wrong column count (naming the line and the
/// count expected from the first data line), or input without any data line.
template <Scalar T>
Batch<T> read_binary_csv(std::istream& in, std::string_view source = "input") {
  constexpr const char* fn = "ember::read_binary_csv";
  std::vector<T> values;
  Index columns = -1;
  Index rows = 0;
  std::string line;
  for (Index number = 1; std::getline(in, line); ++number) {
    const std::string_view text = detail::trim_blanks(line);
    if (text.empty() || text.front() == '#') continue;
    std::string where(source);
    where.append(" line ").append(std::to_string(number));
    Index column = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text.find(',', start);
      const std::string_view field =
          detail::trim_blanks(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      ++column;
      if (field != "0" && field != "1") {
        std::string reason = "column ";
        reason.append(std::to_string(column)).append(" holds ").append(detail::quoted(field)).append(", expected 0 or 1");
        detail::require(false, fn, where, detail::quoted(text), reason);
      }
      values.push_back(field == "1" ? T(1) : T(0));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (columns < 0) columns = column;
    if (column != columns) {
      std::string reason = "has ";
      reason.append(std::to_string(column)).append(" columns, expected ").append(std::to_string(columns));
      reason.append(" (the first data line's count)");
      detail::require(false, fn, where, detail::quoted(text), reason);
    }
    ++rows;
  }
  detail::require(rows > 0, fn, "source", std::string(source), "holds no data lines");
  Batch<T> out(rows, columns);
  for (Index i = 0; i < rows; ++i)
    for (Index k = 0; k < columns; ++k) out(i, k) = values[static_cast<std::size_t>(i * columns + k)];
  return out;
}

/// @brief Reads binary CSV from the file at `path` (see read_binary_csv).
/// @throws ember::invalid_argument if the file cannot be opened or is malformed.
template <Scalar T>
Batch<T> load_binary_csv(const std::string& path) {
  std::ifstream in(path);
  detail::require(in.good(), "ember::load_binary_csv", "path", path, "cannot be opened for reading");
  return read_binary_csv<T>(in, path);
}

}  // namespace ember
