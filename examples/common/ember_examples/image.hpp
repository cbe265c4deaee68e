#pragma once
// Small raster pictures for the example programs: an RGB image with lines, rectangles and text
// (stb_easy_font), two colour maps (viridis, greys) and PNG output through stb_image_write (linked from Debian's
// libstb). The plots themselves (axes, colour bars, legends) are in plot.hpp.
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

/// A colour map: t ∈ [0, 1] → colour.
using ColourMap = Rgb (*)(double);

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

/// Grey from black (t = 0) to white (t = 1).
inline Rgb greys(double t) {
  if (!std::isfinite(t)) t = 0;
  const auto v = static_cast<std::uint8_t>(std::lround(255 * std::clamp(t, 0.0, 1.0)));
  return Rgb{v, v, v};
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
  /// Text with its top-left corner at (x, y); `scale` magnifies stb_easy_font's glyphs (rows 0 to 9 of a line).
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1) {
    glyph_quads(s, [&](int x0, int y0, int x1, int y1) {
      fill_rect(x + x0 * scale, y + y0 * scale, x + x1 * scale, y + y1 * scale, c);
    });
  }
  /// The width in pixels of the glyphs `text` draws (without the trailing advance).
  static int text_width(const std::string& s, int scale = 1) {
    int right = 0;
    glyph_quads(s, [&](int, int, int x1, int) { right = std::max(right, x1); });
    return right * scale;
  }
  /// The height of a line of text, descenders included.
  static int text_height(int scale = 1) { return 10 * scale; }
  void save_png(const std::string& path) const {
    if (!stbi_write_png(path.c_str(), width_, height_, 3, pixels_.data(), 3 * width_))
      throw ember::invalid_argument("cannot write PNG " + path);
  }

 private:
  // The unscaled filled rectangles of `s`: stb_easy_font's quads, except '|', which stb_easy_font draws exactly
  // like 'l': here a bar through the whole line (rows 0 to 9), longer than any letter.
  template <class Quad>
  static void glyph_quads(const std::string& s, Quad&& quad) {
    int advance = 0;
    std::size_t begin = 0;
    while (begin <= s.size()) {
      const std::size_t end = std::min(s.find('|', begin), s.size());
      if (end > begin) {
        std::string run = s.substr(begin, end - begin);
        std::vector<char> buffer(run.size() * 2048 + 64);  // 64 bytes a quad, at most 32 quads a glyph
        const int quads = stb_easy_font_print(0, 0, run.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
        for (int q = 0; q < quads; ++q) {
          const auto* v = reinterpret_cast<const float*>(buffer.data() + 64 * q);  // 4 vertices of 16 bytes
          quad(advance + static_cast<int>(v[0]), static_cast<int>(v[1]), advance + static_cast<int>(v[8]),
               static_cast<int>(v[9]));
        }
        advance += stb_easy_font_width(run.data());
      }
      if (end == s.size()) break;
      quad(advance + 1, 0, advance + 2, 10);
      advance += 4;
      begin = end + 1;
    }
  }

  int width_, height_;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace ember::examples
