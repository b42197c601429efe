#include "profile/graph.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "profile/graph_layout.h"
#include "util/strings.h"

namespace biodev::profile {
namespace {

std::string id(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

const GraphSandbox* sandbox_of(const std::vector<GraphSandbox>& sandboxes,
                               const std::string& service) {
  for (const auto& g : sandboxes)
    if (std::find(g.members.begin(), g.members.end(), service) != g.members.end()) return &g;
  return nullptr;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string graph_svg(const Profile& p) {
  const GraphLayout g = layout_graph(p);
  std::string edges, nodes;
  for (const auto& e : g.edges) {
    const char* kind = e.kind == GraphEdge::Kind::kPort         ? "port"
                       : e.kind == GraphEdge::Kind::kDependency ? "dep"
                                                                : "route";
    edges += fmt::format("<path class=\"edge {}\" d=\"{}\" marker-end=\"url(#arrow)\"/>\n", kind,
                         e.path);
  }
  // Labels over every edge, so no line crosses a label drawn before it.
  for (const auto& e : g.edges)
    if (!e.label.empty())
      edges += fmt::format(
          "<text class=\"edge-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
          e.label_x, e.label_y, xml_escape(e.label));
  for (const auto& n : g.nodes) {
    const Service& s = *p.find(n.service);
    const Rect b = n.box;
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
        xml_escape(s.name), b.x, b.y, b.w, b.h, b.x + 10, b.y + 18, stand_in ? " (stand-in)" : "",
        b.y + 34, xml_escape(sub.size() > 30 ? sub.substr(0, 29) + "…" : sub), b.y + 50,
        xml_escape(nets.empty() ? "" : "net: " + join(nets, ", ")));
  }
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology\" viewBox=\"0 0 {0} {1}\" "
      "width=\"{0}\" "
      "height=\"{1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
      "markerHeight=\"7\" "
      "orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\"/></marker></defs>\n"
      "<g class=\"host\"><circle cx=\"{2}\" cy=\"{3}\" r=\"{4}\"/><text x=\"{2}\" y=\"{5}\" "
      "text-anchor=\"middle\">host</text><text class=\"sub\" x=\"{2}\" y=\"{6}\" "
      "text-anchor=\"middle\">127.0.0.1</text></g>\n",
      g.width, g.height, g.host_cx, g.host_cy, g.host_r, g.host_cy - 2, g.host_cy + 12);
  return out + edges + nodes + "</svg>\n";
}

std::string graph_mermaid(const Profile& p, const std::vector<GraphSandbox>& sandboxes) {
  std::string out = "flowchart LR\n  host((\"host 127.0.0.1\"))\n";
  for (const auto& n : p.networks) out += "  net_" + id(n.name) + "{{\"" + n.name + "\"}}\n";
  auto node = [&](const Service& s, const std::string& indent) {
    std::string label = s.name + "<br/>" + s.image;
    if (s.offline && s.offline->image != s.image) label += "<br/>offline: " + s.offline->image;
    if (!s.stand_in.empty() || (s.offline && !s.offline->stand_in.empty()))
      label += "<br/>(stand-in offline)";
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
  std::string out = "digraph \"" + p.project +
                    "\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n"
                    "  host [shape=circle, label=\"host\\n127.0.0.1\"];\n";
  for (const auto& n : p.networks)
    out += "  \"net_" + n.name + "\" [shape=hexagon, style=dashed, label=\"" + n.name + "\"];\n";
  for (const auto& s : p.services) {
    std::string label = s.name + "\\n" + s.image;
    if (s.offline && s.offline->image != s.image) label += "\\noffline: " + s.offline->image;
    out += "  \"" + s.name + "\" [label=\"" + label + "\"];\n";
  }
  for (const auto& g : sandboxes) {
    out += "  subgraph \"cluster_" + id(g.name) + "\" {\n    label=\"" + g.name +
           ": one network namespace\";\n";
    for (const auto& m : g.members) out += "    \"" + m + "\";\n";
    out += "  }\n";
  }
  for (const auto& s : p.services)
    for (const auto& a : s.networks)
      out += "  \"" + s.name + "\" -> \"net_" + a.network + "\" [dir=none, style=dotted];\n";
  for (const auto& s : p.services)
    if (!s.ports.empty())
      out += "  host -> \"" + s.name + "\" [label=\"" + ports_label(s) + "\"];\n";
  for (const auto& s : p.services)
    for (const auto& d : s.depends_on)
      out += "  \"" + s.name + "\" -> \"" + d.service + "\" [label=\"" + to_string(d.condition) +
             "\", style=bold];\n";
  for (const auto& s : p.services)
    for (const auto& r : s.routes)
      out += "  \"" + s.name + "\" -> \"" + r.service + "\" [label=\"" + r.prefix +
             "\", style=dashed];\n";
  return out + "}\n";
}

}  // namespace biodev::profile
