#pragma once
// Plots a person can read without the README: axes with ticks in data units, a colour bar that says what the
// colour means and its scale, a title, legends outside the data area. Drawn by image.hpp (stb_easy_font text,
// PNG through stb_image_write), so the example programs need no plotting runtime. Every label, panel and colour
// bar is recorded in Figure::layout, so that a test can check that nothing is clipped or covered.
//
//   auto fig = ember::examples::density_figure({{"", density}}, {.title = "8gaussians: dcd model density"});
//   fig.save_png("density.png");
#include "ember_examples/image.hpp"

#include <ember/core/error.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace ember::examples {

/// A pixel rectangle [x0, x1) × [y0, y1).
struct Box {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  [[nodiscard]] int width() const { return x1 - x0; }
  [[nodiscard]] int height() const { return y1 - y0; }
  [[nodiscard]] bool inside(const Box& outer) const {
    return x0 >= outer.x0 && y0 >= outer.y0 && x1 <= outer.x1 && y1 <= outer.y1;
  }
  [[nodiscard]] bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

/// Where a figure drew what (for tests): the data areas, the colour bars and every piece of text.
struct Layout {
  struct Label {
    std::string text;
    Box box;
  };
  struct ColourBar {
    Box box;            ///< the coloured strip (top row: the largest value)
    ColourMap map;      ///< its colour map
    double lo = 0, hi = 1;
  };
  std::vector<Box> panels;
  std::vector<ColourBar> colour_bars;
  std::vector<Label> labels;
  std::optional<Box> legend;
};

/// An image and its layout.
struct Figure {
  Image image;
  Layout layout;
  Figure(int width, int height) : image(width, height, white) {}
  [[nodiscard]] Box bounds() const { return {0, 0, image.width(), image.height()}; }
  void save_png(const std::string& path) const { image.save_png(path); }

  /// Text anchored at (x, y): `h` 0 left, 1 centre, 2 right edge at x; `v` 0 top, 1 middle, 2 bottom at y.
  /// Only printable ASCII: stb_easy_font has no other glyphs (write "KL(p || q)", "x^2", not ‖ or ²).
  Box text(int x, int y, const std::string& s, int scale = 2, int h = 0, int v = 0, Rgb colour = black) {
    check_text(s);
    const int w = Image::text_width(s, scale), th = Image::text_height(scale);
    const Box box{x - h * w / 2, y - v * th / 2, x - h * w / 2 + w, y - v * th / 2 + th};
    image.text(box.x0, box.y0, s, colour, scale);
    layout.labels.push_back({s, box});
    return box;
  }
  /// Text turned 90° anticlockwise (read from bottom to top), centred at (x, y).
  Box text_up(int x, int y, const std::string& s, int scale = 2, Rgb colour = black) {
    check_text(s);
    const int w = Image::text_width(s, scale), th = Image::text_height(scale);
    Image flat(w, th, white);
    flat.text(0, 0, s, colour, scale);
    const Box box{x - th / 2, y - w / 2, x - th / 2 + th, y - w / 2 + w};
    for (int fy = 0; fy < th; ++fy)
      for (int fx = 0; fx < w; ++fx)
        if (const Rgb c = flat.get(fx, fy); c.r != 255 || c.g != 255 || c.b != 255)
          image.set(box.x0 + fy, box.y1 - 1 - fx, c);
    layout.labels.push_back({s, box});
    return box;
  }

