#pragma once
/// @file
/// @brief A strict numeric CSV reader and writer for N × d data (one row per point, one column per coordinate).
///
/// Rules: fields are separated by `delimiter` (',' by default) and trimmed of blanks; blank lines and lines
/// whose first non-blank character is '#' are skipped; the first non-skipped line is a header if any of its
/// fields is not a number. Every data row must have the same number of columns (or exactly
/// `CsvSettings::columns` if that is set). A field that is not a number, a NaN/Inf, or a row with the wrong
/// number of columns throws ember::invalid_argument naming the file and the line number, e.g.
/// `ember::read_csv: data.csv:7 column 2 = "abc": not a number`.
///
/// @code
/// ember::Batch<double> x = ember::read_csv<double>("points.csv", {.columns = 2});   // N × 2
/// ember::write_csv<double>("copy.csv", x, {"x", "y"});
/// @endcode

#include <charconv>
#include <cmath>
#include <fstream>
#include <istream>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Settings of read_csv / parse_csv (aggregate; designated initialisers welcome).
struct CsvSettings {
  Index columns = 0;      ///< required number of columns; 0 accepts any number, the same on every row
  char delimiter = ',';   ///< field separator
  bool allow_header = true;  ///< a first line with a non-numeric field is a header (false: it is an error)
};

namespace detail {

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

inline std::vector<std::string_view> split_fields(std::string_view line, char delimiter) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(delimiter, start);
    fields.push_back(trim(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return fields;
}

/// Parses a whole field as a double; false if it is not entirely a number.
inline bool parse_number(std::string_view field, double& value) {
  if (field.empty()) return false;
  if (field.front() == '+') field.remove_prefix(1);
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  return error == std::errc() && end == field.data() + field.size();
}

}  // namespace detail

/// @brief Parses numeric CSV text from a stream into an N × d batch.
/// @param in     the text
/// @param source the name used in error messages (a file name)
/// @throws ember::invalid_argument on a malformed field, a NaN/Inf, a wrong column count or no data rows.
template <Scalar T>
Batch<T> parse_csv(std::istream& in, std::string_view source, CsvSettings settings = {}) {
  constexpr const char* fn = "ember::read_csv";
  detail::require(settings.columns >= 0, fn, "settings.columns", settings.columns, "must be >= 0");
  std::vector<double> values;
  Index columns = settings.columns;
  Index rows = 0;
  bool first = true;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    const std::string_view content = detail::trim(line);
    if (content.empty() || content.front() == '#') continue;
    const auto fields = detail::split_fields(content, settings.delimiter);
    const std::string where = std::string(source) + ":" + std::to_string(line_number);
    std::vector<double> row(fields.size());
    std::size_t bad = fields.size();
    for (std::size_t k = 0; k < fields.size() && bad == fields.size(); ++k)
      if (!detail::parse_number(fields[k], row[k])) bad = k;
    if (first && bad != fields.size() && settings.allow_header) {  // a header line
      first = false;
      if (columns == 0) columns = static_cast<Index>(fields.size());
      detail::require(static_cast<Index>(fields.size()) == columns, fn, where + " (header)",
                      static_cast<Index>(fields.size()), "columns; expected " + std::to_string(columns));
      continue;
    }
    first = false;
    if (columns == 0) columns = static_cast<Index>(fields.size());
    detail::require(static_cast<Index>(fields.size()) == columns, fn, where + " column count",
                    static_cast<Index>(fields.size()), "expected ", columns, " columns");
    if (bad != fields.size())
      detail::require(false, fn, where + " column " + std::to_string(bad + 1), "\"" + std::string(fields[bad]) + "\"",
                      "not a number");
    for (std::size_t k = 0; k < row.size(); ++k)
      detail::require(std::isfinite(row[k]) && std::isfinite(static_cast<double>(static_cast<T>(row[k]))), fn,
                      where + " column " + std::to_string(k + 1), std::string(fields[k]),
                      "must be finite (NaN/Inf or out of range for the scalar type)");
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  detail::require(rows > 0, fn, "source", std::string(source), "holds no data rows");
  Batch<T> x(rows, columns);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < columns; ++j) x(i, j) = static_cast<T>(values[static_cast<std::size_t>(i * columns + j)]);
  return x;
}

/// @brief Reads a numeric CSV file into an N × d batch (see the file comment for the rules).
/// @throws ember::invalid_argument if the file cannot be opened or is malformed (with its line number).
template <Scalar T>
Batch<T> read_csv(const std::string& path, CsvSettings settings = {}) {
  std::ifstream in(path);
  detail::require(static_cast<bool>(in), "ember::read_csv", "path", path, "cannot be opened for reading");
  return parse_csv<T>(in, path, settings);
}

/// @brief Writes x as CSV with an optional header line (one name per column), full round-trip precision.
template <Scalar T>
void write_csv(std::ostream& out, BatchView<T> x, const std::vector<std::string>& header = {}) {
  detail::require(header.empty() || static_cast<Index>(header.size()) == x.cols(), "ember::write_csv",
                  "header.size()", header.size(), "must be 0 or the number of columns ", x.cols());
  for (std::size_t k = 0; k < header.size(); ++k) out << (k ? "," : "") << header[k];
  if (!header.empty()) out << '\n';
  std::ostringstream line;
  line.precision(std::numeric_limits<T>::max_digits10);
  for (Index i = 0; i < x.rows(); ++i) {
    line.str("");
    for (Index j = 0; j < x.cols(); ++j) line << (j ? "," : "") << x(i, j);
    out << line.str() << '\n';
  }
}

/// @brief Writes x to the file `path` as CSV. @throws ember::invalid_argument if it cannot be written.
template <Scalar T>
void write_csv(const std::string& path, BatchView<T> x, const std::vector<std::string>& header = {}) {
  std::ofstream out(path);
  detail::require(static_cast<bool>(out), "ember::write_csv", "path", path, "cannot be opened for writing");
  write_csv<T>(out, x, header);
  out.flush();
  detail::require(static_cast<bool>(out), "ember::write_csv", "path", path, "write failed");
}

}  // namespace ember
