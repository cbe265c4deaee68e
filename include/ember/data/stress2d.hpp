#pragma once
/// @file
/// @brief ember::Stress2d: twelve more 2D data sets, each built to break one assumption a training default might
/// quietly make (thin and anisotropic clusters, heavy tails, uneven mode weights, far-apart modes, two scales,
/// gaps, thin curves). Seeded with ember::Philox; exact log-density for all but the spiral.
///
/// All live in roughly [−4, 4]² like the classic sets (toy2d.hpp), and ember::Toy2d::named accepts these names
/// too, so every tool that takes a toy data set by name takes them. Rotation by φ is R(φ); N(c, R diag(a², b²) Rᵀ)
/// is an ellipse with standard deviations a along φ and b across; t₃ is Student's t with 3 degrees of freedom
/// (finite variance 3s², heavy tails: P(‖x − c‖ > r) = (1 + r²/(3s²))^{−3/2}).
///
/// | name        | definition                                                                   | stresses          |
/// |-------------|------------------------------------------------------------------------------|-------------------|
/// | needles     | 3 equal ellipses, sd 1 × 0.04, centres at radius 1.5 (90°, 210°, 330°), tangential | thin, anisotropic |
/// | ellipses    | 4 equal ellipses, sd 0.9 × 0.15, at (±2, ±2), φ = 45°, −45°, 0°, 90°          | anisotropy, orientation |
/// | student     | bivariate t₃, scale 0.5, at 0                                                 | heavy tails       |
/// | t_mixture   | 3 equal t₃ of scale 0.3 at radius 2 (90°, 210°, 330°)                          | heavy-tailed modes |
/// | uneven      | 8 Gaussians σ = 0.2 at radius 2.5 (k·45°), weights 1/2, 1/4, …, 1/128, 1/128    | uneven weights    |
/// | far_modes   | 2 Gaussians σ = 0.15 at (−3, −3) and (3, 3), weights 0.7 and 0.3              | far-apart modes   |
/// | two_scales  | N(0, 1.2²I) (weight 0.4) + 6 Gaussians σ = 0.05 at radius 2.5 (0.1 each)       | two scales        |
/// | stripes     | 4 bars of width 0.6 at x = −3, −1, 1, 3, y ∈ [−3, 3], blurred by N(0, 0.05²I)  | gaps, hard edges  |
/// | sine        | x ~ N(0, 1.2²), y = 2 sin(1.5x) + N(0, 0.05²)                                  | thin curve        |
/// | banana      | x ~ N(0, 1), y = 0.5x² − 2 + N(0, 0.2²)                                       | curved valley     |
/// | target      | circle of radius 3 blurred by N(0, 0.04²I) (weight 0.75) + N(0, 0.3²I) (0.25)  | thin ring, two scales |
/// | thin_spiral | t ~ U(0, 1): radius 0.3 + 3.2t, angle 5πt, + N(0, 0.03²I)                      | thin curve, no log p |
///
/// The blurred bar has the exact density (Φ((x − lo)/σ) − Φ((x − hi)/σ))/(hi − lo); the curves y = f(x) + N(0, τ²)
/// with x ~ N(0, s²) have p = N(x; 0, s²) N(y; f(x), τ²); the blurred circle is toy2d.hpp's radial Gaussian.
/// Sampling takes two draws (uniforms, normals) per call; row i's point depends only on (seed, draw, i).
///
/// @code
/// auto data = ember::Stress2d<float>::named("needles");   // or ember::Toy2d<float>::named("needles")
/// ember::Batch<float> x = data.sample(5000, rng);          // 5000 × 2
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/data/detail/radial.hpp"

namespace ember {

/// The stress data sets (see the table in stress2d.hpp).
enum class Stress2dKind { needles, ellipses, student, t_mixture, uneven, far_modes, two_scales, stripes, sine, banana,
                          target, thin_spiral };

namespace detail {

/// One elliptical mixture component: centre c, sd `along` in direction φ and `across` perpendicular to it;
/// Gaussian when dof = 0, else Student's t with `dof` degrees of freedom (an integer ≤ 3, so χ²_dof is a sum of
/// that many squared normals). make() precomputes cos φ, sin φ and the log of weight × normaliser.
struct EllipticalComponent {
  double weight, cx, cy, along, across, cos, sin, log_scale;
  int dof;