 private:
  static void check_text(const std::string& s) {
    for (const char ch : s)
      ember::detail::require(ch >= 32 && ch < 127, "ember::examples::Figure::text", "s", s,
                             "has a character stb_easy_font cannot draw (printable ASCII only)");
  }
};

/// `s` with each byte the font cannot draw replaced by '?': for names from outside (a file path) in titles.
inline std::string printable(std::string s) {
  for (char& ch : s)
    if (ch < 32 || ch >= 127) ch = '?';
  return s;
}

// ---- ticks ---------------------------------------------------------------------------------------------------

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `span` (Heckbert's rule).
inline double nice_step(double span, int target = 5) {
  if (!(span > 0) || !std::isfinite(span)) return 1;
  const double raw = span / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * magnitude;
}

/// The multiples of a nice step that lie in [lo, hi]: nice_step(hi − lo, target), or a smaller one where that
/// leaves fewer than two ticks inside (9 wide with a step of 5: only 0; with 2: −4, −2, 0, 2, 4).
inline std::vector<double> nice_ticks(double lo, double hi, int target = 5) {
  double step = nice_step(hi - lo, target);
  std::vector<double> ticks;
  for (int attempt = 0; attempt < 3 && ticks.size() < 2; ++attempt) {
    if (attempt > 0) {  // the next smaller nice step: 5 → 2 → 1 → 0.5
      const double magnitude = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
      const long f = std::lround(step / magnitude);
      step = f == 1 ? magnitude / 2 : f == 2 ? magnitude : f == 5 ? 2 * magnitude : 5 * magnitude;
    }
    ticks.clear();
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k += 1)
      ticks.push_back(std::abs(k) < 0.5 ? 0.0 : k * step);
  }
  return ticks;
}

/// A tick label with as many decimals as the step needs ("0.3", not "0.30000000000000004"; "0", not "-0").
inline std::string tick_text(double value, double step) {
  if (std::abs(value) < 1e-9 * std::abs(step)) return "0";
  char buffer[48];
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(std::abs(step)) + 1e-9)));
  if (std::abs(value) >= 1e6 || decimals > 5)
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
  else
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

/// 10^k as a tick label: plain between 0.001 and 100000, else "1e-5".
inline std::string decade_text(int k) {
  if (k >= 0 && k <= 5) return std::string("1") + std::string(static_cast<std::size_t>(k), '0');
  if (k < 0 && k >= -3) return "0." + std::string(static_cast<std::size_t>(-k - 1), '0') + "1";
  return "1e" + std::to_string(k);
}

/// One axis: its range in data units, a label, and a linear or log10 scale.
struct Axis {
  double lo = 0, hi = 1;
  std::string label{};
  bool log = false;

  /// Ticks (value, text) inside [lo, hi] for an axis `pixels` long, about `spacing` pixels apart: nice numbers,
  /// or decades (also 2× and 5× where there is room).
  [[nodiscard]] std::vector<std::pair<double, std::string>> ticks(int pixels, int spacing = 50) const {
    const int target = std::clamp(pixels / spacing, 2, 8);
    std::vector<std::pair<double, std::string>> out;
    if (!log) {
      const auto values = nice_ticks(lo, hi, target);
      const double step = values.size() > 1 ? values[1] - values[0] : nice_step(hi - lo, target);
      for (const double t : values) out.emplace_back(t, tick_text(t, step));
      return out;
    }
    const int k0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9)), k1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    const bool room_for_more = 3 * (k1 - k0) <= target;           // 2× and 5× labelled too
    const int every = std::max(1, (k1 - k0 + target - 1) / target);  // else every decade, or every other, ...
    for (int k = k0; k <= k1; ++k)
      for (const double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, k);
        if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
        if (m == 1.0 && (k - k0) % every == 0) out.emplace_back(v, decade_text(k));
        else if (m != 1.0 && room_for_more) out.emplace_back(v, tick_text(v, std::pow(10.0, k)));
      }
    return out;
  }
  /// The fraction of the way from lo to hi at which v lies.
  [[nodiscard]] double fraction(double v) const {
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
  }
  /// The widest tick label, in pixels at `scale`.
  [[nodiscard]] int widest_tick(int pixels, int spacing = 50, int scale = 2) const {
    int w = 0;
    for (const auto& [v, s] : ticks(pixels, spacing)) w = std::max(w, Image::text_width(s, scale));
    return w;
  }
};

// ---- axes, colour bars, legends ------------------------------------------------------------------------------

inline constexpr int tick_length = 5;
inline constexpr int label_gap = 6;  // between a tick and its label, a label and the axis title

inline int x_pixel(const Axis& a, const Box& panel, double v) {
  return panel.x0 + static_cast<int>(std::lround(a.fraction(v) * (panel.width() - 1)));
}
inline int y_pixel(const Axis& a, const Box& panel, double v) {
  return panel.y1 - 1 - static_cast<int>(std::lround(a.fraction(v) * (panel.height() - 1)));
}

