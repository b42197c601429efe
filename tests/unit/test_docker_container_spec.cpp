// The create bodies the typed specs serialise to: golden JSON, key for key, since the
// planner's config hashes are taken over these bytes.
#include <doctest/doctest.h>

#include "docker/container_spec.h"

using namespace biodev::docker;

TEST_CASE("a minimal container spec sends only what is set") {
  ContainerSpec s;
  s.image = "biodev/redis:7";
  CHECK(create_body(s).dump() ==
        R"({"HostConfig":{"Init":false,"Mounts":[],"RestartPolicy":{"Name":"no"}},"Image":"biodev/redis:7","Labels":{}})");
}

TEST_CASE("a full container spec: every field under its engine name") {
  ContainerSpec s;
  s.image = "img";
  s.cmd = {"run"};
  s.entrypoint = {"/bin/sh", "-c"};
  s.env = std::vector<std::string>{"A=1"};
  s.hostname = "api";
  s.stop_timeout = 5;
  s.stop_signal = "SIGINT";
  s.user = "1000";
  s.working_dir = "/app";
  s.tty = s.open_stdin = true;
  s.exposed_ports = std::vector<std::string>{"8000/tcp", "9000/udp"};
  s.healthcheck = HealthcheckSpec{{"CMD", "true"}, 1000, 2000, 3000, 4000, 3};
  s.labels = {{"team", "ml"}};
  s.endpoint = EndpointSpec{"p_bio_net", {"api", "web"}};
  HostConfigSpec& h = s.host;
  h.init = h.privileged = h.readonly_rootfs = h.auto_remove = true;
  h.restart_policy = "on-failure";
  h.restart_max_retries = 4;
  h.mounts = {{MountSpec::Type::kBind, "/src", "/app", true, 0},
              {MountSpec::Type::kVolume, "p_data", "/data", false, 0},
              {MountSpec::Type::kTmpfs, "", "/tmp", false, 1024}};
  h.network_mode = "p_bio_net";
  h.port_bindings = std::map<std::string, std::vector<HostPortSpec>>{{"8000/tcp", {{"127.0.0.1", "8000"}, {"::1", ""}}}};
  h.nano_cpus = 500000000;
  h.memory = 1 << 20;
  h.memory_reservation = 1 << 19;
  h.pids_limit = 100;
  h.shm_size = 64;
  h.cap_add = {"NET_ADMIN"};
  h.cap_drop = {"ALL"};
  h.security_opt = {"no-new-privileges"};
  h.dns = {"1.1.1.1"};
  h.group_add = {"audio"};
  h.extra_hosts = {"db:10.0.0.2"};
  h.ulimits = {{"nofile", 1024, 2048}};
  h.sysctls = {{"net.core.somaxconn", "1024"}};
  h.device_requests = {{"nvidia", -1, {"0"}, {"gpu"}, {{"k", "v"}}}, {"", 1, {}, {}, {}}};
  h.devices = {{"/dev/fuse", "/dev/fuse", "rwm"}};
  h.ipc_mode = "host";
  h.pid_mode = "host";
  CHECK(create_body(s).dump(2) == R"({
  "Cmd": [
    "run"
  ],
  "Entrypoint": [
    "/bin/sh",
    "-c"
  ],
  "Env": [
    "A=1"
  ],
  "ExposedPorts": {
    "8000/tcp": {},
    "9000/udp": {}
  },
  "Healthcheck": {
    "Interval": 1000,
    "Retries": 3,
    "StartInterval": 4000,
    "StartPeriod": 3000,
    "Test": [
      "CMD",
      "true"
    ],
    "Timeout": 2000
  },
  "HostConfig": {
    "AutoRemove": true,
    "CapAdd": [
      "NET_ADMIN"
    ],
    "CapDrop": [
      "ALL"
    ],
    "DeviceRequests": [
      {
        "Capabilities": [
          [
            "gpu"
          ]
        ],
        "Count": -1,
        "DeviceIDs": [
          "0"
        ],
        "Driver": "nvidia",
        "Options": {
          "k": "v"
        }
      },
      {
        "Capabilities": [],
        "Count": 1,
        "Driver": ""
      }
    ],
    "Devices": [
      {
        "CgroupPermissions": "rwm",
        "PathInContainer": "/dev/fuse",
        "PathOnHost": "/dev/fuse"
      }
    ],
    "Dns": [
      "1.1.1.1"
    ],
    "ExtraHosts": [
      "db:10.0.0.2"
    ],
    "GroupAdd": [
      "audio"
    ],
    "Init": true,
    "IpcMode": "host",
    "Memory": 1048576,
    "MemoryReservation": 524288,
    "Mounts": [
      {
        "ReadOnly": true,
        "Source": "/src",
        "Target": "/app",
        "Type": "bind"
      },
      {
        "ReadOnly": false,
        "Source": "p_data",
        "Target": "/data",
        "Type": "volume"
      },
      {
        "ReadOnly": false,
        "Target": "/tmp",
        "TmpfsOptions": {
          "SizeBytes": 1024
        },
        "Type": "tmpfs"
      }
    ],
    "NanoCpus": 500000000,
    "NetworkMode": "p_bio_net",
    "PidMode": "host",
    "PidsLimit": 100,
    "PortBindings": {
      "8000/tcp": [
        {
          "HostIp": "127.0.0.1",
          "HostPort": "8000"
        },
        {
          "HostIp": "::1",
          "HostPort": ""
        }
      ]
    },
    "Privileged": true,
    "ReadonlyRootfs": true,
    "RestartPolicy": {
      "MaximumRetryCount": 4,
      "Name": "on-failure"
    },
    "SecurityOpt": [
      "no-new-privileges"
    ],
    "ShmSize": 64,
    "Sysctls": {
      "net.core.somaxconn": "1024"
    },
    "Ulimits": [
      {
        "Hard": 2048,
        "Name": "nofile",
        "Soft": 1024
      }
    ]
  },
  "Hostname": "api",
  "Image": "img",
  "Labels": {
    "team": "ml"
  },
  "NetworkingConfig": {
    "EndpointsConfig": {
      "p_bio_net": {
        "Aliases": [
          "api",
          "web"
        ]
      }
    }
  },
  "OpenStdin": true,
  "StopSignal": "SIGINT",
  "StopTimeout": 5,
  "Tty": true,
  "User": "1000",
  "WorkingDir": "/app"
})");
}

