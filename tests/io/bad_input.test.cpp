// The bad-input table of docs/reliability.md: one TEST_CASE per row, named "bad input: <row>", each checking the
// exception type and its exact message. If a message changes, this file and the table change together.
#include <catch2/catch.hpp>

#include <ember/data/csv.hpp>
#include <ember/divergence/cd.hpp>
#include <ember/divergence/dcd.hpp>
#include <ember/divergence/pcd.hpp>
#include <ember/divergence/score_matching.hpp>
#include <ember/energy/gaussian.hpp>
#include <ember/io/checkpoint.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/replay_buffer.hpp>
#include <ember/schedule/ve.hpp>
#include <ember/train/adam.hpp>
#include <ember/train/sgd.hpp>
#include <ember/train/trainer.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

using T = double;
using ember::Batch;
using Catch::Matchers::Message;

Batch<T> data(ember::Index n = 8, ember::Index d = 2) {
  Batch<T> x(n, d);
  ember::Philox rng(1);
  rng.normal(x);
  return x;
}

auto cd() { return ember::ContrastiveDivergence(ember::Langevin<T>({.step_size = 0.1}), ember::CdSettings<T>{}); }

void train_on(const Batch<T>& x, ember::TrainSettings settings = {.iterations = 2, .batch_size = 4}) {
  auto energy = ember::GaussianEnergy<T>::standard(2);
  auto estimator = cd();
  ember::Sgd<T> sgd({.learning_rate = 0.01});
  ember::train(estimator, energy, sgd, x, settings, ember::SilentProgress{});
}

Batch<T> csv(const std::string& text) {
  std::istringstream in(text);
  return ember::parse_csv<T>(in, "data.csv");
}

std::vector<unsigned char> valid_checkpoint() {
  ember::Checkpoint ck;
  ck.set("params", Eigen::VectorXd::Zero(5));
  return ck.serialize();
}

ember::Checkpoint parse(const std::vector<unsigned char>& bytes) {
  return ember::Checkpoint::parse(bytes.data(), bytes.size(), "run.ckpt");
}

}  // namespace

// ---- Data ---------------------------------------------------------------------------------------------------

TEST_CASE("bad input: NaN in the training data", "[io][bad_input]") {
  Batch<T> x = data();
  x(3, 1) = std::nan("");
  CHECK_THROWS_MATCHES(train_on(x), ember::invalid_argument,
                       Message("ember::train: data(3, 1) = nan: must be finite (NaN/Inf in an input)"));
}

TEST_CASE("bad input: Inf in an estimator's minibatch", "[io][bad_input]") {
  Batch<T> x = data();
  x(0, 0) = std::numeric_limits<T>::infinity();
  auto energy = ember::GaussianEnergy<T>::standard(2);
  auto estimator = cd();
  ember::Philox rng(1);
  CHECK_THROWS_MATCHES(estimator.estimate(energy, x, rng), ember::invalid_argument,
                       Message("ember::ContrastiveDivergence::estimate: data(0, 0) = inf: must be finite (NaN/Inf in "
                               "an input)"));
}

TEST_CASE("bad input: NaN in the initial parameters", "[io][bad_input]") {
  auto energy = ember::GaussianEnergy<T>::standard(2);
  energy.params()(0) = std::nan("");
  auto estimator = cd();
  ember::Sgd<T> sgd({.learning_rate = 0.01});
  CHECK_THROWS_MATCHES(ember::train(estimator, energy, sgd, data(), {.iterations = 1, .batch_size = 4},
                                    ember::SilentProgress{}),
                       ember::invalid_argument,
                       Message("ember::train: energy.params()(0, 0) = nan: must be finite (NaN/Inf in an input)"));
}

TEST_CASE("bad input: empty batch", "[io][bad_input]") {
  auto energy = ember::GaussianEnergy<T>::standard(2);
  auto estimator = cd();
  ember::Philox rng(1);
  const Batch<T> empty(0, 2);
  CHECK_THROWS_MATCHES(estimator.estimate(energy, empty, rng), ember::invalid_argument,
                       Message("ember::ContrastiveDivergence::estimate: data = 0 x 2: the batch is empty"));
}

TEST_CASE("bad input: empty data set", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(train_on(Batch<T>(0, 2)), ember::invalid_argument,
                       Message("ember::train: data = 0 x 2: the batch is empty"));
}

TEST_CASE("bad input: dimension mismatch between data and energy", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(train_on(data(8, 3)), ember::invalid_argument,
                       Message("ember::train: data = 8 x 3: expected 2 columns (one per coordinate)"));
  auto energy = ember::GaussianEnergy<T>::standard(2);
  ember::DenoisingScoreMatching<T> dsm({.noise_scale = 0.1});
  ember::Philox rng(1);
  CHECK_THROWS_MATCHES(dsm.estimate(energy, data(8, 3), rng), ember::invalid_argument,
                       Message("ember::DenoisingScoreMatching::estimate: data = 8 x 3: expected 2 columns (one per "
                               "coordinate)"));
}

