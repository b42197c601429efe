// HTTP/1.1 to the Docker engine: unix socket (default) or tcp://host:port.
//
// A Transport is safe to use from many threads at once: it keeps a small pool of
// keep-alive connections and hands one to each call. Every call has a deadline
// except streams opened with no idle timeout (long polls such as logs -f, wait,
// events). Beast/Asio stay inside transport.cpp; this header is cheap to include.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace biodev::docker {

using namespace std::chrono_literals;

// TLS material for a tcp:// engine, as the docker CLI finds it: DOCKER_TLS_VERIFY (or a
// context's TLS folder) turns it on; files come from DOCKER_CERT_PATH (default ~/.docker).
struct TlsFiles {
  bool verify = true;    // check the engine's certificate against ca and its name
  std::string dir;       // where the files were looked for (named in errors)
  std::string dir_from;  // "DOCKER_CERT_PATH", "~/.docker" or "context NAME" (for errors)
  std::string ca;        // "" when absent
  std::string cert;      // client certificate, "" when absent
  std::string key;       // its private key, "" when absent
};

// Where the engine listens. Parsed from DOCKER_HOST or a docker context.
struct Endpoint {
  enum class Kind { kUnix, kTcp, kSsh } kind = Kind::kUnix;
  std::string path = "/var/run/docker.sock";  // kUnix
  std::string host;                           // kTcp, kSsh
  std::string port;                           // kTcp; kSsh: "" = ssh's own default
  std::string user;                           // kSsh: "" = ssh's own default
  std::optional<TlsFiles> tls;                // kTcp over TLS
  std::string context;                        // the docker context it came from, if any

  // "unix:///run/docker.sock", "tcp://127.0.0.1:2375", "ssh://me@box:22", or empty for
  // the default. Throws UsageError on anything else. A tcp:// port defaults to 2375
  // (2376 once TLS is known to be on: see engine_config.h).
  static Endpoint parse(std::string_view docker_host, bool tls = false);
  std::string to_string() const;
  // The engine runs on this machine: a unix socket, or tcp/ssh to a loopback name.
  bool on_this_machine() const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // "/v1.41/containers/json?all=1" (the client adds the version prefix)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;       // sent with Content-Length when non-empty
  std::string body_file;  // when set, the body is streamed from this file instead
  std::string content_type = "application/json";
  // Whole-call deadline for request() and upgrade(), idle timeout between reads for
  // stream(); 0 means none (long polls), though connecting stays bounded.
  std::chrono::milliseconds timeout = 30s;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string header(std::string_view name) const;  // "" when absent
};

// Receives body bytes as they arrive; return false to stop reading (the
// connection is then closed rather than reused).
using ChunkSink = std::function<bool(std::string_view chunk)>;

// A raw bidirectional byte stream after an HTTP upgrade (exec attach).
class RawStream {
 public:
  virtual ~RawStream() = default;
  // Bytes already read past the 101 response are delivered first. Returns 0 at EOF.
  virtual size_t read_some(char* buf, size_t len) = 0;
  virtual void write_all(std::string_view data) = 0;
  virtual void shutdown_write() = 0;  // half-close: tells the process stdin ended
  virtual int native_handle() = 0;    // for poll()
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends the request and reads the whole response within req.timeout (0: no limit).
  virtual HttpResponse request(const HttpRequest& req) = 0;

  // Sends the request; when the status is 2xx, feeds the (de-chunked) body to `sink`
  // as it arrives and returns the status and headers with an empty body. A non-2xx
  // response is returned whole, sink untouched. req.timeout is the idle timeout
  // between reads; 0 means none.
  virtual HttpResponse stream(const HttpRequest& req, const ChunkSink& sink) = 0;

  // Sends the request expecting "101 UPGRADED" (or 200 with a raw stream); returns the
  // raw connection. Non-101/200 responses throw EngineError with the body's message.
  virtual std::unique_ptr<RawStream> upgrade(const HttpRequest& req) = 0;

  virtual std::string describe() const = 0;  // "unix:///var/run/docker.sock"
};

// The real transport over Beast: unix sockets and plain tcp directly; TLS and ssh through
// a dialer that hands Beast a connected local socket (tls_dial.h, ssh_dial.h).
std::shared_ptr<Transport> make_socket_transport(const Endpoint& endpoint);

}  // namespace biodev::docker
