// Tests of examples/common/ember_examples/plot.hpp: nice ticks, and for each kind of figure the example programs
// write (density panels, line curves, image grids) that every label lies inside the picture, clear of the data
// and of the other labels, with ink in it; that colour bars follow their map monotonically; that legends stay
// outside the data; and that the title is part of the pixels.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "ember_examples/plot.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace ex = ember::examples;

namespace {

bool same(ex::Rgb a, ex::Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
bool is_white(ex::Rgb c) { return same(c, ex::white); }

bool has_ink(const ex::Image& im, const ex::Box& b) {
  for (int y = b.y0; y < b.y1; ++y)
    for (int x = b.x0; x < b.x1; ++x)
      if (!is_white(im.get(x, y))) return true;
  return false;
}

bool has_label(const ex::Figure& f, const std::string& text) {
  for (const auto& l : f.layout.labels)
    if (l.text == text) return true;
  return false;
}

// What every figure must satisfy.
void check_layout(const ex::Figure& f) {
  const ex::Box inner{2, 2, f.image.width() - 2, f.image.height() - 2};
  const auto& labels = f.layout.labels;
  for (std::size_t k = 0; k < labels.size(); ++k) {
    INFO("label \"" << labels[k].text << "\" at " << labels[k].box.x0 << ", " << labels[k].box.y0 << " .. "
                    << labels[k].box.x1 << ", " << labels[k].box.y1 << " in " << f.image.width() << " x "
                    << f.image.height());
    CHECK(labels[k].box.inside(inner));                 // not clipped by the picture's edge
    CHECK(has_ink(f.image, labels[k].box));             // drawn
    for (const auto& p : f.layout.panels) CHECK_FALSE(labels[k].box.overlaps(p));  // not over the data
    for (const auto& c : f.layout.colour_bars) CHECK_FALSE(labels[k].box.overlaps(c.box));
    for (std::size_t j = k + 1; j < labels.size(); ++j) {
      INFO("and \"" << labels[j].text << "\"");
      CHECK_FALSE(labels[k].box.overlaps(labels[j].box));  // labels do not cover each other
    }
  }
  if (f.layout.legend) {
    CHECK(f.layout.legend->inside(inner));
    for (const auto& p : f.layout.panels) CHECK_FALSE(f.layout.legend->overlaps(p));
  }
  for (const auto& c : f.layout.colour_bars) {
    REQUIRE(c.box.height() >= 50);
    CHECK(c.box.inside(inner));
    const int x = (c.box.x0 + c.box.x1) / 2;
    CHECK(same(f.image.get(x, c.box.y0), c.map(1)));  // top: the largest value
    CHECK(same(f.image.get(x, c.box.y1 - 1), c.map(0)));
    for (int y = c.box.y0; y < c.box.y1; ++y) {
      const double t = static_cast<double>(c.box.y1 - 1 - y) / (c.box.height() - 1);
      REQUIRE(same(f.image.get(x, y), c.map(t)));  // every row on the map, t falling downwards
    }
  }
}

// The numeric labels right of a colour bar, bottom to top, must increase: the scale runs upwards.
void check_colour_bar_ticks(const ex::Figure& f) {
  for (const auto& c : f.layout.colour_bars) {
    std::vector<std::pair<int, double>> ticks;
    for (const auto& l : f.layout.labels)
      if (l.box.x0 > c.box.x1 && l.box.x0 < c.box.x1 + 20 && l.box.y1 > c.box.y0 - 10 && l.box.y0 < c.box.y1 + 10)
        ticks.emplace_back((l.box.y0 + l.box.y1) / 2, std::stod(l.text));
    REQUIRE(ticks.size() >= 3);
    std::sort(ticks.begin(), ticks.end());
    for (std::size_t k = 1; k < ticks.size(); ++k) CHECK(ticks[k].second < ticks[k - 1].second);
    CHECK(ticks.back().second == Approx(c.lo).margin(1e-12));
  }
}

Eigen::MatrixXd bump(int n, double half_width, double centre_x) {
  Eigen::MatrixXd d(n, n);
  const double h = 2 * half_width / n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double x = -half_width + (i + 0.5) * h - centre_x, y = -half_width + (j + 0.5) * h;
      d(i, j) = std::exp(-(x * x + y * y) / 2) / (2 * M_PI);
    }
  return d;
}

bool differ(const ex::Image& a, const ex::Image& b) {
  if (a.width() != b.width() || a.height() != b.height()) return true;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x)
      if (!same(a.get(x, y), b.get(x, y))) return true;
  return false;
}

}  // namespace

