// The README's "Using ember" example, compiled and run as a test so the README never drifts from the API.
#include <ember/ember.hpp>

#include <cstdio>

int main() {
  ember::Philox data_rng(0);
  ember::Batch<float> data(4096, 2);
  ember::GaussianMixtureEnergy<float>::eight_gaussians().sample(data, data_rng);

  // --- README example begins ---
  // Train a small MLP energy with diffusion contrastive divergence, then sample it.
  ember::MlpEnergy<float> energy({2, 64, 64}, /*seed=*/1, {.base_scale = 4.0f});
  ember::DiffusionContrastiveDivergence dcd(ember::Langevin<float>({.step_size = 0.01f}),
                                            ember::DcdSettings<float>{.noise_min = 0.2f, .noise_max = 0.2f, .steps = 10});
  ember::Adam<float> adam({.learning_rate = 1e-2f});
  ember::train(dcd, energy, adam, data, {.iterations = 1500, .batch_size = 256, .seed = 2});

  ember::Philox rng(42);                                       // always explicitly seeded
  ember::Batch<float> x(4096, 2);                              // 4096 chains, one per row
  rng.normal(x);                                               // started from N(0, I)
  ember::Mala<float> mala({.step_size = 0.01f});
  mala.run(energy, x, rng, 1000);
  // --- README example ends ---

  // The chains should have moved out to the ring of radius 2 where the data live.
  const float mean_radius = x.rowwise().norm().mean();
  std::printf("quickstart: mean radius of 4096 MALA chains %.3f (data: 2), acceptance %.2f\n", mean_radius,
              static_cast<double>(mala.acceptance_rate().mean()));
  return (mean_radius > 1.5f && mean_radius < 2.5f) ? 0 : 1;
}