/// Room an axis needs outside its panel: left of it (y) or under it (x).
inline int left_room(const Axis& y, int pixels, bool tick_labels = true) {
  return tick_length + (tick_labels ? label_gap + y.widest_tick(pixels) : 0) + (y.label.empty() ? 0 : label_gap + Image::text_height(2)) + 2;
}
inline int bottom_room(const Axis& x, bool tick_labels = true) {
  return tick_length + (tick_labels ? label_gap + Image::text_height(2) : 0) +
         (x.label.empty() ? 0 : label_gap + Image::text_height(2)) + 2;
}

/// The frame of `panel`, ticks outside it, tick labels and axis titles; grid lines inside when `grid`.
inline void draw_axes(Figure& f, const Box& panel, const Axis& x, const Axis& y, bool grid = false,
                      bool x_tick_labels = true, bool y_tick_labels = true) {
  const Rgb grid_colour{225, 225, 225};
  for (const auto& [v, s] : x.ticks(panel.width(), 100)) {
    const int px = x_pixel(x, panel, v);
    if (grid) f.image.line(px, panel.y0, px, panel.y1 - 1, grid_colour);
    f.image.line(px, panel.y1, px, panel.y1 + tick_length, black);
    if (x_tick_labels) f.text(px, panel.y1 + tick_length + label_gap, s, 2, 1, 0);
  }
  int widest = 0;
  for (const auto& [v, s] : y.ticks(panel.height())) {
    const int py = y_pixel(y, panel, v);
    if (grid) f.image.line(panel.x0, py, panel.x1 - 1, py, grid_colour);
    f.image.line(panel.x0 - 1 - tick_length, py, panel.x0 - 1, py, black);
    if (y_tick_labels) widest = std::max(widest, f.text(panel.x0 - 1 - tick_length - label_gap, py, s, 2, 2, 1).width());
  }
  f.image.rect_outline(panel.x0 - 1, panel.y0 - 1, panel.x1, panel.y1, black);
  if (!x.label.empty())
    f.text((panel.x0 + panel.x1) / 2,
           panel.y1 + tick_length + (x_tick_labels ? label_gap + Image::text_height(2) : 0) + label_gap, x.label, 2, 1, 0);
  if (!y.label.empty())
    f.text_up(panel.x0 - 1 - tick_length - (y_tick_labels ? label_gap + widest : 0) - label_gap - Image::text_height(2) / 2,
              (panel.y0 + panel.y1) / 2, y.label);
}

/// `text` cut into lines of at most `width` pixels: at "; " first, then at spaces (a longer word stays whole).
inline std::vector<std::string> wrap(const std::string& text, int width, int scale = 2) {
  std::vector<std::string> lines;
  std::size_t phrase = 0;
  while (phrase < text.size()) {
    const std::size_t phrase_end = std::min(text.find("; ", phrase), text.size());
    std::string line;
    std::size_t begin = phrase;
    while (begin < phrase_end) {
      const std::size_t end = std::min(text.find(' ', begin), phrase_end);
      const std::string word = text.substr(begin, end - begin);
      if (!line.empty() && Image::text_width(line + " " + word, scale) > width) {
        lines.push_back(line);
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
      begin = end + 1;
    }
    if (!line.empty()) lines.push_back(line);
    phrase = phrase_end + 2;
  }
  return lines;
}

/// Room a colour bar of `width` × `height` pixels needs, its ticks and label (wrapped along it) included.
inline int colour_bar_room(int width, int height, const Axis& scale) {
  const auto lines = static_cast<int>(wrap(scale.label, height).size());
  return width + tick_length + label_gap + scale.widest_tick(height) + lines * (label_gap + Image::text_height(2)) + 2;
}

/// A vertical colour bar in `bar`: bottom row = scale.lo (map(0)), top row = scale.hi (map(1)), with ticks in
/// the data's units and the label (what the colour is) turned along its right side.
inline void draw_colour_bar(Figure& f, const Box& bar, const Axis& scale, ColourMap map) {
  for (int y = bar.y0; y < bar.y1; ++y) {
    const double t = static_cast<double>(bar.y1 - 1 - y) / std::max(1, bar.height() - 1);
    for (int x = bar.x0; x < bar.x1; ++x) f.image.set(x, y, map(t));
  }
  f.image.rect_outline(bar.x0 - 1, bar.y0 - 1, bar.x1, bar.y1, black);
  int widest = 0;
  for (const auto& [v, s] : scale.ticks(bar.height())) {
    const int py = y_pixel(scale, bar, v);
    f.image.line(bar.x1, py, bar.x1 + tick_length, py, black);
    widest = std::max(widest, f.text(bar.x1 + tick_length + label_gap, py, s, 2, 0, 1).width());
  }
  int x = bar.x1 + tick_length + label_gap + widest;
  for (const auto& line : wrap(scale.label, bar.height())) {  // lines along the bar, read bottom to top
    f.text_up(x + label_gap + Image::text_height(2) / 2, (bar.y0 + bar.y1) / 2, line);
    x += label_gap + Image::text_height(2);
  }
  f.layout.colour_bars.push_back({bar, map, scale.lo, scale.hi});
}

/// A line series of a line figure.
struct Series {
  std::string name{};
  std::vector<double> x{}, y{};
  bool dashed = false;  ///< reference lines (a bound, a known optimum)
};

/// Legend entries (a short line in the series' colour, then its name) from the top-left corner (x, y).
inline Box draw_legend(Figure& f, int x, int y, const std::vector<Series>& series) {
  const int row = Image::text_height(2) + 8, swatch = 24;
  int widest = 0;
  for (const auto& s : series) widest = std::max(widest, Image::text_width(s.name, 2));
  const Box box{x, y, x + 8 + swatch + 8 + widest + 8, y + 6 + row * static_cast<int>(series.size())};
  f.image.rect_outline(box.x0, box.y0, box.x1 - 1, box.y1 - 1, grey);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const int cy = y + 6 + row * static_cast<int>(k) + Image::text_height(2) / 2;
    for (int px = x + 8; px < x + 8 + swatch; ++px)
      if (!series[k].dashed || (px - x) % 8 < 5) f.image.fill_rect(px, cy - 1, px + 1, cy + 2, palette(k));
    f.text(x + 8 + swatch + 8, cy, series[k].name, 2, 0, 1);
  }
  f.layout.legend = box;
  return box;
}

