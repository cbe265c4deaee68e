// ember-png-check: reads back a picture an example program wrote and checks what a reader relies on, knowing
// nothing of how it was drawn (the tests of plot.hpp check the layout itself):
//   - it is a PNG of at least --min-size W H;
//   - its outer 3-pixel frame is blank: no label, line or tile runs into the edge (a clipped "500" reads "50");
//   - ink in the top 40 rows: a title;
//   - with --axes: a black horizontal and a black vertical line of 100 pixels or more (an axes frame);
//   - with --colour-bar viridis|greys: a column of 100 pixels or more whose colours follow that map from its
//     top (t ≥ 0.97) to its bottom (t ≤ 0.03) without ever going up (a colour bar, monotone in its map).
// Exit status 0 when every check passes, else 1 with one line per failed check on stderr.
#include "ember_examples/image.hpp"

#include <stb/stb_image.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

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

// A column with a run of ≥ 100 rows on the map, top t ≥ 0.97, bottom t ≤ 0.03, never increasing downwards.
bool has_colour_bar(const Picture& p, ex::ColourMap map) {
  for (int x = 0; x < p.width; ++x) {
    int run = 0;
    double first = -1, last = -1;
    for (int y = 0; y <= p.height; ++y) {
      const double t = y < p.height ? map_position(map, p.at(x, y)) : -1;
      if (t >= 0 && (run == 0 || t <= last + 0.01)) {
        if (run == 0) first = t;
        last = t;
        ++run;
        continue;
      }
      if (run >= 100 && first >= 0.97 && last <= 0.03) return true;
      run = t >= 0 ? 1 : 0;
      first = last = t;
    }
  }
  return false;
}

bool has_line(const Picture& p, bool horizontal, int length) {
  const int outer = horizontal ? p.height : p.width, inner = horizontal ? p.width : p.height;
  for (int a = 0; a < outer; ++a) {
    int run = 0;
    for (int b = 0; b < inner; ++b) {
      run = is_black(horizontal ? p.at(b, a) : p.at(a, b)) ? run + 1 : 0;
      if (run >= length) return true;
    }
  }
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
  bool title = false;
  for (int y = 0; y < std::min(40, p.height) && !title; ++y)
    for (int x = 0; x < p.width && !title; ++x) title = is_ink(p.at(x, y));
  if (!title) fail("no ink in the top 40 rows: no title");
  if (axes && !(has_line(p, true, 100) && has_line(p, false, 100)))
    fail("no black horizontal and vertical line of 100 pixels: no axes frame");
  if (map && !has_colour_bar(p, map)) fail("no column follows the colour map monotonically from top to bottom: no colour bar");
  stbi_image_free(p.pixels);
  return failures == 0 ? 0 : 1;
}
