// Images of Dockerfiles that run nothing, made without the engine's builder. A Dockerfile
// whose one stage only sets metadata and copies files from the context (FROM, ARG, ENV,
// LABEL, WORKDIR, COPY, USER, EXPOSE, CMD, ENTRYPOINT, STOPSIGNAL, VOLUME) gives the same
// image as the builder when the base image's config gets the instructions applied and
// the copied files become one layer. The classic builder makes a container and a commit
// for every instruction (seconds for a handful); this takes one container and one commit.
//
// plan_assembly() and its helpers are pure: which Dockerfiles qualify, and the config
// and copies they give. assemble_image() is the engine half.
#pragma once

#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "docker/client.h"
#include "images/build_context.h"
#include "images/dockerfile.h"

namespace biodev::images {

struct CopyStep {
  int line = 0;                      // the COPY's Dockerfile line
  std::vector<std::string> sources;  // relative to the context, variables expanded
  std::string dest;                  // absolute; a trailing '/' kept (it makes dest a folder)
  bool has_owner = false;            // --chown=uid[:gid] (numeric only)
  unsigned uid = 0, gid = 0;
};

struct Assembly {
  std::string base;            // the image FROM names, ARGs expanded
  docker::ImageConfig config;  // the image's Config: base's with the instructions applied
  std::vector<CopyStep> copies;
  std::vector<std::string> workdirs;  // every WORKDIR, absolute, in order
};

// An instruction biodev cannot apply itself, as "Dockerfile line N: RUN" ("" when every
// instruction can be). RUN, ADD, HEALTHCHECK, SHELL, ONBUILD, a second FROM, FROM
// --platform, COPY --from/--chmod/--link and a --chown by name need the builder.
std::string needs_builder(const std::vector<Instruction>& instructions);

// The image the (single) stage builds on, with the ARGs declared before FROM expanded.
std::string assembly_base(const std::vector<Instruction>& instructions,
                          const std::map<std::string, std::string>& build_args);

// Applies the instructions to `base_config` (the base image's Config, as GET
// /images/{name}/json shows it): ENV, LABEL, WORKDIR, USER, EXPOSE, CMD, ENTRYPOINT,
// STOPSIGNAL, VOLUME as the builder applies them ($VAR and ${VAR:-x} expansion with
// the ARGs and ENVs in scope, CMD reset by an ENTRYPOINT after it), and lists the COPYs.
// Throws AssemblyError ("line 4: ...") for an instruction the builder would refuse.
Assembly plan_assembly(const std::vector<Instruction>& instructions,
                       const std::map<std::string, std::string>& build_args,
                       const docker::ImageConfig& base_config);

struct AssemblyError : std::invalid_argument {
  int line;
  AssemblyError(int l, const std::string& what) : std::invalid_argument(what), line(l) {}
};

// Makes image `tag` from `assembly` on the base image `base_id`: a container of the base
// with the final config and `labels` added (created, never started), the COPYs and the
// WORKDIR folders the base lacks unpacked into it as one tar (PUT .../archive), then
// POST /commit. A COPY into a path the base has as a folder copies into that folder, as
// the builder does (the engine is asked). The container goes whatever happens. Returns
// the image id; a COPY of nothing throws AssemblyError with its line.
std::string assemble_image(docker::Client& client, const BuildContext& context, const Assembly& assembly,
                           const std::string& base_id, const std::string& tag,
                           const std::map<std::string, std::string>& labels, const std::string& temp_dir);

// "a/./b/../c/" and "/a/c" -> "/a/c": absolute, no "." or "..", no trailing slash but
// for "/" itself.
std::string clean_path(const std::string& path);

// Dockerfile word processing (the builder's shell lexer): quotes removed, `\` escapes,
// $NAME, ${NAME}, ${NAME:-word}, ${NAME:+word} expanded from `vars` (unset = ""). The
// words of `text`, split at unquoted blanks; and `text` as one word.
std::vector<std::string> dockerfile_words(std::string_view text, const std::map<std::string, std::string>& vars);
std::string dockerfile_word(std::string_view text, const std::map<std::string, std::string>& vars);

}  // namespace biodev::images
