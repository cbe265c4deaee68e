#include "ember/train/trainer.hpp"

#include <catch2/catch.hpp>

#include "ember/divergence/contrastive.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/train/sgd.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

namespace {
// An estimator whose gradient is constant, then NaN (or whose loss is Inf) from iteration `bad` on.
struct Faulty {
  Index bad = 3;
  bool loss_only = false;
  Index calls = 0;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double>, G&) {
    ++calls;
    ember::EstimatorResult<double> r;
    r.gradient = Vector<double>::Ones(energy.params().size());
    if (calls >= bad) {
      if (loss_only) r.loss = std::numeric_limits<double>::infinity();
      else r.gradient(1) = std::nan("");
    }
    return r;
  }
};
}  // namespace

TEST_CASE("train: stops before a NaN update, naming the iteration and the quantity", "[trainer][errors]") {
  using Catch::Matchers::Contains;
  auto energy = ember::GaussianEnergy<double>::standard(2);
  const Vector<double> start = energy.params();
  ember::Sgd<double> sgd({.learning_rate = 0.1});
  const Batch<double> data = Batch<double>::Zero(10, 2);
  Faulty faulty{.bad = 3};
  CHECK_THROWS_WITH(ember::train(faulty, energy, sgd, data, {.iterations = 10, .batch_size = 4},
                                 ember::SilentProgress{}),
                    Contains("iteration 3: the parameter gradient is not finite"));
  // Two good updates of −0.1 each survive; the third was never applied.
  CHECK(energy.params().isApprox(start - Vector<double>::Constant(start.size(), 0.2)));
  Faulty inf_loss{.bad = 1, .loss_only = true};
  CHECK_THROWS_WITH(ember::train(inf_loss, energy, sgd, data, {.iterations = 10}, ember::SilentProgress{}),
                    Contains("iteration 1: the loss is not finite"));
  CHECK_THROWS_WITH(ember::train(faulty, energy, sgd, data, {.batch_size = 0}), Contains("batch_size = 0"));
}

namespace {
// Records, per update, whether the estimator ran with subnormals flushed (then behaves as Faulty never failing).
struct RecordsMode {
  std::vector<bool> flushed;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double>, G&) {
    flushed.push_back(ember::flushes_subnormals());
    ember::EstimatorResult<double> r;
    r.gradient = Vector<double>::Ones(energy.params().size());
    return r;
  }
};
}  // namespace

TEST_CASE("train: updates flush subnormals by default, the callback and the caller keep their own mode",
          "[trainer][subnormals]") {
#if EMBER_HAS_MXCSR
  auto energy = ember::GaussianEnergy<double>::standard(1);
  ember::Sgd<double> sgd({.learning_rate = 0.01});
  const Batch<double> data = Batch<double>::Zero(10, 1);
  REQUIRE_FALSE(ember::flushes_subnormals());
  RecordsMode on;
  std::vector<bool> in_callback;
  ember::train(on, energy, sgd, data, {.iterations = 3},
               [&](const ember::TrainProgress&) { in_callback.push_back(ember::flushes_subnormals()); });
  CHECK(on.flushed == std::vector<bool>{true, true, true});
  CHECK(in_callback == std::vector<bool>{false, false, false});
  CHECK_FALSE(ember::flushes_subnormals());
  RecordsMode off;
  ember::train(off, energy, sgd, data, {.iterations = 2, .flush_subnormals = false}, ember::SilentProgress{});
  CHECK(off.flushed == std::vector<bool>{false, false});
  {
    ember::FlushSubnormals caller;  // a caller that flushes: its callback sees it so
    in_callback.clear();
    ember::train(off, energy, sgd, data, {.iterations = 1, .flush_subnormals = false},
                 [&](const ember::TrainProgress&) { in_callback.push_back(ember::flushes_subnormals()); });
    CHECK(in_callback == std::vector<bool>{true});
  }
  CHECK_FALSE(ember::flushes_subnormals());
#else
  SUCCEED("no MXCSR on this target");
#endif
}

