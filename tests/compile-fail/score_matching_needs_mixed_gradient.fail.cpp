// expect: must model ember::MixedGradientEnergy: score matching's loss contains
// An energy with value, ∇ₓ and ∇θ but no mixed product trains with CD, yet score matching needs the product.
#include <ember/simd/random.hpp>
#include <ember/divergence/score_matching.hpp>

struct NoMixedProduct {
  using scalar_type = double;
  ember::Vector<double> theta = ember::Vector<double>::Ones(1);
  [[nodiscard]] ember::Index dim() const { return 1; }
  ember::Vector<double>& params() { return theta; }
  const ember::Vector<double>& params() const { return theta; }
  void energy(ember::BatchView<double> x, ember::VectorRef<double> e) const { e = x.col(0); }
  void energy_and_gradient(ember::BatchView<double> x, ember::VectorRef<double> e, ember::BatchRef<double> g) const {
    e = x.col(0);
    g.setOnes();
  }
  void accumulate_param_gradient(ember::BatchView<double>, ember::VectorView<double>, ember::VectorRef<double>) const {}
};

int main() {
  ember::DenoisingScoreMatching<double> dsm({.noise_scale = 0.1});
  ember::Philox rng(1);
  ember::Batch<double> x = ember::Batch<double>::Zero(4, 1);
  dsm.estimate(NoMixedProduct{}, x, rng);
}
