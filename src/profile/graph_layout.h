// Where `graph_svg` puts things: the host, one box per service (a column per depends_on
// depth, stores on the right), the edges, and each edge's label. Pure.
//
// Labels are placed by a collision pass: each label tries positions along its own edge
// (the middle first, then outwards), above and below the line, and takes the first whose
// box meets no service box, the host, the canvas edge or a label placed before it. Short
// edges (dependencies, routes) are placed before the long host-port edges, which have
// more room to move. Label boxes are estimated from the text (glyph widths of a
// sans-serif 11px font, rounded up), so the page's font fits inside them.
#pragma once

#include <string>
#include <vector>

#include "profile/model.h"

namespace biodev::profile {

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
  bool intersects(const Rect& o) const {
    return x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h;
  }
};

struct GraphNode {
  std::string service;
  Rect box;
};

struct GraphEdge {
  enum class Kind { kPort, kDependency, kRoute };
  Kind kind = Kind::kPort;
  std::string from;  // "" for the host
  std::string to;
  std::string path;        // SVG path data
  std::string label;       // "" when unlabelled
  int label_x = 0;         // text-anchor middle
  int label_y = 0;         // baseline
  Rect label_box;          // what the label covers
  bool label_free = true;  // false when no free place was found (drawn at the middle)
};

struct GraphLayout {
  int width = 0, height = 0;
  int host_cx = 0, host_cy = 0, host_r = 0;
  std::vector<GraphNode> nodes;  // in profile order
  std::vector<GraphEdge> edges;  // in drawing order
};

GraphLayout layout_graph(const Profile& p);

// "5432→5432, auto→8080": a service's published ports, host side first.
std::string ports_label(const Service& s);

// The estimated width in pixels of `text` at the labels' 11px sans-serif font.
int label_width(std::string_view text);

}  // namespace biodev::profile
