#pragma once
// Small raster pictures for the example programs: an RGB image with lines, rectangles and text
// (stb_easy_font), a perceptual colour map, heat maps of a 2D density, scatter plots, line plots, and PNG
// output through stb_image_write (linked from Debian's libstb).
#include <ember/core/error.hpp>
#include <stb/stb_easy_font.h>
#include <stb/stb_image_write.h>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember::examples {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

inline constexpr Rgb white{255, 255, 255};
inline constexpr Rgb black{0, 0, 0};
inline constexpr Rgb grey{150, 150, 150};

/// Viridis at t ∈ [0, 1] (piecewise linear through 9 of its control points).
inline Rgb viridis(double t) {
  static constexpr std::array<std::array<double, 3>, 9> points{{{68, 1, 84},
                                                                {71, 44, 122},
                                                                {59, 81, 139},
                                                                {44, 113, 142},
                                                                {33, 144, 141},
                                                                {39, 173, 129},
                                                                {92, 200, 99},
                                                                {170, 220, 50},
                                                                {253, 231, 37}}};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * 8;
  const auto k = std::min<std::size_t>(7, static_cast<std::size_t>(t));
  const double f = t - static_cast<double>(k);
  Rgb c;
  c.r = static_cast<std::uint8_t>(std::lround(points[k][0] * (1 - f) + points[k + 1][0] * f));
  c.g = static_cast<std::uint8_t>(std::lround(points[k][1] * (1 - f) + points[k + 1][1] * f));
  c.b = static_cast<std::uint8_t>(std::lround(points[k][2] * (1 - f) + points[k + 1][2] * f));
  return c;
}

/// A few distinct line colours (Tableau 10).
inline Rgb palette(std::size_t k) {
  static constexpr std::array<Rgb, 8> colours{{{31, 119, 180},
                                               {255, 127, 14},
                                               {44, 160, 44},
                                               {214, 39, 40},
                                               {148, 103, 189},
                                               {140, 86, 75},
                                               {227, 119, 194},
                                               {127, 127, 127}}};
  return colours[k % colours.size()];
}

class Image {
 public:
  Image(int width, int height, Rgb background = white)
      : width_(width), height_(height), pixels_(static_cast<std::size_t>(3 * width * height)) {
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) set(x, y, background);
  }
  [[nodiscard]] int width() const { return width_; }
  [[nodiscard]] int height() const { return height_; }

  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
    const auto at = static_cast<std::size_t>(3 * (y * width_ + x));
    pixels_[at] = c.r;
    pixels_[at + 1] = c.g;
    pixels_[at + 2] = c.b;
  }
  [[nodiscard]] Rgb get(int x, int y) const {
    const auto at = static_cast<std::size_t>(3 * (y * width_ + x));
    return Rgb{pixels_[at], pixels_[at + 1], pixels_[at + 2]};
  }
  /// Copies `from` into `to` with its top-left corner at (x0, y0) (clipped).
  static void copy(const Image& from, Image& to, int x0, int y0 = 0) {
    for (int y = 0; y < from.height(); ++y)
      for (int x = 0; x < from.width(); ++x) to.set(x0 + x, y0 + y, from.get(x, y));
  }
  void fill_rect(int x0, int y0, int x1, int y1, Rgb c) {
    for (int y = std::max(0, y0); y < std::min(height_, y1); ++y)
      for (int x = std::max(0, x0); x < std::min(width_, x1); ++x) set(x, y, c);
  }
  /// A line from (x0, y0) to (x1, y1), `thickness` pixels wide (Bresenham with a square brush).
  void line(int x0, int y0, int x1, int y1, Rgb c, int thickness = 1) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    const int lo = -(thickness - 1) / 2, hi = thickness / 2;
    while (true) {
      for (int oy = lo; oy <= hi; ++oy)
        for (int ox = lo; ox <= hi; ++ox) set(x0 + ox, y0 + oy, c);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }
  void rect_outline(int x0, int y0, int x1, int y1, Rgb c) {
    line(x0, y0, x1, y0, c);
    line(x1, y0, x1, y1, c);
    line(x1, y1, x0, y1, c);
    line(x0, y1, x0, y0, c);
  }
  /// Text with its top-left corner at (x, y); `scale` magnifies stb_easy_font's ~7-pixel glyphs.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1) {
    std::vector<char> buffer(s.size() * 300 + 64);
    std::string copy = s;
    unsigned char colour[4] = {c.r, c.g, c.b, 255};
    const int quads = stb_easy_font_print(0, 0, copy.data(), colour, buffer.data(), static_cast<int>(buffer.size()));
    for (int q = 0; q < quads; ++q) {
      const auto* v = reinterpret_cast<const float*>(buffer.data() + 64 * q);  // 4 vertices of 16 bytes
      const float qx0 = v[0], qy0 = v[1], qx1 = v[8], qy1 = v[9];
      fill_rect(x + static_cast<int>(qx0) * scale, y + static_cast<int>(qy0) * scale, x + static_cast<int>(qx1) * scale,
                y + static_cast<int>(qy1) * scale, c);
    }
  }
  static int text_width(const std::string& s, int scale = 1) {
    std::string copy = s;
    return stb_easy_font_width(copy.data()) * scale;
  }
  void save_png(const std::string& path) const {
    if (!stbi_write_png(path.c_str(), width_, height_, 3, pixels_.data(), 3 * width_))
      throw ember::invalid_argument("cannot write PNG " + path);
  }

 private:
  int width_, height_;
  std::vector<std::uint8_t> pixels_;
};

