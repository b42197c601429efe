// A scripted Transport for client tests. It records every request and answers from a
// queue of canned replies, in order; /_ping is answered from `api_version` without
// consuming a reply. An unscripted request throws std::logic_error, failing the test; a
// reply of status 0 is an engine that cannot be reached (EngineError kUnreachable).
#pragma once

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "docker/errors.h"
#include "docker/transport.h"

namespace biodev::docker::testing {

struct Reply {
  int status = 200;
  std::string body;                 // request(), error bodies, upgraded stream bytes
  std::vector<std::string> chunks;  // stream(): delivered one call each (else body whole)
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the client did with the last upgraded connection.
struct RawLog {
  std::mutex mutex;
  std::string written;
  bool write_closed = false;
};

class FakeRawStream final : public RawStream {
 public:
  FakeRawStream(std::string data, std::shared_ptr<RawLog> log)
      : data_(std::move(data)), log_(std::move(log)) {}
  // Short reads (5 bytes) so frame headers straddle reads as they can on a socket.
  size_t read_some(char* buf, size_t len) override {
    size_t n = std::min({len, data_.size() - offset_, size_t{5}});
    data_.copy(buf, n, offset_);
    offset_ += n;
    return n;
  }
  void write_all(std::string_view data) override {
    std::lock_guard lock(log_->mutex);
    log_->written += data;
  }
  void shutdown_write() override {
    std::lock_guard lock(log_->mutex);
    log_->write_closed = true;
  }
  int native_handle() override { return -1; }

 private:
  std::string data_;
  size_t offset_ = 0;
  std::shared_ptr<RawLog> log_;
};

class FakeTransport final : public Transport {
 public:
  std::string api_version = "1.41";  // "" = a /_ping reply without the header
  std::vector<std::pair<std::string, std::string>> ping_headers;  // more /_ping headers (lowercase)
  int pings = 0;
  std::vector<HttpRequest> requests;  // every request but /_ping, in order
  std::deque<Reply> replies;
  std::shared_ptr<RawLog> raw = std::make_shared<RawLog>();

  FakeTransport& reply(int status, std::string body = "") {
    replies.push_back(Reply{status, std::move(body), {}, {}});
    return *this;
  }
  FakeTransport& reply_chunks(std::vector<std::string> chunks, int status = 200) {
    replies.push_back(Reply{status, "", std::move(chunks), {}});
    return *this;
  }
  const HttpRequest& last() const { return requests.back(); }

  HttpResponse request(const HttpRequest& req) override {
    if (req.target == "/_ping") {
      ++pings;
      HttpResponse r{200, {}, "OK"};
      if (!api_version.empty()) r.headers.emplace_back("api-version", api_version);
      r.headers.insert(r.headers.end(), ping_headers.begin(), ping_headers.end());
      return r;
    }
    Reply rep = next(req);
    return HttpResponse{rep.status, rep.headers, rep.body};
  }

  HttpResponse stream(const HttpRequest& req, const ChunkSink& sink) override {
    Reply rep = next(req);
    if (rep.status < 200 || rep.status >= 300)
      return HttpResponse{rep.status, rep.headers, rep.body};
    if (rep.chunks.empty()) rep.chunks.push_back(rep.body);
    for (const auto& chunk : rep.chunks) {
      if (!sink(chunk)) break;
    }
    return HttpResponse{rep.status, rep.headers, ""};
  }

  std::unique_ptr<RawStream> upgrade(const HttpRequest& req) override {
    Reply rep = next(req);
    if (rep.status != 101 && rep.status != 200) {
      std::string message = message_from_body(rep.body);
      throw EngineError(classify(rep.status, message), rep.status, message);
    }
    std::string data = rep.body;
    for (const auto& chunk : rep.chunks) data += chunk;
    return std::make_unique<FakeRawStream>(std::move(data), raw);
  }

  std::string describe() const override { return "fake://engine"; }

 private:
  Reply next(const HttpRequest& req) {
    requests.push_back(req);
    if (replies.empty())
      throw std::logic_error("unscripted request " + req.method + " " + req.target);
    Reply rep = std::move(replies.front());
    replies.pop_front();
    if (rep.status == 0)
      throw EngineError(ErrorKind::kUnreachable, 0, "cannot reach the engine at fake://engine: connection refused");
    return rep;
  }
};

}  // namespace biodev::docker::testing
