#pragma once
/// @file
/// @brief The 2D toy data sets of the EBM / flow literature, seeded with ember::Philox, with their exact
/// log-density wherever it is analytic.
///
/// All live in roughly [−4, 4]² (shapes after FFJORD's `toy_data.py`, Grathwohl et al. 2019; the two mixtures
/// are energy/gaussian_mixture.hpp's, so training targets and data agree exactly):
///
/// | name         | definition                                                            | exact log p |
/// |--------------|-----------------------------------------------------------------------|-------------|
/// | 8gaussians   | GaussianMixtureEnergy::eight_gaussians(): σ = 0.2 at radius 2          | yes         |
/// | 25gaussians  | GaussianMixtureEnergy::twenty_five_gaussians(): σ = 0.1 on {−2..2}²    | yes         |
/// | swissroll    | t = 1.5π(1 + 2u), (t cos t, t sin t)/5 + N(0, 0.2²I)                  | no          |
/// | 2spirals     | n = 3π√u, ±(−n cos n + u′/2, n sin n + u″/2)/3 + N(0, 0.1²I)           | no          |
/// | checkerboard | uniform on the 8 black squares of side 2 in [−4, 4]² (⌊x/2⌋ + ⌊y/2⌋ even) | yes (1/32) |
/// | rings        | 4 equally likely circles of radii 0.75, 1.5, 2.25, 3, blurred by N(0, 0.08²I) | yes      |
/// | moons        | the two half circles of scikit-learn's make_moons, ×2, centred, noise 0.2 | no       |
/// | pinwheel     | 5 arms: radial N(1, 0.3²), tangential N(0, 0.1²), rotated by 0.25·e^{radial}, ×2 | no  |
/// | circles      | 2 equally likely circles of radii 3 and 1.5, blurred by N(0, 0.24²I)  | yes         |
///
/// A circle of radius r blurred by N(0, σ²I) (a "radial Gaussian") has an exact density (data/detail/radial.hpp).
/// named() also accepts the twelve stress sets of stress2d.hpp (needles, student, uneven, …: Stress2d::names);
/// `names` lists the nine classic ones.
/// Sampling takes two draws (uniforms, normals) per call; chain i's point depends only on (seed, draw, i).
///
/// @code
/// auto data = ember::Toy2d<float>::named("rings");
/// ember::Batch<float> x = data.sample(5000, rng);          // 5000 × 2
/// @endcode

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/size_limit.hpp"
#include "ember/data/detail/radial.hpp"
#include "ember/data/stress2d.hpp"
#include "ember/energy/gaussian_mixture.hpp"

namespace ember {

/// The 2D toy data sets (see the table in toy2d.hpp); `stress` is any of stress2d.hpp's (see Toy2d::stress_kind).
enum class Toy2dKind { eight_gaussians, twenty_five_gaussians, swissroll, two_spirals, checkerboard, rings, moons,
                       pinwheel, circles, stress };

namespace detail {

inline constexpr std::array<double, 4> rings_radii{0.75, 1.5, 2.25, 3.0};
inline constexpr double rings_sigma = 0.08;
inline constexpr std::array<double, 2> circles_radii{3.0, 1.5};
inline constexpr double circles_sigma = 0.24;

}  // namespace detail

/// @brief A 2D toy distribution: exact sampler, and exact log-density where `has_log_density()`.
template <Scalar T>
class Toy2d {
 public:
  using scalar_type = T;

  /// The classic data-set names, in the order of Toy2dKind (named() also accepts Stress2d::names).
  static constexpr std::array<std::string_view, 9> names{"8gaussians", "25gaussians", "swissroll", "2spirals",
                                                         "checkerboard", "rings", "moons", "pinwheel", "circles"};

  /// @pre kind is not Toy2dKind::stress (use the Stress2dKind constructor).
  explicit Toy2d(Toy2dKind kind) : kind_(kind) {
    detail::require(kind != Toy2dKind::stress, "ember::Toy2d", "kind", "stress",
                    "name the stress set with the Stress2dKind constructor");
    if (kind == Toy2dKind::eight_gaussians) mixture_ = GaussianMixtureEnergy<T>::eight_gaussians();
    if (kind == Toy2dKind::twenty_five_gaussians) mixture_ = GaussianMixtureEnergy<T>::twenty_five_gaussians();
  }

