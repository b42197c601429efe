#include "profile/graph.h"

#include <algorithm>

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

}  // namespace

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
