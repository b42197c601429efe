#!/usr/bin/env python3
"""The compose corpus, end to end through the biodev binary.

- good/<case>/: biodev loads the compose file found there (compose's own lookup); where
  docker-compose 1.29 accepts the same folder, `biodev config --format compose` and
  `docker-compose config` are the same model once both are normalized (normalize.py).
- bad/<name>.yaml: `biodev -f <name>.yaml validate` exits 2 and prints every
  `# expect: file:line:col: message` line the file lists, and nothing is created.

Usage: compare.py BIODEV. Exits 125 (skipped) when docker-compose or PyYAML is
missing, except under CI=true, where that is a failure.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def skip(reason):
    print(f"compose corpus: {reason}")
    sys.exit(1 if os.environ.get("CI") == "true" else 125)


try:
    import yaml  # Debian's python3-yaml
except ImportError:
    skip("PyYAML is missing (apt-get install python3-yaml)")
import normalize  # noqa: E402

COMPOSE = shutil.which("docker-compose")


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COMPOSE_", "BIODEV_", "DOCKER_")) and k not in ("PWD",)}
    env["NO_COLOR"] = "1"
    return env


def run(cmd, cwd, **extra_env):
    env = clean_env()
    env.update(extra_env)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def good_cases(biodev):
    failures, compared, loaded = [], 0, 0
    root = os.path.join(HERE, "good")
    for case in sorted(os.listdir(root)):
        cwd = os.path.join(root, case)
        # docker-compose 1.29's config lists every service whatever its profiles.
        mine = run([biodev, "config", "--format", "compose"], cwd, COMPOSE_PROFILES="*")
        if mine.returncode != 0:
            failures.append(f"good/{case}: biodev config failed ({mine.returncode}):\n{mine.stderr}")
            continue
        loaded += 1
        theirs = run([COMPOSE, "config"], cwd)
        if theirs.returncode != 0:
            print(f"good/{case}: loaded; docker-compose 1.29 rejects it (newer syntax), not compared")
            continue
        project = normalize.compose_project(cwd)
        try:
            b = normalize.model(yaml.safe_load(theirs.stdout), project)
            a = normalize.unredact(normalize.model(yaml.safe_load(mine.stdout), project), b)
        except (ValueError, KeyError) as e:
            failures.append(f"good/{case}: cannot normalize: {e}")
            continue
        if a != b:
            failures.append(f"good/{case}: models differ\n" + diff(a, b))
            continue
        compared += 1
        print(f"good/{case}: same model as docker-compose config")
    return failures, compared, loaded


def diff(a, b, path=""):
    lines = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                lines.append(diff(a.get(k), b.get(k), f"{path}.{k}"))
        return "\n".join(lines)
    return f"  {path}:\n    biodev:         {a!r}\n    docker-compose: {b!r}"


def bad_cases(biodev):
    failures, checked = [], 0
    root = os.path.join(HERE, "bad")
    for name in sorted(os.listdir(root)):
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(root, name)
        with open(path) as f:
            expected = [line.split("# expect:", 1)[1].strip() for line in f if line.startswith("# expect:")]
        if not expected:
            failures.append(f"bad/{name}: lists no '# expect:' line")
            continue
        res = run([biodev, "-f", name, "validate"], root)
        missing = [e for e in expected if e not in res.stderr]
        if res.returncode != 2 or missing:
            failures.append(f"bad/{name}: exit {res.returncode} (want 2); missing {missing}\n{res.stderr}")
            continue
        checked += 1
    return failures, checked


def cli_cases(biodev):
    """Which file a command reads, and the project name it gets, as compose decides."""
    good = os.path.join(HERE, "good")
    override = os.path.join(good, "override")
    empty = tempfile.mkdtemp(prefix="biodev-compose-cli-")

    def config(cwd, *args, **env):
        res = run([biodev, *args, "config", "--format", "compose"], cwd, **env)
        if res.returncode != 0:
            return {"error": res.stderr}
        try:
            return yaml.safe_load(res.stdout)
        except yaml.YAMLError as e:
            return {"error": f"not YAML: {e}"}

    web_mode = lambda doc: doc.get("services", {}).get("web", {}).get("environment", {}).get("MODE")  # noqa: E731
    checks = [
        ("a parent folder's compose file", config(os.path.join(good, "seed_stack", "init-scripts")).get("name"),
         "seed_stack"),
        ("the override file beside it", web_mode(config(override)), "dev"),
        ("COMPOSE_FILE", web_mode(config(empty, COMPOSE_FILE=os.path.join(override, "docker-compose.yml"))), "prod"),
        ("COMPOSE_PROJECT_NAME", config(override, COMPOSE_PROJECT_NAME="custom").get("name"), "custom"),
        ("-p over COMPOSE_PROJECT_NAME", config(override, "-p", "cmp-cli", COMPOSE_PROJECT_NAME="custom").get("name"),
         "cmp-cli"),
        ("-f twice", web_mode(config(empty, "-f", os.path.join(override, "docker-compose.yml"),
                                     "-f", os.path.join(override, "docker-compose.override.yml"))), "dev"),
        ("COMPOSE_PROFILES", sorted(config(os.path.join(good, "profiles"), COMPOSE_PROFILES="debug")
                                    .get("services", {})), ["app", "debug"]),
        ("no compose file: the default profile", "postgres" in config(empty).get("services", {}), True),
        ("-f default beside a compose file", "postgres" in config(override, "-f", "default").get("services", {}),
         True),
        ("--project-directory: the lookup and the name", config(empty, "--project-directory", override).get("name"),
         "override"),
        # team_app's build context is ./api: with the project folder one up, it is good/api,
        # which does not exist.
        ("--project-directory: relative paths", "good/api does not exist" in
         config(empty, "-f", os.path.join(good, "team_app", "compose.yaml"), "--project-directory", good)
         .get("error", ""), True),
        ("--project-directory .", config(override, "--project-directory", ".").get("name"), "override"),
        ("--project-directory dir/", config(good, "--project-directory", "override/").get("name"), "override"),
    ]
    failures = [f"cli: {what}: got {got!r}, want {want!r}" for what, got, want in checks if got != want]
    shutil.rmtree(empty, ignore_errors=True)
    return failures, len(checks)


def main():
    biodev = os.path.abspath(sys.argv[1])
    if not COMPOSE:
        skip("docker-compose is missing (apt-get install docker-compose)")
    failures, compared, loaded = good_cases(biodev)
    bad_failures, checked = bad_cases(biodev)
    failures += bad_failures
    cli_failures, cli_total = cli_cases(biodev)
    failures += cli_failures
    for f in failures:
        print("FAIL " + f)
    print(f"compose corpus: {loaded} good cases loaded, {compared} equal to docker-compose config, "
          f"{checked} broken files rejected with their file:line:col, "
          f"{cli_total - len(cli_failures)}/{cli_total} lookup checks")
    total = len(os.listdir(os.path.join(HERE, "good"))) + len(
        [n for n in os.listdir(os.path.join(HERE, "bad")) if n.endswith((".yaml", ".yml"))]) + cli_total
    print(f"{total - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures or compared == 0 else 0)


if __name__ == "__main__":
    main()
