//! The argument list before clap sees it: global options spelled in full
//! after the command are moved before it.

/// Global options a user may also give after the command, in full spelling
/// only (`chat --timeout 600 …`): a prefix such as `--t` must keep meaning
/// what it meant (`--thread-id`). The ones that take a value come first.
const HOISTED_WITH_VALUE: &[&str] = &["--timeout", "--base-url", "--ak", "--sk"];
const HOISTED_FLAGS: &[&str] = &["--quiet"];

/// Moves full-spelled global options found after the command to before it,
/// so the reference's parser shape (globals on the top-level parser only) holds.
pub fn hoist_global_options(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(command_at) = command_position(&args) else {
        return args;
    };
    let (mut head, tail) = (args[..=command_at].to_vec(), &args[command_at + 1..]);
    let command = head.pop().expect("the command word");
    let mut rest = Vec::with_capacity(tail.len());
    let mut index = 0;
    while index < tail.len() {
        let word = tail[index].to_string_lossy();
        if word == "--" {
            rest.extend_from_slice(&tail[index..]);
            break;
        }
        let name = word.split('=').next().unwrap_or_default();
        if HOISTED_WITH_VALUE.contains(&name) {
            head.push(tail[index].clone());
            if !word.contains('=') && index + 1 < tail.len() {
                head.push(tail[index + 1].clone());
                index += 1;
            }
        } else if HOISTED_FLAGS.contains(&word.as_ref()) {
            head.push(tail[index].clone());
        } else {
            rest.push(tail[index].clone());
        }
        index += 1;
    }
    head.push(command);
    head.extend(rest);
    head
}

/// Where the command word is: the first word that is neither a global option
/// nor a global option's value.
fn command_position(args: &[std::ffi::OsString]) -> Option<usize> {
    let mut index = 1;
    while index < args.len() {
        let word = args[index].to_string_lossy();
        if !word.starts_with('-') {
            return Some(index);
        }
        let takes_value = !word.contains('=')
            && word.len() > 2
            && HOISTED_WITH_VALUE
                .iter()
                .any(|name| name.starts_with(word.as_ref()));
        index += if takes_value { 2 } else { 1 };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hoisted(words: &[&str]) -> Vec<String> {
        hoist_global_options(words.iter().map(Into::into).collect())
            .into_iter()
            .map(|word| word.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn full_spellings_after_the_command_move_before_it() {
        assert_eq!(
            hoisted(&[
                "lovart",
                "chat",
                "--prompt",
                "x",
                "--timeout",
                "600",
                "--quiet"
            ]),
            [
                "lovart",
                "--timeout",
                "600",
                "--quiet",
                "chat",
                "--prompt",
                "x"
            ]
        );
        assert_eq!(
            hoisted(&[
                "lovart",
                "--ak",
                "a",
                "status",
                "--base-url=http://h",
                "--thread-id",
                "t"
            ]),
            [
                "lovart",
                "--ak",
                "a",
                "--base-url=http://h",
                "status",
                "--thread-id",
                "t"
            ]
        );
    }

    #[test]
    fn prefixes_values_and_the_double_dash_stay_put() {
        let unchanged = ["lovart", "chat", "--t", "5", "--prompt", "y"];
        assert_eq!(hoisted(&unchanged), unchanged);
        let after_dashes = ["lovart", "chat", "--", "--timeout", "5"];
        assert_eq!(hoisted(&after_dashes), after_dashes);
        let no_command = ["lovart", "--timeout", "5"];
        assert_eq!(hoisted(&no_command), no_command);
    }
}
