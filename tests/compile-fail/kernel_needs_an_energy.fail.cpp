// expect: the energy type must model ember::Energy
// A type without energy()/energy_and_gradient() handed to a kernel must fail with that sentence.
#include <ember/simd/random.hpp>
#include <ember/mcmc/langevin.hpp>

struct NotAnEnergy {
  using scalar_type = double;
};

int main() {
  ember::Langevin<double> kernel;
  ember::Philox rng(1);
  ember::Batch<double> x(4, 2);
  kernel.step(NotAnEnergy{}, x, rng);
}