TEST_CASE("train: the progress callback sees every report and can stop early", "[trainer]") {
  auto energy = ember::GaussianEnergy<double>::standard(1);
  ember::Sgd<double> sgd({.learning_rate = 0.01});
  const Batch<double> data = Batch<double>::Zero(10, 1);
  Faulty fine{.bad = 1000};
  std::vector<Index> seen;
  const auto summary = ember::train(fine, energy, sgd, data, {.iterations = 10, .report_every = 3},
                                    [&](const ember::TrainProgress& p) { seen.push_back(p.iteration); });
  CHECK(seen == std::vector<Index>{3, 6, 9, 10});
  CHECK(summary.iterations == 10);
  CHECK(summary.last.gradient_norm == Approx(std::sqrt(2.0)));
  CHECK(summary.generator_position == 10);  // one minibatch draw per iteration (the estimator drew none)
  const auto stopped = ember::train(fine, energy, sgd, data, {.iterations = 10},
                                    [&](const ember::TrainProgress& p) { return p.iteration < 4; });
  CHECK(stopped.stopped_early);
  CHECK(stopped.iterations == 4);
  // The default terminal line: written to a stream, ending with a newline after the last iteration.
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  ember::train(fine, energy, sgd, data, {.iterations = 5}, ember::TerminalProgress{.interval_seconds = 0.0, .stream = sink});
  std::rewind(sink);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), sink));
  std::fclose(sink);
  CHECK(text.find("iteration 5/5") != std::string::npos);
  CHECK(text.back() == '\n');
}

namespace {
// An optimizer that records the learning rate of every update (and is an Sgd step otherwise).
struct RecordingSgd {
  struct Settings {
    double learning_rate = 0.5;
  } settings_;
  std::vector<double> rates;
  [[nodiscard]] const Settings& settings() const { return settings_; }
  void set_learning_rate(double rate) { settings_.learning_rate = rate; }
  void step(ember::VectorRef<double> params, ember::VectorView<double> gradient) {
    rates.push_back(settings_.learning_rate);
    params -= settings_.learning_rate * gradient;
  }
};

// A deterministic estimator whose gradient depends on the minibatch (its column means), and that records it.
struct BatchMeans {
  std::vector<Batch<double>> batches;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double> batch, G&) {
    batches.emplace_back(batch);
    ember::EstimatorResult<double> r;
    r.gradient = Vector<double>::Zero(energy.params().size());
    r.gradient.head(batch.cols()) = batch.colwise().mean().transpose();
    return r;
  }
};
}  // namespace

TEST_CASE("train: a learning-rate schedule sets each update's rate; a resumed run continues it bit for bit",
          "[trainer][lr]") {
  const ember::LearningRateSchedule schedule{.warmup_iterations = 4, .decay = ember::LearningRateDecay::cosine,
                                             .final_factor = 0.2};
  ember::test::Uniform uniform(13);
  const Batch<double> data = uniform.next<Batch<double>>(13, 2);
  const ember::TrainSettings settings{.iterations = 12, .batch_size = 5, .seed = 3, .epochs = true,
                                      .learning_rate_schedule = schedule};
  auto energy = ember::GaussianEnergy<double>::standard(2);
  RecordingSgd full;
  BatchMeans estimator;
  ember::train(estimator, energy, full, data, settings, ember::SilentProgress{});
  REQUIRE(full.rates.size() == 12);
  for (ember::Index k : {1, 3, 4, 5, 9, 12}) {
    INFO("update " << k);
    CHECK(full.rates[static_cast<std::size_t>(k - 1)] == 0.5 * schedule.factor(k, 12));
  }
  CHECK(full.rates[0] == 0.125);  // 0.5 · 1/4
  CHECK(full.rates[11] == Approx(0.5 * 0.2).epsilon(1e-15));
  CHECK(full.settings().learning_rate == 0.5);  // the base rate is back after the run

  // The same run stopped after 7 updates, then resumed from a fresh optimizer and the saved position.
  auto first_energy = ember::GaussianEnergy<double>::standard(2);
  RecordingSgd first;
  BatchMeans first_estimator;
  const auto stopped = ember::train(first_estimator, first_energy, first, data, settings,
                                    [](const ember::TrainProgress& p) { return p.iteration < 7; });
  REQUIRE(stopped.iterations == 7);
  CHECK(first.settings().learning_rate == 0.5);
  RecordingSgd second;
  ember::TrainSettings resume = settings;
  resume.start_iteration = 7;
  resume.generator_position = stopped.generator_position;
  ember::train(first_estimator, first_energy, second, data, resume, ember::SilentProgress{});
  first.rates.insert(first.rates.end(), second.rates.begin(), second.rates.end());
  CHECK(first.rates == full.rates);
  CHECK(first_energy.params() == energy.params());
  REQUIRE(first_estimator.batches.size() == estimator.batches.size());
  for (std::size_t k = 0; k < estimator.batches.size(); ++k) CHECK(first_estimator.batches[k] == estimator.batches[k]);

  // An optimizer without a learning rate accepts only the constant schedule.
  struct Fixed {
    void step(ember::VectorRef<double>, ember::VectorView<double>) {}
  } fixed;
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::train(estimator, energy, fixed, data, settings, ember::SilentProgress{}),
                    Contains("ember::train") && Contains("learning_rate_schedule"));
}

