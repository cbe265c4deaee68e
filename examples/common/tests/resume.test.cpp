#include "ember_examples/resume.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace ex = ember::examples;

namespace {
// A checkpoint as a run with these settings would write it (data fingerprint 7).
ember::Checkpoint written_by(const std::vector<ex::RunSetting>& settings) {
  ember::Checkpoint ck;
  ex::store_run(ck, "toy2d", 7, settings);
  return ck;
}
}  // namespace

TEST_CASE("require_same_run: the same settings resume, another fixed one is refused naming both values",
          "[examples][resume]") {
  const std::vector<ex::RunSetting> run{{"--batch", {256}, true}, {"--drl-levels", {0, 100, 999}, false}};
  const auto ck = written_by(run);
  CHECK_NOTHROW(ex::require_same_run("p", ck, "toy2d", 7, run, false));
  CHECK_THROWS_WITH(ex::require_same_run("p", ck, "toy2d", 8, run, false), Catch::Matchers::Contains("training data differ"));
  const std::vector<ex::RunSetting> other{{"--batch", {256}, true}, {"--drl-levels", {0, 999}, false}};
  CHECK_THROWS_WITH(ex::require_same_run("p", ck, "toy2d", 7, other, true),
                    Catch::Matchers::Contains("--drl-levels (checkpoint 0,100,999, this run 0,999)"));
  const std::vector<ex::RunSetting> batch{{"--batch", {128}, true}, {"--drl-levels", {0, 100, 999}, false}};
  CHECK_THROWS_WITH(ex::require_same_run("p", ck, "toy2d", 7, batch, false),
                    Catch::Matchers::Contains("--allow-changed-settings"));
  CHECK_NOTHROW(ex::require_same_run("p", ck, "toy2d", 7, batch, true));
}

TEST_CASE("require_same_run: a setting added later reads a checkpoint written before it as its old value",
          "[examples][resume]") {
  // A checkpoint from before --pcd-chains existed (it ran the sampled buffer, 0) resumes a sampled run, and is
  // refused for an in-order one; without an old value, the missing setting differs.
  const auto old = written_by({{"--batch", {256}, true}});
  const ex::RunSetting sampled{"--pcd-chains", {0}, false, {0}}, in_order{"--pcd-chains", {1}, false, {0}};
  CHECK_NOTHROW(ex::require_same_run("p", old, "toy2d", 7, {{"--batch", {256}, true}, sampled}, false));
  CHECK_THROWS_WITH(ex::require_same_run("p", old, "toy2d", 7, {{"--batch", {256}, true}, in_order}, true),
                    Catch::Matchers::Contains("--pcd-chains (checkpoint 0, this run 1)"));
  const ex::RunSetting no_old_value{"--pcd-chains", {0}, false};
  CHECK_THROWS_WITH(ex::require_same_run("p", old, "toy2d", 7, {{"--batch", {256}, true}, no_old_value}, true),
                    Catch::Matchers::Contains("--pcd-chains (checkpoint none, this run 0)"));
  // A checkpoint that records the setting is read as recorded, whatever the old value.
  const auto recorded = written_by({{"--batch", {256}, true}, in_order});
  CHECK_NOTHROW(ex::require_same_run("p", recorded, "toy2d", 7, {{"--batch", {256}, true}, in_order}, false));
  CHECK_THROWS(ex::require_same_run("p", recorded, "toy2d", 7, {{"--batch", {256}, true}, sampled}, true));
}