TEST_CASE("nice ticks are 1, 2 or 5 times a power of ten, inside the range, printed without noise") {
  CHECK(ex::nice_ticks(0, 500) == std::vector<double>{0, 100, 200, 300, 400, 500});
  CHECK(ex::nice_ticks(-4.5, 4.5) == std::vector<double>{-4, -2, 0, 2, 4});
  CHECK(ex::nice_ticks(0, 0.0786).size() >= 3);
  CHECK(ex::nice_ticks(-4.5, 4.5, 2) == std::vector<double>{-4, -2, 0, 2, 4});  // step 5 would leave only 0
  CHECK(ex::nice_ticks(0, 1, 2) == std::vector<double>{0, 0.5, 1});
  CHECK(ex::tick_text(0.1 + 0.2, 0.1) == "0.3");
  CHECK(ex::tick_text(-1e-17, 0.5) == "0");
  CHECK(ex::tick_text(2000, 500) == "2000");
  CHECK(ex::tick_text(0.06, 0.02) == "0.06");
  CHECK(ex::decade_text(-3) == "0.001");
  CHECK(ex::decade_text(2) == "100");
  CHECK(ex::decade_text(-5) == "1e-5");
  const ex::Axis log_axis{0.01, 10, "KL", true};
  std::vector<std::string> texts;
  for (const auto& [v, s] : log_axis.ticks(200)) texts.push_back(s);
  CHECK(texts == std::vector<std::string>{"0.01", "0.1", "1", "10"});
}

TEST_CASE("a density figure: axes in data units, a colour bar in the density's units, the title in the pixels") {
  const Eigen::MatrixXd d = bump(90, 4.5, 0);
  const auto f = ex::density_figure({{"", d}}, {.title = {"8gaussians: density learned by dcd", "KL 0.19"}});
  check_layout(f);
  check_colour_bar_ticks(f);
  REQUIRE(f.layout.panels.size() == 1);
  REQUIRE(f.layout.colour_bars.size() == 1);
  for (const char* tick : {"-4", "-2", "0", "2", "4", "x", "y", "density p(x, y)", "KL 0.19"}) {
    INFO(tick);
    CHECK(has_label(f, tick));
  }
  // The panel shows the values on the colour bar's scale: the peak (at the centre) takes the top colour.
  const ex::Box& p = f.layout.panels[0];
  CHECK(same(f.image.get((p.x0 + p.x1) / 2, (p.y0 + p.y1) / 2), ex::viridis(1.0)));
  CHECK(f.layout.colour_bars[0].hi == Approx(d.maxCoeff()));
  // The title is part of the picture: another title, other pixels; the same title, the same pixels.
  const auto g = ex::density_figure({{"", d}}, {.title = {"8gaussians: density learned by cd", "KL 0.19"}});
  const auto h = ex::density_figure({{"", d}}, {.title = {"8gaussians: density learned by dcd", "KL 0.19"}});
  CHECK(differ(f.image, g.image));
  CHECK_FALSE(differ(f.image, h.image));
  // A title wider than the plot widens the picture instead of running off its edge.
  const auto wide = ex::density_figure({{"", d}}, {.title = {std::string(80, 'W')}});
  check_layout(wide);
}

