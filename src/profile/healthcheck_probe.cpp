#include "profile/healthcheck_probe.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "profile/shell_words.h"
#include "util/strings.h"

namespace biodev::profile {
namespace {

using Words = std::vector<std::string>;

bool is_shell(const std::string& prog) {
  return prog == "sh" || prog == "bash" || prog == "ash" || prog == "dash" || prog == "zsh";
}

// Builtins, and filters of another command's output: neither decides what is checked.
const std::set<std::string> kIncidental = {"exit", "true", "false", "echo", "printf", "test", "[", ":",
                                           "grep", "egrep", "fgrep", "cat", "head", "tail", "wc", "awk",
                                           "sed", "sleep", "set", "exec"};
const std::set<std::string> kBuiltins = {"exit", "true", "false", "echo", "printf", "test", "[", ":",
                                         "set", "exec", "cd", "export", ".", "source", "read", "kill"};

// `exec curl ...` and `timeout 5 curl ...` check what they run.
Words strip_prefix_commands(Words c) {
  while (!c.empty()) {
    std::string prog = program_name(c[0]);
    if (prog == "exec" || prog == "command") {
      c.erase(c.begin());
    } else if (prog == "timeout") {
      size_t k = 1;
      while (k < c.size() && c[k].starts_with("-")) ++k;
      if (k < c.size()) ++k;  // the duration
      c.erase(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(std::min(k, c.size())));
    } else {
      break;
    }
  }
  return c;
}

// The index of a shell's script argument in `sh -c SCRIPT` / `bash -ec SCRIPT`, or 0.
size_t script_index(const Words& c) {
  for (size_t k = 1; k < c.size() && c[k].starts_with("-") && !c[k].starts_with("--"); ++k)
    if (c[k].find('c') != std::string::npos) return k + 1 < c.size() ? k + 1 : 0;
  return 0;
}

// Simple commands with `sh -c '...'` wrappers opened (a few levels deep).
void collect(const std::vector<Words>& cmds, int depth, std::vector<Words>& out) {
  for (const Words& raw : cmds) {
    Words c = strip_prefix_commands(raw);
    if (c.empty()) continue;
    if (is_shell(program_name(c[0])) && depth < 4) {
      if (size_t k = script_index(c)) {
        collect(simple_commands(split_shell_words(c[k])), depth + 1, out);
        continue;
      }
    }
    out.push_back(c);
  }
}

std::vector<Words> commands_of(const std::vector<std::string>& test) {
  std::vector<Words> out;
  if (test.size() < 2) return out;
  if (test[0] == "CMD-SHELL") {
    Words rest(test.begin() + 1, test.end());
    collect(simple_commands(split_shell_words(join(rest, " "))), 0, out);
  } else if (test[0] == "CMD") {
    collect({Words(test.begin() + 1, test.end())}, 0, out);
  }
  return out;
}

// Options of one command: which take a value, by short letter and long name.
struct OptionTable {
  std::string short_with_value;  // letters that take a value: "hpUdt"
  std::set<std::string> long_with_value;
};

struct ParsedArgs {
  std::map<std::string, std::string> opts;  // "-h" / "--host" -> value ("" for flags)
  Words positionals;
};

ParsedArgs parse_args(const Words& args, const OptionTable& t) {
  ParsedArgs r;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.starts_with("--") && a.size() > 2) {
      size_t eq = a.find('=');
      std::string name = a.substr(0, eq);
      if (eq != std::string::npos) r.opts[name] = a.substr(eq + 1);
      else if (t.long_with_value.count(name) && i + 1 < args.size()) r.opts[name] = args[++i];
      else r.opts[name] = "";
    } else if (a.starts_with("-") && a.size() > 1) {
      for (size_t k = 1; k < a.size(); ++k) {
        std::string name = std::string("-") + a[k];
        if (t.short_with_value.find(a[k]) == std::string::npos) {
          r.opts[name] = "";
          continue;
        }
        if (k + 1 < a.size()) r.opts[name] = a.substr(k + 1);
        else if (i + 1 < args.size()) r.opts[name] = args[++i];
        break;
      }
    } else {
      r.positionals.push_back(a);
    }
  }
  return r;
}

