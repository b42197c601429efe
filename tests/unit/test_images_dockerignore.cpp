// .dockerignore as the Docker CLI reads it (moby/patternmatcher's cases).
#include <doctest/doctest.h>

#include <stdexcept>

#include "images/dockerignore.h"

using biodev::images::DockerIgnore;

TEST_CASE("plain names exclude the path and everything under it") {
  auto ig = DockerIgnore::parse("node_modules\n# a comment\n\n  .git  \n/build/\n");
  CHECK(ig.excluded("node_modules"));
  CHECK(ig.excluded("node_modules/a/b.js"));
  CHECK(ig.excluded(".git/HEAD"));
  CHECK(ig.excluded("build/out.o"));
  CHECK_FALSE(ig.excluded("src/node_modules"));  // patterns are anchored at the context root
  CHECK_FALSE(ig.excluded("src/app.py"));
  CHECK_FALSE(ig.excluded("# a comment"));
}

TEST_CASE("* and ? stay within one segment; ** crosses any number") {
  auto ig = DockerIgnore::parse("*.pyc\nsrc/?.tmp\n**/__pycache__\ndocs/**/*.md\n");
  CHECK(ig.excluded("a.pyc"));
  CHECK_FALSE(ig.excluded("pkg/a.pyc"));
  CHECK(ig.excluded("src/x.tmp"));
  CHECK_FALSE(ig.excluded("src/xy.tmp"));
  CHECK(ig.excluded("__pycache__/m.cpython-311.pyc"));
  CHECK(ig.excluded("pkg/sub/__pycache__/m.pyc"));
  CHECK(ig.excluded("docs/a.md"));
  CHECK(ig.excluded("docs/x/y/a.md"));
  CHECK_FALSE(ig.excluded("docs/a.txt"));
}

TEST_CASE("! exceptions bring files back; the last matching pattern wins") {
  auto ig = DockerIgnore::parse("*.md\n!README.md\nREADME-secret.md\n");
  CHECK(ig.excluded("CHANGES.md"));
  CHECK_FALSE(ig.excluded("README.md"));
  CHECK(ig.excluded("README-secret.md"));
  CHECK(ig.has_exceptions());
  auto dir = DockerIgnore::parse("data\n!data/keep.txt\n");
  CHECK(dir.excluded("data/big.bin"));
  CHECK_FALSE(dir.excluded("data/keep.txt"));
  auto later = DockerIgnore::parse("!a.txt\n*.txt\n");
  CHECK(later.excluded("a.txt"));
  CHECK_FALSE(DockerIgnore::parse("*.md").has_exceptions());
}

TEST_CASE("classes, escapes and regex characters mean what Docker means") {
  auto ig = DockerIgnore::parse("[ab].log\n[^c]x\nf\\*o\nv1.0+\n");
  CHECK(ig.excluded("a.log"));
  CHECK_FALSE(ig.excluded("c.log"));
  CHECK(ig.excluded("dx"));
  CHECK_FALSE(ig.excluded("cx"));
  CHECK(ig.excluded("f*o"));
  CHECK_FALSE(ig.excluded("fxo"));
  CHECK(ig.excluded("v1.0+"));
  CHECK_FALSE(ig.excluded("v1x0+"));
  CHECK_THROWS_AS(DockerIgnore::parse("ok\n[z-a]\n"), std::invalid_argument);
}
