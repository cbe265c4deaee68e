#include "ember/data/csv.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include "support/random_batch.hpp"

using Catch::Matchers::Contains;
using ember::Batch;

namespace {
template <class T>
Batch<T> parse(const std::string& text, ember::CsvSettings settings = {}) {
  std::istringstream in(text);
  return ember::parse_csv<T>(in, "points.csv", settings);
}
}  // namespace

TEMPLATE_TEST_CASE("read_csv: numbers, an optional header, comments and blank lines", "[csv]", float, double) {
  const Batch<TestType> x = parse<TestType>("x, y\n# a comment\n1.5,-2\n\n  3e-1 , +4\r\n-0.25,1e2\n");
  REQUIRE(x.rows() == 3);
  REQUIRE(x.cols() == 2);
  CHECK(x(0, 0) == TestType(1.5));
  CHECK(x(0, 1) == TestType(-2));
  CHECK(x(1, 0) == TestType(0.3));
  CHECK(x(1, 1) == TestType(4));
  CHECK(x(2, 0) == TestType(-0.25));
  CHECK(x(2, 1) == TestType(100));
  const Batch<TestType> no_header = parse<TestType>("1;2;3\n4;5;6\n", {.delimiter = ';'});
  CHECK(no_header.rows() == 2);
  CHECK(no_header.cols() == 3);
  CHECK(no_header(1, 2) == TestType(6));
}

TEST_CASE("read_csv: malformed rows name the file, the line and the column", "[csv][errors]") {
  CHECK_THROWS_AS(parse<double>("x,y\n1,2\n3,abc\n"), ember::invalid_argument);
  CHECK_THROWS_WITH(parse<double>("x,y\n1,2\n3,abc\n"),
                    Contains("ember::read_csv") && Contains("points.csv:3 column 2") && Contains("\"abc\"") &&
                        Contains("not a number"));
  // Wrong column count on line 4 (after a comment line, which still counts).
  CHECK_THROWS_WITH(parse<double>("1,2\n# c\n3,4\n5,6,7\n"),
                    Contains("points.csv:4 column count = 3") && Contains("expected 2 columns"));
  CHECK_THROWS_WITH(parse<double>("1,2\n3,nan\n"), Contains("points.csv:2 column 2 = nan") && Contains("finite"));
  CHECK_THROWS_WITH(parse<double>("1,2\ninf,3\n"), Contains("points.csv:2 column 1 = inf"));
  CHECK_THROWS_WITH(parse<double>("1,2\n3,\n"), Contains("points.csv:2 column 2"));
  CHECK_THROWS_WITH(parse<double>("1,2,3\n", {.columns = 2}), Contains("points.csv:1 column count = 3"));
  CHECK_THROWS_WITH(parse<double>("a,b\n"), Contains("holds no data rows"));
  CHECK_THROWS_WITH(parse<double>(""), Contains("holds no data rows"));
  CHECK_THROWS_WITH(parse<double>("a,b\n1,2\n", {.allow_header = false}), Contains("points.csv:1 column 1"));
  CHECK_THROWS_WITH(parse<float>("1,2\n1e300,3\n"), Contains("points.csv:2 column 1") && Contains("out of range"));
  CHECK_THROWS_WITH(ember::read_csv<double>("/nonexistent/dir/file.csv"),
                    Contains("/nonexistent/dir/file.csv") && Contains("cannot be opened"));
}

TEST_CASE("write_csv then read_csv round-trips exactly", "[csv]") {
  ember::test::Uniform uniform(3);
  const Batch<double> x = uniform.next<Batch<double>>(50, 3) * 1e3;
  std::stringstream text;
  ember::write_csv<double>(text, x, {"a", "b", "c"});
  const Batch<double> y = ember::parse_csv<double>(text, "memory");
  CHECK(y == x);
  const std::string path = "ember_csv_roundtrip_test.csv";
  ember::write_csv<double>(path, x);
  CHECK(ember::read_csv<double>(path, {.columns = 3}) == x);
  std::remove(path.c_str());
}

TEST_CASE("read_csv: the header rule — names only is a header, numbers only is data, a mix is an error at its line",
          "[csv][errors][bad input]") {
  using Catch::Matchers::Message;
  // The case: a headerless file whose first row does not parse is an error, not a header.
  CHECK_THROWS_MATCHES(parse<double>("1.2.3,4\n5,6\n7,8\n"), ember::invalid_argument,
                       Message("ember::read_csv: points.csv:1 column 1 = \"1.2.3\": not a number (nor is the line a "
                               "header: a header has names only, no numbers)"));
  CHECK_THROWS_MATCHES(parse<double>("# comment\nx,2\n5,6\n"), ember::invalid_argument,
                       Message("ember::read_csv: points.csv:2 column 1 = \"x\": not a number (nor is the line a "
                               "header: a header has names only, no numbers)"));
  // No number on the line: it is meant as a header, and the field that is not a name is named.
  CHECK_THROWS_MATCHES(parse<double>("x,-y\n1,2\n"), ember::invalid_argument,
                       Message("ember::read_csv: points.csv:1 column 2 = \"-y\": not a column name (a header has "
                               "names only: a letter, '_' or a quote first)"));
  CHECK_THROWS_WITH(parse<double>("x,\n1,2\n"), Catch::Matchers::Contains("points.csv:1 column 2 = \"\": not a column name"));
  // Names: letters, '_', UTF-8, quoted text.
  CHECK(parse<double>("x_1,\"y (m)\",σ\n1,2,3\n").rows() == 1);
  CHECK(parse<double>("_a;B2\n1;2\n", {.delimiter = ';'}).cols() == 2);
  // Ten data rows without a header are ten rows (not "rows = 9").
  std::string ten;
  for (int i = 0; i < 10; ++i) ten += std::to_string(i) + ".5,1\n";
  CHECK(parse<double>(ten).rows() == 10);
}

