// ember-png-check: reads back a picture an example program wrote and checks what a reader relies on, knowing
// nothing of how it was drawn (the tests of plot.hpp check the layout itself):
//   - it is a PNG of at least --min-size W H;
//   - its outer 3-pixel frame is blank: no label, line or tile runs into the edge (a clipped "500" reads "50");
//   - ink across 80 or more columns of the top 40 rows, above any axes frame: a title;
//   - with --axes: a black horizontal and a black vertical line of 100 pixels or more (an axes frame), ink left of
//     the leftmost and under the lowest (tick labels);
//   - with --colour-bar viridis|greys: a column of 100 pixels or more whose colours follow that map linearly from
//     t ≥ 0.97 at its top to t ≤ 0.03 at its bottom (a colour bar, the largest value on top).
// Exit status 0 when every check passes, else 1 with one line per failed check on stderr.
#include "ember_examples/image.hpp"

#include <stb/stb_image.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ex = ember::examples;

namespace {

struct Picture {
  int width = 0, height = 0;
  unsigned char* pixels = nullptr;
  [[nodiscard]] ex::Rgb at(int x, int y) const {
    const unsigned char* p = pixels + 3 * (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x));
    return {p[0], p[1], p[2]};
  }
};

bool is_white(ex::Rgb c) { return c.r == 255 && c.g == 255 && c.b == 255; }
bool is_black(ex::Rgb c) { return c.r < 40 && c.g < 40 && c.b < 40; }
bool is_ink(ex::Rgb c) { return c.r < 110 && c.g < 110 && c.b < 110; }

// The t whose colour map(t) is nearest c, or -1 when none is within 8 per channel (cached per colour).
double map_position(ex::ColourMap map, ex::Rgb c) {
  static std::unordered_map<std::uint32_t, double> known;
  const std::uint32_t key = (static_cast<std::uint32_t>(c.r) << 16) | (static_cast<std::uint32_t>(c.g) << 8) | c.b;
  if (const auto it = known.find(key); it != known.end()) return it->second;
  double best_t = -1;
  int best = 9;
  for (int k = 0; k <= 1024; ++k) {
    const double t = k / 1024.0;
    const ex::Rgb m = map(t);
    const int d = std::max({std::abs(m.r - c.r), std::abs(m.g - c.g), std::abs(m.b - c.b)});
    if (d < best) best = d, best_t = t;
  }
  return known[key] = best_t;
}

// A column with a run of ≥ 100 rows on the map going linearly from t ≥ 0.97 at its top to t ≤ 0.03 at its
// bottom (within 0.03 of the straight line: a colour bar, not a column of a heat map that happens to fall).
bool has_colour_bar(const Picture& p, ex::ColourMap map) {
  for (int x = 0; x < p.width; ++x) {
    std::vector<double> run;
    for (int y = 0; y <= p.height; ++y) {
      const double t = y < p.height ? map_position(map, p.at(x, y)) : -1;
      // A bar changes by about 1/height a row: a jump (white margin to the black outline, both on "greys") ends a run.
      if (t >= 0 && (run.empty() || std::abs(t - run.back()) <= 0.1)) {
        run.push_back(t);
        continue;
      }
      const auto n = run.size();
      if (n >= 100 && run.front() >= 0.97 && run.back() <= 0.03) {
        bool linear = true;
        for (std::size_t k = 0; k < n && linear; ++k) {
          const double expected = run.front() + (run.back() - run.front()) * static_cast<double>(k) / static_cast<double>(n - 1);
          linear = std::abs(run[k] - expected) <= 0.03;
        }
        if (linear) return true;
      }
      run.clear();
      if (t >= 0) run.push_back(t);
    }
  }
  return false;
}

