// ember-rbm: a Bernoulli RBM on 4x4 bars-and-stripes, trained three ways with the same budget (the same
// number of parameter updates, minibatches and learning rate): CD-1, CD-10 and PCD-1. After every epoch it
// prints the exact average log-likelihood of the 30 patterns under each model (log Z by enumerating the 16
// visible units), and at the end writes the log as CSV and a PNG grid of model samples per method.
// Under `mpirun -np N` the three methods train on their own ranks (ember_examples/ranks.hpp): the outputs are
// byte-identical to one process's, apart from "ranks" in summary.json.
// Exit status (examples/common/ember_examples/cli.hpp): 0 success; 2 a bad option or output directory (checked
// before training); 1 a run that diverged (a non-finite or absurd log-likelihood), named with its epoch. Each
// error is one line "ember-rbm: message" on stderr.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/data/bars_and_stripes.hpp"
#include "ember/divergence/cd.hpp"
#include "ember/divergence/pcd.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/mcmc/gibbs.hpp"
#include "ember/mcmc/replay_buffer.hpp"
#include "ember/metrics/rbm_log_partition.hpp"
#include "ember/train/sgd.hpp"
#include "ember/train/trainer.hpp"

#include "ember_examples/cli.hpp"
#include "ember_examples/output.hpp"
#include "ember_examples/plot.hpp"
#include "ember_examples/ranks.hpp"