// ---- Settings -----------------------------------------------------------------------------------------------

TEST_CASE("bad input: zero step size", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(ember::Langevin<T>({.step_size = 0}), ember::invalid_argument,
                       Message("ember::Langevin: step_size = 0: must be finite and > 0"));
}

TEST_CASE("bad input: negative or NaN step size", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(ember::Langevin<T>::decoupled(-0.5, 0.1), ember::invalid_argument,
                       Message("ember::Langevin::decoupled: gradient_step = -0.5: must be finite and > 0"));
  CHECK_THROWS_MATCHES(ember::Langevin<float>({.step_size = std::nanf("")}), ember::invalid_argument,
                       Message("ember::Langevin: step_size = nan: must be finite and > 0"));
}

TEST_CASE("bad input: non-positive noise scale sigma", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(ember::DenoisingScoreMatching<T>({.noise_scale = 0}), ember::invalid_argument,
                       Message("ember::DenoisingScoreMatching: noise_scale = 0: must be finite and > 0"));
  CHECK_THROWS_MATCHES(ember::DiffusionContrastiveDivergence(ember::Langevin<T>({.step_size = 0.01}),
                                                             ember::DcdSettings<T>{.noise_min = -1, .noise_max = 0.3}),
                       ember::invalid_argument,
                       Message("ember::DiffusionContrastiveDivergence: noise_min = -1: must be finite and > 0"));
  CHECK_THROWS_MATCHES(ember::VeGeometric<T>({.sigma_min = 0, .sigma_max = 50}), ember::invalid_argument,
                       Message("ember::VeGeometric: sigma_min = 0: must be finite and > 0"));
}

TEST_CASE("bad input: non-positive learning rate", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(ember::Adam<T>({.learning_rate = 0}), ember::invalid_argument,
                       Message("ember::Adam: learning_rate = 0: must be finite and > 0"));
  CHECK_THROWS_MATCHES(ember::Sgd<T>({.learning_rate = -1}), ember::invalid_argument,
                       Message("ember::Sgd: learning_rate = -1: must be finite and > 0"));
}

TEST_CASE("bad input: t outside [0, 1]", "[io][bad_input]") {
  const ember::VeGeometric<T> schedule({.sigma_min = 0.01, .sigma_max = 50});
  CHECK_THROWS_MATCHES(schedule.standard_deviation(1.5), ember::invalid_argument,
                       Message("ember::VeGeometric::standard_deviation: t = 1.5: must lie in [0, 1] (and not be NaN)"));
  CHECK_THROWS_MATCHES(schedule.variance(-0.25), ember::invalid_argument,
                       Message("ember::VeGeometric::variance: t = -0.25: must lie in [0, 1] (and not be NaN)"));
  CHECK_THROWS_MATCHES(schedule.mean_coefficient(std::nan("")), ember::invalid_argument,
                       Message("ember::VeGeometric::mean_coefficient: t = nan: must lie in [0, 1] (and not be NaN)"));
}

TEST_CASE("bad input: non-positive batch size or iterations", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(train_on(data(), {.iterations = 2, .batch_size = 0}), ember::invalid_argument,
                       Message("ember::train: batch_size = 0: must be >= 1"));
  CHECK_THROWS_MATCHES(train_on(data(), {.iterations = -1, .batch_size = 4}), ember::invalid_argument,
                       Message("ember::train: iterations = -1: must be >= 0"));
  ember::TrainSettings resume{.iterations = 10, .batch_size = 4};
  resume.start_iteration = 11;
  CHECK_THROWS_MATCHES(train_on(data(), resume), ember::invalid_argument,
                       Message("ember::train: start_iteration = 11: must be in [0, iterations]"));
}

// ---- CSV files ----------------------------------------------------------------------------------------------

TEST_CASE("bad input: malformed CSV, a field that is not a number", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(csv("x,y\n1,2\n3,abc\n"), ember::invalid_argument,
                       Message("ember::read_csv: data.csv:3 column 2 = \"abc\": not a number"));
}

TEST_CASE("bad input: malformed CSV, a row with the wrong number of columns", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(csv("1,2\n3\n"), ember::invalid_argument,
                       Message("ember::read_csv: data.csv:2 column count = 1: expected 2 columns"));
}

TEST_CASE("bad input: malformed CSV, NaN/Inf field", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(csv("1,2\n3,nan\n"), ember::invalid_argument,
                       Message("ember::read_csv: data.csv:2 column 2 = nan: must be finite (NaN/Inf or out of range "
                               "for the scalar type)"));
  CHECK_THROWS_MATCHES(ember::parse_csv<float>(*std::make_unique<std::istringstream>("1,1e39\n"), "data.csv"),
                       ember::invalid_argument,
                       Message("ember::read_csv: data.csv:1 column 2 = 1e39: must be finite (NaN/Inf or out of range "
                               "for the scalar type)"));
}

TEST_CASE("bad input: malformed CSV, no data rows", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(csv("# only a comment\n\n"), ember::invalid_argument,
                       Message("ember::read_csv: source = data.csv: holds no data rows"));
}

