#include "ember/io/npy.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/random_batch.hpp"
#include "support/scratch_path.hpp"

using ember::Batch;
using ember::Index;
using ember::NpyArray;
using ember::Vector;

namespace {

std::string scratch(const std::string& name) { return ember::test::scratch_path("npy", name); }

std::vector<unsigned char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// numpy.save's header for this descr, order and shape (checked against numpy 1.24): the dict, spaces, '\n',
// 128 bytes in all with the 10-byte prefix.
std::string numpy_header(const std::string& dict) {
  std::string h = std::string("\x93NUMPY\x01\x00", 8) + std::string(1, '\x76') + std::string(1, '\0') + dict;
  h.append(127 - h.size(), ' ');
  return h + "\n";
}

std::string header_of(const std::vector<unsigned char>& bytes) { return {bytes.begin(), bytes.begin() + 128}; }

bool have_numpy() { return std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("npy: the header bytes are numpy.save's, for each element type and order", "[npy]") {
  const std::string path = scratch("header.npy");
  Batch<double> a(3, 4);
  for (Index i = 0; i < 3; ++i)
    for (Index j = 0; j < 4; ++j) a(i, j) = static_cast<double>(4 * i + j);  // numpy.arange(12).reshape(3, 4)

  ember::write_npy(path, a);
  auto bytes = file_bytes(path);
  CHECK(header_of(bytes) == numpy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"));
  REQUIRE(bytes.size() == 128 + 12 * 8);
  double third;  // C order: the third value is a(0, 2)
  std::memcpy(&third, bytes.data() + 128 + 2 * 8, 8);
  CHECK(third == 2.0);

  ember::write_npy(path, Batch<float>(a.cast<float>().topRows(2).leftCols(3)));
  CHECK(header_of(file_bytes(path)) == numpy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));

  const Eigen::Matrix<std::int32_t, 2, 3> ints = a.topLeftCorner(2, 3).cast<std::int32_t>();
  ember::write_npy(path, ints, /*fortran_order=*/true);
  bytes = file_bytes(path);
  CHECK(header_of(bytes) == numpy_header("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }"));
  std::int32_t second;  // Fortran order: the second value is ints(1, 0) = 4
  std::memcpy(&second, bytes.data() + 128 + 4, 4);
  CHECK(second == 4);

  ember::write_npy(path, Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>::LinSpaced(5, 0, 4));
  CHECK(header_of(file_bytes(path)) == numpy_header("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"));
  std::remove(path.c_str());
}

TEMPLATE_TEST_CASE("npy: write then read gives the same values", "[npy]", float, double, std::int32_t,
                   std::int64_t) {
  using T = TestType;
  const std::string path = scratch("roundtrip.npy");
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> m(5, 3);
  for (Index i = 0; i < 5; ++i)
    for (Index j = 0; j < 3; ++j) m(i, j) = static_cast<T>(7 * i - 5 * j) / static_cast<T>(std::is_integral_v<T> ? 1 : 4);
  for (const bool fortran : {false, true}) {
    ember::write_npy(path, m, fortran);
    const NpyArray back = ember::read_npy(path);
    CHECK(back.fortran_order() == fortran);
    CHECK(back.shape() == std::vector<std::size_t>{5, 3});
    CHECK(back.matrix<T>() == m);
    CHECK(ember::read_npy<T>(path) == m);
  }
  const Eigen::Matrix<T, Eigen::Dynamic, 1> v = m.col(1);
  ember::write_npy(path, v);
  CHECK(ember::read_npy(path).shape() == std::vector<std::size_t>{5});
  CHECK(ember::read_npy(path).vector<T>() == v);
  std::remove(path.c_str());
}

TEST_CASE("npy: conversions, byte order and scalars on reading", "[npy]") {
  const std::string path = scratch("convert.npy");
  const Batch<double> a = (Batch<double>(2, 2) << 1.5, -2.0, 3.0, 4.25).finished();
  ember::write_npy(path, a);
  CHECK(ember::read_npy<float>(path) == a.cast<float>());
  CHECK_THROWS_WITH(ember::read_npy<std::int32_t>(path), Catch::Contains("an integer matrix cannot hold"));
  ember::write_npy(path, a.cast<std::int64_t>());
  CHECK(ember::read_npy<double>(path) == a.cast<std::int64_t>().cast<double>());

  // A big-endian file and a 0-dimensional one, as numpy writes them.
  const std::string big_header = numpy_header("{'descr': '>f8', 'fortran_order': False, 'shape': (), }");
  std::vector<unsigned char> big(big_header.begin(), big_header.end());
  for (const int b : {0x40, 0x04, 0, 0, 0, 0, 0, 0}) big.push_back(static_cast<unsigned char>(b));  // 2.5
  write_bytes(path, big);
  CHECK(ember::read_npy(path).shape().empty());
  CHECK(ember::read_npy<double>(path)(0, 0) == 2.5);
  std::remove(path.c_str());
}

TEST_CASE("npy: malformed files are refused with the file and the problem named", "[npy][errors]") {
  const std::string path = scratch("bad.npy");
  ember::write_npy(path, Batch<double>::Ones(2, 3));
  const std::vector<unsigned char> good = file_bytes(path);
  auto refused = [&](std::vector<unsigned char> bytes, const std::string& problem) {
    write_bytes(path, bytes);
    INFO(problem);
    CHECK_THROWS_AS(ember::read_npy(path), ember::npy_error);
    CHECK_THROWS_WITH(ember::read_npy(path), Catch::Contains(path) && Catch::Contains(problem));
  };
  refused({good.begin(), good.end() - 1}, "the shape needs 48 bytes of values, the file has 47");
  refused({good.begin(), good.begin() + 40}, "truncated header");
  auto magic = good;
  magic[1] = 'X';
  refused(magic, "bad magic");
  auto version = good;
  version[6] = 9;
  refused(version, "unsupported format version 9");
  auto dtype = good;
  dtype[22] = 'c';  // '<f8' → '<c8' (complex)
  refused(dtype, "unsupported dtype '<c8'");
  std::string three = numpy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }");
  std::vector<unsigned char> cube(three.begin(), three.end());
  cube.resize(cube.size() + 8);
  refused(cube, "has 3 dimensions");
  std::string huge = numpy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }");
  refused({huge.begin(), huge.end()}, "overflows");
  CHECK_THROWS_WITH(ember::read_npy(scratch("missing.npy")), Catch::StartsWith("ember::read_npy: file"));
  std::remove(path.c_str());
}