namespace {

using T = float;
using Rbm = ember::BernoulliRbm<T>;
constexpr ember::Index side = 4;  // 4 x 4 images: 16 visible units
constexpr const char* program = "ember-rbm";
namespace ex = ember::examples;

// A trained model is at least as good as the uniform one up to sampling noise; a log-likelihood below 100
// times the uniform model's (16 log 2 nats a pattern) means the parameters blew up (a huge --lr), even when
// every number is still finite.
void require_sane(const std::string& method, int epoch, double log_likelihood) {
  const double uniform = -static_cast<double>(side * side) * std::log(2.0);
  if (std::isfinite(log_likelihood) && log_likelihood >= 100 * uniform) return;
  throw ember::numerical_error(method + " diverged at epoch " + std::to_string(epoch) +
                               ": its exact average log-likelihood = " + ember::detail::describe(log_likelihood) +
                               (std::isfinite(log_likelihood) ? ex::format(" is below 100 times the uniform model's %.2f", uniform)
                                                              : std::string(" is not finite")) +
                               " (try a smaller --lr)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ember-rbm: CD-1, CD-10 and PCD on 4x4 bars-and-stripes, judged by the exact log-likelihood"};
  int epochs = 300;
  int hidden = 16;
  int batch_size = 10;
  float learning_rate = 0.1f;
  float momentum = 0.5f;
  std::uint64_t seed = 1;
  std::string out = "ember-out/rbm";
  bool quiet = false;
  app.add_option("--epochs", epochs, "passes over the 30 patterns (updates per epoch: 30 / batch)")
      ->check(ex::integer_in<int>(1, 10'000'000));
  app.add_option("--hidden", hidden, "hidden units (1..20 keeps log Z exact either way)")->check(ex::integer_in<int>(1, 64));
  app.add_option("--batch", batch_size, "minibatch size")->check(ex::integer_in<int>(1, 30));
  app.add_option("--lr", learning_rate, "SGD learning rate")->check(ex::positive_finite());
  app.add_option("--momentum", momentum, "SGD momentum")->check(CLI::Range(0.0, 0.99));
  app.add_option("--seed", seed, "seed of every random number")
      ->check(ex::integer_in<std::uint64_t>(0, ex::max_of<std::uint64_t>()));
  app.add_option("--out", out, "output directory");
  app.add_flag("--quiet", quiet, "print only the final log-likelihoods");
  ex::Ranks ranks(argc, argv);
  return ex::run_program(program, app, argc, argv, [&]() -> int {
    ex::require_output_directory(program, "--out", out);
    const ember::Batch<T> data = ember::bars_and_stripes_patterns<T>(side);
    const auto iterations_per_epoch = std::max<ember::Index>(1, data.rows() / batch_size);
    ember::Philox rng(seed);
    const Rbm init = Rbm::random(side * side, hidden, rng, 0.01f);
    struct Method {
      std::string name, file;
      std::vector<double> log_likelihood;  // epochs 0, 1, …, epochs
      ember::Batch<T> samples;             // 64 model samples, P(v = 1 | h)
    };
    std::vector<Method> methods = {{"CD-1", "cd1", {}, {}}, {"CD-10", "cd10", {}, {}}, {"PCD-1", "pcd", {}, {}}};
    constexpr ember::Index sample_count = 64;

    // One job per method, each from the same initial model: independent runs (under mpirun, on their own ranks).
    // A job returns its log-likelihood per epoch followed by its 64 samples (row-major).
    const auto train_method = [&](std::size_t j) -> std::vector<double> {
      const std::string& name = methods[j].name;
      Rbm rbm = init;
      ember::Sgd<T> sgd(ember::SgdSettings<T>{.learning_rate = learning_rate, .momentum = momentum});
      ember::ContrastiveDivergence cd1(ember::BlockGibbs<T>{}, ember::CdSettings<T>{.steps = 1});
      ember::ContrastiveDivergence cd10(ember::BlockGibbs<T>{}, ember::CdSettings<T>{.steps = 10});
      ember::PersistentContrastiveDivergence pcd(
          ember::BlockGibbs<T>{},
          ember::ReplayBuffer<T, ember::BernoulliInit<T>>(side * side, {}, {.capacity = batch_size, .reinit_probability = 0.0f}),
          ember::PcdSettings<T>{.steps = 1});
      std::vector<double> values{ember::exact_average_log_likelihood(rbm, data)};
      for (int epoch = 1; epoch <= epochs; ++epoch) {
        const ember::TrainSettings settings{.iterations = iterations_per_epoch,
                                            .batch_size = batch_size,
                                            .seed = seed * 1000003u + static_cast<std::uint64_t>(epoch)};
        const auto train = [&](auto& estimator) {
          try {
            ember::train(estimator, rbm, sgd, data, settings, ember::SilentProgress{});
          } catch (const ember::numerical_error& e) {
            throw ember::numerical_error(name + " diverged at epoch " + std::to_string(epoch) + ": " + e.what());
          }
        };
        if (j == 0) train(cd1);
        else if (j == 1) train(cd10);
        else train(pcd);
        values.push_back(ember::exact_average_log_likelihood(rbm, data));
        require_sane(name, epoch, values.back());
      }
      // 64 independent chains from uniform noise, 1000 block Gibbs sweeps, then the mean of v given the last h.
      ember::Philox sampler(seed + 17);
      ember::Batch<T> v(sample_count, side * side);
      ember::BernoulliInit<T>{}(v, sampler);
      ember::BlockGibbs<T> gibbs;
      gibbs.run(rbm, v, sampler, 1000);
      ember::Batch<T> mean(sample_count, side * side);
      ember::Batch<T> h = gibbs.hidden();
      rbm.visible_input(h, mean);
      for (ember::Index i = 0; i < mean.rows(); ++i)
        for (ember::Index k = 0; k < mean.cols(); ++k) values.push_back(T(1) / (T(1) + std::exp(-mean(i, k))));
      return values;
    };
    const std::vector<ex::JobResult> results = ranks.run(methods.size(), train_method);
    ex::rethrow_first_failure(results);
    for (std::size_t j = 0; j < methods.size(); ++j) {
      const std::vector<double>& v = results[j].values;
      const auto curve = static_cast<std::ptrdiff_t>(epochs) + 1;
      methods[j].log_likelihood.assign(v.begin(), v.begin() + curve);
      methods[j].samples.resize(sample_count, side * side);
      for (ember::Index i = 0; i < sample_count; ++i)
        for (ember::Index k = 0; k < side * side; ++k)
          methods[j].samples(i, k) = static_cast<T>(v[static_cast<std::size_t>(curve + i * side * side + k)]);
    }
    if (!ranks.writes_outputs()) return ex::exit_success;

    if (!quiet) {
      std::printf("exact average log-likelihood of the 30 patterns (uniform: %.3f, best possible: %.3f)\n",
                  -16 * std::log(2.0), std::log(1.0 / 30.0));
      std::printf("%6s %10s %10s %10s\n", "epoch", "CD-1", "CD-10", "PCD-1");
      for (int e = 0; e <= epochs; ++e) {
        const auto i = static_cast<std::size_t>(e);
        std::printf("%6d %10.4f %10.4f %10.4f\n", e, methods[0].log_likelihood[i], methods[1].log_likelihood[i],
                    methods[2].log_likelihood[i]);
      }
    }
    std::printf("final exact average log-likelihood: CD-1 %.4f, CD-10 %.4f, PCD-1 %.4f (%d epochs, %lld updates each)\n",
                methods[0].log_likelihood.back(), methods[1].log_likelihood.back(), methods[2].log_likelihood.back(),
                epochs, static_cast<long long>(epochs * iterations_per_epoch));
    nlohmann::json final_log_likelihood;
    for (const auto& m : methods) final_log_likelihood[m.file] = m.log_likelihood.back();
    ex::write_json(out + "/summary.json", {{"program", program},
                                           {"epochs", epochs},
                                           {"hidden", hidden},
                                           {"batch", batch_size},
                                           {"seed", seed},
                                           {"ranks", ranks.size()},
                                           {"final_log_likelihood", final_log_likelihood}});

    std::ofstream log(out + "/log_likelihood.csv");
    if (!log) throw ember::invalid_argument(std::string(program) + ": cannot write " + out + "/log_likelihood.csv");
    log << "epoch,cd1,cd10,pcd\n";
    for (int e = 0; e <= epochs; ++e) {
      const auto i = static_cast<std::size_t>(e);
      log << e << ',' << methods[0].log_likelihood[i] << ',' << methods[1].log_likelihood[i] << ','
          << methods[2].log_likelihood[i] << '\n';
    }
    // log_likelihood.png: the curves of the table above, with the uniform model and the best possible model.
    std::vector<ex::Series> curves;
    std::vector<double> epoch_axis;
    for (int e = 0; e <= epochs; ++e) epoch_axis.push_back(e);
    for (const auto& m : methods) curves.push_back({m.name, epoch_axis, m.log_likelihood});
    const double uniform = -static_cast<double>(side * side) * std::log(2.0), best = std::log(1.0 / 30.0);
    curves.push_back({ex::format("uniform model (%.2f)", uniform), {0.0, double(epochs)}, {uniform, uniform}, true});
    curves.push_back({ex::format("best possible, log(1/30) (%.2f)", best), {0.0, double(epochs)}, {best, best}, true});
    const std::string setting = std::to_string(hidden) + " hidden units, batch " + std::to_string(batch_size) +
                                ex::format(", lr %g", learning_rate) + ex::format(", momentum %g", momentum) +
                                ", seed " + std::to_string(seed);
    ex::line_figure(curves, {.title = {"RBM on 4x4 bars-and-stripes: exact average log-likelihood", setting},
                             .x = {0, 1, "epoch (" + std::to_string(iterations_per_epoch) + " updates each)"},
                             .y = {0, 1, "log-likelihood (nats per pattern)"},
                             .caption = {"log Z exact (all 2^16 visible states); higher is better"}})
        .save_png(out + "/log_likelihood.png");
    ex::image_grid_figure(data, {.title = {"4x4 bars-and-stripes: the 30 training patterns"},
                                 .colour_label = "pixel value",
                                 .side = side,
                                 .columns = 6})
        .save_png(out + "/data.png");
    for (const auto& m : methods) {
      ex::image_grid_figure(m.samples, {.title = {m.name + " RBM on 4x4 bars-and-stripes: 64 model samples",
                                             "after " + std::to_string(epochs) + " epochs" + ex::format(", average log-likelihood %.2f", m.log_likelihood.back())},
                                   .colour_label = "P(v = 1 | h)",
                                   .side = side,
                                   .columns = 8,
                                   .caption = {"64 chains from uniform noise, 1000 block Gibbs sweeps;",
                                               "each tile: P(v = 1 | h) of the last sweep (white = 1)"}})
          .save_png(out + "/samples_" + m.file + ".png");
    }
    if (!quiet)
      std::printf("wrote %s/{summary.json,log_likelihood.csv,log_likelihood.png,data.png,samples_cd1.png,samples_cd10.png,samples_pcd.png}\n",
                  out.c_str());
    return ex::exit_success;
  });
}