/// Title lines centred at the top; returns the y under them.
inline int draw_title(Figure& f, const std::vector<std::string>& lines, int y = 10) {
  for (std::size_t k = 0; k < lines.size(); ++k) {
    f.text(f.image.width() / 2, y, lines[k], 2, 1, 0);
    y += Image::text_height(2) + 6;
  }
  return y;
}

inline int widest_line(const std::vector<std::string>& lines, int scale = 2) {
  int w = 0;
  for (const auto& s : lines) w = std::max(w, Image::text_width(s, scale));
  return w;
}

// ---- figures -------------------------------------------------------------------------------------------------

/// One panel of a density figure: values on an n × n grid of cells covering the panel's square (entry (i, j)
/// at x = cell i, y = cell j, y up), in the colour bar's units.
struct DensityPanel {
  std::string name{};  ///< written above the panel (empty: none)
  Eigen::MatrixXd values{};
};

struct DensitySettings {
  std::vector<std::string> title{};                       ///< lines: data set, method, what is shown
  std::string colour_label = "density p(x, y)";         ///< what the colour is
  double half_width = 4.5;                              ///< the panels show [-half_width, half_width]^2
  double top = 0;                                       ///< the value of the top colour; 0: the largest shown
  double top_cap = 0;                                   ///< with top = 0: at most this (0: no cap)
  int panel_pixels = 320;
  int columns = 0;                                      ///< panels per row (0: all in one row)
  std::vector<std::string> caption{};                     ///< lines under the figure
};

