// `biodev completion bash|zsh|fish`: scripts generated from the same command table and
// option definitions the parser uses. Service names complete from `biodev config
// --services`, so they follow the profile of the folder you are in.
#include <iostream>

#include "cli/commands.h"
#include "util/strings.h"

namespace biodev::cli {
namespace {

struct VerbInfo {
  std::string name, summary;
  std::vector<std::string> flags;  // "--timeout", "-f"
  bool takes_services = false;
};

std::vector<VerbInfo> collect(const CLI::App& app) {
  std::vector<VerbInfo> out;
  for (const auto& cmd : commands()) {
    if (cmd.hidden) continue;
    VerbInfo v{cmd.name, cmd.summary, {}, false};
    const CLI::App* sub = app.get_subcommand(cmd.name);
    for (const CLI::Option* opt : sub->get_options()) {
      for (const auto& l : opt->get_lnames()) v.flags.push_back("--" + l);
      for (const auto& s : opt->get_snames()) v.flags.push_back("-" + s);
      if (opt->get_name() == "services" || opt->get_name() == "service") v.takes_services = true;
    }
    for (const CLI::App* subsub : sub->get_subcommands({})) v.flags.push_back(subsub->get_name());
    out.push_back(v);
  }
  return out;
}

std::vector<std::string> global_flags(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* opt : app.get_options())
    for (const auto& l : opt->get_lnames()) out.push_back("--" + l);
  return out;
}

std::string bash(const CLI::App& app) {
  auto verbs = collect(app);
  std::vector<std::string> names;
  for (const auto& v : verbs) names.push_back(v.name);
  std::string s = "# biodev bash completion: source <(biodev completion bash)\n_biodev() {\n"
                  "  local cur=${COMP_WORDS[COMP_CWORD]} verb= i\n"
                  "  for ((i=1; i<COMP_CWORD; i++)); do case ${COMP_WORDS[i]} in -p|--project|-f|--profile|--env-file) ((i++));; -*) ;; *) verb=${COMP_WORDS[i]}; break;; esac; done\n"
                  "  if [[ -z $verb ]]; then COMPREPLY=($(compgen -W \"" + join(names, " ") + " " + join(global_flags(app), " ") +
                  "\" -- \"$cur\")); return; fi\n  case $verb in\n";
  for (const auto& v : verbs) {
    s += "    " + v.name + ") COMPREPLY=($(compgen -W \"" + join(v.flags, " ");
    if (v.takes_services) s += " $(biodev config --services 2>/dev/null)";
    s += "\" -- \"$cur\"));;\n";
  }
  s += "  esac\n}\ncomplete -F _biodev biodev\n";
  return s;
}

std::string zsh(const CLI::App& app) {
  // zsh runs bash completions through bashcompinit; one generator keeps them equal.
  return "#compdef biodev\nautoload -U +X bashcompinit && bashcompinit\n" + bash(app);
}

std::string fish(const CLI::App& app) {
  auto verbs = collect(app);
  std::vector<std::string> names;
  for (const auto& v : verbs) names.push_back(v.name);
  std::string s = "# biodev fish completion\ncomplete -c biodev -f\n";
  for (const auto& v : verbs) {
    std::string summary = v.summary;
    for (auto& c : summary)
      if (c == '\'') c = ' ';
    s += "complete -c biodev -n 'not __fish_seen_subcommand_from " + join(names, " ") + "' -a " + v.name +
         " -d '" + summary + "'\n";
    for (const auto& f : v.flags)
      if (f.starts_with("--")) s += "complete -c biodev -n '__fish_seen_subcommand_from " + v.name + "' -l " + f.substr(2) + "\n";
    if (v.takes_services)
      s += "complete -c biodev -n '__fish_seen_subcommand_from " + v.name + "' -a '(biodev config --services 2>/dev/null)'\n";
  }
  return s;
}

}  // namespace

Runner setup_completion(CLI::App& sub, Context& ctx) {
  (void)ctx;
  auto shell = std::make_shared<std::string>();
  sub.add_option("shell", *shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  return [&sub, shell] {
    const CLI::App& app = *sub.get_parent();
    std::cout << (*shell == "bash" ? bash(app) : *shell == "zsh" ? zsh(app) : fish(app));
    return 0;
  };
}

}  // namespace biodev::cli