TEST_CASE("bad input: CSV file that does not exist", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(ember::read_csv<T>("/nonexistent/data.csv"), ember::invalid_argument,
                       Message("ember::read_csv: path = /nonexistent/data.csv: cannot be opened for reading"));
}

// ---- Checkpoints --------------------------------------------------------------------------------------------

TEST_CASE("bad input: checkpoint file that does not exist", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(ember::Checkpoint::load("/nonexistent/run.ckpt"), ember::checkpoint_error,
                       Message("ember::Checkpoint::load: file \"/nonexistent/run.ckpt\": cannot be opened for reading"));
}

TEST_CASE("bad input: truncated checkpoint", "[io][bad_input]") {
  auto bytes = valid_checkpoint();
  bytes.resize(bytes.size() - 8);
  CHECK_THROWS_MATCHES(parse(bytes), ember::checkpoint_error,
                       Message("ember::Checkpoint::load: file \"run.ckpt\": truncated: the header announces 75 payload "
                               "bytes but only 67 follow"));
}

TEST_CASE("bad input: corrupted checkpoint", "[io][bad_input]") {
  auto bytes = valid_checkpoint();
  bytes[60] ^= 0x01;
  CHECK_THROWS_AS(parse(bytes), ember::checkpoint_error);
  CHECK_THROWS_WITH(parse(bytes), Catch::StartsWith("ember::Checkpoint::load: file \"run.ckpt\": checksum mismatch "
                                                    "(stored 0x") &&
                                      Catch::EndsWith("): the file is corrupted"));
}

TEST_CASE("bad input: not a checkpoint", "[io][bad_input]") {
  std::vector<unsigned char> bytes(64, 'a');
  CHECK_THROWS_MATCHES(parse(bytes), ember::checkpoint_error,
                       Message("ember::Checkpoint::load: file \"run.ckpt\": bad magic number: not an ember checkpoint"));
}

TEST_CASE("bad input: checkpoint of another format version", "[io][bad_input]") {
  auto bytes = valid_checkpoint();
  bytes[8] = 2;
  CHECK_THROWS_MATCHES(parse(bytes), ember::checkpoint_error,
                       Message("ember::Checkpoint::load: file \"run.ckpt\": format version 2 is not supported (this "
                               "build reads version 1)"));
}

TEST_CASE("bad input: checkpoint of the wrong shape", "[io][bad_input]") {
  const auto ck = parse(valid_checkpoint());
  ember::Vector<T> params(7);
  CHECK_THROWS_MATCHES(ember::restore_parameters(ck, "params", params), ember::checkpoint_error,
                       Message("ember::Checkpoint::matrix: file \"run.ckpt\": entry 'params' has shape 5 x 1, "
                               "expected 7 x 1"));
}

TEST_CASE("bad input: checkpoint of the wrong scalar type", "[io][bad_input]") {
  const auto ck = parse(valid_checkpoint());
  ember::Vector<float> params(5);
  CHECK_THROWS_MATCHES(ember::restore_parameters(ck, "params", params), ember::checkpoint_error,
                       Message("ember::Checkpoint: file \"run.ckpt\": entry 'params' is float64, requested float32"));
}

TEST_CASE("bad input: absurd sizes in a checkpoint", "[io][bad_input]") {
  // One float64 entry claiming 2^40 × 2^40 values, checksum correct: refused from the bytes actually present.
  ember::io::detail::ByteWriter body;
  body.u64(1);
  body.u32(1);
  body.raw("x");
  body.u8(3);
  body.u64(1ull << 40);
  body.u64(1ull << 40);
  ember::io::detail::ByteWriter file;
  file.raw("EMBERCKP");
  file.u32(1);
  file.u32(0);
  file.u64(body.bytes().size());
  file.u64(ember::io::detail::fnv1a64(body.bytes().data(), body.bytes().size()));
  auto bytes = file.bytes();
  bytes.insert(bytes.end(), body.bytes().begin(), body.bytes().end());
  CHECK_THROWS_MATCHES(parse(bytes), ember::checkpoint_error,
                       Message("ember::Checkpoint::load: file \"run.ckpt\": entry 0 'x': size 1099511627776 x "
                               "1099511627776 needs more than the 0 bytes left in the file"));
}

TEST_CASE("bad input: absurd sizes in settings", "[io][bad_input]") {
  CHECK_THROWS_MATCHES(ember::ReplayBuffer(2, ember::NormalInit<T>{}, {.capacity = 0}), ember::invalid_argument,
                       Message("ember::ReplayBuffer: capacity = 0: must be >= 1"));
  CHECK_THROWS_MATCHES(ember::ReplayBuffer(-3, ember::NormalInit<T>{}), ember::invalid_argument,
                       Message("ember::ReplayBuffer: dim = -3: must be >= 1"));
  CHECK_THROWS_MATCHES(ember::GaussianEnergy<T>::standard(0), ember::invalid_argument,
                       Message("ember::GaussianEnergy::standard: dim = 0: must be >= 1"));
}