TEST_CASE("read_csv: a UTF-8 byte-order mark is skipped, on a header or on data", "[csv][bad input]") {
  const Batch<double> data = parse<double>("\xEF\xBB\xBF" "1,2\n3,4\n");
  REQUIRE(data.rows() == 2);
  CHECK(data(0, 0) == 1.0);
  CHECK(parse<double>("\xEF\xBB\xBF" "x,y\n3,4\n").rows() == 1);
  // Only at the very start: elsewhere it is a byte like any other, and not a number.
  CHECK_THROWS_WITH(parse<double>("1,2\n\xEF\xBB\xBF" "3,4\n"),
                    Catch::Matchers::Contains("points.csv:2 column 1 = \"\\xef\\xbb\\xbf3\": not a number"));
}

TEST_CASE("read_csv: the strict number grammar", "[csv][errors][bad input]") {
  using Catch::Matchers::Message;
  const Batch<double> x = parse<double>("+1,-2,.5,5.,1e3,-1.5E-2,+0.25e+1,007\n");
  const Batch<double> expected = (Batch<double>(1, 8) << 1, -2, 0.5, 5, 1000, -0.015, 2.5, 7).finished();
  CHECK(x == expected);
  CHECK_THROWS_MATCHES(parse<double>("1,2\n+-1,3\n"), ember::invalid_argument,
                       Message("ember::read_csv: points.csv:2 column 1 = \"+-1\": not a number"));
  for (const char* bad : {"--1", "-+1", "++1", "1e", "1e+", ".", "-", "+", "1.2.3", "5e3x", "0x1p3", "0x10",
                          "1e3.5", "1_000", "1 000", "e5", ".e1", "1..2", "12-3", "inf3", "nan(1)"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse<double>(std::string("1,2\n") + bad + ",0\n"),
                      Catch::Matchers::Contains("points.csv:2") && Catch::Matchers::Contains("not a number"));
  }
  // nan/inf are read, then refused as not finite; out-of-range magnitudes too; underflow reads as 0.
  CHECK_THROWS_WITH(parse<double>("1,2\n-Infinity,0\n"), Catch::Matchers::Contains("column 1 = -Infinity: must be finite"));
  CHECK_THROWS_WITH(parse<double>("1,2\n1e400,0\n"), Catch::Matchers::Contains("column 1 = 1e400: must be finite"));
  CHECK_THROWS_WITH(parse<double>("1,2\n-0.1e400,0\n"), Catch::Matchers::Contains("column 1 = -0.1e400: must be finite"));
  CHECK(parse<double>("1e-400,2\n")(0, 0) == 0.0);
}

TEST_CASE("read_csv: a line longer than max_line_length is refused at that line, holding no more than it",
          "[csv][errors][bad input]") {
  using Catch::Matchers::Message;
  // As /dev/zero: NUL bytes without end (here 3 MiB of them after a good row).
  const std::string zeros = "1,2\n" + std::string(3u << 20, '\0');
  CHECK_THROWS_MATCHES(parse<double>(zeros), ember::invalid_argument,
                       Message("ember::read_csv: points.csv:2 length = more than 1048576 bytes: longer than "
                               "settings.max_line_length (not a text file?)"));
  CHECK_THROWS_WITH(parse<double>("1,2\n3,40000\n", {.max_line_length = 6}), Catch::Matchers::Contains("points.csv:2 length"));
  CHECK(parse<double>("1,2\n3,4", {.max_line_length = 3}).rows() == 2);  // exactly the limit; no final newline
  CHECK_THROWS_WITH(parse<double>("1,2\n", {.max_line_length = 0}), Catch::Matchers::Contains("settings.max_line_length = 0"));
  CHECK_THROWS_WITH(ember::read_csv<double>("."), Catch::Matchers::Contains("path = .: is a directory"));
}

TEST_CASE("read_csv: non-printable bytes in a field are escaped in the message (a NUL does not cut it short)",
          "[csv][errors][bad input]") {
  using Catch::Matchers::Message;
  CHECK_THROWS_MATCHES(parse<double>(std::string("1,2\n3,a\0b\x01\n", 11)), ember::invalid_argument,
                       Message("ember::read_csv: points.csv:2 column 2 = \"a\\x00b\\x01\": not a number"));
  const std::string long_field(100, 'z');
  CHECK_THROWS_MATCHES(parse<double>("1,2\n3," + long_field + "\n"), ember::invalid_argument,
                       Message("ember::read_csv: points.csv:2 column 2 = \"" + std::string(40, 'z') +
                               "\" (100 bytes, cut): not a number"));
}
