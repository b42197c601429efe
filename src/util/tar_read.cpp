// TarReader: a state machine over 512-byte blocks, so the engine's archive stream can be
// unpacked as it arrives, whatever the sizes of the pieces it comes in.
#include <algorithm>
#include <cstring>

#include "util/error.h"
#include "util/tar.h"

namespace biodev {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxMeta = 1 << 20;  // a long name or pax header bigger than this is junk

uint64_t padding(uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

// An octal field (NUL or space terminated), or GNU's base-256 when the top bit is set.
bool read_number(const char* field, size_t width, uint64_t& out) {
  const auto* f = reinterpret_cast<const unsigned char*>(field);
  out = 0;
  if (f[0] & 0x80) {
    if (f[0] & 0x40) return false;  // negative
    out = f[0] & 0x3f;
    for (size_t i = 1; i < width; ++i) {
      if (out >> 55) return false;
      out = (out << 8) | f[i];
    }
    return true;
  }
  size_t i = 0;
  while (i < width && f[i] == ' ') ++i;
  for (; i < width && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (out >> 60) return false;
    out = out * 8 + (f[i] - '0');
  }
  for (; i < width; ++i)
    if (f[i] != 0 && f[i] != ' ') return false;
  return true;
}

std::string field(const char* f, size_t width) { return std::string(f, strnlen(f, width)); }

bool checksum_ok(const char* h) {
  uint64_t want = 0;
  if (!read_number(h + 148, 8, want)) return false;
  // Old writers summed signed chars; accept either.
  long long unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    char c = (i >= 148 && i < 156) ? ' ' : h[i];
    unsigned_sum += static_cast<unsigned char>(c);
    signed_sum += static_cast<signed char>(c);
  }
  return static_cast<long long>(want) == unsigned_sum || static_cast<long long>(want) == signed_sum;
}

}  // namespace

std::vector<std::string> tar_name_parts(std::string_view name) {
  if (!name.empty() && name.front() == '/')
    throw Error(ExitCode::kFailed,
                "tar member \"" + std::string(name) + "\" has an absolute path: refused");
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(start, slash - start);
    if (part == "..")
      throw Error(ExitCode::kFailed,
                  "tar member \"" + std::string(name) +
                      "\" climbs out with \"..\": refused, nothing written outside");
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = slash + 1;
  }
  return parts;
}

TarReader::TarReader(TarSink& sink, std::string source) : sink_(sink), source_(std::move(source)) {}

void TarReader::fail(const std::string& what) const {
  throw Error(ExitCode::kFailed, "tar archive " + source_ + ": " + what + " (at byte " +
                                     std::to_string(offset_) + ")");
}

void TarReader::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kEnd:
        return;  // what follows the end marker (more zero blocks) is not read
      case State::kHeader: {
        size_t take = std::min(bytes.size(), kBlock - buf_.size());
        buf_.append(bytes.data(), take);
        bytes.remove_prefix(take);
        if (buf_.size() == kBlock) {
          std::string block = std::move(buf_);
          buf_.clear();
          header(block.data());
          offset_ += kBlock;
        }
        break;
      }
      case State::kMeta: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), left_));
        buf_.append(bytes.data(), take);
        bytes.remove_prefix(take);
        left_ -= take;
        offset_ += take;
        if (left_ == 0) meta_done();
        break;
      }
      case State::kData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), left_));
        if (take) sink_.data(bytes.substr(0, take));
        bytes.remove_prefix(take);
        left_ -= take;
        offset_ += take;
        if (left_ == 0) {
          sink_.end_entry();
          state_ = pad_ ? State::kPad : State::kHeader;
        }
        break;
      }
      case State::kPad: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), pad_));
        bytes.remove_prefix(take);
        pad_ -= take;
        offset_ += take;
        if (pad_ == 0) state_ = State::kHeader;
        break;
      }
    }
  }
}

void TarReader::finish() {
  if (state_ == State::kEnd) return;
  if (state_ == State::kHeader && buf_.empty() && pax_.empty() && long_name_.empty() &&
      long_link_.empty() && offset_ > 0)
    return;  // ended at a member boundary without the end marker: GNU tar accepts it too
  fail(offset_ == 0 && buf_.empty() ? "empty" : "truncated: it ends inside a member");
}

// What a member is, from its typeflag.
static TarEntry::Type entry_type(char type) {
  switch (type) {
    case '0':
    case '\0':
    case '7':
      return TarEntry::Type::kFile;
    case '5':
      return TarEntry::Type::kDirectory;
    case '2':
      return TarEntry::Type::kSymlink;
    case '1':
      return TarEntry::Type::kHardlink;
    default:
      return TarEntry::Type::kOther;
  }
}

