// The compose reader: the corpus under tests/compose/ read into the Profile model,
// compose's merge rules, lookup and project names, and the golden
// `config --format compose` output of every good case (BIODEV_UPDATE_GOLDEN=1
// rewrites tests/compose/golden/<case>.yaml).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "profile/compose_loader.h"
#include "profile/errors.h"
#include "profile/loader.h"
#include "profile/print.h"
#include "profile/print_compose.h"
#include "util/strings.h"

namespace fs = std::filesystem;
using namespace biodev;
using namespace biodev::profile;

namespace {

const fs::path kCorpus = fs::path(BIODEV_TEST_DATA) / "compose";

Variables no_env() {
  return Variables([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
}

Profile load_case(const std::string& name, std::vector<std::string> active = {}) {
  ComposeOptions o;
  o.files = find_compose_files((kCorpus / "good" / name).string());
  o.vars = no_env();
  o.active_profiles = std::move(active);
  return load_compose(o);
}

const Service& svc(const Profile& p, const std::string& name) {
  const Service* s = p.find(name);
  REQUIRE_MESSAGE(s, "no service " << name);
  return *s;
}

std::string env(const Service& s, const std::string& key) { return s.env_value(key); }

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("biodev-compose-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    fs::create_directories((path / name).parent_path());
    std::ofstream(path / name) << text;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The one diagnostic loading `o` fails with; `why` fails the test when it loads.
std::string only_diagnostic(const ComposeOptions& o, const char* why) {
  try {
    load_compose(o);
  } catch (const ProfileError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    return e.diagnostics()[0].to_string();
  }
  FAIL(why);
  return "";
}

}  // namespace

TEST_CASE("compose: the seed documents' stack reads into the model with compose's meanings") {
  Profile p = load_case("seed_stack");
  CHECK(p.format == "compose");
  CHECK(p.project == "seed_stack");
  CHECK(p.services.size() == 9);
  const Service& pg = svc(p, "postgres");
  CHECK(pg.image == "postgres:16");
  CHECK_FALSE(pg.init);           // compose runs no init unless asked
  CHECK(pg.stop_grace_s == 10);   // compose's default grace period
  REQUIRE(pg.mounts.size() == 2);
  CHECK(pg.mounts[0].data);       // under .data/: made and removed by biodev
  CHECK(pg.mounts[1].read_only);
  CHECK(pg.ports[0].host_ip == "127.0.0.1");
  REQUIRE(pg.healthcheck);
  CHECK(pg.healthcheck->test == std::vector<std::string>{"CMD-SHELL", "pg_isready -U bio -d bio"});
  CHECK(pg.healthcheck->retries == 30);
  const Service& worker = svc(p, "bio_worker");
  CHECK(worker.restart == "unless-stopped");  // from the x-python anchor's merge key
  CHECK(env(worker, "LOG_LEVEL") == "debug");  // env_file
  REQUIRE(worker.depends_on.size() == 3);
  CHECK(worker.depends_on[0].condition == DependsOn::Condition::kStarted);  // list form
  CHECK(worker.resources.memory_bytes == 2LL << 30);
  const Service& inference = svc(p, "bio_inference");
  REQUIRE(inference.device_requests.size() == 1);
  CHECK(inference.device_requests[0].driver == "nvidia");
  CHECK(inference.device_requests[0].count == 1);
  CHECK(inference.resources.cpus == 2);
  const Service& api = svc(p, "bio_ai_server");
  CHECK(api.watch.size() == 1);
  CHECK(api.command.size() == 7);
  CHECK(api.depends_on[0].condition == DependsOn::Condition::kHealthy);
  REQUIRE(p.exports.size() == 1);
  CHECK(p.networks.size() == 1);
  CHECK(p.networks[0].driver == "bridge");
}

TEST_CASE("compose: ports and volumes in short and long syntax") {
  Profile p = load_case("ports_volumes");
  const Service& app = svc(p, "app");
  REQUIRE(app.ports.size() == 9);
  CHECK(app.ports[0].host_ip == "0.0.0.0");  // compose publishes on every interface
  CHECK(app.ports[0].host_port == 0);
  CHECK(app.ports[2].protocol == "udp");
  CHECK(app.ports[3].host_port == 21110);
  CHECK(app.ports[5].container_port == 8002);
  CHECK(app.ports[6].host_ip == "::1");
  CHECK(app.ports[7].host_port == 21104);
  CHECK(app.expose == std::vector<std::string>{"9100", "9101/udp"});
  REQUIRE(app.mounts.size() == 8);
  CHECK(app.mounts[0].type == MountSpec::Type::kBind);
  CHECK(app.mounts[0].create_host_path);
  CHECK(app.mounts[2].type == MountSpec::Type::kVolume);
  CHECK_FALSE(app.mounts[3].create_host_path);  // the long syntax does not make the folder
  CHECK(app.mounts[4].read_only);
  CHECK(app.mounts[5].tmpfs_size == 64LL << 20);
  CHECK(app.mounts[7].target == "/tmp");
  CHECK(app.mounts[7].tmpfs_size == 64LL << 20);
  CHECK(p.volumes.size() == 2);
}

TEST_CASE("compose: an anonymous volume gets a volume named by its service and path") {
  Profile p = load_case("anonymous_volumes");
  const Service& web = svc(p, "web");
  REQUIRE(web.mounts.size() == 5);
  auto is_anonymous = [](const MountSpec& m, const std::string& source) {
    return m.type == MountSpec::Type::kVolume && m.anonymous && m.source == source;
  };
  CHECK(is_anonymous(web.mounts[1], "web_anon_ad806e3f6c69"));  // "/app/node_modules"
  CHECK(is_anonymous(web.mounts[2], "web_anon_4f7cfe6fcd42"));  // type: volume, no source
  CHECK(is_anonymous(web.mounts[3], "web_anon_388b7041daf6"));
  CHECK(web.mounts[3].read_only);
  CHECK_FALSE(web.mounts[4].anonymous);  // shared:/shared
  CHECK(is_anonymous(svc(p, "worker").mounts[0], "worker_anon_ad806e3f6c69"));  // the same path, its own
  // ".:/code": the folder itself, with no trailing slash, as compose writes it.
  CHECK(svc(p, "worker").mounts[2].source == (kCorpus / "good" / "anonymous_volumes").string());
  std::string got;
  for (const auto& v : p.volumes) got += v.name + "(" + v.service + ") ";
  CHECK(got == "shared() web_anon_ad806e3f6c69(web) web_anon_4f7cfe6fcd42(web) web_anon_388b7041daf6(web) "
               "worker_anon_ad806e3f6c69(worker) ");
  CHECK(p.volumes[1].loc.to_string() == "compose.yaml:9:9");
}

TEST_CASE("compose: anonymous volumes print as compose writes them and read back the same") {
  Profile p = load_case("anonymous_volumes");
  auto j = to_compose_json(p, Redactor(p.secrets));
  CHECK(j["volumes"].size() == 1);  // only the declared one: the rest are biodev's names
  CHECK(j["services"]["web"]["volumes"][1] == nlohmann::ordered_json{{"type", "volume"}, {"target", "/app/node_modules"}});
  TempDir t;
  t.write("compose.yaml", json_to_yaml(j));
  ComposeOptions o;
  o.files = {(t.path / "compose.yaml").string()};
  o.vars = no_env();
  Profile again = load_compose(o);
  REQUIRE(again.volumes.size() == p.volumes.size());
  for (size_t i = 0; i < p.volumes.size(); ++i) {
    CHECK(again.volumes[i].name == p.volumes[i].name);
    CHECK(again.volumes[i].service == p.volumes[i].service);
  }
  CHECK(json_to_yaml(to_compose_json(again, Redactor(again.secrets))) == json_to_yaml(j));
}

TEST_CASE("compose: an anonymous volume merges by path; a name biodev would give it is an error") {
  TempDir t;
  t.write("compose.yaml", "services:\n  web:\n    image: x\n    volumes: [/data, /cache]\n");
  t.write("compose.override.yaml", "services:\n  web:\n    volumes: [\"cache:/cache\"]\nvolumes: {cache: {}}\n");
  ComposeOptions o;
  o.files = find_compose_files(t.path.string());
  o.vars = no_env();
  Profile p = load_compose(o);
  const Service& web = svc(p, "web");
  REQUIRE(web.mounts.size() == 2);
  CHECK(web.mounts[0].anonymous);
  CHECK(web.mounts[0].source == "web_anon_bd47413b5c03");
  CHECK_FALSE(web.mounts[1].anonymous);  // the override names the volume at /cache
  CHECK(web.mounts[1].source == "cache");
  CHECK(p.volumes.size() == 2);

  fs::remove(t.path / "compose.override.yaml");
  t.write("compose.yaml", "services:\n  web:\n    image: x\n    volumes: [/data]\nvolumes:\n  web_anon_bd47413b5c03: {}\n");
  o.files = find_compose_files(t.path.string());
  CHECK(only_diagnostic(o, "the clash must be reported") ==
        "compose.yaml:6:3: volume web_anon_bd47413b5c03 has the name biodev gives the anonymous volume of "
        "service web at /data (compose.yaml:4:15): rename it");
}

TEST_CASE("compose: an override file merges by compose's rules") {
  Profile p = load_case("override");
  CHECK(p.compose_files == std::vector<std::string>{"docker-compose.yml", "docker-compose.override.yml"});
  const Service& web = svc(p, "web");
  CHECK(web.ports.size() == 2);  // sequences append
  CHECK(env(web, "MODE") == "dev");
  CHECK(env(web, "WORKERS") == "4");
  CHECK(env(web, "DEBUG") == "1");
  REQUIRE(web.mounts.size() == 1);  // volumes merge by target
  CHECK_FALSE(web.mounts[0].read_only);
  CHECK(web.command[0] == "nginx-debug");  // command is replaced
  CHECK(web.cap_add == std::vector<std::string>{"NET_ADMIN", "SYS_PTRACE"});
  const Service& db = svc(p, "db");
  CHECK(env(db, "POSTGRES_PASSWORD") == "example");  // a list and a mapping merge
  CHECK(env(db, "POSTGRES_DB") == "dev");
}

TEST_CASE("compose: extends from the same file and from another, recursively") {
  Profile p = load_case("extends");
  const Service& api = svc(p, "api");
  CHECK(api.image == "busybox:1.36");
  CHECK(env(api, "LEVEL") == "api");
  CHECK(api.labels.at("origin") == "base");
  const Service& worker = svc(p, "worker");
  CHECK(worker.image == "python:3.11-slim");
  CHECK(worker.working_dir == "/srv");
  CHECK(env(worker, "QUEUE") == "high");
  CHECK(env(worker, "CONCURRENCY") == "4");
  CHECK(env(worker, "PYTHONUNBUFFERED") == "1");  // env_file relative to common/
  REQUIRE(worker.mounts.size() == 1);
  CHECK(worker.mounts[0].source == (kCorpus / "good/extends/common/worker").lexically_normal().string());
}

TEST_CASE("compose: profiles leave services out unless active") {
  CHECK(load_case("profiles").services.size() == 1);
  CHECK(load_case("profiles", {"debug"}).services.size() == 2);
  CHECK(load_case("profiles", {"*"}).services.size() == 2);
}

TEST_CASE("compose: name:, include:, !reset, optional dependencies, secrets from the environment") {
  Profile p = load_case("new_syntax");
  CHECK(p.project == "newsyntax");
  REQUIRE(p.find("db"));
  CHECK(svc(p, "db").mounts[0].source == (kCorpus / "good/new_syntax/db/initdb").lexically_normal().string());
  const Service& app = svc(p, "app");
  REQUIRE(app.depends_on.size() == 1);  // the optional dependency on a missing service is dropped
  CHECK(app.depends_on[0].restart);
  CHECK(app.depends_on[0].condition == DependsOn::Condition::kHealthy);
  CHECK(app.healthcheck->start_interval_ms == 1000);
  CHECK(app.ready.kind == ProbeSpec::Kind::kTcp);  // x-biodev.ready wins over the healthcheck
  REQUIRE(p.secrets_defs.size() == 1);
  CHECK(p.secrets_defs[0].content == "tok-123456");
  CHECK(p.secrets.count("secret.token"));
  REQUIRE(app.secrets.size() == 1);
  CHECK(app.secrets[0].target == "/run/secrets/token");
}

TEST_CASE("compose: !reset and !override across -f files") {
  TempDir t;
  t.write("compose.yaml", "services:\n  web:\n    image: nginx\n    ports: ['8000']\n"
                          "    environment: {A: '1', B: '2'}\n    cap_add: [X]\n");
  t.write("compose.dev.yaml", "services:\n  web:\n    ports: !reset []\n"
                              "    environment: !override {C: '3'}\n    cap_add: [Y]\n");
  ComposeOptions o;
  o.files = {(t.path / "compose.yaml").string(), (t.path / "compose.dev.yaml").string()};
  o.vars = no_env();
  Profile p = load_compose(o);
  const Service& web = svc(p, "web");
  CHECK(web.ports.empty());
  REQUIRE(web.env.size() == 1);
  CHECK(env(web, "C") == "3");
  CHECK(web.cap_add == std::vector<std::string>{"X", "Y"});
}

TEST_CASE("compose: a key biodev cannot honour is an error; one that changes nothing a warning") {
  TempDir t;
  t.write("compose.yaml", "services:\n  web:\n    image: nginx\n    logging: {driver: json-file}\n"
                          "    cpu_shares: 512\n");
  ComposeOptions o;
  o.files = {(t.path / "compose.yaml").string()};
  o.vars = no_env();
  CHECK(only_diagnostic(o, "cpu_shares must be refused")
            .starts_with("compose.yaml:5:5: \"cpu_shares\" is not supported"));
  t.write("compose.yaml", "version: '3.8'\nservices:\n  web:\n    image: nginx\n    logging: {driver: json-file}\n");
  Profile p = load_compose(o);
  REQUIRE(p.warnings.size() == 2);
  CHECK(p.warnings[0] == "compose.yaml:1:1: \"version\" is obsolete and ignored, as docker compose does");
  CHECK(p.warnings[1].starts_with("compose.yaml:5:5: \"logging\" (service web) is ignored"));
}

TEST_CASE("compose: build keys for RUN steps are read; ones biodev cannot honour are errors at their line") {
  Profile p = load_case("build_options");
  const BuildSpec& app = *svc(p, "app").build;
  CHECK(app.network == "host");
  CHECK(app.extra_hosts == std::vector<std::string>{"mirror.internal:10.0.0.5", "cache.internal:10.0.0.6"});
  CHECK(app.shm_size == 256LL << 20);
  CHECK(app.cache_from == std::vector<std::string>{"registry.example/app:cache"});
  CHECK(svc(p, "worker").build->extra_hosts == std::vector<std::string>{"pypi.internal:10.0.0.7"});

  TempDir t;
  t.write("Dockerfile", "FROM scratch\n");
  t.write("compose.yaml", "services:\n  web:\n    build:\n      context: .\n      no_cache: true\n"
                          "      ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}\n");
  ComposeOptions o;
  o.files = {(t.path / "compose.yaml").string()};
  o.vars = no_env();
  Profile loaded = load_compose(o);
  const BuildSpec& b = *svc(loaded, "web").build;
  CHECK(b.no_cache);
  REQUIRE(b.ulimits.size() == 2);
  CHECK((b.ulimits[0].name == "nofile" && b.ulimits[0].soft == 1024 && b.ulimits[0].hard == 2048));
  CHECK((b.ulimits[1].name == "nproc" && b.ulimits[1].soft == 512 && b.ulimits[1].hard == 512));

  t.write("compose.yaml", "services:\n  web:\n    build:\n      context: .\n      cache_to: [x]\n");
  CHECK(only_diagnostic(o, "cache_to must be refused") ==
        "compose.yaml:5:7: service web build.cache_to is not supported by biodev (docs/profile.md, build:)");
}

TEST_CASE("compose: lookup order, parent folders and override files") {
  TempDir t;
  t.write("docker-compose.yml", "services: {a: {image: x}}\n");
  t.write("compose.yaml", "services: {a: {image: x}}\n");
  t.write("compose.override.yaml", "services: {a: {image: y}}\n");
  t.write("sub/deeper/.keep", "");
  auto found = find_compose_files((t.path / "sub/deeper").string());
  REQUIRE(found.size() == 2);
  CHECK(fs::path(found[0]).filename() == "compose.yaml");
  CHECK(fs::path(found[1]).filename() == "compose.override.yaml");
  CHECK(find_compose_files("/").empty());
}

TEST_CASE("compose: which -f values are compose files") {
  TempDir t;
  t.write("stack.yaml", "services:\n  web:\n    image: nginx\n    environment: {A: b}\n");
  t.write("mine.yaml", "project: x\nservices:\n  web:\n    image: nginx\n    env: {A: b}\n");
  t.write("plain.yaml", "services:\n  web:\n    image: nginx\n");
  CHECK(is_compose_file("compose.yaml"));
  CHECK(is_compose_file("deploy/docker-compose.prod.yml"));
  CHECK(is_compose_file((t.path / "stack.yaml").string()));
  CHECK_FALSE(is_compose_file((t.path / "mine.yaml").string()));
  CHECK_FALSE(is_compose_file((t.path / "plain.yaml").string()));  // a biodev profile, as before
  CHECK_FALSE(is_compose_file("default"));
  CHECK_FALSE(is_compose_file("bench"));
}

TEST_CASE("compose: project names follow compose's rule") {
  CHECK(compose_project_name("My App.v2") == "myappv2");
  CHECK(compose_project_name("_team-api") == "team-api");
  CHECK(compose_project_name("seed_stack") == "seed_stack");
}

TEST_CASE("compose: config --format compose of every good case matches its golden file") {
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus / "good")) {
    std::string name = entry.path().filename().string();
    CAPTURE(name);
    Profile p = load_case(name);
    std::string text = json_to_yaml(to_compose_json(p, Redactor(p.secrets)));
    // Paths print absolute, as docker compose prints them: the corpus folder varies.
    std::string dir = fs::path(kCorpus).lexically_normal().string();
    for (size_t at; (at = text.find(dir)) != std::string::npos;) text.replace(at, dir.size(), "<corpus>");
    fs::path golden = kCorpus / "golden" / (name + ".yaml");
    if (std::getenv("BIODEV_UPDATE_GOLDEN")) {
      fs::create_directories(golden.parent_path());
      std::ofstream(golden) << text;
    }
    CHECK(text == slurp(golden));
    ++cases;
  }
  CHECK(cases >= 10);
}

TEST_CASE("compose: a biodev profile prints as compose too") {
  // The built-in default profile: binds on 127.0.0.1, init, biodev's grace period.
  LoadOptions o;
  o.profile = "default";
  o.project = "demo";
  o.project_dir = fs::temp_directory_path().string();
  o.vars = no_env();
  Profile p = load_profile(o);
  auto j = to_compose_json(p, Redactor(p.secrets));
  CHECK(j["name"] == "demo");
  const auto& pg = j["services"]["postgres"];
  CHECK(pg["init"] == true);
  CHECK(pg["ports"][0]["host_ip"] == "127.0.0.1");
  CHECK(pg.contains("x-biodev"));
}

TEST_CASE("compose: a project folder given as \"dir/\" or \".\" has no trailing slash") {
  fs::path dir = fs::temp_directory_path() / ("biodev-slash-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yaml") << "services:\n  app:\n    image: alpine:3\n";
  ComposeOptions o;
  o.files = {(dir / "compose.yaml").string()};
  o.vars = no_env();
  o.project_dir = dir.string() + "/";
  CHECK(load_compose(o).project_dir == dir.string());
  o.project_dir = (dir / ".").string();
  CHECK(load_compose(o).project_dir == dir.string());
  fs::remove_all(dir);
}
