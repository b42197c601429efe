// A compose service's ports, volumes, tmpfs and secrets/configs grants.
#include <charconv>

#include "profile/compose_parse.h"
#include "profile/load_steps.h"
#include "profile/reader.h"
#include "util/strings.h"

namespace biodev::profile {

namespace {

// "8000" or "8000-8002"; false when not a port or range.
bool parse_range(const std::string& s, int& lo, int& hi) {
  auto num = [](std::string_view x, int& out) {
    auto [p, ec] = std::from_chars(x.data(), x.data() + x.size(), out);
    return ec == std::errc() && p == x.data() + x.size() && out >= 0 && out <= 65535;
  };
  size_t dash = s.find('-');
  if (dash == std::string::npos) {
    if (!num(s, lo)) return false;
    hi = lo;
    return true;
  }
  return num(std::string_view(s).substr(0, dash), lo) &&
         num(std::string_view(s).substr(dash + 1), hi) && lo <= hi;
}

// Expands "HOST-RANGE:CONTAINER-RANGE" into one PortSpec per port, as compose does.
void add_ports(const std::string& ip, const std::string& host, const std::string& container,
               const std::string& proto, const Node& item, std::vector<PortSpec>& out,
               Diagnostics& d) {
  int clo = 0, chi = 0, hlo = 0, hhi = 0;
  std::string what = "port \"" + (item.is_scalar() ? item.scalar : container) + "\"";
  if (!parse_range(container, clo, chi) || clo == 0) {
    d.add(item.loc, "bad " + what + ": \"" + container + "\" is not a container port or range (1-65535)");
    return;
  }
  if (!host.empty() && !parse_range(host, hlo, hhi)) {
    d.add(item.loc, "bad " + what + ": \"" + host + "\" is not a host port or range (0-65535)");
    return;
  }
  if (!host.empty() && hhi - hlo != chi - clo) {
    d.add(item.loc, "bad " + what + ": the host range and the container range must be the same "
                    "length (biodev does not pick one host port out of a range)");
    return;
  }
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    d.add(item.loc, "port protocol must be tcp, udp or sctp, not \"" + proto + "\"");
  for (int i = 0; i <= chi - clo; ++i) {
    PortSpec p;
    p.host_ip = ip.empty() ? "0.0.0.0" : ip;  // compose publishes on every interface
    p.host_port = host.empty() ? 0 : hlo + i;
    p.container_port = clo + i;
    p.protocol = proto;
    p.loc = item.loc;
    out.push_back(p);
  }
}

void parse_port_short(const Node& item, std::vector<PortSpec>& out, Diagnostics& d) {
  std::string s = item.scalar, proto = "tcp", ip;
  if (size_t slash = s.rfind('/'); slash != std::string::npos) {
    proto = s.substr(slash + 1);
    s = s.substr(0, slash);
  }
  if (s.starts_with("[")) {  // [::1]:8080:80
    size_t close = s.find("]:");
    if (close == std::string::npos) {
      d.add(item.loc, "bad port \"" + item.scalar + "\": expected [IPv6]:HOST:CONTAINER");
      return;
    }
    ip = s.substr(1, close - 1);
    s = s.substr(close + 2);
    std::vector<std::string> parts = split(s, ':');
    if (parts.size() != 2) {
      d.add(item.loc, "bad port \"" + item.scalar + "\": expected [IPv6]:HOST:CONTAINER");
      return;
    }
    return add_ports(ip, parts[0], parts[1], proto, item, out, d);
  }
  std::vector<std::string> parts = split(s, ':');
  if (parts.size() == 1) return add_ports("", "", parts[0], proto, item, out, d);
  if (parts.size() == 2) return add_ports("", parts[0], parts[1], proto, item, out, d);
  if (parts.size() == 3) return add_ports(parts[0], parts[1], parts[2], proto, item, out, d);
  d.add(item.loc, "bad port \"" + item.scalar +
                      "\": expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]");
}

void parse_port_long(const Node& item, std::vector<PortSpec>& out, Diagnostics& d) {
  MapReader r(item, "a port", d);
  std::string target, published, ip, proto = "tcp";
  if (auto* x = r.take("target")) target = read_string(*x, d, "target").value_or("");
  else d.add(item.loc, "a port needs \"target\" (the container port)");
  if (auto* x = r.take("published")) published = read_string(*x, d, "published").value_or("");
  if (auto* x = r.take("host_ip")) ip = read_string(*x, d, "host_ip").value_or("");
  if (auto* x = r.take("protocol")) proto = read_string(*x, d, "protocol").value_or("tcp");
  if (auto* x = r.take("mode")) {
    std::string mode = read_string(*x, d, "mode").value_or("host");
    if (mode != "host" && mode != "ingress")
      d.add(x->loc, "port mode must be host or ingress, not \"" + mode + "\"");
  }
  r.take("name");          // a label for humans and tools
  r.take("app_protocol");  // a hint for tools; the engine ignores it
  r.finish();
  if (!target.empty()) add_ports(ip, published, target, proto, item, out, d);
}

}  // namespace

std::vector<PortSpec> parse_compose_ports(const Node& n, Diagnostics& d) {
  std::vector<PortSpec> out;
  if (!n.is_seq()) {
    d.add(n.loc, "ports must be a list");
    return out;
  }
  for (const auto& item : n.items) {
    if (item.is_scalar()) parse_port_short(item, out, d);
    else if (item.is_map()) parse_port_long(item, out, d);
    else d.add(item.loc, "a port must be a string or a mapping");
  }
  return out;
}

namespace {

void check_target(const MountSpec& m, const Node& item, Diagnostics& d) {
  if (!m.target.starts_with("/"))
    d.add(item.loc, "volume target must be an absolute path in the container, not \"" + m.target + "\"");
}

std::optional<MountSpec> parse_volume_short(const Node& item, const ComposeParse& cp) {
  Diagnostics& d = *cp.ctx.diags;
  MountSpec m;
  m.loc = item.loc;
  std::vector<std::string> parts = split(item.scalar, ':');
  if (parts.size() == 1) {
    // A container path alone is an anonymous volume, as in compose; "/x:ro" is not one
    // (compose reads it as a bind of /x at "ro"), so it fails the target check.
    m.type = MountSpec::Type::kVolume;
    m.anonymous = true;
    m.target = item.scalar;
    return m;
  }
  if (parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    d.add(item.loc, "bad volume \"" + item.scalar + "\": expected SOURCE:TARGET[:MODE]");
    return std::nullopt;
  }
  if (parts.size() == 3) {
    for (const auto& opt : split(parts[2], ',')) {
      if (opt == "ro") m.read_only = true;
      else if (opt == "rw") m.read_only = false;
      else if (opt == "cached" || opt == "delegated" || opt == "consistent")
        cp.warn(item.loc, "volume option \"" + opt + "\" has no effect on Linux; ignored");
      else
        d.add(item.loc, "volume option \"" + opt + "\" is not supported by biodev (use ro or rw)");
    }
  }
  const std::string& src = parts[0];
  bool path_like = src.starts_with(".") || src.starts_with("/") || src.starts_with("~");
  m.type = path_like ? MountSpec::Type::kBind : MountSpec::Type::kVolume;
  m.source = path_like ? resolve_path(cp.ctx.project_dir, src) : src;
  // Paths may be absolute already (extends:, include:): .data/ is judged in the project.
  m.data = path_like && is_data_path(project_relative(m.source, cp.ctx.project_dir));
  m.create_host_path = path_like;  // the short syntax makes a missing host folder
  m.target = parts[1];
  return m;
}

void parse_volume_options(MapReader& r, MountSpec& m, const ComposeParse& cp) {
  Diagnostics& d = *cp.ctx.diags;
  if (auto* x = r.take("bind")) {
    MapReader b(*x, "bind", d);
    if (auto* y = b.take("create_host_path"))
      m.create_host_path = read_bool(*y, d, "create_host_path").value_or(false);
    if (auto* y = b.take("selinux")) cp.warn(y->loc, "bind.selinux is not applied by biodev; ignored");
    b.finish();
  }
  if (auto* x = r.take("volume")) {
    MapReader v(*x, "volume", d);
    if (auto* y = v.take("nocopy"))
      if (read_bool(*y, d, "nocopy").value_or(false))
        d.add(y->loc, "volume.nocopy is not supported by biodev");
    v.finish();
  }
  if (auto* x = r.take("tmpfs")) {
    MapReader t(*x, "tmpfs", d);
    if (auto* y = t.take("size")) m.tmpfs_size = read_bytes(*y, d, "tmpfs.size").value_or(0);
    if (auto* y = t.take("mode"))
      m.tmpfs_mode = static_cast<int>(read_int(*y, d, "tmpfs.mode", 0, 07777).value_or(0));
    t.finish();
  }
  if (auto* x = r.take("consistency")) cp.warn(x->loc, "consistency has no effect on Linux; ignored");
}

std::optional<MountSpec> parse_volume_long(const Node& item, const ComposeParse& cp) {
  Diagnostics& d = *cp.ctx.diags;
  MountSpec m;
  m.loc = item.loc;
  MapReader r(item, "a volume", d);
  std::string type, source;
  if (auto* x = r.take("type")) type = read_string(*x, d, "type").value_or("");
  else d.add(item.loc, "a volume needs \"type\" (bind, volume or tmpfs)");
  if (auto* x = r.take("source")) source = read_string(*x, d, "source").value_or("");
  if (auto* x = r.take("target")) m.target = read_string(*x, d, "target").value_or("");
  else d.add(item.loc, "a volume needs \"target\" (an absolute path in the container)");
  if (auto* x = r.take("read_only")) m.read_only = read_bool(*x, d, "read_only").value_or(false);
  parse_volume_options(r, m, cp);
  r.finish();
  if (type == "bind") {
    m.type = MountSpec::Type::kBind;
    if (source.empty()) d.add(item.loc, "a bind volume needs \"source\" (a host path)");
    m.source = resolve_path(cp.ctx.project_dir, source);
    m.data = is_data_path(project_relative(m.source, cp.ctx.project_dir));
  } else if (type == "volume") {
    m.type = MountSpec::Type::kVolume;
    m.source = source;
    m.anonymous = source.empty();
  } else if (type == "tmpfs") {
    m.type = MountSpec::Type::kTmpfs;
  } else if (!type.empty()) {
    d.add(item.get("type")->loc, "volume type \"" + type + "\" is not supported by biodev "
                                 "(bind, volume or tmpfs)");
    return std::nullopt;
  }
  if (m.target.empty()) return std::nullopt;
  return m;
}

}  // namespace

std::vector<MountSpec> parse_compose_volumes(const Node& n, const ComposeParse& cp) {
  std::vector<MountSpec> out;
  if (!n.is_seq()) {
    cp.ctx.diags->add(n.loc, "volumes must be a list");
    return out;
  }
  for (const auto& item : n.items) {
    std::optional<MountSpec> m;
    if (item.is_scalar()) m = parse_volume_short(item, cp);
    else if (item.is_map()) m = parse_volume_long(item, cp);
    else cp.ctx.diags->add(item.loc, "a volume must be a string or a mapping");
    if (!m) continue;
    check_target(*m, item, *cp.ctx.diags);
    out.push_back(*m);
  }
  return out;
}

std::vector<MountSpec> parse_compose_tmpfs(const Node& n, Diagnostics& d) {
  std::vector<MountSpec> out;
  std::vector<const Node*> items;
  if (n.is_scalar()) items.push_back(&n);
  for (const auto& item : n.items) items.push_back(&item);
  if (!n.is_scalar() && !n.is_seq()) d.add(n.loc, "tmpfs must be a path or a list of paths");
  for (const Node* item : items) {
    auto s = read_string(*item, d, "tmpfs entries");
    if (!s) continue;
    MountSpec m;
    m.type = MountSpec::Type::kTmpfs;
    m.loc = item->loc;
    size_t colon = s->find(':');
    m.target = s->substr(0, colon);
    if (colon != std::string::npos)
      for (const auto& opt : split(s->substr(colon + 1), ',')) {
        if (opt.starts_with("size=")) m.tmpfs_size = parse_bytes(opt.substr(5)).value_or(0);
        else if (opt.starts_with("mode=") && opt.size() > 5 && opt.size() < 10 &&
                 opt.find_first_not_of("01234567", 5) == std::string::npos)
          m.tmpfs_mode = std::stoi(opt.substr(5), nullptr, 8);
        else if (opt != "rw")
          d.add(item->loc, "tmpfs option \"" + opt + "\" is not supported by biodev (size=, mode=)");
      }
    if (!m.target.starts_with("/"))
      d.add(item->loc, "tmpfs must be an absolute path in the container, not \"" + m.target + "\"");
    out.push_back(m);
  }
  return out;
}

namespace {

// compose writes modes in octal (0440); YAML 1.2 reads that as the number 440.
std::optional<int> read_mode(const Node& n, Diagnostics& d) {
  if (n.is_scalar() && !n.scalar.empty() &&
      n.scalar.find_first_not_of("01234567") == std::string::npos)
    return std::stoi(n.scalar, nullptr, 8);
  d.add(n.loc, "mode must be an octal number such as 0440");
  return std::nullopt;
}

}  // namespace

std::vector<FileGrant> parse_grants(const Node& n, bool secrets, Diagnostics& d) {
  const std::string what = secrets ? "secrets" : "configs";
  const std::string dir = secrets ? "/run/secrets/" : "/";
  std::vector<FileGrant> out;
  if (!n.is_seq()) {
    d.add(n.loc, what + " must be a list");
    return out;
  }
  for (const auto& item : n.items) {
    FileGrant g;
    g.loc = item.loc;
    if (item.is_scalar()) {
      g.source = item.scalar;
    } else {
      MapReader r(item, "an entry of " + what, d);
      if (auto* x = r.take("source")) g.source = read_string(*x, d, "source").value_or("");
      else d.add(item.loc, "an entry of " + what + " needs \"source\"");
      if (auto* x = r.take("target")) g.target = read_string(*x, d, "target").value_or("");
      if (auto* x = r.take("uid")) g.uid = read_string(*x, d, "uid").value_or("");
      if (auto* x = r.take("gid")) g.gid = read_string(*x, d, "gid").value_or("");
      if (auto* x = r.take("mode")) g.mode = read_mode(*x, d).value_or(-1);
      r.finish();
    }
    if (g.target.empty()) g.target = dir + g.source;
    else if (!g.target.starts_with("/")) g.target = dir + g.target;
    out.push_back(g);
  }
  return out;
}

}  // namespace biodev::profile