TEST_CASE("npz: stored archives round-trip with correct CRC-32s; corrupt and compressed ones are refused",
          "[npy][npz]") {
  // CRC-32's check value (ISO-HDLC): "123456789" → 0xCBF43926.
  const std::string check = "123456789";
  CHECK(ember::detail::crc32(reinterpret_cast<const unsigned char*>(check.data()), check.size()) == 0xCBF43926u);

  const std::string path = scratch("arrays.npz");
  ember::test::Uniform uniform(161);
  const Batch<float> samples = uniform.next<Batch<float>>(7, 2);
  const Vector<double> losses = Vector<double>::LinSpaced(4, 0.5, 2.0);
  const Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1> widths = (Eigen::Matrix<std::int64_t, 3, 1>() << 2, 64, 64).finished();
  ember::write_npz(path, {{"samples", NpyArray(samples)}, {"losses", NpyArray(losses)}, {"widths", NpyArray(widths)}});
  const auto arrays = ember::read_npz(path);
  REQUIRE(arrays.size() == 3);
  CHECK(arrays.at("samples").matrix<float>() == samples);
  CHECK(arrays.at("losses").vector<double>() == losses);
  CHECK(arrays.at("widths").vector<std::int64_t>() == widths);

  // The first entry's local header: stored (method 0) with the CRC-32 of its .npy bytes.
  const std::vector<unsigned char> bytes = file_bytes(path);
  const std::vector<unsigned char> npy = NpyArray(samples).npy_file();
  auto u32 = [&](std::size_t at) {
    return std::uint32_t{bytes[at]} | std::uint32_t{bytes[at + 1]} << 8 | std::uint32_t{bytes[at + 2]} << 16 |
           std::uint32_t{bytes[at + 3]} << 24;
  };
  CHECK(u32(0) == 0x04034b50u);
  CHECK(bytes[8] == 0);
  CHECK(u32(14) == ember::detail::crc32(npy.data(), npy.size()));
  CHECK(u32(18) == npy.size());
  CHECK(std::string(bytes.begin() + 30, bytes.begin() + 41) == "samples.npy");

  auto corrupt = bytes;
  corrupt[30 + 11 + 130] ^= 0x01u;  // one bit of the first entry's values
  write_bytes(path, corrupt);
  CHECK_THROWS_WITH(ember::read_npz(path), Catch::Contains("'samples.npy' fails its CRC-32 check"));

  auto compressed = bytes;
  compressed[8] = 8;  // the local header's method: deflate
  const std::size_t directory = u32(bytes.size() - 6);
  compressed[directory + 10] = 8;  // the central directory's method
  write_bytes(path, compressed);
  CHECK_THROWS_WITH(ember::read_npz(path), Catch::Contains("'samples.npy' is compressed (method 8)") &&
                                               Catch::Contains("numpy.savez_compressed"));

  write_bytes(path, {bytes.begin(), bytes.begin() + 100});
  CHECK_THROWS_AS(ember::read_npz(path), ember::npy_error);
  CHECK_THROWS_WITH(ember::write_npz(path, {{"a", NpyArray(losses)}, {"a", NpyArray(losses)}}),
                    Catch::Contains("array name 'a' must be non-empty, unique"));
  std::remove(path.c_str());
}