// The first row (horizontal) or column of a black line of ≥ `length` pixels, scanning from `from` by `step`;
// -1 if none. `span` gets the line's extent along its length.
int find_line(const Picture& p, bool horizontal, int length, int from, int step, std::pair<int, int>& span) {
  const int outer = horizontal ? p.height : p.width, inner = horizontal ? p.width : p.height;
  for (int a = from; a >= 0 && a < outer; a += step) {
    int run = 0;
    for (int b = 0; b <= inner; ++b) {
      if (b < inner && is_black(horizontal ? p.at(b, a) : p.at(a, b))) {
        ++run;
        continue;
      }
      if (run >= length) {
        span = {b - run, b};
        return a;
      }
      run = 0;
    }
  }
  return -1;
}

bool ink_in(const Picture& p, int x0, int y0, int x1, int y1) {
  for (int y = std::max(0, y0); y < std::min(p.height, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(p.width, x1); ++x)
      if (is_ink(p.at(x, y))) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ember-png-check FILE [--min-size W H] [--axes] [--colour-bar viridis|greys]\n");
    return 2;
  }
  const std::string path = argv[1];
  int min_width = 200, min_height = 150;
  bool axes = false;
  ex::ColourMap map = nullptr;
  for (int k = 2; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "--min-size" && k + 2 < argc) {
      min_width = std::atoi(argv[++k]);
      min_height = std::atoi(argv[++k]);
    } else if (a == "--axes") {
      axes = true;
    } else if (a == "--colour-bar" && k + 1 < argc) {
      const std::string name = argv[++k];
      map = name == "greys" ? ex::greys : ex::viridis;
    } else {
      std::fprintf(stderr, "ember-png-check: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  Picture p;
  int channels = 0;
  p.pixels = stbi_load(path.c_str(), &p.width, &p.height, &channels, 3);
  if (!p.pixels) {
    std::fprintf(stderr, "%s: not a readable PNG\n", path.c_str());
    return 1;
  }
  int failures = 0;
  const auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), what.c_str());
    ++failures;
  };
  if (p.width < min_width || p.height < min_height)
    fail("is " + std::to_string(p.width) + " x " + std::to_string(p.height) + ", expected at least " +
         std::to_string(min_width) + " x " + std::to_string(min_height));
  for (int y = 0; y < p.height; ++y)
    for (int x = 0; x < p.width; ++x)
      if ((x < 3 || y < 3 || x >= p.width - 3 || y >= p.height - 3) && !is_white(p.at(x, y))) {
        fail("ink at (" + std::to_string(x) + ", " + std::to_string(y) + ") in the 3-pixel frame: something is clipped by the edge");
        y = p.height;
        break;
      }
  // A title: ink in 80 or more columns of the top 40 rows (a tick label up there spans 20 or so), above any
  // long line (an axes frame's top) and the tick labels that reach 12 rows above it.
  std::pair<int, int> ignored;
  const int first_line = find_line(p, true, 100, 0, 1, ignored);
  const int band = first_line >= 0 ? std::min(40, first_line - 12) : std::min(40, p.height);
  int title_columns = 0;
  for (int x = 0; x < p.width; ++x)
    for (int y = 0; y < band; ++y)
      if (is_ink(p.at(x, y))) {
        ++title_columns;
        break;
      }
  if (title_columns < 80) fail("ink in only " + std::to_string(title_columns) + " columns of the top rows: no title");
  if (axes) {
    // The frame's left edge (the leftmost long vertical line) has tick labels left of it, its bottom edge (the
    // lowest long horizontal line) has tick labels under it: labels drawn off the picture leave none.
    std::pair<int, int> vertical, horizontal;
    const int left = find_line(p, false, 100, 0, 1, vertical), bottom = find_line(p, true, 100, p.height - 1, -1, horizontal);
    if (left < 0 || bottom < 0)
      fail("no black horizontal and vertical line of 100 pixels: no axes frame");
    else {
      if (!ink_in(p, 0, vertical.first, left - 8, vertical.second)) fail("nothing left of the axes frame: no y tick labels");
      if (!ink_in(p, horizontal.first, bottom + 8, horizontal.second, p.height)) fail("nothing under the axes frame: no x tick labels");
    }
  }
  if (map && !has_colour_bar(p, map)) fail("no column follows the colour map linearly from top to bottom: no colour bar");
  stbi_image_free(p.pixels);
  return failures == 0 ? 0 : 1;
}