  static EllipticalComponent make(double weight, double cx, double cy, double along, double across, double angle,
                                  int dof = 0) {
    const double nu = dof;
    const double log_normaliser =
        dof == 0 ? -std::log(2 * std::numbers::pi)
                 : std::lgamma(0.5 * nu + 1) - std::lgamma(0.5 * nu) - std::log(nu * std::numbers::pi);
    return {weight, cx, cy, along, across, std::cos(angle), std::sin(angle),
            std::log(weight) - std::log(along * across) + log_normaliser, dof};
  }

  /// log(weight × density) at (a, b).
  [[nodiscard]] double log_density(double a, double b) const {
    const double p = (cos * (a - cx) + sin * (b - cy)) / along;
    const double q = (-sin * (a - cx) + cos * (b - cy)) / across;
    if (dof == 0) return log_scale - 0.5 * (p * p + q * q);
    return log_scale - (0.5 * dof + 1) * std::log1p((p * p + q * q) / dof);
  }

  /// The point c + R(φ) diag(along, across) (z₀, z₁) / sqrt(χ²/dof), χ² = Σ z₂..z_{1+dof}² (1 for a Gaussian).
  template <class Z>
  [[nodiscard]] std::array<double, 2> point(const Z& z) const {
    double scale = 1;
    if (dof > 0) {
      double chi2 = 0;
      for (int j = 0; j < dof; ++j) chi2 += z(2 + j) * z(2 + j);
      scale = std::sqrt(dof / chi2);
    }
    const double p = along * z(0) * scale, q = across * z(1) * scale;
    return {cx + cos * p - sin * q, cy + sin * p + cos * q};
  }
};

/// log Σ exp(parts), stable.
template <class Range>
double log_sum_exp(const Range& parts) {
  double top = -std::numeric_limits<double>::infinity();
  for (double v : parts) top = std::max(top, v);
  if (!std::isfinite(top)) return top;
  double sum = 0;
  for (double v : parts) sum += std::exp(v - top);
  return top + std::log(sum);
}

/// log of the density of U(lo, hi) + N(0, σ²) at x, reflected to the side of the nearer edge so the Φ difference
/// never cancels (−∞ only where it underflows, > 35σ outside).
inline double log_blurred_interval(double x, double lo, double hi, double sigma) {
  const double mid = 0.5 * (lo + hi);
  const double y = x > mid ? 2 * mid - x : x;  // symmetric about the middle
  const double r = 1 / (sigma * std::numbers::sqrt2);
  const double mass = 0.5 * (std::erfc((lo - y) * r) - std::erfc((hi - y) * r));  // Φ((y−lo)/σ) − Φ((y−hi)/σ)
  return std::log(mass) - std::log(hi - lo);
}

inline constexpr std::array<double, 4> stripe_centres{-3.0, -1.0, 1.0, 3.0};
inline constexpr double stripe_half_width = 0.3, stripe_half_height = 3.0, stripe_blur = 0.05;

}  // namespace detail

/// @brief A 2D stress data set: exact sampler, and exact log-density where `has_log_density()`.
template <Scalar T>
class Stress2d {
 public:
  using scalar_type = T;

  /// The data-set names accepted by named(), in the order of Stress2dKind.
  static constexpr std::array<std::string_view, 12> names{"needles",   "ellipses", "student",    "t_mixture",
                                                          "uneven",    "far_modes", "two_scales", "stripes",
                                                          "sine",      "banana",   "target",     "thin_spiral"};

  explicit Stress2d(Stress2dKind kind) : kind_(kind), components_(components_of(kind)) {}

  /// @brief The data set called `name` (one of `names`). @throws ember::invalid_argument listing the names.
  static Stress2d named(std::string_view name) {
    for (std::size_t k = 0; k < names.size(); ++k)
      if (names[k] == name) return Stress2d(static_cast<Stress2dKind>(k));
    detail::require(false, "ember::Stress2d::named", "name", std::string(name), "unknown data set; known: " + known());
    return Stress2d(Stress2dKind::needles);
  }

