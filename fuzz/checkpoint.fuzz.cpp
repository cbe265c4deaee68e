// libFuzzer target for ember::Checkpoint::parse (include/ember/io/checkpoint.hpp). Any input must either parse
// or throw ember::checkpoint_error; anything else (a crash, a sanitizer report, another exception, a huge
// allocation caught by -rss_limit_mb/-malloc_limit_mb) is a bug. Each input is tried as given and with its
// header's size and checksum fixed up. A parsed checkpoint must re-serialize to a
// file that parses to the same bytes, and every entry must be readable by type.
#include <ember/io/checkpoint.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {
void check(const std::uint8_t* data, std::size_t size) {
  try {
    const auto ck = ember::Checkpoint::parse(data, size, "fuzz.ckpt");
    const auto bytes = ck.serialize();
    const auto again = ember::Checkpoint::parse(bytes.data(), bytes.size(), "round-trip");
    if (again.serialize() != bytes) std::abort();
    for (const auto& name : ck.names()) {
      try {
        (void)ck.integer(name);
      } catch (const ember::checkpoint_error&) {
      }
      try {
        (void)ck.matrix<float>(name);
      } catch (const ember::checkpoint_error&) {
      }
      try {
        (void)ck.matrix<double>(name);
      } catch (const ember::checkpoint_error&) {
      }
    }
  } catch (const ember::checkpoint_error&) {
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(data, size);  // the file as given (mutations mostly stop at the checksum)
  if (size >= ember::Checkpoint::header_size) {
    // The same bytes with a consistent header (size and checksum recomputed), so that mutations reach the
    // payload parser: entry counts, name lengths, type tags, shapes.
    std::vector<std::uint8_t> sealed(data, data + size);
    const std::size_t payload = size - ember::Checkpoint::header_size;
    const std::uint64_t h = ember::io::detail::fnv1a64(sealed.data() + ember::Checkpoint::header_size, payload);
    for (int k = 0; k < 8; ++k) {
      sealed[16 + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(std::uint64_t{payload} >> (8 * k));
      sealed[24 + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(h >> (8 * k));
    }
    check(sealed.data(), sealed.size());
  }
  return 0;
}
