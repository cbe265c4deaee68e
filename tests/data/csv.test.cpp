#include "ember/data/csv.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

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
  std::srand(3);
  const Batch<double> x = Batch<double>::Random(50, 3) * 1e3;
  std::stringstream text;
  ember::write_csv<double>(text, x, {"a", "b", "c"});
  const Batch<double> y = ember::parse_csv<double>(text, "memory");
  CHECK(y == x);
  const std::string path = "ember_csv_roundtrip_test.csv";
  ember::write_csv<double>(path, x);
  CHECK(ember::read_csv<double>(path, {.columns = 3}) == x);
  std::remove(path.c_str());
}
