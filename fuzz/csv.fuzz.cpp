// libFuzzer target for ember::parse_csv (include/ember/data/csv.hpp): any text must either parse into a finite
// N × d batch or throw ember::invalid_argument; anything else is a bug.
#include <ember/data/csv.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

namespace {
template <class T>
void check(const std::string& text, ember::CsvSettings settings) {
  std::istringstream in(text);
  try {
    const auto x = ember::parse_csv<T>(in, "fuzz.csv", settings);
    if (x.rows() < 1 || x.cols() < 1 || !x.allFinite()) std::abort();
  } catch (const ember::invalid_argument&) {
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check<double>(text, {});
  check<float>(text, {.columns = 2});
  check<double>(text, {.columns = 0, .delimiter = ';', .allow_header = false});
  return 0;
}