TEST_CASE("a montage shares one colour scale, names its panels, says when the scale is clipped") {
  const Eigen::MatrixXd a = bump(60, 4.5, 0), b = 5 * bump(60, 4.5, 1);
  const auto f = ex::density_figure({{"data", a}, {"cd", b}, {"pcd: diverged", Eigen::MatrixXd::Constant(1, 1, std::nan(""))}},
                                    {.title = {"8gaussians"}, .top_cap = 2 * a.maxCoeff(), .panel_pixels = 150});
  check_layout(f);
  check_colour_bar_ticks(f);
  CHECK(f.layout.panels.size() == 3);
  REQUIRE(f.layout.colour_bars.size() == 1);
  CHECK(f.layout.colour_bars[0].hi == Approx(2 * a.maxCoeff()));
  for (const char* name : {"data", "cd", "pcd: diverged"}) CHECK(has_label(f, name));
  bool clipped_said = false;
  for (const auto& l : f.layout.labels) clipped_said |= l.text.find("clipped") != std::string::npos;  // the label may wrap
  CHECK(clipped_said);
  // One scale: the data's peak is half way up the bar, cd's (5 times higher) saturates.
  const auto centre = [&](int k) {
    const ex::Box& p = f.layout.panels[static_cast<std::size_t>(k)];
    return f.image.get((p.x0 + p.x1) / 2, (p.y0 + p.y1) / 2);
  };
  CHECK(same(centre(0), ex::viridis(0.5)));
  CHECK(same(centre(2), ex::Rgb{230, 230, 230}));  // no values: grey, not the colour of zero
  // In rows: two panels a row, the third under the first, the colour bar beside both rows.
  const auto rows = ex::density_figure({{"data", a}, {"cd", b}, {"pcd", a}}, {.title = {"8gaussians"}, .panel_pixels = 150, .columns = 2});
  check_layout(rows);
  check_colour_bar_ticks(rows);
  REQUIRE(rows.layout.panels.size() == 3);
  REQUIRE(rows.layout.colour_bars.size() == 1);
  CHECK(rows.layout.panels[2].x0 == rows.layout.panels[0].x0);
  CHECK(rows.layout.panels[2].y0 > rows.layout.panels[0].y1);
  CHECK(rows.layout.colour_bars[0].box.y1 >= rows.layout.panels[2].y1);
  const ex::Box& p1 = f.layout.panels[1];
  CHECK(same(f.image.get(p1.x0 + p1.width() * 11 / 18, (p1.y0 + p1.y1) / 2), ex::viridis(1.0)));
}

TEST_CASE("a line figure: tick labels whole (\"500\", not \"50\"), the legend outside the curves") {
  std::vector<ex::Series> series;
  for (int k = 0; k < 7; ++k) {
    ex::Series s{"method " + std::to_string(k), {}, {}};
    for (int i = 0; i <= 500; i += 10) {
      s.x.push_back(i);
      s.y.push_back((k + 1) * std::exp(-i / 100.0) + 0.01);
    }
    series.push_back(s);
  }
  series[0].y[3] = -1;  // not shown on a log axis: the line breaks
  const auto f = ex::line_figure(series, {.title = {"Gaussian data: KL(data || model) during training"},
                                          .x = {0, 1, "iteration"},
                                          .y = {0, 1, "KL(data || model) (nats)", true}});
  check_layout(f);
  for (const char* tick : {"0", "100", "500", "0.01", "0.1", "1", "10", "iteration", "method 6"}) {
    INFO(tick);
    CHECK(has_label(f, tick));
  }
  REQUIRE(f.layout.legend);
  REQUIRE(f.layout.panels.size() == 1);
  CHECK(f.layout.legend->x0 >= f.layout.panels[0].x1);
  // Curve colours appear only inside the plot area and the legend.
  const ex::Box& p = f.layout.panels[0];
  for (int y = 0; y < f.image.height(); ++y)
    for (int x = 0; x < f.image.width(); ++x) {
      const bool inside = (x >= p.x0 && x < p.x1 && y >= p.y0 && y < p.y1) ||
                          (x >= f.layout.legend->x0 && x < f.layout.legend->x1 && y >= f.layout.legend->y0 && y < f.layout.legend->y1);
      if (inside) continue;
      for (std::size_t k = 0; k < series.size(); ++k) REQUIRE_FALSE(same(f.image.get(x, y), ex::palette(k)));
    }
  // A legend taller than the plot makes the picture taller.
  check_layout(ex::line_figure(series, {.title = {"short"}, .x = {0, 1, "iteration"}, .y = {0, 1, "KL", true}, .plot_height = 120}));
  // A linear axis goes out to the ticks next to the data.
  const auto g = ex::line_figure({{"a", {0, 30}, {-3.4, -11.1}}, {"b", {0, 30}, {-5, -5}, true}},
                                 {.title = {"RBM"}, .x = {0, 1, "epoch"}, .y = {0, 1, "log-likelihood"}});
  check_layout(g);
  CHECK(has_label(g, "-12"));
  CHECK(has_label(g, "-2"));
}

