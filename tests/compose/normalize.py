#!/usr/bin/env python3
"""The normalized compose model both `docker-compose config` and `biodev config
--format compose` are reduced to, so that the two are compared as data, not text.

Every key a side prints must be known here: an unknown key fails the comparison
instead of being skipped, so nothing is compared by accident only on one side.
"""
import os
import re
import shlex

DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|s|m|h)")
UNITS = {"us": 0.001, "ms": 1, "s": 1000, "m": 60000, "h": 3600000}


def ms(v):
    if isinstance(v, (int, float)):
        return int(v * 1000)
    total = 0.0
    for num, unit in DURATION.findall(str(v)):
        total += float(num) * UNITS[unit]
    return int(round(total))


def size(v):
    if isinstance(v, (int, float)):
        return int(v)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmg]?)b?", str(v).strip().lower())
    scale = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2)]
    return int(round(float(m.group(1)) * scale))


def as_map(v, sep="="):
    if v is None:
        return {}
    if isinstance(v, dict):
        return {str(k): (None if x is None else str(x)) for k, x in v.items()}
    out = {}
    for item in v:
        k, _, x = str(item).partition(sep)
        out[k] = x if _ else None
    return out


def command(v):
    return shlex.split(v) if isinstance(v, str) else [str(x) for x in v]


def port(p):
    if isinstance(p, dict):
        return (p.get("host_ip") or "0.0.0.0", str(p.get("published") or ""),
                int(p["target"]), p.get("protocol") or "tcp")
    s, proto = str(p), "tcp"
    if "/" in s:
        s, proto = s.rsplit("/", 1)
    if s.startswith("["):  # [::1]:8080:80
        ip, rest = s[1:].split("]:", 1)
        host, target = rest.split(":")
        return (ip, host, int(target), proto)
    parts = s.rsplit(":", 2)  # docker-compose prints IPv6 unbracketed: ::1:8080:80
    ip, host = "0.0.0.0", ""
    if len(parts) == 3:
        ip, host, target = parts
    elif len(parts) == 2:
        host, target = parts
    else:
        target = parts[0]
    return (ip or "0.0.0.0", host, int(target), proto)


def volume(v):
    if isinstance(v, dict):
        return (v["type"], v.get("source"), v["target"], bool(v.get("read_only")))
    parts = str(v).split(":")
    if len(parts) == 1:  # a container path alone: an anonymous volume
        return ("volume", None, parts[0], False)
    ro = len(parts) > 2 and "ro" in parts[2].split(",")
    kind = "bind" if parts[0].startswith(("/", ".", "~")) else "volume"
    return (kind, parts[0], parts[1], ro)


def healthcheck(h):
    if h.get("disable") or h.get("test") in (["NONE"], "NONE"):
        return {"disable": True}
    test = h.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    elif test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        test = ["CMD"] + list(test)
    return {"test": test, "interval": ms(h.get("interval", "30s")), "timeout": ms(h.get("timeout", "30s")),
            "retries": int(h.get("retries", 3)), "start_period": ms(h.get("start_period", 0)),
            "start_interval": ms(h.get("start_interval", 0))}


def grants(items, base):
    out = []
    for g in items or []:
        if isinstance(g, str):
            g = {"source": g}
        target = g.get("target") or g["source"]
        if not target.startswith("/"):
            target = base + target
        out.append((g["source"], target, g.get("uid"), g.get("gid"), g.get("mode")))
    return sorted(out)


def deploy(d):
    res = (d or {}).get("resources", {})
    lim, resv = res.get("limits", {}), res.get("reservations", {})
    devices = []
    for dev in resv.get("devices", []):
        devices.append((dev.get("driver", ""), str(dev.get("count", "all")), tuple(dev.get("capabilities", []))))
    return {"cpus": float(lim.get("cpus", 0)), "memory": size(lim.get("memory", 0)),
            "pids": int(lim.get("pids", 0)), "reserve_memory": size(resv.get("memory", 0)),
            "devices": sorted(devices)}


def ulimits(u):
    out = {}
    for k, v in (u or {}).items():
        out[k] = (int(v), int(v)) if not isinstance(v, dict) else (int(v["soft"]), int(v["hard"]))
    return out


def extra_hosts(v):
    if isinstance(v, dict):
        return sorted(f"{k}:{x}" for k, x in v.items())
    return sorted(str(x).replace("=", ":", 1) for x in v or [])


SCALARS = ["image", "user", "working_dir", "container_name", "hostname", "stop_signal", "platform",
           "pull_policy", "network_mode", "ipc", "pid"]
FLAGS = ["privileged", "read_only", "tty", "stdin_open", "init"]
LISTS = ["cap_add", "cap_drop", "security_opt", "group_add", "devices", "profiles", "expose"]


