// The context of a `build:` service: the files the engine gets (the context folder less
// what .dockerignore excludes; the Dockerfile and .dockerignore are always sent, as the
// docker CLI sends them), a hash over them computed without tarring, and the tar.
#pragma once

#include <string>
#include <vector>

#include "profile/model.h"

namespace biodev::images {

struct ContextEntry {
  enum class Type { kFile, kDirectory, kSymlink };
  std::string path;  // relative, '/'-separated
  Type type = Type::kFile;
  unsigned mode = 0644;  // permission bits
  std::string link;      // kSymlink: its target
};

struct BuildContext {
  std::string root;                   // the context folder
  std::vector<ContextEntry> entries;  // sorted by path; without the Dockerfile
  std::string dockerfile_name;        // its name in the tar (the `dockerfile=` parameter)
  std::string dockerfile_text;        // what the tar holds under that name
  // Whether COPY sees the Dockerfile (a file of the context) and .dockerignore: the
  // engine hides each only when .dockerignore excludes it.
  bool dockerfile_copied = false;
  bool dockerignore_copied = true;
};

// Walks the context. Throws Error naming the file for an unreadable folder or a bad
// .dockerignore pattern.
BuildContext read_context(const profile::BuildSpec& spec);

// Hex sha256 over the Dockerfile text, the build args, target and labels, and every
// entry's path, type, mode and bytes (or link target). Equal inputs, equal hashes.
std::string build_hash(const profile::BuildSpec& spec, const BuildContext& context);

// Writes the context as a tar at `tar_path`, the Dockerfile as context.dockerfile_text.
void write_context_tar(const BuildContext& context, const std::string& tar_path);

}  // namespace biodev::images