// The GNU long name and link and the pax records read before this header win over its
// own fields; each applies to this one member.
void TarReader::apply_long_names(TarEntry& e, uint64_t& size) {
  if (!long_name_.empty()) e.name = std::move(long_name_);
  if (!long_link_.empty()) e.link = std::move(long_link_);
  long_name_.clear();
  long_link_.clear();
  for (const auto& [key, value] : pax_) {
    if (key == "path")
      e.name = value;
    else if (key == "linkpath")
      e.link = value;
    else if (key == "size")
      size = std::strtoull(value.c_str(), nullptr, 10);
    else if (key == "mtime")
      e.mtime = std::strtoll(value.c_str(), nullptr, 10);
    else if (key == "uid")
      e.uid = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 10));
    else if (key == "gid")
      e.gid = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 10));
  }
  pax_.clear();
}

void TarReader::header(const char* h) {
  if (std::all_of(h, h + kBlock, [](char c) { return c == 0; })) {
    state_ = State::kEnd;
    return;
  }
  if (!checksum_ok(h)) fail("bad header checksum: not a tar archive, or a damaged one");
  uint64_t size = 0, mode = 0, uid = 0, gid = 0, mtime = 0;
  if (!read_number(h + 124, 12, size) || !read_number(h + 100, 8, mode) ||
      !read_number(h + 108, 8, uid) || !read_number(h + 116, 8, gid) ||
      !read_number(h + 136, 12, mtime))
    fail("malformed number in a header");
  char type = h[156];
  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
    if (size > kMaxMeta) fail("a long-name or pax header of " + std::to_string(size) + " bytes");
    meta_type_ = type;
    left_ = size;
    pad_ = padding(size);
    state_ = State::kMeta;
    if (size == 0) meta_done();
    return;
  }

  TarEntry e;
  e.typeflag = type;
  e.name = field(h, 100);
  e.link = field(h + 157, 100);
  if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != 0 &&
      std::memcmp(h + 257, "ustar  ", 8) != 0)
    e.name = field(h + 345, 155) + "/" + e.name;  // POSIX prefix (GNU's old format has none)
  e.mode = static_cast<unsigned>(mode & 07777);
  e.uid = static_cast<unsigned>(uid);
  e.gid = static_cast<unsigned>(gid);
  e.mtime = static_cast<long long>(mtime);
  apply_long_names(e, size);
  e.type = entry_type(type);
  // Only files (and unknown kinds) carry data; a link's or folder's size field is ignored.
  if (e.type != TarEntry::Type::kFile && e.type != TarEntry::Type::kOther) size = 0;
  if (e.type == TarEntry::Type::kFile && !e.name.empty() && e.name.back() == '/' && type == '\0')
    e.type = TarEntry::Type::kDirectory;  // pre-POSIX folders
  e.size = size;
  sink_.entry(e);
  if (size == 0) {
    sink_.end_entry();
    state_ = State::kHeader;
  } else {
    left_ = size;
    pad_ = padding(size);
    state_ = State::kData;
  }
}

void TarReader::meta_done() {
  std::string data = std::move(buf_);
  buf_.clear();
  state_ = pad_ ? State::kPad : State::kHeader;
  if (meta_type_ == 'L' || meta_type_ == 'K') {
    data.resize(strnlen(data.data(), data.size()));
    (meta_type_ == 'L' ? long_name_ : long_link_) = std::move(data);
    return;
  }
  // "<len> key=value\n" records, <len> counting the whole record.
  std::vector<std::pair<std::string, std::string>> records;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t space = data.find(' ', pos);
    if (space == std::string::npos) fail("malformed pax record");
    size_t len = 0;
    for (size_t i = pos; i < space; ++i) {
      if (data[i] < '0' || data[i] > '9' || len > kMaxMeta) fail("malformed pax record length");
      len = len * 10 + static_cast<size_t>(data[i] - '0');
    }
    if (len <= space - pos + 1 || pos + len > data.size() || data[pos + len - 1] != '\n')
      fail("malformed pax record");
    std::string record = data.substr(space + 1, pos + len - space - 2);
    size_t eq = record.find('=');
    if (eq == std::string::npos) fail("pax record without '='");
    records.emplace_back(record.substr(0, eq), record.substr(eq + 1));
    pos += len;
  }
  if (meta_type_ == 'x') pax_ = std::move(records);  // 'g' (global) applies to nothing we keep
}

}  // namespace biodev
