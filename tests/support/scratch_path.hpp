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
  file += "_" + std::to_string(::getpid()) + "_" + name;
  return (std::filesystem::temp_directory_path() / file).string();
}

}  // namespace ember::test