/// Density panels side by side on one linear colour scale from 0 to `top` (values above it take the top colour
/// and the colour bar's label says so), axes in data units, one colour bar on the right.
inline Figure density_figure(const std::vector<DensityPanel>& panels, const DensitySettings& s) {
  ember::detail::require(!panels.empty(), "ember::examples::density_figure", "panels", 0, "must not be empty");
  double largest = 0;
  for (const auto& p : panels)
    for (Eigen::Index k = 0; k < p.values.size(); ++k)
      if (std::isfinite(p.values.data()[k])) largest = std::max(largest, p.values.data()[k]);
  double top = s.top > 0 ? s.top : (largest > 0 ? largest : 1);
  if (s.top <= 0 && s.top_cap > 0) top = std::min(top, s.top_cap);
  Axis scale{0, top, s.colour_label};
  if (largest > top * (1 + 1e-9)) scale.label += "; clipped above " + tick_text(top, nice_step(top) / 10);  // two digits: 0.56, not 0.6
  const Axis ax{-s.half_width, s.half_width, "x"}, ay{-s.half_width, s.half_width, "y"};
  const bool names = std::any_of(panels.begin(), panels.end(), [](const auto& p) { return !p.name.empty(); });
  const int n = static_cast<int>(panels.size()), px = s.panel_pixels;
  const int cols = s.columns > 0 ? std::min(n, s.columns) : n, rows = (n + cols - 1) / cols;
  const int name_height = names ? Image::text_height(2) + 8 : 0;
  const int row_pitch = name_height + px + bottom_room(ax) + 10;  // a row: names, panels, x ticks
  const int bar_height = rows * row_pitch - name_height - bottom_room(ax) - 10;  // from the first to the last panel
  const int left = 10 + left_room(ay, px), between = 24, bar_gap = 28, bar_width = 18;
  const int content = left + cols * px + (cols - 1) * between + bar_gap + colour_bar_room(bar_width, bar_height, scale) + 10;
  const int width = std::max(content, std::max(widest_line(s.title), widest_line(s.caption)) + 20);
  const int title_height = static_cast<int>(s.title.size()) * (Image::text_height(2) + 6) + 18;
  const int caption_height = static_cast<int>(s.caption.size()) * (Image::text_height(2) + 6);
  const int height = title_height + rows * row_pitch - 10 + 6 + caption_height + 10;
  Figure f(width, height);
  draw_title(f, s.title);
  const int x0 = left + (width - content) / 2, y0 = title_height + name_height;
  for (int k = 0; k < n; ++k) {
    const int bx = x0 + (k % cols) * (px + between), by = y0 + (k / cols) * row_pitch;
    const Box panel{bx, by, bx + px, by + px};
    const Eigen::MatrixXd& v = panels[static_cast<std::size_t>(k)].values;
    const Eigen::Index cells = v.rows();
    for (int py = 0; py < px; ++py)
      for (int qx = 0; qx < px; ++qx) {
        const auto i = std::min<Eigen::Index>(cells - 1, qx * cells / px);
        const auto j = std::min<Eigen::Index>(cells - 1, (px - 1 - py) * cells / px);
        // A cell without a value (a diverged method) stays light grey, not the colour of zero density.
        f.image.set(panel.x0 + qx, panel.y0 + py, std::isfinite(v(i, j)) ? viridis(v(i, j) / top) : Rgb{230, 230, 230});
      }
    const bool first_column = k % cols == 0;  // y ticks and label once per row
    draw_axes(f, panel, ax, first_column ? ay : Axis{ay.lo, ay.hi, ""}, false, true, first_column);
    if (names) f.text((panel.x0 + panel.x1) / 2, panel.y0 - 8, panels[static_cast<std::size_t>(k)].name, 2, 1, 2);
    f.layout.panels.push_back(panel);
  }
  const int bar_x = x0 + cols * px + (cols - 1) * between + bar_gap;
  draw_colour_bar(f, Box{bar_x, y0, bar_x + bar_width, y0 + bar_height}, scale, viridis);
  int y = y0 + (rows - 1) * row_pitch + px + bottom_room(ax) + 6;
  for (const auto& line : s.caption) {
    f.text(width / 2, y, line, 2, 1, 0);
    y += Image::text_height(2) + 6;
  }
  return f;
}

/// A histogram of the rows of an N × 2 matrix on `bins` × `bins` cells over [-half_width, half_width]², as a
/// density: count / (N · cell area), N counting every row (also those outside the square).
inline Eigen::MatrixXd histogram_density(const Eigen::MatrixXd& points, double half_width, Eigen::Index bins) {
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(bins, bins);
  const double cell = 2 * half_width / static_cast<double>(bins);
  for (Eigen::Index k = 0; k < points.rows(); ++k) {
    const double fx = (points(k, 0) + half_width) / cell, fy = (points(k, 1) + half_width) / cell;
    if (!(fx >= 0 && fx < static_cast<double>(bins) && fy >= 0 && fy < static_cast<double>(bins))) continue;
    h(static_cast<Eigen::Index>(fx), static_cast<Eigen::Index>(fy)) += 1;
  }
  return h / (static_cast<double>(std::max<Eigen::Index>(1, points.rows())) * cell * cell);
}

