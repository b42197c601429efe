# Every third-party dependency biodev uses, found from Debian packages.
# `make deps` (scripts/deps.sh) installs the packages named in the messages below.

find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)                   # libboost-dev (Asio, Beast: header-only)
find_package(yaml-cpp REQUIRED)                     # libyaml-cpp-dev
find_package(fmt REQUIRED)                          # libfmt-dev
find_package(spdlog REQUIRED)                       # libspdlog-dev
find_package(nlohmann_json 3.10 REQUIRED)           # nlohmann-json3-dev
find_package(CLI11 REQUIRED)                        # libcli11-dev
find_package(PostgreSQL REQUIRED)                   # libpq-dev
find_package(OpenSSL REQUIRED)                      # libssl-dev
if(BIODEV_BUILD_TESTS)
  find_package(doctest REQUIRED)                    # doctest-dev
endif()

# Debian's yaml-cpp 0.7 exports the target `yaml-cpp` without a namespace.
if(TARGET yaml-cpp::yaml-cpp)
  set(BIODEV_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(BIODEV_YAML_TARGET yaml-cpp)
endif()
