#pragma once
// Writes an N × d batch as a NumPy .npy file (format 1.0, little-endian '<f4' or '<f8', C order), so that
// numpy.load(path) returns an (N, d) array.
#include <ember/core/error.hpp>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <ember/core/batch.hpp>

namespace ember::examples {

template <class T>
void write_npy(const std::string& path, ember::BatchView<T> x) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "write_npy: float or double only");
  std::string header = "{'descr': '<f" + std::to_string(sizeof(T)) + "', 'fortran_order': False, 'shape': (" +
                       std::to_string(x.rows()) + ", " + std::to_string(x.cols()) + "), }";
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in '\n'.
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) throw ember::invalid_argument("write_npy: cannot open " + path + " for writing");
  out.write("\x93NUMPY\x01\x00", 8);
  const auto length = static_cast<std::uint16_t>(header.size());
  const char length_bytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(length_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  std::vector<T> row_major(static_cast<std::size_t>(x.rows() * x.cols()));
  for (ember::Index i = 0; i < x.rows(); ++i)
    for (ember::Index j = 0; j < x.cols(); ++j) row_major[static_cast<std::size_t>(i * x.cols() + j)] = x(i, j);
  out.write(reinterpret_cast<const char*>(row_major.data()), static_cast<std::streamsize>(row_major.size() * sizeof(T)));
  if (!out) throw ember::invalid_argument("write_npy: writing " + path + " failed");
}

}  // namespace ember::examples