TEST_CASE("npy: numpy reads what ember writes and ember reads what numpy writes", "[npy][numpy]") {
  if (!have_numpy()) {
    WARN("SKIPPED: python3-numpy is not installed, so the numpy cross-check did not run");
    return;
  }
  const std::string dir = scratch("numpy");
  std::filesystem::create_directories(dir);
  Batch<double> a(3, 4);
  for (Index i = 0; i < 3; ++i)
    for (Index j = 0; j < 4; ++j) a(i, j) = 0.5 * static_cast<double>(4 * i + j);
  ember::write_npy(dir + "/c.npy", a);
  ember::write_npy(dir + "/f.npy", a.cast<float>(), /*fortran_order=*/true);
  ember::write_npz(dir + "/e.npz", {{"a", NpyArray(a)}, {"v", NpyArray(Vector<double>(a.col(1)))}});
  const std::string script =
      "import numpy as np, sys\n"
      "d = sys.argv[1]\n"
      "a = np.arange(12.0).reshape(3, 4) / 2\n"
      "assert np.load(d + '/c.npy').dtype == np.float64 and (np.load(d + '/c.npy') == a).all()\n"
      "f = np.load(d + '/f.npy')\n"
      "assert f.dtype == np.float32 and f.flags.f_contiguous and (f == a).all()\n"
      "z = np.load(d + '/e.npz')\n"
      "assert (z['a'] == a).all() and (z['v'] == a[:, 1]).all() and z['v'].ndim == 1\n"
      "np.save(d + '/n.npy', a.astype(np.int32))\n"
      "np.save(d + '/nf.npy', np.asfortranarray(a))\n"
      "np.savez(d + '/n.npz', first=a, second=np.arange(5, dtype=np.int64))\n"
      "np.savez_compressed(d + '/c.npz', first=a)\n";
  std::ofstream(dir + "/check.py") << script;
  REQUIRE(std::system(("/usr/bin/python3 " + dir + "/check.py " + dir).c_str()) == 0);
  CHECK(ember::read_npy<double>(dir + "/n.npy") == a.cast<std::int32_t>().cast<double>());
  CHECK(ember::read_npy(dir + "/nf.npy").fortran_order());
  CHECK(ember::read_npy<double>(dir + "/nf.npy") == a);
  const auto z = ember::read_npz(dir + "/n.npz");  // numpy writes zip64 local headers
  CHECK(z.at("first").matrix<double>() == a);
  CHECK(z.at("second").vector<std::int64_t>() == Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>::LinSpaced(5, 0, 4));
  CHECK_THROWS_WITH(ember::read_npz(dir + "/c.npz"), Catch::Contains("is compressed (method 8)"));
  std::filesystem::remove_all(dir);
}