// The value of an option given in either spelling ("-p", "--port"), if any.
std::optional<std::string> opt(const ParsedArgs& a, const std::string& short_name, const std::string& long_name) {
  if (auto it = a.opts.find(short_name); !short_name.empty() && it != a.opts.end()) return it->second;
  if (auto it = a.opts.find(long_name); !long_name.empty() && it != a.opts.end()) return it->second;
  return std::nullopt;
}

class Recogniser {
 public:
  explicit Recogniser(const std::vector<std::string>& own_names) : own_(own_names) {}

  bool local(std::string host) const {
    host = to_lower(host);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return host.empty() || host == "localhost" || host == "0.0.0.0" || host == "::1" || host == "::" ||
           host.starts_with("127.") || host.starts_with("/") ||
           std::find(own_.begin(), own_.end(), host) != own_.end();
  }

  static std::optional<int> port_of(const std::string& s) {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
    int p = std::stoi(s);
    return p > 0 && p < 65536 ? std::optional<int>(p) : std::nullopt;
  }

  // http://HOST[:PORT][/path]: a probe of the container's own port, or nullopt.
  std::optional<ProbeSpec> http_url(const std::string& url, bool check_status) const {
    static const std::regex re(R"(^(?:http://)?(\[[^\]]*\]|[^/:?#\[]+)(?::([0-9]+))?([/?][^#]*)?$)");
    std::smatch m;
    if (url.starts_with("https://") || !std::regex_match(url, m, re) || !local(m[1])) return std::nullopt;
    ProbeSpec p;
    p.kind = check_status ? ProbeSpec::Kind::kHttp : ProbeSpec::Kind::kTcp;
    auto port = m[2].matched ? port_of(m[2]) : std::optional<int>(80);
    if (!port) return std::nullopt;
    p.port = *port;
    std::string path = m[3].matched ? std::string(m[3]) : "/";
    if (path.starts_with("?")) path = "/" + path;
    if (check_status) p.path = path;
    return p;
  }

  std::optional<ProbeSpec> pg_isready(const Words& c) const {
    ParsedArgs a = parse_args(c, {"dhptU", {"--dbname", "--host", "--port", "--timeout", "--username"}});
    if (auto h = opt(a, "-h", "--host"); h && !local(*h)) return std::nullopt;
    ProbeSpec p;
    p.kind = ProbeSpec::Kind::kPostgres;
    p.port = 5432;
    if (auto v = opt(a, "-p", "--port")) {
      auto port = port_of(*v);
      if (!port) return std::nullopt;
      p.port = *port;
    }
    // A value the container's shell expands ($POSTGRES_USER) is not known here.
    auto literal = [](const std::optional<std::string>& v) {
      return v && v->find('$') == std::string::npos && v->find('=') == std::string::npos ? *v : "";
    };
    p.user = literal(opt(a, "-U", "--username"));
    p.database = literal(opt(a, "-d", "--dbname"));
    return p;
  }

  std::optional<ProbeSpec> redis_cli(const Words& c) const {
    ParsedArgs a = parse_args(c, {"hpanusrit", {"--user", "--pass", "--askpass-never"}});
    if (a.positionals.empty() || to_lower(a.positionals[0]) != "ping" || opt(a, "", "--tls")) return std::nullopt;
    ProbeSpec p;
    p.kind = ProbeSpec::Kind::kRedis;
    p.port = 6379;
    if (auto uri = opt(a, "-u", "")) {
      static const std::regex re(R"(^redis://(?:([^@]*)@)?([^:/]+)(?::([0-9]+))?(/.*)?$)");
      std::smatch m;
      if (!std::regex_match(*uri, m, re) || !local(m[2])) return std::nullopt;
      if (m[3].matched) p.port = port_of(m[3]).value_or(0);
    }
    if (auto h = opt(a, "-h", ""); h && !local(*h)) return std::nullopt;
    if (auto v = opt(a, "-p", "")) p.port = port_of(*v).value_or(0);
    if (auto pw = opt(a, "-a", "--pass"); pw && pw->find('$') == std::string::npos) p.password = *pw;
    if (p.port == 0) return std::nullopt;
    return p;
  }

