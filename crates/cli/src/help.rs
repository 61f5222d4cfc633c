//! The command line's help in Chinese (the operators read Chinese): clap's
//! own words — its headings, its help and version flags, its notes of a
//! default, an environment variable and the choices — replaced on every
//! command. The descriptions themselves are the doc comments in `args.rs`.

use clap::{Arg, ArgAction, Command};

/// `cmd` (the program) and every subcommand, with their help in Chinese.
pub(crate) fn chinese(cmd: Command) -> Command {
    localize(cmd, true)
}

fn localize(cmd: Command, root: bool) -> Command {
    let mut template = String::from("{about-with-newline}\n用法：{usage}\n");
    if cmd.has_subcommands() {
        template.push_str("\n命令：\n{subcommands}\n");
    }
    if cmd.get_positionals().next().is_some() {
        template.push_str("\n参数：\n{positionals}\n");
    }
    template.push_str("\n选项：\n{options}\n{after-help}");
    let help = Arg::new("help").short('h').long("help").action(ArgAction::Help).help("显示帮助");
    let cmd = cmd
        .help_template(template)
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .mut_args(noted)
        .arg(help)
        .mut_subcommands(|c| localize(c, false));
    if !root {
        return cmd;
    }
    let version = Arg::new("version").short('V').long("version").action(ArgAction::Version).help("显示版本");
    cmd.disable_version_flag(true).arg(version)
}

/// An option's help with its choices, default and environment variable
/// noted in Chinese, and clap's own notes of them hidden.
fn noted(arg: Arg) -> Arg {
    let mut help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    let takes_values = arg.get_action().takes_values();
    if takes_values {
        let choices: Vec<String> =
            arg.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| v.get_name().to_owned()).collect();
        if !choices.is_empty() {
            help.push_str(&format!("（可选：{}）", choices.join("、")));
        }
        let defaults: Vec<String> = arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
        if !defaults.is_empty() {
            help.push_str(&format!("（默认：{}）", defaults.join("、")));
        }
    }
    if let Some(env) = arg.get_env() {
        help.push_str(&format!("（环境变量 {}）", env.to_string_lossy()));
    }
    let arg = arg.help(help).hide_env(true);
    // clap allows hiding these only of an option that takes a value.
    if takes_values { arg.hide_default_value(true).hide_possible_values(true) } else { arg }
}