TEST_CASE("train: epochs = true visits every data row once per epoch", "[trainer][epochs]") {
  Batch<double> data(12, 1);
  for (Index i = 0; i < 12; ++i) data(i, 0) = static_cast<double>(i);
  auto energy = ember::GaussianEnergy<double>::standard(1);
  ember::Sgd<double> sgd({.learning_rate = 1e-3});
  BatchMeans estimator;
  ember::train(estimator, energy, sgd, data, {.iterations = 8, .batch_size = 3, .seed = 9, .epochs = true},
               ember::SilentProgress{});
  std::vector<double> seen;
  for (const auto& b : estimator.batches) seen.insert(seen.end(), b.data(), b.data() + b.size());
  for (int e = 0; e < 2; ++e) {  // 8 × 3 rows = two epochs of 12
    std::vector<double> epoch(seen.begin() + 12 * e, seen.begin() + 12 * (e + 1));
    std::sort(epoch.begin(), epoch.end());
    for (int i = 0; i < 12; ++i) CHECK(epoch[static_cast<std::size_t>(i)] == i);
  }
}

TEST_CASE("TerminalProgress: plain lines without carriage returns when the stream is not a terminal",
          "[trainer][progress]") {
  std::FILE* log = std::tmpfile();
  REQUIRE(log != nullptr);
  CHECK_FALSE(ember::TerminalProgress::is_terminal(log));
  ember::TerminalProgress progress{.log_interval_seconds = 3600, .stream = log};
  for (Index k = 1; k <= 50; ++k) progress({.iteration = k, .iterations = 50, .loss = 0.5});
  std::rewind(log);
  std::string text;
  for (int c; (c = std::fgetc(log)) != EOF;) text.push_back(static_cast<char>(c));
  std::fclose(log);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);  // the first line and the last, nothing between
  CHECK(text.find("iteration 1/50") != std::string::npos);
  CHECK(text.find("iteration 50/50") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(text.size() < 200);
}

namespace {
// An estimator that reports a Metropolis–Hastings acceptance of 0.25 on odd calls and none on even ones.
struct SometimesAccepting {
  Index calls = 0;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double>, G&) {
    ember::EstimatorResult<double> r;
    r.gradient = Vector<double>::Zero(energy.params().size());
    if (++calls % 2 == 1) r.acceptance = 0.25;
    return r;
  }
};
}  // namespace

TEST_CASE("train: each update's acceptance reaches the progress callback and the terminal line, where there is one",
          "[trainer][progress]") {
  auto energy = ember::GaussianEnergy<double>::standard(1);
  ember::Sgd<double> sgd({.learning_rate = 0.01});
  const Batch<double> data = Batch<double>::Zero(10, 1);
  SometimesAccepting estimator;
  std::vector<double> seen;  // -1: no acceptance reported
  ember::train(estimator, energy, sgd, data, {.iterations = 4},
               [&](const ember::TrainProgress& p) { seen.push_back(p.acceptance.value_or(-1.0)); });
  CHECK(seen == std::vector<double>{0.25, -1.0, 0.25, -1.0});
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  ember::TerminalProgress progress{.interval_seconds = 0.0, .stream = sink};
  progress({.iteration = 1, .iterations = 2, .acceptance = 0.25});
  progress({.iteration = 2, .iterations = 2});
  std::rewind(sink);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), sink));
  std::fclose(sink);
  const auto second = text.find("iteration 2/2");
  REQUIRE(second != std::string::npos);
  CHECK(text.substr(0, second).find("acc 0.25") != std::string::npos);
  CHECK(text.substr(second).find("acc") == std::string::npos);
}