TEST_CASE("an image grid: grey tiles (white = 1) and a grey colour bar from 0 to 1") {
  Eigen::MatrixXf images = Eigen::MatrixXf::Zero(12, 16);
  images(0, 0) = 1;
  images(1, 5) = 0.5f;
  const auto f = ex::image_grid_figure(images, {.title = {"CD-1 samples"}, .colour_label = "P(v = 1 | h)", .columns = 6,
                                                .caption = {"64 chains"}});
  check_layout(f);
  check_colour_bar_ticks(f);
  REQUIRE(f.layout.panels.size() == 12);
  const ex::Box& t0 = f.layout.panels[0];
  CHECK(same(f.image.get(t0.x0 + 1, t0.y0 + 1), ex::white));  // pixel 0 of image 0
  CHECK(same(f.image.get(t0.x0 + 15, t0.y0 + 1), ex::black));
  const ex::Box& t1 = f.layout.panels[1];
  CHECK(same(f.image.get(t1.x0 + 12, t1.y0 + 12), ex::greys(0.5)));  // pixel 5 = row 1, column 1
}

TEST_CASE("text: '|' is a bar through the line, not an 'l', and characters the font lacks are refused") {
  ex::Figure a(120, 20), b(120, 20), c(120, 20);
  a.text(2, 2, "KL(p||q)");
  b.text(2, 2, "KL(pllq)");
  c.text(2, 2, "KL(pIIq)");
  CHECK(differ(a.image, b.image));
  CHECK(differ(a.image, c.image));
  // The bar runs through the whole line, descender rows included (no letter but descenders reaches both).
  ex::Image bar(10, 20);
  bar.text(0, 0, "|", ex::black, 2);
  bool top = false, bottom = false;
  for (int x = 0; x < 10; ++x) top |= !is_white(bar.get(x, 0)), bottom |= !is_white(bar.get(x, 19));
  CHECK(top);
  CHECK(bottom);
  ex::Figure d(120, 20);
  CHECK_THROWS_AS(d.text(2, 2, "x\xc2\xb2"), std::invalid_argument);  // "x²"
}

TEST_CASE("printable: a name from outside (a UTF-8 path) becomes drawable text") {
  CHECK(ex::printable("d\xc3\xa4ta.csv") == "d??ta.csv");
  ex::Figure f(200, 30);
  CHECK_NOTHROW(f.text(2, 2, ex::printable("d\xc3\xa4ta.csv")));
}

TEST_CASE("wrap cuts at semicolons first, then at spaces") {
  CHECK(ex::wrap("density p(x, y); clipped above 0.05", 1000) == std::vector<std::string>{"density p(x, y)", "clipped above 0.05"});
  CHECK(ex::wrap("a b c", 0) == std::vector<std::string>{"a", "b", "c"});
  CHECK(ex::wrap("one line", 1000) == std::vector<std::string>{"one line"});
}