/// Heat map of a density given on an n × n grid of cells (entry (i, j) at x = cell i, y = cell j, y up):
/// colour = viridis of p / max p, `pixels` × `pixels`, with a title underneath.
inline Image heat_map(const Eigen::MatrixXd& log_density, int pixels, const std::string& title) {
  const Eigen::Index n = log_density.rows();
  const int margin = 24;
  Image image(pixels, pixels + margin, white);
  const double top = log_density.maxCoeff();
  for (int py = 0; py < pixels; ++py)
    for (int px = 0; px < pixels; ++px) {
      const auto i = std::min<Eigen::Index>(n - 1, px * n / pixels);
      const auto j = std::min<Eigen::Index>(n - 1, (pixels - 1 - py) * n / pixels);
      image.set(px, py, viridis(std::exp(log_density(i, j) - top)));
    }
  image.text(6, pixels + 6, title, black, 2);
  return image;
}

/// Scatter plot of the rows of an N × 2 matrix inside the box [−half_width, half_width]²: each point darkens
/// its pixel (a 2D histogram shown with a square-root scale, so dense regions do not saturate at once).
inline Image scatter(const Eigen::MatrixXd& points, double half_width, int pixels, const std::string& title) {
  const int margin = 24;
  std::vector<double> counts(static_cast<std::size_t>(pixels * pixels), 0.0);
  for (Eigen::Index k = 0; k < points.rows(); ++k) {
    const double fx = (points(k, 0) + half_width) / (2 * half_width);
    const double fy = (points(k, 1) + half_width) / (2 * half_width);
    if (!(fx >= 0 && fx < 1 && fy >= 0 && fy < 1)) continue;
    const int px = static_cast<int>(fx * pixels), py = pixels - 1 - static_cast<int>(fy * pixels);
    for (int oy = 0; oy <= 1; ++oy)
      for (int ox = 0; ox <= 1; ++ox)
        if (px + ox < pixels && py + oy < pixels) counts[static_cast<std::size_t>((py + oy) * pixels + px + ox)] += 1;
  }
  const double top = std::max(1.0, *std::max_element(counts.begin(), counts.end()));
  Image image(pixels, pixels + margin, white);
  for (int py = 0; py < pixels; ++py)
    for (int px = 0; px < pixels; ++px) {
      const double c = counts[static_cast<std::size_t>(py * pixels + px)];
      if (c > 0) image.set(px, py, viridis(0.15 + 0.85 * std::sqrt(c / top)));
    }
  image.rect_outline(0, 0, pixels - 1, pixels - 1, grey);
  image.text(6, pixels + 6, title, black, 2);
  return image;
}

/// Line plot of several curves y_k(x) with a log-scale y axis (values ≤ 0 are clipped to the smallest positive
/// value shown), a legend and a title.
inline Image line_plot(const std::vector<std::vector<double>>& xs, const std::vector<std::vector<double>>& ys,
                       const std::vector<std::string>& labels, const std::string& title, const std::string& x_label,
                       const std::string& y_label, int width = 640, int height = 420) {
  Image image(width, height, white);
  const int left = 70, right = 20, top = 36, bottom = 44;
  double x_min = 1e300, x_max = -1e300, y_min = 1e300, y_max = -1e300;
  for (std::size_t k = 0; k < ys.size(); ++k)
    for (std::size_t i = 0; i < ys[k].size(); ++i) {
      x_min = std::min(x_min, xs[k][i]);
      x_max = std::max(x_max, xs[k][i]);
      if (ys[k][i] > 0 && std::isfinite(ys[k][i])) {
        y_min = std::min(y_min, ys[k][i]);
        y_max = std::max(y_max, ys[k][i]);
      }
    }
  if (!(y_min < y_max)) {
    y_min = y_min < 1e300 ? y_min / 10 : 1e-3;
    y_max = y_min * 100;
  }
  if (!(x_min < x_max)) x_max = x_min + 1;
  const double ly0 = std::floor(std::log10(y_min)), ly1 = std::ceil(std::log10(y_max));
  const int pw = width - left - right, ph = height - top - bottom;
  const auto px = [&](double x) { return left + static_cast<int>(std::lround((x - x_min) / (x_max - x_min) * pw)); };
  const auto py = [&](double y) {
    const double ly = std::log10(std::max(y, std::pow(10.0, ly0)));
    return top + ph - static_cast<int>(std::lround((ly - ly0) / (ly1 - ly0) * ph));
  };
  for (double d = ly0; d <= ly1; d += 1) {
    const int y = py(std::pow(10.0, d));
    image.line(left, y, left + pw, y, Rgb{225, 225, 225});
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "1e%d", static_cast<int>(d));
    image.text(left - Image::text_width(buffer, 2) - 6, y - 6, buffer, black, 2);
  }
  image.rect_outline(left, top, left + pw, top + ph, black);
  for (std::size_t k = 0; k < ys.size(); ++k) {
    const Rgb c = palette(k);
    for (std::size_t i = 1; i < ys[k].size(); ++i)
      image.line(px(xs[k][i - 1]), py(ys[k][i - 1]), px(xs[k][i]), py(ys[k][i]), c, 2);
    image.fill_rect(left + pw - 110, top + 8 + 18 * static_cast<int>(k), left + pw - 94,
                    top + 12 + 18 * static_cast<int>(k), c);
    image.text(left + pw - 88, top + 4 + 18 * static_cast<int>(k), labels[k], black, 2);
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%g", x_min);
  image.text(left, top + ph + 6, buffer, black, 2);
  std::snprintf(buffer, sizeof buffer, "%g", x_max);
  image.text(left + pw - Image::text_width(buffer, 2), top + ph + 6, buffer, black, 2);
  image.text(left + pw / 2 - Image::text_width(x_label, 2) / 2, top + ph + 22, x_label, black, 2);
  image.text(8, 8, title + "   (" + y_label + ", log scale)", black, 2);
  return image;
}

}  // namespace ember::examples
