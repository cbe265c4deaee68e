#pragma once
/// @file
/// @brief A strict numeric CSV reader and writer for N × d data (one row per point, one column per coordinate).
///
/// Rules: fields are separated by `delimiter` (',' by default) and trimmed of blanks; a UTF-8 byte-order mark
/// at the start of the text is skipped; blank lines and lines whose first non-blank character is '#' are
/// skipped. The first other line is
/// - a data row if every field is a number;
/// - a header if no field is a number and every field is a name (a letter, '_' or a non-ASCII byte first,
///   then printable characters; or a double-quoted text) and `allow_header` is set;
/// - otherwise an error naming that line and, if it holds a number, its first field that is not a number,
///   else its first field that is not a name (so that a headerless file whose first row is `1.2.3,4` is
///   reported, not silently taken as a header).
/// A number is strictly `[+-]? (digits [. digits] | . digits) ([eE] [+-]? digits)?`: no second sign, no
/// trailing characters, no hexadecimal, no thousands separators (`nan`/`inf` are read, then refused as not
/// finite). Every data row must have the same number of columns (or exactly `CsvSettings::columns` if that
/// is set). A field that is not a number, a NaN/Inf, a row with the wrong number of columns, or a line longer
/// than `CsvSettings::max_line_length` bytes (a binary or endless input such as /dev/zero) throws
/// ember::invalid_argument naming the file and the line number, e.g.
/// `ember::read_csv: data.csv:7 column 2 = "abc": not a number`. In a message, bytes outside printable ASCII
/// are shown as `\xNN` and a long field is cut, so that it stays readable (a NUL would end it).
///
/// @code
/// ember::Batch<double> x = ember::read_csv<double>("points.csv", {.columns = 2});   // N × 2
/// ember::write_csv<double>("copy.csv", x, {"x", "y"});
/// @endcode

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
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
  bool allow_header = true;  ///< a first line of names only is a header (false: it is an error)
  std::size_t max_line_length = std::size_t{1} << 20;  ///< longest line accepted, in bytes (≥ 1)
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

/// Counts the decimal digits at the start of `s`.
inline std::size_t count_digits(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  return n;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != lower[i] && a[i] != lower[i] - 'a' + 'A') return false;
  return true;
}

