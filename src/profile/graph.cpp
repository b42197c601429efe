#include "profile/graph.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "util/strings.h"

namespace biodev::profile {
namespace {

std::string id(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

std::string ports_label(const Service& s) {
  std::vector<std::string> parts;
  for (const auto& p : s.ports)
    parts.push_back((p.host_port ? std::to_string(p.host_port) : std::string("auto")) + "→" +
                    std::to_string(p.container_port));
  return join(parts, ", ");
}

const GraphSandbox* sandbox_of(const std::vector<GraphSandbox>& sandboxes, const std::string& service) {
  for (const auto& g : sandboxes)
    if (std::find(g.members.begin(), g.members.end(), service) != g.members.end()) return &g;
  return nullptr;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

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

}  // namespace

std::string graph_svg(const Profile& p) {
  constexpr int kW = 190, kH = 58, kColGap = 90, kRowGap = 26, kHostX = 20, kHostR = 34, kTop = 20;
  auto depth = depths(p);
  int max_depth = 0;
  for (const auto& [name, d] : depth) max_depth = std::max(max_depth, d);
  // Column 0 holds the services nothing deeper depends on, the last the stores.
  std::map<int, std::vector<const Service*>> columns;
  for (const auto& s : p.services) columns[max_depth - depth[s.name]].push_back(&s);
  struct Box {
    int x, y;
  };
  std::map<std::string, Box> at;
  size_t rows = 1;
  const int x0 = kHostX + 2 * kHostR + kColGap;
  for (const auto& [col, list] : columns) {
    rows = std::max(rows, list.size());
    for (size_t i = 0; i < list.size(); ++i)
      at[list[i]->name] = {x0 + col * (kW + kColGap), kTop + static_cast<int>(i) * (kH + kRowGap)};
  }
  const int width = x0 + static_cast<int>(columns.size()) * (kW + kColGap);
  const int height = kTop * 2 + static_cast<int>(rows) * (kH + kRowGap);
  const int host_y = kTop + kH / 2;
  std::string edges, nodes;
  auto label = [](int x, int y, const std::string& text) {
    return fmt::format("<text class=\"edge-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x, y,
                       xml_escape(text));
  };
  for (const auto& s : p.services) {
    const Box b = at[s.name];
    if (!s.ports.empty()) {
      edges += fmt::format("<path class=\"edge port\" d=\"M{} {} L{} {}\" marker-end=\"url(#arrow)\"/>\n",
                           kHostX + 2 * kHostR, host_y, b.x, b.y + kH / 2);
      edges += label((kHostX + 2 * kHostR + b.x) / 2, (host_y + b.y + kH / 2) / 2 - 4, ports_label(s));
    }
    for (const auto& d : s.depends_on) {
      auto it = at.find(d.service);
      if (it == at.end()) continue;
      const Box t = it->second;
      int x1 = b.x + kW, y1 = b.y + kH / 2, x2 = t.x, y2 = t.y + kH / 2;
      if (t.x <= b.x) x1 = b.x, x2 = t.x + kW;  // same column: a short hop
      edges += fmt::format("<path class=\"edge dep\" d=\"M{} {} C{} {} {} {} {} {}\" marker-end=\"url(#arrow)\"/>\n", x1, y1,
                           (x1 + x2) / 2, y1, (x1 + x2) / 2, y2, x2, y2);
      edges += label((x1 + x2) / 2, (y1 + y2) / 2 - 4, to_string(d.condition));
    }
    for (const auto& r : s.routes) {
      auto it = at.find(r.service);
      if (it == at.end()) continue;
      const Box t = it->second;
      edges += fmt::format("<path class=\"edge route\" d=\"M{} {} L{} {}\" marker-end=\"url(#arrow)\"/>\n", b.x + kW,
                           b.y + kH - 8, t.x, t.y + 8);
    }
    std::string sub = s.image;
    if (s.offline && s.offline->image != s.image) sub = s.offline->image;
    bool stand_in = !s.stand_in.empty() || (s.offline && !s.offline->stand_in.empty());
    std::vector<std::string> nets;
    for (const auto& a : s.networks) nets.push_back(a.network);
    nodes += fmt::format(
        "<g class=\"svc\" data-service=\"{0}\"><title>{0}</title>"
        "<rect x=\"{1}\" y=\"{2}\" width=\"{3}\" height=\"{4}\" rx=\"6\"/>"
        "<text class=\"name\" x=\"{5}\" y=\"{6}\">{0}{7}</text>"
        "<text class=\"sub\" x=\"{5}\" y=\"{8}\">{9}</text>"
        "<text class=\"sub\" x=\"{5}\" y=\"{10}\">{11}</text></g>\n",
        xml_escape(s.name), b.x, b.y, kW, kH, b.x + 10, b.y + 18, stand_in ? " (stand-in)" : "", b.y + 34,
        xml_escape(sub.size() > 30 ? sub.substr(0, 29) + "…" : sub), b.y + 50,
        xml_escape(nets.empty() ? "" : "net: " + join(nets, ", ")));
  }
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
      "orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\"/></marker></defs>\n"
      "<g class=\"host\"><circle cx=\"{2}\" cy=\"{3}\" r=\"{4}\"/><text x=\"{2}\" y=\"{5}\" "
      "text-anchor=\"middle\">host</text><text class=\"sub\" x=\"{2}\" y=\"{6}\" text-anchor=\"middle\">127.0.0.1</text></g>\n",
      width, height, kHostX + kHostR, host_y, kHostR, host_y - 2, host_y + 12);
  return out + edges + nodes + "</svg>\n";
}

std::string graph_mermaid(const Profile& p, const std::vector<GraphSandbox>& sandboxes) {
  std::string out = "flowchart LR\n  host((\"host 127.0.0.1\"))\n";
  for (const auto& n : p.networks) out += "  net_" + id(n.name) + "{{\"" + n.name + "\"}}\n";
  auto node = [&](const Service& s, const std::string& indent) {
    std::string label = s.name + "<br/>" + s.image;
    if (s.offline && s.offline->image != s.image) label += "<br/>offline: " + s.offline->image;
    if (!s.stand_in.empty() || (s.offline && !s.offline->stand_in.empty())) label += "<br/>(stand-in offline)";
    out += indent + id(s.name) + "[\"" + label + "\"]\n";
  };
  for (const auto& g : sandboxes) {
    out += "  subgraph " + id(g.name) + "[\"" + g.name + ": one network namespace\"]\n";
    for (const auto& m : g.members)
      if (const Service* s = p.find(m)) node(*s, "    ");
    out += "  end\n";
  }
  for (const auto& s : p.services)
    if (!sandbox_of(sandboxes, s.name)) node(s, "  ");
  for (const auto& s : p.services)
    for (const auto& a : s.networks) out += "  " + id(s.name) + " -.- net_" + id(a.network) + "\n";
  for (const auto& s : p.services)
    if (!s.ports.empty()) out += "  host -- \"" + ports_label(s) + "\" --> " + id(s.name) + "\n";
  for (const auto& s : p.services)
    for (const auto& d : s.depends_on)
      out += "  " + id(s.name) + " -- " + to_string(d.condition) + " --> " + id(d.service) + "\n";
  for (const auto& s : p.services)
    for (const auto& r : s.routes)
      out += "  " + id(s.name) + " -. \"" + r.prefix + "\" .-> " + id(r.service) + "\n";
  return out;
}

std::string graph_dot(const Profile& p, const std::vector<GraphSandbox>& sandboxes) {
  std::string out = "digraph \"" + p.project + "\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n"
                    "  host [shape=circle, label=\"host\\n127.0.0.1\"];\n";
  for (const auto& n : p.networks)
    out += "  \"net_" + n.name + "\" [shape=hexagon, style=dashed, label=\"" + n.name + "\"];\n";
  for (const auto& s : p.services) {
    std::string label = s.name + "\\n" + s.image;
    if (s.offline && s.offline->image != s.image) label += "\\noffline: " + s.offline->image;
    out += "  \"" + s.name + "\" [label=\"" + label + "\"];\n";
  }
  for (const auto& g : sandboxes) {
    out += "  subgraph \"cluster_" + id(g.name) + "\" {\n    label=\"" + g.name + ": one network namespace\";\n";
    for (const auto& m : g.members) out += "    \"" + m + "\";\n";
    out += "  }\n";
  }
  for (const auto& s : p.services)
    for (const auto& a : s.networks)
      out += "  \"" + s.name + "\" -> \"net_" + a.network + "\" [dir=none, style=dotted];\n";
  for (const auto& s : p.services)
    if (!s.ports.empty()) out += "  host -> \"" + s.name + "\" [label=\"" + ports_label(s) + "\"];\n";
  for (const auto& s : p.services)
    for (const auto& d : s.depends_on)
      out += "  \"" + s.name + "\" -> \"" + d.service + "\" [label=\"" + to_string(d.condition) + "\", style=bold];\n";
  for (const auto& s : p.services)
    for (const auto& r : s.routes)
      out += "  \"" + s.name + "\" -> \"" + r.service + "\" [label=\"" + r.prefix + "\", style=dashed];\n";
  return out + "}\n";
}

}  // namespace biodev::profile
