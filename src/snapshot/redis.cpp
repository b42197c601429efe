// Redis snapshots: DUMP and RESTORE of every key over the wire. They keep each value's
// exact type and encoding, work on any Redis (no file access to the server, no restart
// to load an RDB file), and touch database 0 only: databases 1 and up are the lease
// service's.
#include <cstdint>
#include <cstring>

#include "snapshot/stores.h"

namespace biodev::snapshot {
namespace {

using store::RedisConnection;
using store::RedisReply;
using store::StoreFailure;

constexpr const char* kMagic = "biodev-redis-dump 1\n";
constexpr size_t kBatch = 500;

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_blob(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}

struct Reader {
  const std::string& data;
  size_t at = 0;
  uint64_t u64() {
    if (data.size() - at < 8) throw StoreFailure("redis: redis.dump is truncated");
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(data[at + i])) << (8 * i);
    at += 8;
    return v;
  }
  std::string blob() {
    uint64_t n = u64();
    if (data.size() - at < n) throw StoreFailure("redis: redis.dump is truncated");
    std::string s = data.substr(at, n);
    at += n;
    return s;
  }
};

// PTTL and DUMP of a batch of keys in one write; a key that expired meanwhile is left out.
void dump_keys(RedisConnection& r, const std::vector<RedisReply>& keys, std::string& out,
               long long& count) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& k : keys) {
    cmds.push_back({"PTTL", k.text});
    cmds.push_back({"DUMP", k.text});
  }
  auto replies = r.send(cmds);
  for (size_t i = 0; i < keys.size(); ++i) {
    const RedisReply& ttl = replies[2 * i];
    const RedisReply& dump = replies[2 * i + 1];
    if (dump.type == RedisReply::Type::kError)
      throw StoreFailure("redis DUMP " + keys[i].text + ": " + dump.text);
    if (dump.type != RedisReply::Type::kBulk || ttl.integer == -2) continue;
    put_blob(out, keys[i].text);
    put_u64(out, static_cast<uint64_t>(ttl.integer < 0 ? 0 : ttl.integer));
    put_blob(out, dump.text);
    ++count;
  }
}

}  // namespace

StoreEntry redis_save(const lease::RedisStore& store, const std::string& dir) {
  RedisConnection r(store);
  r.call({"SELECT", "0"});
  std::string out = kMagic;
  long long count = 0;
  std::string cursor = "0";
  do {
    auto reply = r.send({{"SCAN", cursor, "COUNT", "1000"}}).front();
    if (reply.type != RedisReply::Type::kArray || reply.items.size() != 2)
      throw StoreFailure("redis SCAN: " + (reply.text.empty() ? "unexpected reply" : reply.text));
    cursor = reply.items[0].text;
    const auto& keys = reply.items[1].items;
    for (size_t i = 0; i < keys.size(); i += kBatch)
      dump_keys(r,
                std::vector<RedisReply>(keys.begin() + i,
                                        keys.begin() + std::min(keys.size(), i + kBatch)),
                out, count);
  } while (cursor != "0");
  write_file(dir + "/redis.dump", out);
  return {"redis", static_cast<long long>(out.size()), count, std::to_string(count) + " keys"};
}

void redis_restore(const lease::RedisStore& store, const std::string& dir) {
  std::string data = read_file(dir + "/redis.dump");
  if (!data.starts_with(kMagic)) throw StoreFailure("redis: " + dir + "/redis.dump is not a dump");
  Reader in{data, strlen(kMagic)};
  RedisConnection r(store);
  r.pipeline({{"SELECT", "0"}, {"FLUSHDB"}});
  std::vector<std::vector<std::string>> batch;
  auto flush = [&] {
    if (!batch.empty()) r.pipeline(batch);
    batch.clear();
  };
  while (in.at < data.size()) {
    std::string key = in.blob();
    uint64_t ttl = in.u64();
    batch.push_back({"RESTORE", key, std::to_string(ttl), in.blob(), "REPLACE"});
    if (batch.size() == kBatch) flush();
  }
  flush();
}

}  // namespace biodev::snapshot
