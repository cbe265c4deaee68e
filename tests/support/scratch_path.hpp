#pragma once
// A path in the system's temporary directory that no other test process uses: <tmp>/ember_<prefix>_<pid>_<name>.
#include <filesystem>
#include <string>
#include <string_view>

#include <unistd.h>

namespace ember::test {

inline std::string scratch_path(std::string_view prefix, const std::string& name) {
  std::string file = "ember_";
  file += prefix;
  file += '_';  // appended piece by piece: GCC 12 warns (-Wstringop-overflow, a false positive) on "_" + string&&
  file += std::to_string(::getpid());
  file += '_';
  file += name;
  return (std::filesystem::temp_directory_path() / file).string();
}

}  // namespace ember::test