  /// One of the stress suite's data sets (stress2d.hpp) behind the same interface.
  explicit Toy2d(Stress2dKind kind) : kind_(Toy2dKind::stress), stress_(Stress2d<T>(kind)) {}

  /// @brief The data set called `name` (one of `names` or Stress2d::names).
  /// @throws ember::invalid_argument listing the names.
  static Toy2d named(std::string_view name) {
    for (std::size_t k = 0; k < names.size(); ++k)
      if (names[k] == name) return Toy2d(static_cast<Toy2dKind>(k));
    for (std::size_t k = 0; k < Stress2d<T>::names.size(); ++k)
      if (Stress2d<T>::names[k] == name) return Toy2d(static_cast<Stress2dKind>(k));
    std::string known;
    for (auto n : names) known.append(known.empty() ? "" : ", ").append(n);
    known.append("; stress sets: ").append(Stress2d<T>::known());
    detail::require(false, "ember::Toy2d::named", "name", std::string(name), "unknown data set; known: " + known);
    return Toy2d(Toy2dKind::eight_gaussians);
  }

  [[nodiscard]] Toy2dKind kind() const { return kind_; }
  [[nodiscard]] std::string_view name() const {
    return stress_ ? stress_->name() : names[static_cast<std::size_t>(kind_)];
  }
  /// @pre kind() == Toy2dKind::stress.
  [[nodiscard]] Stress2dKind stress_kind() const {
    detail::require(stress_.has_value(), "ember::Toy2d::stress_kind", "data set", std::string(name()),
                    "is not a stress set");
    return stress_->kind();
  }
  [[nodiscard]] Index dim() const { return 2; }

  /// True for 8gaussians, 25gaussians, checkerboard, rings, circles and the stress sets but thin_spiral.
  [[nodiscard]] bool has_log_density() const {
    if (stress_) return stress_->has_log_density();
    return mixture_.has_value() || kind_ == Toy2dKind::checkerboard || kind_ == Toy2dKind::rings ||
           kind_ == Toy2dKind::circles;
  }

  /// @brief out(i) = log p(xᵢ) exactly (−∞ off the support of the checkerboard).
  /// @pre has_log_density(); x is N × 2 and finite; out has N entries.
  void log_density(BatchView<T> x, VectorRef<T> out) const {
    constexpr const char* fn = "ember::Toy2d::log_density";
    detail::require(has_log_density(), fn, "data set", std::string(name()), "has no analytic log-density");
    detail::require_batch(x, 2, fn, "x");
    detail::require_shape(out, x.rows(), 1, fn, "out");
    if (mixture_) {
      mixture_->log_density(x, out);
      return;
    }
    if (stress_) {
      stress_->log_density(x, out);
      return;
    }
    for (Index i = 0; i < x.rows(); ++i) {
      const double a = static_cast<double>(x(i, 0)), b = static_cast<double>(x(i, 1));
      double lp = 0;
      if (kind_ == Toy2dKind::checkerboard) {
        const bool inside = a >= -4 && a < 4 && b >= -4 && b < 4;
        const auto sum = static_cast<long>(std::floor(a / 2)) + static_cast<long>(std::floor(b / 2));
        lp = inside && sum % 2 == 0 ? -std::log(32.0) : -std::numeric_limits<double>::infinity();
      } else if (kind_ == Toy2dKind::rings) {
        lp = detail::log_radial_mixture(std::hypot(a, b), detail::rings_radii, detail::rings_sigma);
      } else {
        lp = detail::log_radial_mixture(std::hypot(a, b), detail::circles_radii, detail::circles_sigma);
      }
      out(i) = static_cast<T>(lp);
    }
  }