  std::optional<ProbeSpec> curl(const Words& c) const {
    ParsedArgs a = parse_args(c, {"oHXmwuAedrUxEKc", {"--output", "--header", "--request", "--max-time",
                                                     "--write-out", "--user", "--user-agent", "--data",
                                                     "--connect-timeout", "--retry", "--retry-delay",
                                                     "--retry-max-time", "--cacert", "--resolve", "--url",
                                                     "--proxy", "--cookie", "--referer", "--range"}});
    std::string url = opt(a, "", "--url").value_or(a.positionals.empty() ? "" : a.positionals[0]);
    if (url.empty() || (a.positionals.size() > (opt(a, "", "--url") ? 0u : 1u))) return std::nullopt;
    // `-w '%{http_code}' | grep 200` checks the status as --fail does.
    auto write_out = opt(a, "-w", "--write-out");
    bool fail = opt(a, "-f", "--fail") || opt(a, "", "--fail-with-body") ||
                (write_out && write_out->find("http_code") != std::string::npos);
    return http_url(url, fail);
  }

  std::optional<ProbeSpec> wget(const Words& c) const {
    ParsedArgs a = parse_args(c, {"OoTtUYeP", {"--output-document", "--output-file", "--timeout", "--tries",
                                               "--user-agent", "--header", "--wait", "--directory-prefix"}});
    if (a.positionals.size() != 1) return std::nullopt;
    return http_url(a.positionals[0], true);
  }

  std::optional<ProbeSpec> nc(const Words& c) const {
    ParsedArgs a = parse_args(c, {"wipsqIO", {}});
    if (a.positionals.size() != 2 || !local(a.positionals[0])) return std::nullopt;
    auto port = port_of(a.positionals[1]);
    if (!port) return std::nullopt;
    ProbeSpec p;
    p.kind = ProbeSpec::Kind::kTcp;
    p.port = *port;
    return p;
  }

  // `python3 -c "import urllib.request; urllib.request.urlopen('http://localhost:8000/')"`:
  // slim Python images have no curl, so their healthchecks fetch the URL this way.
  // urlopen raises on a status of 400 and more, as curl --fail fails. Only a script
  // that does nothing else is read.
  std::optional<ProbeSpec> python(const Words& c) const {
    if (c.size() != 3 || c[1] != "-c") return std::nullopt;
    static const std::regex re(
        R"(^\s*(?:(?:import\s+urllib\.request|from\s+urllib\.request\s+import\s+urlopen)\s*[;\n]\s*)?)"
        R"((?:urllib\.request\.)?urlopen\(\s*['"]([^'"]+)['"]\s*(?:,\s*timeout\s*=\s*[0-9.]+\s*)?\)\s*;?\s*$)");
    std::smatch m;
    if (!std::regex_match(c[2], m, re)) return std::nullopt;
    return http_url(m[1], true);
  }

  // The probe of one simple command; `known` is false for a command that checks
  // something biodev cannot see (psql, mc, a script).
  std::optional<ProbeSpec> recognise(const Words& c, bool& known) const {
    std::string prog = program_name(c[0]);
    known = true;
    if (prog == "pg_isready") return pg_isready(c);
    if (prog == "redis-cli") return redis_cli(c);
    if (prog == "curl") return curl(c);
    if (prog == "wget") return wget(c);
    if (prog == "nc" || prog == "ncat" || prog == "netcat") return nc(c);
    if (prog == "python" || prog == "python3" || prog.starts_with("python3.")) {
      if (auto p = python(c)) return p;
    }
    known = kIncidental.count(prog) > 0;
    return std::nullopt;
  }

 private:
  const std::vector<std::string>& own_;
};

bool same_probe(const ProbeSpec& a, const ProbeSpec& b) {
  return a.kind == b.kind && a.port == b.port && a.path == b.path;
}

}  // namespace