  /// The names, comma-separated (for messages and help texts).
  static std::string known() {
    std::string list;
    for (auto n : names) list.append(list.empty() ? "" : ", ").append(n);
    return list;
  }

  [[nodiscard]] Stress2dKind kind() const { return kind_; }
  [[nodiscard]] std::string_view name() const { return names[static_cast<std::size_t>(kind_)]; }
  [[nodiscard]] Index dim() const { return 2; }

  /// True for all but thin_spiral.
  [[nodiscard]] bool has_log_density() const { return kind_ != Stress2dKind::thin_spiral; }

  /// @brief out(i) = log p(xᵢ) exactly. @pre has_log_density(); x is N × 2 and finite; out has N entries.
  void log_density(BatchView<T> x, VectorRef<T> out) const {
    constexpr const char* fn = "ember::Stress2d::log_density";
    detail::require(has_log_density(), fn, "data set", std::string(name()), "has no analytic log-density");
    detail::require_batch(x, 2, fn, "x");
    detail::require_shape(out, x.rows(), 1, fn, "out");
    for (Index i = 0; i < x.rows(); ++i)
      out(i) = static_cast<T>(log_density_at(static_cast<double>(x(i, 0)), static_cast<double>(x(i, 1))));
  }

  /// @brief Fills every row of `out` (N × 2) with an independent draw; two generator draws.
  template <class G>
  void sample(BatchRef<T> out, G& rng) const {
    static_assert(Generator<G>, "ember::Stress2d::sample: the generator must model ember::Generator.");
    detail::require_shape(out, out.rows(), 2, "ember::Stress2d::sample", "out");
    const Index n = out.rows();
    Batch<double> u(n, 3), z(n, 5);
    rng.draw().template uniform<double>(u, 0);
    rng.draw().template normal<double>(z, 0);
    for (Index i = 0; i < n; ++i) {
      const auto [a, b] = point(u.row(i), z.row(i));
      out(i, 0) = static_cast<T>(a);
      out(i, 1) = static_cast<T>(b);
    }
  }

  /// @brief n independent draws as a new n × 2 batch. @pre n ≥ 1.
  template <class G>
  Batch<T> sample(Index n, G& rng) const {
    detail::require_at_least_one(n, "ember::Stress2d::sample", "n");
    Batch<T> out(n, 2);
    sample(out, rng);
    return out;
  }

 private:
  static std::vector<detail::EllipticalComponent> components_of(Stress2dKind kind) {
    constexpr double pi = std::numbers::pi, deg = pi / 180;
    using C = detail::EllipticalComponent;
    std::vector<C> c;
    switch (kind) {
      case Stress2dKind::needles:
        for (double at : {90.0, 210.0, 330.0})
          c.push_back(C::make(1.0 / 3, 1.5 * std::cos(at * deg), 1.5 * std::sin(at * deg), 1.0, 0.04, (at + 90) * deg));
        break;
      case Stress2dKind::ellipses:
        c.push_back(C::make(0.25, 2, 2, 0.9, 0.15, 45 * deg));
        c.push_back(C::make(0.25, -2, 2, 0.9, 0.15, -45 * deg));
        c.push_back(C::make(0.25, -2, -2, 0.9, 0.15, 0));
        c.push_back(C::make(0.25, 2, -2, 0.9, 0.15, 90 * deg));
        break;
      case Stress2dKind::student:
        c.push_back(C::make(1.0, 0, 0, 0.5, 0.5, 0, 3));
        break;
      case Stress2dKind::t_mixture:
        for (double at : {90.0, 210.0, 330.0})
          c.push_back(C::make(1.0 / 3, 2 * std::cos(at * deg), 2 * std::sin(at * deg), 0.3, 0.3, 0, 3));
        break;
      case Stress2dKind::uneven:
        for (int k = 0; k < 8; ++k)  // weights 2⁻ᵏ⁻¹, the last one 2⁻⁷ too so that they sum to 1
          c.push_back(C::make(std::ldexp(1.0, -std::min(k + 1, 7)), 2.5 * std::cos(k * pi / 4),
                              2.5 * std::sin(k * pi / 4), 0.2, 0.2, 0));
        break;
      case Stress2dKind::far_modes:
        c.push_back(C::make(0.7, -3, -3, 0.15, 0.15, 0));
        c.push_back(C::make(0.3, 3, 3, 0.15, 0.15, 0));
        break;
      case Stress2dKind::two_scales:
        c.push_back(C::make(0.4, 0, 0, 1.2, 1.2, 0));
        for (int k = 0; k < 6; ++k)
          c.push_back(C::make(0.1, 2.5 * std::cos(k * pi / 3), 2.5 * std::sin(k * pi / 3), 0.05, 0.05, 0));
        break;
      default:
        break;
    }
    return c;
  }

