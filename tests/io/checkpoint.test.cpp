// Tests of include/ember/io/checkpoint.hpp: the file format (known bytes, FNV-1a known answers), round trips,
// every truncation and every bit flip rejected, absurd sizes rejected without allocating, atomic saves that
// survive being killed mid-write, store/restore of every stateful object, exact resume of a PCD training
// run, and a diverging run that stops naming the iteration while its last checkpoint stays loadable.
#include <catch2/catch.hpp>

#include <ember/divergence/cd.hpp>
#include <ember/divergence/pcd.hpp>
#include <ember/energy/gaussian.hpp>
#include <ember/energy/mlp.hpp>
#include <ember/io/checkpoint.hpp>
#include <ember/io/checkpoint_mcmc.hpp>
#include <ember/io/checkpoint_mlp.hpp>
#include <ember/io/checkpoint_train.hpp>
#include <ember/mcmc/difference_jump.hpp>
#include <ember/mcmc/hmc.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/mala.hpp>
#include <ember/train/trainer.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using Bytes = std::vector<unsigned char>;

// A directory of this process's files, removed at exit (a forked child killed by SIGKILL never removes it).
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("ember-io-test-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

std::string temp_path(const std::string& name) {
  static const TempDir dir;
  return (dir.path / name).string();
}

std::string error_of(const Bytes& bytes) {
  try {
    (void)ember::Checkpoint::parse(bytes.data(), bytes.size(), "t.ckpt");
  } catch (const ember::checkpoint_error& e) {
    return e.what();
  }
  return "";
}

ember::Checkpoint sample_checkpoint() {
  ember::Checkpoint ck;
  ck.set("iteration", std::uint64_t{200});
  Eigen::MatrixXf m(3, 2);
  m << 1.5f, -0.0f, std::numeric_limits<float>::denorm_min(), 3e38f, -7.25f, 1e-30f;
  ck.set("weights", m);
  Eigen::VectorXd v(4);
  v << 0.1, -1e300, std::numeric_limits<double>::min(), 42.0;
  ck.set("params", v);
  return ck;
}

// Overwrites the checksum after the payload was edited, so that the structural checks are reached.
void reseal(Bytes& bytes) {
  const std::uint64_t h = ember::io::detail::fnv1a64(bytes.data() + 32, bytes.size() - 32);
  for (int k = 0; k < 8; ++k) bytes[24 + static_cast<std::size_t>(k)] = static_cast<unsigned char>(h >> (8 * k));
}

// A file whose single entry announces `rows` × `cols` float64 values but carries only `carried` of them.
Bytes absurd_file(std::uint64_t rows, std::uint64_t cols, std::size_t carried) {
  ember::io::detail::ByteWriter p;
  p.u64(1);
  p.u32(1);
  p.raw("x");
  p.u8(3);
  p.u64(rows);
  p.u64(cols);
  for (std::size_t k = 0; k < carried; ++k) p.f64(1.0);
  Bytes body = p.bytes();
  ember::io::detail::ByteWriter f;
  f.raw("EMBERCKP");
  f.u32(1);
  f.u32(0);
  f.u64(body.size());
  f.u64(ember::io::detail::fnv1a64(body.data(), body.size()));
  Bytes out = f.bytes();
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

TEST_CASE("FNV-1a 64 known answers", "[io][checkpoint]") {
  const auto h = [](const char* s) {
    return ember::io::detail::fnv1a64(reinterpret_cast<const unsigned char*>(s), std::strlen(s));
  };
  CHECK(h("") == 0xcbf29ce484222325ull);
  CHECK(h("a") == 0xaf63dc4c8601ec8cull);
  CHECK(h("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("checkpoint: the header has the documented layout", "[io][checkpoint]") {
  ember::Checkpoint ck;
  ck.set("n", std::uint64_t{0x0102030405060708ull});
  const Bytes b = ck.serialize();
  // 8 magic + 4 version + 4 reserved + 8 size + 8 checksum; payload 8 count + 4 + 1 name + 1 tag + 16 shape + 8.
  REQUIRE(b.size() == 32 + 8 + 4 + 1 + 1 + 16 + 8);
  CHECK(std::string(b.begin(), b.begin() + 8) == "EMBERCKP");
  CHECK(b[8] == 1);
  CHECK(b[9] == 0);
  CHECK(b[16] == 38);  // payload size, little-endian
  CHECK(b[32] == 1);   // one entry
  CHECK(b[40] == 1);   // name length
  CHECK(b[44] == 'n');
  CHECK(b[45] == 1);   // uint64 tag
  CHECK(b[62] == 0x08);
  CHECK(b[69] == 0x01);
  std::uint64_t stored = 0;
  for (int k = 0; k < 8; ++k) stored |= std::uint64_t{b[24 + static_cast<std::size_t>(k)]} << (8 * k);
  CHECK(stored == ember::io::detail::fnv1a64(b.data() + 32, b.size() - 32));
}

TEST_CASE("checkpoint: round trip is bit exact", "[io][checkpoint]") {
  const ember::Checkpoint ck = sample_checkpoint();
  const Bytes bytes = ck.serialize();
  const auto back = ember::Checkpoint::parse(bytes.data(), bytes.size(), "mem");
  CHECK(back.names() == std::vector<std::string>{"iteration", "params", "weights"});
  CHECK(back.integer("iteration") == 200);
  const auto m = back.matrix<float>("weights", 3, 2);
  const auto m0 = ck.matrix<float>("weights");
  REQUIRE(m.rows() == 3);
  for (ember::Index j = 0; j < 2; ++j)
    for (ember::Index i = 0; i < 3; ++i) CHECK(std::memcmp(&m(i, j), &m0(i, j), sizeof(float)) == 0);
  CHECK(std::signbit(m(0, 1)));  // -0.0f survives
  const auto v = back.vector<double>("params", 4);
  CHECK(v(1) == -1e300);
  CHECK(v(2) == std::numeric_limits<double>::min());
  CHECK(back.serialize() == bytes);
}

TEST_CASE("checkpoint: every truncation of a valid file is rejected", "[io][checkpoint]") {
  const Bytes bytes = sample_checkpoint().serialize();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const Bytes cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string e = error_of(cut);
    INFO("length " << n);
    REQUIRE(!e.empty());
    CHECK(e.find("t.ckpt") != std::string::npos);
    CHECK((e.find("truncated") != std::string::npos));
  }
}

TEST_CASE("checkpoint: every single-bit flip is rejected", "[io][checkpoint]") {
  const Bytes bytes = sample_checkpoint().serialize();
  for (std::size_t k = 0; k < bytes.size(); ++k)
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = bytes;
      bad[k] = static_cast<unsigned char>(bad[k] ^ (1u << bit));
      INFO("byte " << k << " bit " << bit);
      CHECK(!error_of(bad).empty());
    }
  Bytes bad = bytes;
  bad[40] ^= 0x10;
  CHECK_THAT(error_of(bad), Catch::Contains("checksum mismatch") && Catch::Contains("corrupted"));
}

TEST_CASE("checkpoint: header problems have their own messages", "[io][checkpoint]") {
  const Bytes good = sample_checkpoint().serialize();
  Bytes b = good;
  b[0] = 'X';
  CHECK_THAT(error_of(b), Catch::StartsWith("ember::Checkpoint::load: file \"t.ckpt\": bad magic number"));
  b = good;
  b[8] = 7;
  CHECK_THAT(error_of(b), Catch::Contains("format version 7 is not supported (this build reads version 1)"));
  b = good;
  b.push_back(0);
  CHECK_THAT(error_of(b), Catch::Contains("1 unexpected bytes after the payload"));
  b = good;
  b.resize(good.size() - 3);
  CHECK_THAT(error_of(b), Catch::Contains("truncated: the header announces"));
  CHECK_THAT(error_of(Bytes(5, 0)), Catch::Contains("is 5 bytes, shorter than the 32-byte header"));
}

TEST_CASE("checkpoint: absurd sizes are rejected before anything is allocated", "[io][checkpoint]") {
  // 2^62 × 2^62 would overflow, 2^40 × 1 would be 8 TiB: both must be refused from the bytes present.
  CHECK_THAT(error_of(absurd_file(1ull << 62, 1ull << 62, 2)), Catch::Contains("needs more than the 16 bytes left"));
  CHECK_THAT(error_of(absurd_file(1ull << 40, 1, 0)), Catch::Contains("size 1099511627776 x 1 needs more than"));
  CHECK_THAT(error_of(absurd_file(std::numeric_limits<std::uint64_t>::max(), 0, 0)), Catch::Contains("needs more than"));
  CHECK(error_of(absurd_file(2, 1, 2)).empty());  // the same layout with honest sizes parses
  // A huge entry count with a tiny payload.
  Bytes b = absurd_file(1, 1, 1);
  for (int k = 0; k < 8; ++k) b[32 + static_cast<std::size_t>(k)] = 0xFF;
  reseal(b);
  CHECK_THAT(error_of(b), Catch::Contains("entry count 18446744073709551615 is more than"));
  // A name length beyond the limit, an unknown tag, a duplicate name.
  b = absurd_file(1, 1, 1);
  b[40] = 0xFF;
  b[41] = 0xFF;
  reseal(b);
  CHECK_THAT(error_of(b), Catch::Contains("entry 0: name length 65535 is outside [1, 256]"));
  b = absurd_file(1, 1, 1);
  b[45] = 9;
  reseal(b);
  CHECK_THAT(error_of(b), Catch::Contains("entry 0 'x': unknown scalar type tag 9"));
}

TEST_CASE("checkpoint: reading an entry checks presence, type, shape and finiteness", "[io][checkpoint]") {
  ember::Checkpoint ck = sample_checkpoint();
  CHECK_THROWS_MATCHES(ck.integer("missing"), ember::checkpoint_error,
                       Catch::Matchers::Message("ember::Checkpoint: file \"(memory)\": entry 'missing' is missing"));
  CHECK_THROWS_WITH(ck.vector<float>("params"), Catch::Contains("entry 'params' is float64, requested float32"));
  CHECK_THROWS_WITH(ck.vector<double>("params", 5), Catch::Contains("entry 'params' has shape 4 x 1, expected 5 x 1"));
  CHECK_THROWS_WITH(ck.integer("params"), Catch::Contains("is float64, requested uint64"));
  ck.set("bad", Eigen::VectorXd::Constant(3, std::nan("")));
  CHECK_THROWS_WITH(ck.vector<double>("bad"), Catch::Contains("entry 'bad' holds a non-finite value at (0, 0)"));
  CHECK_THROWS_AS(ck.set("", std::uint64_t{1}), ember::invalid_argument);
  CHECK_THROWS_AS(ck.set(std::string(300, 'a'), std::uint64_t{1}), ember::invalid_argument);
  CHECK_THROWS_AS(ck.set("tab\there", std::uint64_t{1}), ember::invalid_argument);
}

TEST_CASE("checkpoint: save and load files; unreadable and unwritable paths", "[io][checkpoint]") {
  const std::string path = temp_path("roundtrip.ckpt");
  const ember::Checkpoint ck = sample_checkpoint();
  ck.save(path);
  const auto back = ember::Checkpoint::load(path);
  CHECK(back.source() == path);
  CHECK(back.serialize() == ck.serialize());
  CHECK_THROWS_WITH(ember::Checkpoint::load(path + ".nope"),
                    Catch::StartsWith("ember::Checkpoint::load: file \"" + path + ".nope\": cannot be opened"));
  const std::string nowhere = temp_path("no-such-dir") + "/x/run.ckpt";
  CHECK_THROWS_AS(ck.save(nowhere), ember::checkpoint_error);
  // No temporary files are left next to the checkpoint.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    files += entry.path().filename().string().rfind("roundtrip.ckpt", 0) == 0 ? 1 : 0;
  CHECK(files == 1);
}

// The kind of node at a path, without following a symbolic link.
mode_t kind_of(const std::string& path) {
  struct ::stat info {};
  return ::lstat(path.c_str(), &info) == 0 ? (info.st_mode & S_IFMT) : 0;
}

TEST_CASE("checkpoint: only regular files are loaded, written or replaced", "[io][checkpoint]") {
  const ember::Checkpoint ck = sample_checkpoint();
  const std::string dir = temp_path("a-directory");
  std::filesystem::create_directories(dir);
  const std::string fifo = temp_path("a-fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string target = temp_path("target.ckpt");
  ck.save(target);
  const std::string link = temp_path("a-link.ckpt");
  std::filesystem::create_symlink(target, link);
  // Loading: a directory's "size" to std::ifstream was 2^63 - 1 (std::bad_alloc); a FIFO would block forever.
  CHECK_THROWS_WITH(ember::Checkpoint::load(dir),
                    "ember::Checkpoint::load: file \"" + dir + "\": is a directory, not a regular file");
  CHECK_THROWS_WITH(ember::Checkpoint::load(fifo),
                    "ember::Checkpoint::load: file \"" + fifo + "\": is a FIFO, not a regular file");
  CHECK(ember::Checkpoint::load(link).serialize() == ck.serialize());  // reading through a link is harmless
  // Writing: the rename would replace the node (or the link itself) by a regular file; each is refused and kept.
  std::vector<std::pair<std::string, mode_t>> nodes{{dir, S_IFDIR}, {fifo, S_IFIFO}, {link, S_IFLNK}};
  const std::string device = temp_path("a-device");
  if (::mknod(device.c_str(), S_IFCHR | 0600, ::makedev(1, 3)) == 0)  // a /dev/null node of our own (needs root)
    nodes.emplace_back(device, S_IFCHR);
  for (const auto& [path, kind] : nodes) {
    INFO(path);
    CHECK_THROWS_WITH(ck.save(path), Catch::StartsWith("ember::Checkpoint::save: file \"" + path + "\": is a ") &&
                                         Catch::Contains("not a regular file"));
    CHECK_THROWS_WITH(ember::Checkpoint::check_writable(path),
                      Catch::StartsWith("ember::Checkpoint::check_writable: file \"" + path + "\": is a "));
    CHECK(kind_of(path) == kind);
  }
  CHECK(std::filesystem::read_symlink(link) == target);
  CHECK(ember::Checkpoint::load(target).serialize() == ck.serialize());
  // check_writable accepts a new path and a regular file, refuses a directory that does not exist, writes nothing.
  CHECK_NOTHROW(ember::Checkpoint::check_writable(temp_path("new.ckpt")));
  CHECK_NOTHROW(ember::Checkpoint::check_writable(target));
  CHECK_FALSE(std::filesystem::exists(temp_path("new.ckpt")));
  CHECK_THROWS_WITH(ember::Checkpoint::check_writable(temp_path("no-such-dir") + "/run.ckpt"),
                    Catch::Contains("cannot create a file in"));
}

TEST_CASE("checkpoint: a save removes the temporaries of crashed writes to the same path, nothing else",
          "[io][checkpoint]") {
  const std::string path = temp_path("stale.ckpt");
  const pid_t dead = ::fork();  // a process that is gone by the time of the save
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  int status = 0;
  ::waitpid(dead, &status, 0);
  const auto touch = [](const std::string& p) { std::FILE* f = std::fopen(p.c_str(), "w"); REQUIRE(f); std::fclose(f); };
  const std::string stale = path + ".tmp-" + std::to_string(dead);
  const std::string live = path + ".tmp-" + std::to_string(::getppid());  // a live process's write in progress
  const std::string not_a_pid = path + ".tmp-12ab";
  const std::string other = temp_path("other.ckpt") + ".tmp-" + std::to_string(dead);  // another path's
  for (const auto& p : {stale, live, not_a_pid, other}) touch(p);
  sample_checkpoint().save(path);
  CHECK_FALSE(std::filesystem::exists(stale));
  CHECK(std::filesystem::exists(live));
  CHECK(std::filesystem::exists(not_a_pid));
  CHECK(std::filesystem::exists(other));
  CHECK(ember::Checkpoint::load(path).serialize() == sample_checkpoint().serialize());
}

TEST_CASE("checkpoint: a save killed mid-write leaves the previous checkpoint intact", "[io][checkpoint]") {
  const std::string path = temp_path("atomic.ckpt");
  ember::Checkpoint old_ck;
  old_ck.set("which", std::uint64_t{1});
  old_ck.save(path);
  ember::Checkpoint new_ck;
  new_ck.set("which", std::uint64_t{2});
  new_ck.set("big", Eigen::VectorXd::LinSpaced(1 << 20, 0.0, 1.0));  // 8 MiB: the write takes a while
  int saw_old = 0, saw_new = 0;
  for (int trial = 0; trial < 12; ++trial) {
    if (trial % 2 == 0) old_ck.save(path);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      for (;;) new_ck.save(path);  // killed by the parent at some point of some save
    }
    ::usleep(static_cast<useconds_t>(500 + 1700 * trial));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    const auto back = ember::Checkpoint::load(path);  // must never throw
    const std::uint64_t which = back.integer("which");
    CHECK((which == 1 || which == 2));
    (which == 1 ? saw_old : saw_new) += 1;
    std::filesystem::remove(path + ".tmp-" + std::to_string(child));
  }
  INFO("killed while the old file was in place " << saw_old << " times, after the new one " << saw_new << " times");
  CHECK(saw_old + saw_new == 12);
}

TEMPLATE_TEST_CASE("checkpoint: store and restore every stateful object", "[io][checkpoint]", float, double) {
  using T = TestType;
  ember::Checkpoint ck;
  ember::Philox rng(123, 0);
  for (int k = 0; k < 7; ++k) (void)rng.draw();
  ember::Vector<T> params = ember::Vector<T>::LinSpaced(5, T(-1), T(1));
  ember::Vector<T> gradient = ember::Vector<T>::Constant(5, T(0.25));
  ember::Adam<T> adam({.learning_rate = T(0.1)});
  ember::Sgd<T> sgd({.learning_rate = T(0.1), .momentum = T(0.9)});
  ember::ParameterEma<T> ema({.decay = T(0.9)});
  for (int k = 0; k < 3; ++k) {
    adam.step(params, gradient);
    sgd.step(params, gradient);
    ema.update(params);
  }
  ember::store(ck, "adam", adam);
  ember::store(ck, "sgd", sgd);
  ember::store(ck, "ema", ema);
  ember::ReplayBuffer buffer(2, ember::NormalInit<T>{}, {.capacity = 8});
  buffer.push(ember::Batch<T>::Constant(3, 2, T(0.5)), rng);
  ember::store(ck, "buffer", buffer);
  ember::store(ck, "rng", rng);  // after the buffer's draw: position 8
  ck.set("params", params);

  const Bytes bytes = ck.serialize();
  const auto back = ember::Checkpoint::parse(bytes.data(), bytes.size(), "s.ckpt");
  ember::Philox rng2(0);
  ember::restore(back, "rng", rng2);
  CHECK(rng2.seed() == 123);
  CHECK(rng2.position() == rng.position());
  ember::Adam<T> adam2({.learning_rate = T(0.1)});
  ember::restore(back, "adam", adam2, 5);
  CHECK(adam2.state().steps == 3);
  CHECK(adam2.state().first_moment == adam.state().first_moment);
  CHECK(adam2.state().second_moment == adam.state().second_moment);
  ember::Sgd<T> sgd2({.learning_rate = T(0.1), .momentum = T(0.9)});
  ember::restore(back, "sgd", sgd2, 5);
  CHECK(sgd2.state().velocity == sgd.state().velocity);
  ember::ParameterEma<T> ema2({.decay = T(0.9)});
  ember::restore(back, "ema", ema2, 5);
  CHECK(ema2.average() == ema.average());
  CHECK(ema2.state().updates == 3);
  ember::ReplayBuffer buffer2(2, ember::NormalInit<T>{}, {.capacity = 8});
  ember::restore(back, "buffer", buffer2);
  CHECK(buffer2.fill_count() == 3);
  CHECK(buffer2.state().samples == buffer.state().samples);
  CHECK(buffer2.state().pushed == 3);
  ember::Vector<T> params2(5);
  ember::restore_parameters(back, "params", params2);
  CHECK(params2 == params);

  // Shapes that do not fit the objects being restored.
  ember::Vector<T> wrong(6);
  CHECK_THROWS_WITH(ember::restore_parameters(back, "params", wrong),
                    Catch::Contains("file \"s.ckpt\": entry 'params' has shape 5 x 1, expected 6 x 1"));
  CHECK_THROWS_WITH(ember::restore(back, "adam", adam2, 6),
                    Catch::Contains("entry 'adam.first_moment' has 5 entries, expected 0 or 6"));
  ember::ReplayBuffer small(2, ember::NormalInit<T>{}, {.capacity = 4});
  CHECK_THROWS_WITH(ember::restore(back, "buffer", small),
                    Catch::Contains("entry 'buffer.samples' has shape 8 x 2, expected 4 x 2"));
  ember::ReplayBuffer wide(3, ember::NormalInit<T>{}, {.capacity = 8});
  CHECK_THROWS_AS(ember::restore(back, "buffer", wide), ember::checkpoint_error);
  CHECK_THROWS_WITH(ember::restore(back, "nothing", rng2), Catch::Contains("entry 'nothing.seed' is missing"));
}

namespace {

// One PCD training run on a small MLP with a given kernel (ULA by default).
template <class T, class K = ember::Langevin<T>>
struct PcdRun {
  using Model = ember::MlpEnergy<T, ember::Silu>;
  ember::Batch<T> data;
  K kernel;
  explicit PcdRun(K k = K({.step_size = T(0.02)})) : data(256, 2), kernel(std::move(k)) {
    ember::Philox rng(99);
    rng.normal(data);
    data.col(0).array() = T(0.5) * data.col(0).array() + T(1);
  }
  Model model() const { return Model(std::vector<ember::Index>{2, 16, 16}, 5, {.base_scale = T(3)}); }
  auto estimator() const {
    return ember::PersistentContrastiveDivergence(
        kernel,
        ember::ReplayBuffer(2, ember::UniformInit<T>{T(-3), T(3)}, {.capacity = 200, .reinit_probability = T(0.05)}),
        ember::PcdSettings<T>{.steps = 3});
  }
  static ember::TrainSettings settings(ember::Index iterations) {
    return {.iterations = iterations, .batch_size = 32, .seed = 11, .gradient_clip = 0, .report_every = 1};
  }
};

}  // namespace

TEMPLATE_TEST_CASE("checkpoint: N iterations equal N/2, checkpoint, resume, N/2 bit for bit (PCD, Adam, EMA)",
                   "[io][checkpoint][resume]", float, double) {
  using T = TestType;
  const PcdRun<T> run;
  const ember::Index total = 40, half = 20;
  // Uninterrupted.
  auto model = run.model();
  auto est = run.estimator();
  ember::Adam<T> adam({.learning_rate = T(0.01)});
  ember::ParameterEma<T> ema({.decay = T(0.9)});
  const auto s1 = ember::train(est, model, adam, run.data, PcdRun<T>::settings(total),
                               [&](const ember::TrainProgress&) { ema.update(model.params()); });
  REQUIRE(s1.iterations == total);

  // First half, checkpoint written by the callback at iteration `half`.
  const std::string path = temp_path("resume-" + std::to_string(sizeof(T)) + ".ckpt");
  {
    auto m = run.model();
    auto e = run.estimator();
    ember::Adam<T> a({.learning_rate = T(0.01)});
    ember::ParameterEma<T> em({.decay = T(0.9)});
    const auto settings = PcdRun<T>::settings(total);
    ember::train(e, m, a, run.data, settings, [&](const ember::TrainProgress& p) {
      em.update(m.params());
      if (p.iteration != half) return true;
      ember::Checkpoint ck;
      ck.set("iteration", static_cast<std::uint64_t>(p.iteration));
      ck.set("params", m.params());
      ember::store(ck, "rng", ember::Philox(settings.seed, p.generator_position));
      ember::store(ck, "adam", a);
      ember::store(ck, "ema", em);
      ember::store(ck, "buffer", e.buffer());
      ck.save(path);
      return false;  // "crash" right after the checkpoint
    });
  }
  // Resume in fresh objects.
  auto m2 = run.model();
  m2.params().setZero();
  auto e2 = run.estimator();
  ember::Adam<T> a2({.learning_rate = T(0.01)});
  ember::ParameterEma<T> em2({.decay = T(0.9)});
  const auto ck = ember::Checkpoint::load(path);
  ember::restore_parameters(ck, "params", m2.params());
  ember::restore(ck, "adam", a2, m2.params().size());
  ember::restore(ck, "ema", em2, m2.params().size());
  ember::restore(ck, "buffer", e2.buffer());
  ember::Philox rng(0);
  ember::restore(ck, "rng", rng);
  auto settings = PcdRun<T>::settings(total);
  settings.start_iteration = static_cast<ember::Index>(ck.integer("iteration"));
  settings.seed = rng.seed();
  settings.generator_position = rng.position();
  const auto s2 = ember::train(e2, m2, a2, run.data, settings,
                               [&](const ember::TrainProgress&) { em2.update(m2.params()); });
  CHECK(s2.iterations == total);
  CHECK(s2.generator_position == s1.generator_position);
  REQUIRE(m2.params().size() == model.params().size());
  CHECK(std::memcmp(m2.params().data(), model.params().data(), sizeof(T) * static_cast<std::size_t>(model.params().size())) == 0);
  CHECK(em2.average() == ema.average());
  CHECK(a2.state().first_moment == adam.state().first_moment);
  CHECK(e2.buffer().state().samples == est.buffer().state().samples);
  // And the run did move the parameters (the comparison is not between two untouched initialisations).
  CHECK(model.params() != run.model().params());
}

namespace {

// Trains run.settings(total) iterations of PCD with Adam; when `stop_at` > 0, saves the whole state (the
// parameters, Adam, the replay buffer, the kernel, the generator) at iteration `stop_at` to `path` and stops.
template <class T, class K>
struct KernelRun {
  typename PcdRun<T, K>::Model model;
  decltype(std::declval<const PcdRun<T, K>&>().estimator()) estimator;
  ember::Adam<T> adam{{.learning_rate = T(0.01)}};
  ember::TrainSummary summary;

  explicit KernelRun(const PcdRun<T, K>& run) : model(run.model()), estimator(run.estimator()) {}
  void train(const PcdRun<T, K>& run, ember::TrainSettings settings, ember::Index stop_at = 0,
             const std::string& path = "") {
    summary = ember::train(estimator, model, adam, run.data, settings, [&](const ember::TrainProgress& p) {
      if (p.iteration != stop_at) return true;
      ember::Checkpoint ck;
      ck.set("iteration", static_cast<std::uint64_t>(p.iteration));
      ck.set("params", model.params());
      ember::store(ck, "rng", ember::Philox(settings.seed, p.generator_position));
      ember::store(ck, "adam", adam);
      ember::store(ck, "buffer", estimator.buffer());
      ember::store(ck, "kernel", estimator.kernel());
      ck.save(path);
      return false;
    });
  }
  // Restores everything from `ck` (the kernel too, unless `with_kernel` is false) and trains to the end.
  void resume(const PcdRun<T, K>& run, const ember::Checkpoint& ck, ember::Index total, bool with_kernel) {
    ember::restore_parameters(ck, "params", model.params());
    ember::restore(ck, "adam", adam, model.params().size());
    ember::restore(ck, "buffer", estimator.buffer());
    if (with_kernel) ember::restore(ck, "kernel", estimator.kernel());
    ember::Philox rng(0);
    ember::restore(ck, "rng", rng);
    auto settings = PcdRun<T, K>::settings(total);
    settings.start_iteration = static_cast<ember::Index>(ck.integer("iteration"));
    settings.seed = rng.seed();
    settings.generator_position = rng.position();
    train(run, settings);
  }
  [[nodiscard]] bool same_bits(const KernelRun& other) const {
    const auto bytes = sizeof(T) * static_cast<std::size_t>(model.params().size());
    return model.params().size() == other.model.params().size() &&
           std::memcmp(model.params().data(), other.model.params().data(), bytes) == 0;
  }
};

// N iterations uninterrupted == N/2, checkpoint, restore into fresh objects, N/2 more; and without restoring
// the kernel the resumed run differs (so the kernel's state is what makes it exact).
template <class T, class K>
void check_kernel_resume(const PcdRun<T, K>& run, const std::string& path) {
  const ember::Index total = 40, half = 20;
  KernelRun<T, K> whole(run);
  whole.train(run, PcdRun<T, K>::settings(total));
  REQUIRE(whole.summary.iterations == total);
  {
    KernelRun<T, K> first(run);
    first.train(run, PcdRun<T, K>::settings(total), half, path);
    REQUIRE(first.summary.iterations == half);
    INFO("at the checkpoint: step size " << first.estimator.kernel().step_size() << ", adapting "
                                         << first.estimator.kernel().adapting());
    CHECK(first.estimator.kernel().adapting());  // the checkpoint falls inside the warm-up
  }
  const auto ck = ember::Checkpoint::load(path);
  KernelRun<T, K> resumed(run);
  resumed.resume(run, ck, total, true);
  CHECK(resumed.summary.iterations == total);
  CHECK(resumed.summary.generator_position == whole.summary.generator_position);
  CHECK(resumed.same_bits(whole));
  const auto& a = resumed.estimator.kernel();
  const auto& b = whole.estimator.kernel();
  const T step_a = a.state().step_size, step_b = b.state().step_size;
  CHECK(std::memcmp(&step_a, &step_b, sizeof(T)) == 0);
  CHECK_FALSE(b.adapting());  // the warm-up ended after the checkpoint, in both runs
  CHECK(a.steps_taken() == b.steps_taken());
  CHECK(a.proposed() == b.proposed());
  CHECK(a.accepted() == b.accepted());
  CHECK(a.last_mean_acceptance() == b.last_mean_acceptance());

  KernelRun<T, K> forgetful(run);
  forgetful.resume(run, ck, total, false);  // a fresh kernel restarts its warm-up from the initial step size
  CHECK_FALSE(forgetful.same_bits(whole));
}

}  // namespace

TEMPLATE_TEST_CASE("checkpoint: a PCD run with an adaptive MALA or HMC kernel resumes bit for bit",
                   "[io][checkpoint][resume]", float, double) {
  using T = TestType;
  // 3 steps per iteration: the 90-step warm-up is two thirds done at the checkpoint (iteration 20).
  SECTION("MALA") {
    check_kernel_resume(PcdRun<T, ember::Mala<T>>(ember::Mala<T>({.step_size = T(0.05), .adapt_steps = 90})),
                        temp_path("mala-" + std::to_string(sizeof(T)) + ".ckpt"));
  }
  SECTION("HMC") {
    check_kernel_resume(
        PcdRun<T, ember::Hmc<T>>(ember::Hmc<T>({.step_size = T(0.05), .leapfrog_steps = 3, .adapt_steps = 90})),
        temp_path("hmc-" + std::to_string(sizeof(T)) + ".ckpt"));
  }
}

TEST_CASE("checkpoint: a MALA kernel's state round-trips; inconsistent entries are rejected", "[io][checkpoint]") {
  const auto energy = ember::GaussianEnergy<double>::standard(2);
  ember::Philox rng(5);
  ember::Batch<double> x = ember::Batch<double>::Zero(4, 2);
  ember::Mala<double> kernel({.step_size = 0.3, .adapt_steps = 10});
  kernel.run(energy, x, rng, 6);
  ember::Checkpoint ck;
  ember::store(ck, "mala", kernel);
  const auto back = ember::Checkpoint::parse(ck.serialize().data(), ck.serialize().size(), "m.ckpt");
  ember::Mala<double> fresh({.step_size = 0.3, .adapt_steps = 10});
  ember::restore(back, "mala", fresh);
  CHECK(fresh.step_size() == kernel.step_size());
  CHECK(fresh.steps_taken() == 6);
  CHECK(fresh.accepted() == kernel.accepted());
  CHECK(fresh.divergences() == kernel.divergences());
  CHECK(fresh.proposed() == 6);
  // The same next transitions.
  ember::Batch<double> y = x;
  ember::Philox rng_y = rng;
  kernel.run(energy, x, rng, 8);
  fresh.run(energy, y, rng_y, 8);
  CHECK(x == y);
  CHECK(fresh.step_size() == kernel.step_size());

  ember::Checkpoint bad = back;
  bad.set_counts("mala.accepted", Eigen::Matrix<ember::Index, Eigen::Dynamic, 1>::Constant(4, 7));  // 7 of 6
  CHECK_THROWS_MATCHES(ember::restore(bad, "mala", fresh), ember::checkpoint_error,
                       Catch::Matchers::Message(
                           "ember::restore: file \"m.ckpt\": entries 'mala.*' are inconsistent (ember::Mala::set_state: "
                           "state.accepted(0) = 7: must be in [0, proposed = 6])"));
  ember::Checkpoint wrong_type = back;
  wrong_type.set("mala.step_size", ember::Vector<float>::Constant(1, 0.3f));
  CHECK_THROWS_WITH(ember::restore(wrong_type, "mala", fresh),
                    Catch::Contains("entry 'mala.step_size' is float32, requested float64"));
  CHECK_THROWS_WITH(ember::restore(back, "hmc", fresh), Catch::Contains("entry 'hmc.step_size' is missing"));
}

TEST_CASE("checkpoint: a kernel with difference jumps resumes mid-period bit for bit", "[io][checkpoint]") {
  // MALA (step tuned) with a jump before every third transition: 7 transitions stop one past a jump; stored,
  // restored into a fresh kernel and run 8 more, it makes the same transitions as the kernel never stopped.
  const auto energy = ember::GaussianEnergy<double>::standard(2);
  ember::Batch<double> reference(6, 2);
  reference << -3, 0, -2.5, 0.5, 0, 0, 0.5, 0.5, 3, 0, 2.5, -0.5;
  const auto make = [&] {
    return ember::WithJumps(ember::Mala<double>({.step_size = 0.4, .adapt_steps = 20}),
                            ember::DifferenceJump<double>(reference), 3);
  };
  auto kernel = make();
  ember::Philox rng(7);
  ember::Batch<double> x = ember::Batch<double>::Zero(8, 2);
  kernel.run(energy, x, rng, 7);
  REQUIRE(kernel.since_jump() == 1);
  ember::Checkpoint ck;
  ember::store(ck, "kernel", kernel);
  const auto back = ember::Checkpoint::parse(ck.serialize().data(), ck.serialize().size(), "j.ckpt");
  auto fresh = make();
  ember::restore(back, "kernel", fresh);
  CHECK(fresh.since_jump() == 1);
  CHECK(fresh.jump().statistics().accepted == kernel.jump().statistics().accepted);
  CHECK(fresh.jump().statistics().proposed == 3);
  CHECK(fresh.jump().last_mean_acceptance() == kernel.jump().last_mean_acceptance());
  CHECK(fresh.inner().step_size() == kernel.inner().step_size());
  ember::Batch<double> y = x;
  ember::Philox rng_y = rng;
  kernel.run(energy, x, rng, 8);
  fresh.run(energy, y, rng_y, 8);
  CHECK(x == y);
  CHECK(fresh.jump().statistics().accepted == kernel.jump().statistics().accepted);

  // Another period, a place past the period's end, or counts that do not add up are refused by name.
  auto other = ember::WithJumps(ember::Mala<double>({.step_size = 0.4, .adapt_steps = 20}),
                                ember::DifferenceJump<double>(reference), 4);
  CHECK_THROWS_WITH(ember::restore(back, "kernel", other),
                    Catch::Contains("entries 'kernel.*' were written by a kernel with period 3, this one has 4"));
  ember::Checkpoint past = back;
  past.set("kernel.since_jump", std::uint64_t{3});
  CHECK_THROWS_WITH(ember::restore(past, "kernel", fresh), Catch::Contains("place 3 in a period of 3"));
  ember::Checkpoint bad = back;
  bad.set_counts("kernel.jump.accepted", Eigen::Matrix<ember::Index, Eigen::Dynamic, 1>::Constant(8, 9));
  CHECK_THROWS_WITH(ember::restore(bad, "kernel", fresh), Catch::Contains("are inconsistent"));
  // A kernel without a state of its own (Langevin) stores only the jumps' part.
  auto langevin = ember::WithJumps(ember::Langevin<double>({.step_size = 0.1}), ember::DifferenceJump<double>(reference), 2);
  ember::Batch<double> z = ember::Batch<double>::Zero(8, 2);
  langevin.run(energy, z, rng, 3);
  ember::Checkpoint plain;
  ember::store(plain, "kernel", langevin);
  CHECK_FALSE(plain.contains("kernel.inner.step_size"));
  auto langevin_back = ember::WithJumps(ember::Langevin<double>({.step_size = 0.1}), ember::DifferenceJump<double>(reference), 2);
  ember::restore(plain, "kernel", langevin_back);
  CHECK(langevin_back.since_jump() == 1);
}

namespace {

// A tilted line E(x) = x + θ in 1-D (θ only shifts the energy, so its gradient is 0 and the parameters stay
// put). It checks its input for NaN/Inf as ember::MlpEnergy does — the check that used to blame the user's
// input when a chain diverged inside the sampler.
struct Tilt {
  using scalar_type = double;
  ember::Vector<double> theta = ember::Vector<double>::Zero(1);
  [[nodiscard]] ember::Index dim() const { return 1; }
  [[nodiscard]] ember::Vector<double>& params() { return theta; }
  [[nodiscard]] const ember::Vector<double>& params() const { return theta; }
  void energy(ember::BatchView<double> x, ember::VectorRef<double> e) const {
    ember::detail::require_all_finite(x, "Tilt::energy", "x");
    e = x.col(0).array() + theta(0);
  }
  void energy_and_gradient(ember::BatchView<double> x, ember::VectorRef<double> e, ember::BatchRef<double> g) const {
    ember::detail::require_all_finite(x, "Tilt::energy_and_gradient", "x");
    e = x.col(0).array() + theta(0);
    g.setOnes();
  }
  void accumulate_param_gradient(ember::BatchView<double>, ember::VectorView<double> w, ember::VectorRef<double> g) const {
    g(0) += w.sum();
  }
  void accumulate_mixed_gradient(ember::BatchView<double>, ember::BatchView<double>, ember::VectorRef<double>) const {}
};
static_assert(ember::ParametricEnergy<Tilt>);

// A progress callback that checkpoints every iteration (iteration and parameters) and remembers the last.
template <class E>
auto checkpoint_every_iteration(const std::string& path, const E& energy, ember::Index& last_saved) {
  return [&path, &energy, &last_saved](const ember::TrainProgress& p) {
    ember::Checkpoint ck;
    ck.set("iteration", static_cast<std::uint64_t>(p.iteration));
    ck.set("params", energy.params());
    ck.save(path);
    last_saved = p.iteration;
  };
}

}  // namespace

TEST_CASE("checkpoint: a diverging run stops naming the iteration; the last good checkpoint loads",
          "[io][checkpoint][divergence]") {
  using T = double;
  ember::Batch<T> data(64, 2);
  ember::Philox data_rng(3);
  data_rng.normal(data);
  data *= T(0.1);  // narrow data: the precision's log-diagonal is pushed up fast
  const std::string path = temp_path("diverge.ckpt");
  std::filesystem::remove(path);
  ember::Index last_saved = 0;

  SECTION("NaN/Inf: an exploding learning rate") {
    auto energy = ember::GaussianEnergy<T>::standard(2);
    ember::ContrastiveDivergence cd(ember::Langevin<T>({.step_size = T(0.01)}), ember::CdSettings<T>{.steps = 1});
    ember::Sgd<T> sgd({.learning_rate = T(50)});
    std::string message;
    try {
      ember::train(cd, energy, sgd, data, {.iterations = 200, .batch_size = 64, .seed = 1},
                   checkpoint_every_iteration(path, energy, last_saved));
    } catch (const ember::numerical_error& e) {
      message = e.what();
    }
    REQUIRE(!message.empty());
    INFO(message);
    CHECK_THAT(message, Catch::StartsWith("ember::train: iteration " + std::to_string(last_saved + 1) + ": "));
    CHECK_THAT(message, Catch::Contains("not finite"));
    const auto ck = ember::Checkpoint::load(path);
    CHECK(ck.integer("iteration") == static_cast<std::uint64_t>(last_saved));
    ember::Vector<T> params(energy.params().size());
    ember::restore_parameters(ck, "params", params);  // finite, the right size
    CHECK(params == energy.params());                 // the energy kept its last good parameters too
  }

  SECTION("explosion: divergence_threshold names the quantity") {
    auto energy = ember::GaussianEnergy<T>::standard(2);
    ember::ContrastiveDivergence cd(ember::Langevin<T>({.step_size = T(0.01)}), ember::CdSettings<T>{.steps = 1});
    ember::Sgd<T> sgd({.learning_rate = T(50)});
    ember::TrainSettings settings{.iterations = 200, .batch_size = 64, .seed = 1};
    settings.divergence_threshold = 1e4;
    CHECK_THROWS_MATCHES(
        ember::train(cd, energy, sgd, data, settings, checkpoint_every_iteration(path, energy, last_saved)),
        ember::numerical_error, Catch::Matchers::Predicate<ember::numerical_error>([&](const auto& e) {
          const std::string m = e.what();
          return m.rfind("ember::train: iteration " + std::to_string(last_saved + 1) + ": ", 0) == 0 &&
                 m.find("exceeds divergence_threshold = 10000") != std::string::npos;
        }));
    REQUIRE(last_saved > 0);
    const auto ck = ember::Checkpoint::load(path);
    CHECK(ck.integer("iteration") == static_cast<std::uint64_t>(last_saved));
    CHECK(ck.vector<T>("params", energy.params().size()).allFinite());
  }

  SECTION("a chain that diverges inside the sampler is a numerical error naming the negatives") {
    // PCD with one persistent chain, ULA with a huge gradient step 0.7e308 and two steps per iteration: the
    // chain reaches −1.4e308 in iteration 1 (finite: the iteration completes and is checkpointed) and −Inf
    // at the first step of iteration 2, so the second step hands −Inf to the energy, whose input check
    // throws ember::invalid_argument. The trainer must report the sampler, not the user's input.
    Tilt energy;
    ember::PersistentContrastiveDivergence pcd(
        ember::Langevin<T>::decoupled(T(0.7e308), T(0.01)),
        ember::ReplayBuffer(1, ember::UniformInit<T>{T(-1), T(1)}, {.capacity = 1, .reinit_probability = T(0)}),
        ember::PcdSettings<T>{.steps = 2});
    ember::Sgd<T> sgd({.learning_rate = T(0.1)});
    const ember::Batch<T> line = data.leftCols(1);
    CHECK_THROWS_MATCHES(
        ember::train(pcd, energy, sgd, line, {.iterations = 10, .batch_size = 1, .seed = 2},
                     checkpoint_every_iteration(path, energy, last_saved)),
        ember::numerical_error, Catch::Matchers::Predicate<ember::numerical_error>([&](const auto& e) {
          const std::string m = e.what();
          return m.rfind("ember::train: iteration 2: the negatives (sampler output) are not finite in 1 of 1 rows "
                         "(the sampler diverged: reduce its step size; first error: "
                         "Tilt::energy_and_gradient: x(0, 0) = -inf: must be finite",
                         0) == 0;
        }));
    CHECK(last_saved == 1);
    const auto ck = ember::Checkpoint::load(path);
    CHECK(ck.integer("iteration") == 1);
    CHECK(ck.vector<T>("params", 1) == energy.params());
    // A short step size on the same energy trains without error: the failure came from the sampler.
    ember::PersistentContrastiveDivergence calm(
        ember::Langevin<T>({.step_size = T(0.01)}),
        ember::ReplayBuffer(1, ember::UniformInit<T>{T(-1), T(1)}, {.capacity = 1, .reinit_probability = T(0)}),
        ember::PcdSettings<T>{.steps = 2});
    CHECK(ember::train(calm, energy, sgd, line, {.iterations = 10, .batch_size = 1, .seed = 2}, ember::SilentProgress{})
              .iterations == 10);
  }
}