std::optional<ProbeSpec> probe_from_healthcheck(const std::vector<std::string>& test,
                                                const std::vector<std::string>& own_names) {
  std::vector<Words> cmds = commands_of(test);
  Recogniser rec(own_names);
  std::vector<ProbeSpec> found;
  // bash's `: > /dev/tcp/127.0.0.1/6333` is a connection attempt (a redirection target).
  static const std::regex dev_tcp(R"(/dev/tcp/([^/\s'"]+)/([0-9]+))");
  std::string all = join(test, " ");
  for (std::sregex_iterator it(all.begin(), all.end(), dev_tcp), end; it != end; ++it) {
    auto port = Recogniser::port_of((*it)[2]);
    if (!rec.local((*it)[1]) || !port) return std::nullopt;
    ProbeSpec p;
    p.kind = ProbeSpec::Kind::kTcp;
    p.port = *port;
    found.push_back(p);
  }
  for (const Words& c : cmds) {
    bool known = false;
    auto p = rec.recognise(c, known);
    if (!known) return std::nullopt;
    std::string prog = program_name(c[0]);
    bool is_check = prog == "pg_isready" || prog == "redis-cli" || prog == "curl" || prog == "wget" ||
                    prog == "nc" || prog == "ncat" || prog == "netcat";
    if (is_check && !p) return std::nullopt;  // a check of something else (another host, https)
    if (p) found.push_back(*p);
  }
  if (found.empty()) return std::nullopt;
  for (const auto& p : found)
    if (!same_probe(p, found.front())) return std::nullopt;
  return found.front();
}

ProbeSpec exec_probe_from_healthcheck(const Healthcheck& h) {
  ProbeSpec p;
  if (h.test.size() < 2 || (h.test[0] != "CMD" && h.test[0] != "CMD-SHELL")) return p;
  p.kind = ProbeSpec::Kind::kExec;
  if (h.test[0] == "CMD-SHELL") p.command = {"/bin/sh", "-c", join(Words(h.test.begin() + 1, h.test.end()), " ")};
  else p.command.assign(h.test.begin() + 1, h.test.end());
  long long docker_ms = h.start_period_ms + static_cast<long long>(h.retries) * (h.interval_ms + h.timeout_ms);
  p.timeout_ms = static_cast<int>(std::clamp<long long>(docker_ms, 60000, 3600000));
  return p;
}

std::vector<std::string> healthcheck_programs(const std::vector<std::string>& test) {
  std::vector<std::string> out;
  if (test.empty() || (test[0] != "CMD" && test[0] != "CMD-SHELL")) return out;
  if (test[0] == "CMD-SHELL") out.push_back("sh");
  std::vector<Words> raw;
  if (test[0] == "CMD-SHELL") raw = simple_commands(split_shell_words(join(Words(test.begin() + 1, test.end()), " ")));
  else raw = {Words(test.begin() + 1, test.end())};
  // Shell wrappers need their shell too: collect() drops them, so note them first.
  std::vector<Words> pending = raw;
  for (size_t depth = 0; depth < 4 && !pending.empty(); ++depth) {
    std::vector<Words> next;
    for (const Words& w : pending) {
      Words c = strip_prefix_commands(w);
      if (c.empty()) continue;
      std::string prog = program_name(c[0]);
      if (!kBuiltins.count(prog) && std::find(out.begin(), out.end(), prog) == out.end()) out.push_back(prog);
      if (is_shell(prog))
        if (size_t k = script_index(c)) {
          auto inner = simple_commands(split_shell_words(c[k]));
          next.insert(next.end(), inner.begin(), inner.end());
        }
    }
    pending = std::move(next);
  }
  return out;
}

std::string describe_probe(const ProbeSpec& p) {
  std::string kind = to_string(p.kind);
  if (p.kind == ProbeSpec::Kind::kNone) return "no probe";
  if (p.kind == ProbeSpec::Kind::kExec) return "exec " + join(p.command, " ");
  std::string out = kind + " :" + std::to_string(p.port);
  if (p.kind == ProbeSpec::Kind::kHttp) out += p.path;
  return out;
}

}  // namespace biodev::profile