  /// @brief Fills every row of `out` (N × 2) with an independent draw; two generator draws.
  template <class G>
  void sample(BatchRef<T> out, G& rng) const {
    static_assert(Generator<G>, "ember::Toy2d::sample: the generator must model ember::Generator.");
    detail::require_shape(out, out.rows(), 2, "ember::Toy2d::sample", "out");
    if (mixture_) {
      mixture_->sample(out, rng);
      return;
    }
    if (stress_) {
      stress_->sample(out, rng);
      return;
    }
    const Index n = out.rows();
    Batch<double> u(n, 4), z(n, 4);
    rng.draw().template uniform<double>(u, 0);
    rng.draw().template normal<double>(z, 0);
    constexpr double pi = std::numbers::pi;
    for (Index i = 0; i < n; ++i) {
      double a = 0, b = 0;
      switch (kind_) {
        case Toy2dKind::swissroll: {
          const double t = 1.5 * pi * (1 + 2 * u(i, 0));
          a = (t * std::cos(t) + z(i, 0)) / 5;
          b = (t * std::sin(t) + z(i, 1)) / 5;
          break;
        }
        case Toy2dKind::two_spirals: {
          const double t = std::sqrt(u(i, 0)) * 3 * pi;
          const double sign = u(i, 3) < 0.5 ? 1.0 : -1.0;
          a = sign * (-std::cos(t) * t + 0.5 * u(i, 1)) / 3 + 0.1 * z(i, 0);
          b = sign * (std::sin(t) * t + 0.5 * u(i, 2)) / 3 + 0.1 * z(i, 1);
          break;
        }
        case Toy2dKind::checkerboard: {
          const double x1 = 4 * u(i, 0) - 2;
          const long column = static_cast<long>(std::floor(x1));
          const double x2 = u(i, 1) - (u(i, 2) < 0.5 ? 0.0 : 2.0) + static_cast<double>(((column % 2) + 2) % 2);
          a = 2 * x1;
          b = 2 * x2;
          break;
        }
        case Toy2dKind::rings:
        case Toy2dKind::circles: {
          const bool rings = kind_ == Toy2dKind::rings;
          const std::size_t k = rings ? std::min<std::size_t>(3, static_cast<std::size_t>(4 * u(i, 0)))
                                      : (u(i, 0) < 0.5 ? 0 : 1);
          const double r = rings ? detail::rings_radii[k] : detail::circles_radii[k];
          const double s = rings ? detail::rings_sigma : detail::circles_sigma;
          a = r * std::cos(2 * pi * u(i, 1)) + s * z(i, 0);
          b = r * std::sin(2 * pi * u(i, 1)) + s * z(i, 1);
          break;
        }
        case Toy2dKind::moons: {
          const double t = pi * u(i, 1);
          const bool outer = u(i, 0) < 0.5;
          const double mx = outer ? std::cos(t) : 1 - std::cos(t);
          const double my = outer ? std::sin(t) : 0.5 - std::sin(t);
          a = 2 * (mx - 0.5) + 0.2 * z(i, 0);
          b = 2 * (my - 0.25) + 0.2 * z(i, 1);
          break;
        }
        case Toy2dKind::pinwheel: {
          const double radial = 1 + 0.3 * z(i, 0);
          const double tangential = 0.1 * z(i, 1);
          const double arm = std::min(4.0, std::floor(5 * u(i, 0)));
          const double angle = 2 * pi * arm / 5 + 0.25 * std::exp(radial);
          a = 2 * (radial * std::cos(angle) + tangential * std::sin(angle));
          b = 2 * (-radial * std::sin(angle) + tangential * std::cos(angle));
          break;
        }
        default:
          break;
      }
      out(i, 0) = static_cast<T>(a);
      out(i, 1) = static_cast<T>(b);
    }
  }

  /// @brief n independent draws as a new n × 2 batch. @pre n ≥ 1.
  template <class G>
  Batch<T> sample(Index n, G& rng) const {
    detail::require_at_least_one(n, "ember::Toy2d::sample", "n");
    (void)detail::checked_allocation<T>(n, 2, "ember::Toy2d::sample", "n", n, "the samples");
    Batch<T> out(n, 2);
    sample(out, rng);
    return out;
  }

 private:
  Toy2dKind kind_;
  std::optional<GaussianMixtureEnergy<T>> mixture_;
  std::optional<Stress2d<T>> stress_;
};

}  // namespace ember