TEST_CASE("a disabled healthcheck sends only its test; a retry count only for on-failure") {
  ContainerSpec s;
  s.image = "img";
  s.healthcheck = HealthcheckSpec{{"NONE"}, 1, 2, 3, 4, 5};
  s.host.restart_max_retries = 3;  // restart policy "no": not sent
  s.host.port_bindings = std::map<std::string, std::vector<HostPortSpec>>{};
  const auto body = create_body(s);
  CHECK(body["Healthcheck"].dump() == R"({"Test":["NONE"]})");
  CHECK(body["HostConfig"]["RestartPolicy"].dump() == R"({"Name":"no"})");
  CHECK(body["HostConfig"]["PortBindings"].dump() == "{}");
}

TEST_CASE("a network spec") {
  NetworkSpec n;
  n.name = "p_bio_net";
  CHECK(create_body(n).dump() ==
        R"({"CheckDuplicate":true,"Driver":"bridge","Internal":false,"Labels":{},"Name":"p_bio_net"})");
  n.driver = "";
  n.internal = n.attachable = n.enable_ipv6 = true;
  n.labels = {{"a", "b"}};
  n.options = {{"com.docker.network.bridge.name", "br0"}};
  CHECK(create_body(n).dump() ==
        R"({"Attachable":true,"CheckDuplicate":true,"Driver":"bridge","EnableIPv6":true,"Internal":true,"Labels":{"a":"b"},"Name":"p_bio_net","Options":{"com.docker.network.bridge.name":"br0"}})");
}
