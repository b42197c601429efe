#include "profile/graph_layout.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "util/strings.h"

namespace biodev::profile {
namespace {

constexpr int kW = 240, kH = 58, kColGap = 90, kRowGap = 26, kHostX = 20, kHostR = 34, kTop = 20;
constexpr int kLabelAscent = 11, kLabelHeight = 14;

// The longest depends_on chain below each service (0: depends on nothing). A cycle
// (rejected by validation) is cut at the profile's size.
std::map<std::string, int> depths(const Profile& p) {
  std::map<std::string, int> depth;
  for (const auto& s : p.services) depth[s.name] = 0;
  for (size_t round = 0; round < p.services.size(); ++round) {
    bool changed = false;
    for (const auto& s : p.services)
      for (const auto& d : s.depends_on) {
        auto it = depth.find(d.service);
        if (it != depth.end() && depth[s.name] < it->second + 1) {
          depth[s.name] = it->second + 1;
          changed = true;
        }
      }
    if (!changed) break;
  }
  return depth;
}

// A straight line or a cubic Bézier, enough to walk along an edge.
struct Curve {
  double x[4], y[4];
  bool cubic = false;
  std::pair<double, double> at(double t) const {
    if (!cubic) return {x[0] + (x[3] - x[0]) * t, y[0] + (y[3] - y[0]) * t};
    const double u = 1 - t, a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
    return {a * x[0] + b * x[1] + c * x[2] + d * x[3], a * y[0] + b * y[1] + c * y[2] + d * y[3]};
  }
  double length() const { return std::hypot(x[3] - x[0], y[3] - y[0]); }
};

Curve line(int x1, int y1, int x2, int y2) {
  return {{1.0 * x1, 0, 0, 1.0 * x2}, {1.0 * y1, 0, 0, 1.0 * y2}};
}

Rect label_rect(int cx, int baseline, int w) {
  return {cx - w / 2, baseline - kLabelAscent, w, kLabelHeight};
}

Rect inflate(const Rect& r, int by) { return {r.x - by, r.y - by, r.w + 2 * by, r.h + 2 * by}; }

// Places every labelled edge's label; see the header for the order and the candidates.
void place_labels(GraphLayout& g, const std::vector<Curve>& curves) {
  std::vector<Rect> taken;
  for (const auto& n : g.nodes) taken.push_back(inflate(n.box, 2));
  taken.push_back({g.host_cx - g.host_r, g.host_cy - g.host_r, 2 * g.host_r, 2 * g.host_r});
  const Rect canvas{0, 0, g.width, g.height};
  auto fits = [&](const Rect& r) {
    if (r.x < canvas.x || r.y < canvas.y || r.x + r.w > canvas.w || r.y + r.h > canvas.h)
      return false;
    return std::none_of(taken.begin(), taken.end(), [&](const Rect& t) { return t.intersects(r); });
  };
  std::vector<size_t> order(g.edges.size());
  std::iota(order.begin(), order.end(), 0);
  auto rank = [](GraphEdge::Kind k) { return k == GraphEdge::Kind::kPort ? 1 : 0; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (rank(g.edges[a].kind) != rank(g.edges[b].kind))
      return rank(g.edges[a].kind) < rank(g.edges[b].kind);
    return curves[a].length() < curves[b].length();
  });
  // Along the edge from the middle outwards, then above and below the line, then farther.
  std::vector<double> ts = {0.5};
  for (int i = 1; i <= 8; ++i) ts.insert(ts.end(), {0.5 - 0.05 * i, 0.5 + 0.05 * i});
  // Baselines above (negative) and below the line, in pairs, nearest first.
  std::vector<int> offsets = {-4, 13};
  for (int d = 7; d <= 63; d += 7) offsets.insert(offsets.end(), {-4 - d, 13 + d});
  for (size_t i : order) {
    GraphEdge& e = g.edges[i];
    if (e.label.empty()) continue;
    const int w = label_width(e.label);
    bool placed = false;
    for (size_t o = 0; o < offsets.size() && !placed; o += 2)
      for (double t : ts) {
        auto [px, py] = curves[i].at(t);
        for (size_t k = o; k < o + 2 && !placed; ++k) {
          const int cx = static_cast<int>(std::lround(px)),
                    base = static_cast<int>(std::lround(py)) + offsets[k];
          Rect r = label_rect(cx, base, w);
          if (!fits(r)) continue;
          e.label_x = cx, e.label_y = base, e.label_box = r;
          placed = true;
        }
        if (placed) break;
      }
    if (!placed) {
      auto [px, py] = curves[i].at(0.5);
      e.label_x = static_cast<int>(std::lround(px));
      e.label_y = static_cast<int>(std::lround(py)) - 4;
      e.label_box = label_rect(e.label_x, e.label_y, w);
      e.label_free = false;
    }
    taken.push_back(inflate(e.label_box, 1));
  }
}

}  // namespace

