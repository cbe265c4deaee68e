#include "ember/train/trainer.hpp"

#include <catch2/catch.hpp>

#include "ember/divergence/contrastive.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/train/sgd.hpp"

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