struct LineSettings {
  std::vector<std::string> title{};
  Axis x{}, y{};                     ///< labels and scales; lo/hi are taken from the data unless fixed_range
  bool fixed_range = false;
  int plot_width = 560, plot_height = 340;
  std::vector<std::string> caption{};
};

/// Curves y(x), one colour each (palette order), a legend right of the plot area (never over a curve). On a
/// log axis non-positive values are left out (the line breaks there), as are non-finite ones.
inline Figure line_figure(const std::vector<Series>& series, LineSettings s) {
  Axis& ax = s.x;
  Axis& ay = s.y;
  if (!s.fixed_range) {
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
    for (const auto& c : series)
      for (std::size_t i = 0; i < c.x.size() && i < c.y.size(); ++i) {
        if (!std::isfinite(c.x[i]) || !std::isfinite(c.y[i]) || (ay.log && c.y[i] <= 0) || (ax.log && c.x[i] <= 0)) continue;
        x_lo = std::min(x_lo, c.x[i]), x_hi = std::max(x_hi, c.x[i]);
        y_lo = std::min(y_lo, c.y[i]), y_hi = std::max(y_hi, c.y[i]);
      }
    if (!std::isfinite(x_lo)) x_lo = ax.log ? 1 : 0, x_hi = ax.log ? 10 : 1, y_lo = ay.log ? 1 : 0, y_hi = ay.log ? 10 : 1;
    if (!(x_hi > x_lo)) x_hi = ax.log ? x_lo * 10 : x_lo + 1;
    if (!(y_hi > y_lo)) y_lo = ay.log ? y_lo / 2 : y_lo - 0.5, y_hi = ay.log ? y_hi * 2 : y_hi + 0.5;
    ax.lo = x_lo, ax.hi = x_hi;  // the x axis spans the data exactly
    if (ay.log) {               // whole decades
      ay.lo = std::pow(10.0, std::floor(std::log10(y_lo) + 1e-9));
      ay.hi = std::pow(10.0, std::ceil(std::log10(y_hi) - 1e-9));
    } else {  // out to the next ticks
      const double step = nice_step(y_hi - y_lo);
      ay.lo = std::floor(y_lo / step + 1e-9) * step;
      ay.hi = std::ceil(y_hi / step - 1e-9) * step;
    }
  }
  const int left = 10 + left_room(ay, s.plot_height), pw = s.plot_width, ph = s.plot_height;
  const int title_height = static_cast<int>(s.title.size()) * (Image::text_height(2) + 6) + 14;
  int legend_width = 0;
  for (const auto& c : series) legend_width = std::max(legend_width, Image::text_width(c.name, 2));
  legend_width += 8 + 24 + 8 + 8;
  // The last x tick label may stick out right of the plot by half its width.
  const int content = left + pw + 20 + legend_width + 10;
  const int width = std::max(content, std::max(widest_line(s.title), widest_line(s.caption)) + 20);
  const int caption_height = static_cast<int>(s.caption.size()) * (Image::text_height(2) + 6);
  const int legend_height = 6 + (Image::text_height(2) + 8) * static_cast<int>(series.size());  // as draw_legend
  const int height = title_height + std::max(ph + bottom_room(ax) + 6 + caption_height, legend_height) + 10;
  Figure f(width, height);
  draw_title(f, s.title);
  const Box panel{left, title_height, left + pw, title_height + ph};
  draw_axes(f, panel, ax, ay, true);
  f.layout.panels.push_back(panel);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& c = series[k];
    const auto ok = [&](std::size_t i) {
      return std::isfinite(c.x[i]) && std::isfinite(c.y[i]) && !(ay.log && c.y[i] <= 0) && !(ax.log && c.x[i] <= 0);
    };
    // Points outside the range (a fixed range) are clamped to the frame: a curve never leaves its panel.
    const auto at = [&](std::size_t i) {
      return std::pair{std::clamp(x_pixel(ax, panel, std::clamp(c.x[i], ax.lo, ax.hi)), panel.x0, panel.x1 - 1),
                       std::clamp(y_pixel(ay, panel, std::clamp(c.y[i], ay.lo, ay.hi)), panel.y0, panel.y1 - 1)};
    };
    int dash = 0;
    for (std::size_t i = 1; i < std::min(c.x.size(), c.y.size()); ++i) {
      if (!ok(i - 1) || !ok(i)) continue;
      const auto [xa, ya] = at(i - 1);
      const auto [xb, yb] = at(i);
      if (!c.dashed) {
        f.image.line(xa, ya, xb, yb, palette(k), 2);
        continue;
      }
      const int steps = std::max(std::abs(xb - xa), std::abs(yb - ya));
      for (int t = 0; t <= steps; ++t, ++dash)
        if (dash % 12 < 7) {
          const int qx = xa + (steps ? (xb - xa) * t / steps : 0), qy = ya + (steps ? (yb - ya) * t / steps : 0);
          f.image.fill_rect(qx, qy, qx + 2, qy + 2, palette(k));
        }
    }
  }
  f.image.rect_outline(panel.x0 - 1, panel.y0 - 1, panel.x1, panel.y1, black);  // again: 2-pixel lines reach it
  draw_legend(f, panel.x1 + 20, panel.y0, series);
  int y = panel.y1 + bottom_room(ax) + 6;
  for (const auto& line : s.caption) {
    f.text(width / 2, y, line, 2, 1, 0);
    y += Image::text_height(2) + 6;
  }
  return f;
}

