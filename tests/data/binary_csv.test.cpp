// Tests include/ember/data/binary_csv.hpp.
#include "ember/data/binary_csv.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

using ember::Batch;
using Catch::Matchers::Contains;

TEST_CASE("read_binary_csv: rows, comments, blanks, spaces and CRLF", "[binary_csv]") {
  std::istringstream in("# a comment\n0,1,1\r\n\n 1 , 0,0\n0,0,1\n");
  const Batch<float> data = ember::read_binary_csv<float>(in);
  Batch<float> expected(3, 3);
  expected << 0, 1, 1, 1, 0, 0, 0, 0, 1;
  CHECK(data == expected);
}

TEST_CASE("read_binary_csv: malformed rows name the line, the column and the value", "[binary_csv][errors]") {
  std::istringstream wrong_count("0,1,1\n1,0\n");
  CHECK_THROWS_WITH(ember::read_binary_csv<double>(wrong_count, "data.csv"),
                    Contains("ember::read_binary_csv") && Contains("data.csv line 2") &&
                        Contains("has 2 columns, expected 3"));
  std::istringstream not_binary("0,1\n# skipped\n1,2\n");
  CHECK_THROWS_WITH(ember::read_binary_csv<double>(not_binary), Contains("line 3") && Contains("column 2 holds \"2\"") &&
                                                                    Contains("expected 0 or 1"));
  std::istringstream text("0,1\n0,x\n");
  CHECK_THROWS_WITH(ember::read_binary_csv<double>(text), Contains("line 2") && Contains("holds \"x\""));
  std::istringstream empty_field("0,,1\n");
  CHECK_THROWS_WITH(ember::read_binary_csv<double>(empty_field), Contains("line 1") && Contains("column 2 holds \"\""));
  std::istringstream fraction("0.5,1\n");
  CHECK_THROWS_AS(ember::read_binary_csv<double>(fraction), ember::invalid_argument);
  std::istringstream nothing("# only a comment\n\n");
  CHECK_THROWS_WITH(ember::read_binary_csv<double>(nothing), Contains("holds no data lines"));
}

TEST_CASE("load_binary_csv: reads a file; a missing file is reported with its path", "[binary_csv]") {
  const std::string path = "ember_binary_csv_test.csv";
  {
    std::ofstream out(path);
    out << "1,0\n0,1\n";
  }
  const Batch<double> data = ember::load_binary_csv<double>(path);
  std::remove(path.c_str());
  CHECK(data.rows() == 2);
  CHECK(data(1, 1) == 1.0);
  CHECK_THROWS_WITH(ember::load_binary_csv<double>("no/such/file.csv"),
                    Contains("ember::load_binary_csv") && Contains("no/such/file.csv") && Contains("cannot be opened"));
}