  double log_density_at(double a, double b) const {
    constexpr double log_2pi = 1.8378770664093454836;  // log 2π
    const auto log_normal = [&](double v, double sd) { return -0.5 * log_2pi - std::log(sd) - 0.5 * (v / sd) * (v / sd); };
    switch (kind_) {
      case Stress2dKind::stripes: {
        std::array<double, 4> parts{};
        for (std::size_t k = 0; k < parts.size(); ++k)
          parts[k] = detail::log_blurred_interval(a, detail::stripe_centres[k] - detail::stripe_half_width,
                                                  detail::stripe_centres[k] + detail::stripe_half_width,
                                                  detail::stripe_blur);
        return detail::log_sum_exp(parts) - std::log(4.0) +
               detail::log_blurred_interval(b, -detail::stripe_half_height, detail::stripe_half_height,
                                            detail::stripe_blur);
      }
      case Stress2dKind::sine:
        return log_normal(a, 1.2) + log_normal(b - 2 * std::sin(1.5 * a), 0.05);
      case Stress2dKind::banana:
        return log_normal(a, 1.0) + log_normal(b - (0.5 * a * a - 2), 0.2);
      case Stress2dKind::target: {
        const std::array<double, 2> parts{
            std::log(0.75) + detail::log_radial_mixture(std::hypot(a, b), std::array<double, 1>{3.0}, 0.04),
            std::log(0.25) + log_normal(a, 0.3) + log_normal(b, 0.3)};
        return detail::log_sum_exp(parts);
      }
      default: {  // the elliptical mixtures
        std::array<double, 8> parts{};
        parts.fill(-std::numeric_limits<double>::infinity());
        for (std::size_t k = 0; k < components_.size(); ++k) parts[k] = components_[k].log_density(a, b);
        return detail::log_sum_exp(parts);
      }
    }
  }

  // One point from row i's uniforms u (3) and normals z (5).
  template <class U, class Z>
  std::array<double, 2> point(const U& u, const Z& z) const {
    constexpr double pi = std::numbers::pi;
    switch (kind_) {
      case Stress2dKind::stripes: {
        const auto k = std::min<std::size_t>(3, static_cast<std::size_t>(4 * u(0)));
        return {detail::stripe_centres[k] + detail::stripe_half_width * (2 * u(1) - 1) + detail::stripe_blur * z(0),
                detail::stripe_half_height * (2 * u(2) - 1) + detail::stripe_blur * z(1)};
      }
      case Stress2dKind::sine: {
        const double a = 1.2 * z(0);
        return {a, 2 * std::sin(1.5 * a) + 0.05 * z(1)};
      }
      case Stress2dKind::banana:
        return {z(0), 0.5 * z(0) * z(0) - 2 + 0.2 * z(1)};
      case Stress2dKind::target: {
        if (u(0) < 0.25) return {0.3 * z(0), 0.3 * z(1)};
        const double angle = 2 * pi * u(1);
        return {3 * std::cos(angle) + 0.04 * z(0), 3 * std::sin(angle) + 0.04 * z(1)};
      }
      case Stress2dKind::thin_spiral: {
        const double t = u(0), radius = 0.3 + 3.2 * t, angle = 5 * pi * t;
        return {radius * std::cos(angle) + 0.03 * z(0), radius * std::sin(angle) + 0.03 * z(1)};
      }
      default: {  // the elliptical mixtures: pick a component by its cumulative weight
        std::size_t k = 0;
        double cumulative = components_[0].weight;
        while (k + 1 < components_.size() && u(0) >= cumulative) cumulative += components_[++k].weight;
        return components_[k].point(z);
      }
    }
  }

  Stress2dKind kind_;
  std::vector<detail::EllipticalComponent> components_;
};

}  // namespace ember