struct GridSettings {
  std::vector<std::string> title{};
  std::string colour_label = "pixel value";
  int side = 4;         ///< each image is side × side pixels (row-major)
  int columns = 8;
  int scale = 10;       ///< screen pixels per image pixel
  std::vector<std::string> caption{};
};

/// The rows of `images` (values in [0, 1]) as a grid of grey tiles (white = 1) with a grey colour bar.
template <class Matrix>
Figure image_grid_figure(const Matrix& images, const GridSettings& s) {
  const int tiles = static_cast<int>(images.rows()), cols = std::max(1, s.columns);
  const int rows = (tiles + cols - 1) / cols, tile = s.side * s.scale, spacing = 4;
  const int grid_w = cols * (tile + spacing) - spacing, grid_h = rows * (tile + spacing) - spacing;
  const Axis scale{0, 1, s.colour_label};
  const int bar_gap = 24, bar_width = 18;
  // The colour bar's label runs along it: the bar is at least as tall as its longest word.
  int bar_height = grid_h;
  for (const auto& word : wrap(scale.label, 0)) bar_height = std::max(bar_height, Image::text_width(word, 2) + 10);
  const int content = 20 + grid_w + bar_gap + colour_bar_room(bar_width, bar_height, scale) + 10;
  const int width = std::max(content, std::max(widest_line(s.title), widest_line(s.caption)) + 20);
  const int title_height = static_cast<int>(s.title.size()) * (Image::text_height(2) + 6) + 14;
  const int caption_height = static_cast<int>(s.caption.size()) * (Image::text_height(2) + 6);
  const int height = title_height + bar_height + 14 + caption_height + 10;
  Figure f(width, height);
  draw_title(f, s.title);
  const int x0 = 20 + (width - content) / 2, y0 = title_height;
  f.image.fill_rect(x0 - spacing, y0 - spacing, x0 + grid_w + spacing, y0 + grid_h + spacing, Rgb{90, 140, 200});
  for (int t = 0; t < tiles; ++t) {
    const Box box{x0 + (t % cols) * (tile + spacing), y0 + (t / cols) * (tile + spacing), 0, 0};
    for (int y = 0; y < tile; ++y)
      for (int x = 0; x < tile; ++x)
        f.image.set(box.x0 + x, box.y0 + y, greys(static_cast<double>(images(t, (y / s.scale) * s.side + x / s.scale))));
    f.layout.panels.push_back({box.x0, box.y0, box.x0 + tile, box.y0 + tile});
  }
  const int bar_x = x0 + grid_w + bar_gap;
  draw_colour_bar(f, Box{bar_x, y0, bar_x + bar_width, y0 + bar_height}, scale, greys);
  int y = y0 + bar_height + 14;
  for (const auto& line : s.caption) {
    f.text(width / 2, y, line, 2, 1, 0);
    y += Image::text_height(2) + 6;
  }
  return f;
}

}  // namespace ember::examples
