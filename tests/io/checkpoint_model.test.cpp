// Tests of include/ember/io/checkpoint_mlp.hpp: an MLP stored with its widths, activation and base scale is
// rebuilt from the file alone, and restoring into a network of another architecture names what differs.
#include <catch2/catch.hpp>

#include <ember/energy/mlp.hpp>
#include <ember/io/checkpoint_mlp.hpp>

#include <cstdio>
#include <string>

#include "support/scratch_path.hpp"

using ember::Batch;
using ember::MlpEnergy;
using ember::Vector;

namespace {
std::string model_scratch(const std::string& name) { return ember::test::scratch_path("ckmodel", name); }
}  // namespace

TEST_CASE("checkpoint: an MLP is rebuilt from the file alone, computing the same energies", "[checkpoint][mlp]") {
  const MlpEnergy<float, ember::Tanh> mlp({3, 8, 5}, /*seed=*/4, {.base_scale = 2.5f});
  ember::Checkpoint ck;
  ember::store(ck, "model", mlp);
  const std::string path = model_scratch("mlp.ckpt");
  ck.save(path);
  const auto back = ember::Checkpoint::load(path);
  std::remove(path.c_str());

  const auto rebuilt = ember::restore_mlp<float, ember::Tanh>(back, "model");
  CHECK(rebuilt.widths() == mlp.widths());
  CHECK(rebuilt.settings().base_scale == 2.5f);
  CHECK(rebuilt.params() == mlp.params());
  Batch<float> x(4, 3);
  ember::Philox(9).normal(x);
  Vector<float> e(4), e_back(4);
  mlp.energy(x, e);
  rebuilt.energy(x, e_back);
  CHECK(e_back == e);

  // restore into an existing network of the same architecture
  MlpEnergy<float, ember::Tanh> same({3, 8, 5}, /*seed=*/99, {.base_scale = 2.5f});
  ember::restore(back, "model", same);
  CHECK(same.params() == mlp.params());
}

TEST_CASE("checkpoint: restoring an MLP of another architecture names what differs", "[checkpoint][mlp][errors]") {
  ember::Checkpoint ck;
  ember::store(ck, "model", MlpEnergy<double>({2, 64, 64}, 1, {.base_scale = 4.0}));

  MlpEnergy<double> wider({2, 64, 64, 1}, 1, {.base_scale = 4.0});
  CHECK_THROWS_AS(ember::restore(ck, "model", wider), ember::checkpoint_error);
  CHECK_THROWS_WITH(ember::restore(ck, "model", wider),
                    Catch::Contains("MLP 'model': widths are {2, 64, 64} in the file, {2, 64, 64, 1} in the model"));
  MlpEnergy<double, ember::Softplus> softplus({2, 64, 64}, 1, {.base_scale = 4.0});
  CHECK_THROWS_WITH(ember::restore(ck, "model", softplus),
                    Catch::Contains("activation is 'silu' in the file, 'softplus' in the model"));
  CHECK_THROWS_WITH((ember::restore_mlp<double, ember::Tanh>(ck, "model")),
                    Catch::Contains("activation is 'silu' in the file, 'tanh' in the model"));
  MlpEnergy<double> no_base({2, 64, 64}, 1);
  CHECK_THROWS_WITH(ember::restore(ck, "model", no_base), Catch::Contains("base_scale is 4 in the file, 0 in the model"));
  CHECK_THROWS_WITH(ember::restore_mlp<double>(ck, "other"), Catch::Contains("'other.widths' is missing"));

  // Widths that do not fit the stored parameters are refused before any network is allocated.
  ember::Checkpoint forged = ck;
  forged.set_counts("model.widths", (Eigen::Matrix<ember::Index, 3, 1>() << 2, 1000000000, 64).finished());
  CHECK_THROWS_WITH(ember::restore_mlp<double>(forged, "model"),
                    Catch::Contains("widths {2, 1000000000, 64} do not describe a network of 4417 parameters"));
  forged.set_counts("model.widths", (Eigen::Matrix<ember::Index, 3, 1>() << 2, 32, 64).finished());
  CHECK_THROWS_WITH(ember::restore_mlp<double>(forged, "model"),
                    Catch::Contains("widths {2, 32, 64} do not describe a network of 4417 parameters"));
}