std::string ports_label(const Service& s) {
  std::vector<std::string> parts;
  for (const auto& p : s.ports)
    parts.push_back((p.host_port ? std::to_string(p.host_port) : std::string("auto")) + "→" +
                    std::to_string(p.container_port));
  return join(parts, ", ");
}

int label_width(std::string_view text) {
  // DejaVu Sans (Debian's default sans-serif) at 11px: digits and most letters are under
  // 7px, capitals under 8.5px, the arrow under 9.5px; 4px of air on the sides.
  int w = 4;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if ((c & 0xC0) == 0xC0) w += 10;  // the lead byte of one code point
      continue;
    }
    w += std::isupper(c) || c == 'm' || c == 'w' ? 9 : (c == ' ' || c == ',' || c == '/' ? 4 : 7);
  }
  return w;
}

namespace {

// Places the boxes: column 0 holds the services nothing deeper depends on, the last
// the stores. Returns each service's box.
std::map<std::string, Rect> place_nodes(const Profile& p, GraphLayout& g) {
  auto depth = depths(p);
  int max_depth = 0;
  for (const auto& [name, d] : depth) max_depth = std::max(max_depth, d);
  std::map<int, std::vector<const Service*>> columns;
  for (const auto& s : p.services) columns[max_depth - depth[s.name]].push_back(&s);
  std::map<std::string, Rect> at;
  size_t rows = 1;
  const int x0 = kHostX + 2 * kHostR + kColGap;
  for (const auto& [col, list] : columns) {
    rows = std::max(rows, list.size());
    for (size_t i = 0; i < list.size(); ++i)
      at[list[i]->name] = {x0 + col * (kW + kColGap), kTop + static_cast<int>(i) * (kH + kRowGap),
                           kW, kH};
  }
  g.width = x0 + static_cast<int>(columns.size()) * (kW + kColGap);
  g.height = kTop * 2 + static_cast<int>(rows) * (kH + kRowGap);
  g.host_cx = kHostX + kHostR, g.host_cy = kTop + kH / 2, g.host_r = kHostR;
  for (const auto& s : p.services) g.nodes.push_back({s.name, at[s.name]});
  return at;
}

// The edges of one service (its published ports, dependencies and gateway routes),
// with the curve of each for placing the labels.
void add_edges(const Service& s, const std::map<std::string, Rect>& at, GraphLayout& g,
               std::vector<Curve>& curves) {
  auto add = [&](GraphEdge e, const Curve& c) {
    g.edges.push_back(std::move(e));
    curves.push_back(c);
  };
  const Rect b = at.at(s.name);
  if (!s.ports.empty()) {
    const int x1 = kHostX + 2 * kHostR, y1 = g.host_cy, x2 = b.x, y2 = b.y + kH / 2;
    add({GraphEdge::Kind::kPort, "", s.name, fmt::format("M{} {} L{} {}", x1, y1, x2, y2),
         ports_label(s)},
        line(x1, y1, x2, y2));
  }
  for (const auto& d : s.depends_on) {
    auto it = at.find(d.service);
    if (it == at.end()) continue;
    const Rect t = it->second;
    int x1 = b.x + kW, y1 = b.y + kH / 2, x2 = t.x, y2 = t.y + kH / 2;
    if (t.x <= b.x) x1 = b.x, x2 = t.x + kW;  // same column: a short hop
    const int m = (x1 + x2) / 2;
    add({GraphEdge::Kind::kDependency, s.name, d.service,
         fmt::format("M{} {} C{} {} {} {} {} {}", x1, y1, m, y1, m, y2, x2, y2),
         to_string(d.condition)},
        Curve{{1.0 * x1, 1.0 * m, 1.0 * m, 1.0 * x2},
              {1.0 * y1, 1.0 * y1, 1.0 * y2, 1.0 * y2},
              true});
  }
  for (const auto& r : s.routes) {
    auto it = at.find(r.service);
    if (it == at.end()) continue;
    const Rect t = it->second;
    const int x1 = b.x + kW, y1 = b.y + kH - 8, x2 = t.x, y2 = t.y + 8;
    add({GraphEdge::Kind::kRoute, s.name, r.service, fmt::format("M{} {} L{} {}", x1, y1, x2, y2),
         ""},
        line(x1, y1, x2, y2));
  }
}

}  // namespace

GraphLayout layout_graph(const Profile& p) {
  GraphLayout g;
  std::map<std::string, Rect> at = place_nodes(p, g);
  std::vector<Curve> curves;
  for (const auto& s : p.services) add_edges(s, at, g, curves);
  place_labels(g, curves);
  return g;
}

}  // namespace biodev::profile
