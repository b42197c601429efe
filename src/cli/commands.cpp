#include "cli/commands.h"

namespace biodev::cli {

Runner setup_build(CLI::App&, Context&);  // cmd_build.cpp

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"up", "Create and start the stack, wait until every service is ready, seed it",
       "  biodev up                      # ./compose.yaml if there is one, else the default profile\n"
       "  biodev -f compose.yaml -f compose.dev.yaml up   # compose files, merged as compose does\n"
       "  biodev up postgres redis       # these two and what they depend on\n"
       "  biodev -f bench up --timeout 60\n"
       "  biodev up --force-recreate --no-seed\n"
       "  biodev up --build              # rebuild build: services even when unchanged",
       setup_up},
      {"down", "Stop and remove the stack's containers and networks (data kept unless -v)",
       "  biodev down\n"
       "  biodev down -v --yes           # also delete volumes and .data/ folders",
       setup_down},
      {"build", "Build the images of services with build: (always; the engine's cache keeps it quick)",
       "  biodev build                   # every service with build:\n"
       "  biodev build api\n"
       "  biodev up --build              # rebuild, then bring the stack up",
       setup_build},
      {"run", "Bring up an ephemeral stack, run a command against it, tear it all down",
       "  biodev run -- pytest -x tests/integration\n"
       "  biodev run -f ci -- make integration-test\n"
       "  biodev run --keep -- ./smoke.sh      # leave the stack for debugging",
       setup_run},
      {"status", "Show each service's container, state, health and ports",
       "  biodev status\n"
       "  biodev status --json | jq '.services[].state'",
       setup_status},
      {"logs", "Show service logs",
       "  biodev logs postgres\n"
       "  biodev logs -f --tail 50",
       setup_logs},
      {"health", "Probe every service once from the host; exit 0 healthy, 1 not, 2 nothing running",
       "  biodev health\n"
       "  biodev health --json | jq .status",
       setup_health},
      {"env", "Print the prod env-var contract (DATABASE_URL, S3_ENDPOINT, ...) with real ports",
       "  eval \"$(biodev env)\"\n"
       "  biodev env --format dotenv > .env.local\n"
       "  biodev env --format github     # in GitHub Actions: appends to $GITHUB_ENV",
       setup_env},
      {"lease", "Lease an isolated, seeded slice of the running stack (database, Redis db, buckets, collections)",
       "  eval \"$(biodev lease)\"          # DATABASE_URL, REDIS_URL, S3_BUCKETS, ... and BIODEV_LEASE_ID\n"
       "  biodev lease release \"$BIODEV_LEASE_ID\"\n"
       "  biodev lease ls\n"
       "  biodev lease warm 8               # before a suite with 8 parallel workers",
       setup_lease},
      {"snapshot", "Save the stack's data (Postgres, Redis, S3, Qdrant) under a name and bring it back; exit 4 for a snapshot that does not exist",
       "  biodev snapshot save before-migration\n"
       "  biodev snapshot restore before-migration   # a rename for Postgres, whatever its size\n"
       "  biodev snapshot ls\n"
       "  biodev snapshot rm before-migration",
       setup_snapshot},
      {"exec", "Run a command in a service's container (a terminal when stdin is one)",
       "  biodev exec postgres -- psql -U bio bio\n"
       "  biodev exec -T redis -- redis-cli info < /dev/null\n"
       "  echo 'select 1' | biodev exec postgres -- psql -U bio bio",
       setup_exec},
      {"cp", "Copy files or folders between a service's container and the host, as docker cp does; exit 1 when a path is missing, 2 for a bad argument or a service with no container",
       "  biodev cp postgres:/etc/postgresql/postgresql.conf ./pg.conf\n"
       "  biodev cp ./fixtures redis:/data              # into the folder: /data/fixtures\n"
       "  biodev cp ./fixtures/. redis:/data            # the folder's content into /data\n"
       "  biodev cp postgres:/var/log - | tar -tv       # the tar stream itself",
       setup_cp},
      {"restart", "Restart services and wait until they are ready again",
       "  biodev restart bio_ai_server", setup_restart},
      {"ui", "Serve a live dashboard of the stack on http://127.0.0.1:7780: state, health, logs, restart",
       "  biodev ui                      # then open http://127.0.0.1:7780/\n"
       "  biodev -f bench ui --port 0    # any free port; the URL is printed",
       setup_ui},
      {"stop", "Stop services' containers without removing them (`start` brings them back)",
       "  biodev stop bio_worker\n"
       "  biodev stop -t 10               # every service, 10 s to exit cleanly",
       setup_stop},
      {"start", "Start services' stopped containers again, as they were",
       "  biodev start bio_worker\n"
       "  biodev start                    # every stopped service",
       setup_start},
      {"pause", "Freeze services' processes (the cgroup freezer); `unpause` thaws them",
       "  biodev pause redis              # e.g. to see how the app copes with a hung cache", setup_pause},
      {"unpause", "Thaw paused services", "  biodev unpause redis", setup_unpause},
      {"port", "Print the host address a service's container port is published on",
       "  biodev port postgres 5432       # 127.0.0.1:5432\n"
       "  psql -h 127.0.0.1 -p \"$(biodev port postgres 5432 | cut -d: -f2)\" -U bio bio",
       setup_port},
      {"stats", "One sample of CPU, memory, network and processes per service",
       "  biodev stats\n"
       "  biodev stats --json | jq '.services[] | {service, cpu_percent, memory_bytes}'",
       setup_stats},
      {"top", "Live CPU and memory per service, from the engine's stats stream",
       "  biodev top\n"
       "  biodev top postgres redis -n 5  # five screens, then exit",
       setup_top},
      {"watch", "Restart services (their process, in the running container) when files under their watch: paths change",
       "  biodev watch                   # every service with watch: paths\n"
       "  biodev watch bio_ai_server",
       setup_watch},
      {"seed", "Run seed actions again: init scripts, buckets, collections",
       "  biodev seed\n"
       "  biodev seed postgres --reseed",
       setup_seed},
      {"hook", "Install `biodev health` as a git pre-commit hook",
       "  biodev hook install\n"
       "  biodev -f bench hook install   # the hook checks this profile's project\n"
       "  biodev hook uninstall",
       setup_hook},
      {"config", "Print the resolved profile (extends:, .env and ${VAR} applied; secrets hidden)",
       "  biodev config\n"
       "  biodev -f ci config --json\n"
       "  biodev config --format compose > compose.yaml   # for docker compose",
       setup_config},
      {"validate", "Check a profile or compose file without touching the engine",
       "  biodev validate\n"
       "  biodev -f profiles/mine.yaml validate\n"
       "  biodev -f docker-compose.yml validate",
       setup_validate},
      {"graph", "Draw services, networks, ports and dependencies (Mermaid or Graphviz)",
       "  biodev graph > stack.mmd\n"
       "  biodev graph --format dot | dot -Tsvg > stack.svg",
       setup_graph},
      {"lint", "Flag latest tags, ports beyond 127.0.0.1, root users, missing limits and probes",
       "  biodev lint\n"
       "  biodev -f ci lint --json",
       setup_lint},
      {"images", "Build or list the images the profile needs",
       "  biodev images build            # every offline image, cached\n"
       "  biodev images list",
       setup_images},
      {"serve", "Run one of biodev's built-in servers (used inside containers)",
       "  biodev serve inference --port 8000\n"
       "  biodev serve gateway",
       setup_serve},
      {"completion", "Print a shell completion script (bash, zsh or fish)",
       "  source <(biodev completion bash)\n"
       "  biodev completion fish > ~/.config/fish/completions/biodev.fish",
       setup_completion},
      {"version", "Print biodev's version and the engine's",
       "  biodev version\n"
       "  biodev version --json",
       setup_version},
      {"docs", "Print the command reference (docs/cli.md) in Markdown", "  biodev docs > docs/cli.md", setup_docs,
       true},
      {"probe", "Probe a URL once (container healthchecks use it)", "  biodev probe http://127.0.0.1:8000/health",
       setup_probe, true},
  };
  return table;
}

}  // namespace biodev::cli