/// Parses a whole field as a double under the strict grammar of the file comment; false if it is not
/// entirely a number. A magnitude beyond double's range reads as ±Inf (then refused as not finite), one
/// below it as ±0.
inline bool parse_number(std::string_view field, double& value) {
  const bool negative = !field.empty() && field.front() == '-';
  if (!field.empty() && (field.front() == '+' || field.front() == '-')) field.remove_prefix(1);
  if (equals_ignoring_case(field, "nan") || equals_ignoring_case(field, "inf") ||
      equals_ignoring_case(field, "infinity")) {
    value = field.size() == 3 && (field[0] == 'n' || field[0] == 'N') ? std::numeric_limits<double>::quiet_NaN()
                                                                      : std::numeric_limits<double>::infinity();
    if (negative) value = -value;
    return true;
  }
  // The grammar, checked here: std::from_chars alone accepts "-" after our '+' (so "+-1" read as -1).
  const std::size_t integer_digits = count_digits(field);
  std::size_t at = integer_digits, fraction_digits = 0;
  if (at < field.size() && field[at] == '.') {
    fraction_digits = count_digits(field.substr(at + 1));
    at += 1 + fraction_digits;
  }
  if (integer_digits + fraction_digits == 0) return false;
  bool has_exponent = false, negative_exponent = false;
  if (at < field.size() && (field[at] == 'e' || field[at] == 'E')) {
    has_exponent = true;
    ++at;
    if (at < field.size() && (field[at] == '+' || field[at] == '-')) negative_exponent = field[at++] == '-';
    const std::size_t exponent_digits = count_digits(field.substr(at));
    if (exponent_digits == 0) return false;
    at += exponent_digits;
  }
  if (at != field.size()) return false;
  const auto [end, error] =
      std::from_chars(field.data(), field.data() + field.size(), value, std::chars_format::general);
  if (error == std::errc::result_out_of_range) {
    // Underflow when the exponent is negative (or, without one, no integer digit is non-zero); else overflow.
    const bool zero_integer = field.substr(0, integer_digits).find_first_not_of('0') == std::string_view::npos;
    const bool underflow = has_exponent ? negative_exponent : zero_integer;
    value = underflow ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (error != std::errc() || end != field.data() + field.size()) {
    return false;
  }
  if (negative) value = -value;
  return true;
}

/// A column name: a double-quoted text, or a letter, '_' or non-ASCII (UTF-8) byte followed by printable
/// characters. Numbers, empty fields and control characters are not names.
inline bool looks_like_name(std::string_view field) {
  if (field.empty()) return false;
  for (const char c : field)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') return true;
  const auto first = static_cast<unsigned char>(field.front());
  return (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_' || first >= 0x80;
}

/// A field as it is shown in a message: quoted, bytes outside printable ASCII as \xNN, at most 40 bytes of it
/// (a NUL would otherwise cut the message short, and a binary line would flood it).
inline std::string quoted_for_message(std::string_view field) {
  constexpr std::size_t shown = 40;
  constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < field.size() && i < shown; ++i) {
    const auto c = static_cast<unsigned char>(field[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out += '"';
  if (field.size() > shown) out += " (" + std::to_string(field.size()) + " bytes, cut)";
  return out;
}

/// Reads the next line (without its '\n') into `line`; false at the end of the input. A line longer than
/// `limit` bytes throws, naming it, before more than `limit` bytes are held.
inline bool read_line(std::istream& in, std::string& line, std::size_t limit, std::string_view source,
                      std::size_t line_number) {
  line.clear();
  std::streambuf* buffer = in.rdbuf();
  if (buffer == nullptr || !in.good()) return false;
  for (;;) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return !line.empty();
    }
    if (c == '\n') return true;
    if (line.size() == limit)
      fail("ember::read_csv", std::string(source) + ":" + std::to_string(line_number) + " length",
           "more than " + std::to_string(limit) + " bytes", "longer than settings.max_line_length (not a text file?)");
    line.push_back(static_cast<char>(c));
  }
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
  detail::require_at_least_one(settings.max_line_length, fn, "settings.max_line_length");
  std::vector<double> values;
  Index columns = settings.columns;
  Index rows = 0;
  bool first = true;
  std::string line;
  std::size_t line_number = 0;
  while (detail::read_line(in, line, settings.max_line_length, source, line_number + 1)) {
    ++line_number;
    std::string_view content = line;
    if (line_number == 1 && content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);  // UTF-8 BOM
    content = detail::trim(content);
    if (content.empty() || content.front() == '#') continue;
    const auto fields = detail::split_fields(content, settings.delimiter);
    const std::string where = std::string(source) + ":" + std::to_string(line_number);
    std::vector<double> row(fields.size());
    std::size_t bad = fields.size(), numbers = 0;
    for (std::size_t k = 0; k < fields.size(); ++k) {
      if (detail::parse_number(fields[k], row[k])) {
        ++numbers;
      } else if (bad == fields.size()) {
        bad = k;
      }
    }
    const bool header = first && settings.allow_header && numbers == 0 &&
                        std::all_of(fields.begin(), fields.end(), detail::looks_like_name);
    const bool was_first = first;
    first = false;
    if (header) {
      if (columns == 0) columns = static_cast<Index>(fields.size());
      detail::require(static_cast<Index>(fields.size()) == columns, fn, where + " (header)",
                      static_cast<Index>(fields.size()), "columns; expected " + std::to_string(columns));
      continue;
    }
    if (columns == 0) columns = static_cast<Index>(fields.size());
    detail::require(static_cast<Index>(fields.size()) == columns, fn, where + " column count",
                    static_cast<Index>(fields.size()), "expected ", columns, " columns");
    if (was_first && settings.allow_header && numbers == 0) {  // meant as a header: name what is not a name
      const auto k = static_cast<std::size_t>(
          std::find_if_not(fields.begin(), fields.end(), detail::looks_like_name) - fields.begin());
      detail::fail(fn, where + " column " + std::to_string(k + 1), detail::quoted_for_message(fields[k]),
                   "not a column name (a header has names only: a letter, '_' or a quote first)");
    }
    if (bad != fields.size())
      detail::fail(fn, where + " column " + std::to_string(bad + 1), detail::quoted_for_message(fields[bad]),
                   "not a number",
                   was_first && settings.allow_header
                       ? " (nor is the line a header: a header has names only, no numbers)"
                       : "");
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
  std::error_code error;
  detail::require(!std::filesystem::is_directory(path, error), "ember::read_csv", "path", path,
                  "is a directory, not a CSV file");
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