def service(s):
    s = dict(s)
    out = {}
    for k in SCALARS:
        out[k] = s.pop(k, None)
    if out["pull_policy"] == "if_not_present":
        out["pull_policy"] = "missing"
    for k in FLAGS:
        out[k] = bool(s.pop(k, False))
    for k in LISTS:
        out[k] = [str(x) for x in s.pop(k, [])]
    dns = s.pop("dns", [])
    out["dns"] = [dns] if isinstance(dns, str) else list(dns)
    build = s.pop("build", None)
    if build is not None:
        build = {"context": build} if isinstance(build, str) else build
        out["build"] = {"context": build["context"], "dockerfile": build.get("dockerfile", "Dockerfile"),
                        "args": as_map(build.get("args")), "target": build.get("target"),
                        "network": build.get("network"), "extra_hosts": extra_hosts(build.get("extra_hosts")),
                        "shm_size": size(build.get("shm_size", 0)),
                        "cache_from": [str(x) for x in build.get("cache_from", [])]}
    out["command"] = command(s.pop("command", []))
    out["entrypoint"] = command(s.pop("entrypoint", []))
    env = as_map(s.pop("environment", None))
    out["environment"] = {k: v for k, v in env.items() if v is not None}
    out["ports"] = sorted(port(p) for p in s.pop("ports", []))
    vols = [volume(v) for v in s.pop("volumes", [])]
    tmpfs = s.pop("tmpfs", [])
    for t in [tmpfs] if isinstance(tmpfs, str) else tmpfs:
        vols.append(("tmpfs", None, t.split(":")[0], False))
    out["volumes"] = sorted(vols, key=str)
    nets = s.pop("networks", None)
    if nets is None:
        nets = {} if out["network_mode"] else {"default": None}
    if isinstance(nets, list):
        nets = {n: None for n in nets}
    out["networks"] = {n: sorted((v or {}).get("aliases", [])) for n, v in nets.items()}
    deps = s.pop("depends_on", {})
    if isinstance(deps, list):
        deps = {d: {"condition": "service_started"} for d in deps}
    out["depends_on"] = {d: (v or {}).get("condition", "service_started") for d, v in deps.items()}
    hc = s.pop("healthcheck", None)
    out["healthcheck"] = healthcheck(hc) if hc else None
    out["restart"] = s.pop("restart", "no")
    out["stop_grace_period"] = ms(s.pop("stop_grace_period", "10s"))
    out["labels"] = as_map(s.pop("labels", None))
    out["deploy"] = deploy(s.pop("deploy", None))
    out["shm_size"] = size(s.pop("shm_size", 0))
    out["extra_hosts"] = extra_hosts(s.pop("extra_hosts", None))
    out["sysctls"] = as_map(s.pop("sysctls", None))
    out["ulimits"] = ulimits(s.pop("ulimits", None))
    out["secrets"] = grants(s.pop("secrets", None), "/run/secrets/")
    out["configs"] = grants(s.pop("configs", None), "/")
    for k in [k for k in s if k.startswith("x-")]:
        s.pop(k)
    if s:
        raise ValueError(f"keys the normalization does not know: {sorted(s)}")
    return out


def resources(defs, project):
    out = {}
    for name, d in (defs or {}).items():
        d = dict(d or {})
        ext = d.pop("external", False)
        if isinstance(ext, dict):
            d["name"] = ext.get("name", name)
            ext = True
        engine = d.pop("name", None)
        if engine == f"{project}_{name}":
            engine = None
        out[name] = {"external": bool(ext), "name": engine, "driver": d.pop("driver", None),
                     "driver_opts": as_map(d.pop("driver_opts", None)),
                     "labels": as_map(d.pop("labels", None)), "internal": bool(d.pop("internal", False)),
                     "attachable": bool(d.pop("attachable", False))}
        if d:
            raise ValueError(f"keys the normalization does not know in {name}: {sorted(d)}")
    return out


def model(doc, project):
    doc = dict(doc)
    doc.pop("version", None)
    doc.pop("name", None)
    out = {"services": {n: service(s) for n, s in doc.pop("services", {}).items()}}
    nets = resources(doc.pop("networks", None), project)
    if "default" not in nets:  # compose makes it when a service uses it, as biodev prints
        if any("default" in s["networks"] for s in out["services"].values()):
            nets["default"] = resources({"default": {}}, project)["default"]
    out["networks"] = nets
    out["volumes"] = resources(doc.pop("volumes", None), project)
    for kind in ("secrets", "configs"):
        out[kind] = {n: {k: v for k, v in (d or {}).items() if k != "name"} for n, d in doc.pop(kind, {}).items()}
    for k in [k for k in doc if k.startswith("x-")]:
        doc.pop(k)
    if doc:
        raise ValueError(f"top-level keys the normalization does not know: {sorted(doc)}")
    return out


def unredact(mine, theirs):
    """biodev prints secret values as ********: where its string, with each ******** read
    as "some text", matches docker-compose's, the two are taken as equal."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return {k: unredact(v, theirs.get(k)) for k, v in mine.items()}
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        return [unredact(a, b) for a, b in zip(mine, theirs)]
    if isinstance(mine, tuple) and isinstance(theirs, tuple) and len(mine) == len(theirs):
        return tuple(unredact(a, b) for a, b in zip(mine, theirs))
    if isinstance(mine, str) and isinstance(theirs, str) and "********" in mine:
        pattern = ".+".join(re.escape(part) for part in mine.split("********"))
        if re.fullmatch(pattern, theirs):
            return theirs
    return mine


def compose_project(folder):
    """docker-compose 1.29's project name for a folder (what biodev derives too)."""
    name = re.sub(r"[^-_a-z0-9]", "", os.path.basename(folder).lower())
    return name.lstrip("-_")
