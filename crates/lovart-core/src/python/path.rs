//! Python's `os.path` (`posixpath` on Unix, `ntpath` on Windows): `splitext`
//! and `join` decide artifact file names and the paths printed for them.
//!
//! The default `--output-dir /tmp/lovart` stays that string everywhere: on
//! Windows, Python and Rust's `std::fs` both read it as `\tmp\lovart` on the
//! current drive, and `ntpath.join` adds a `\` before the file name.

/// The separators `os.path` splits on; the first is the one `join` adds.
#[cfg(not(windows))]
const SEPARATORS: &[char] = &['/'];
#[cfg(windows)]
const SEPARATORS: &[char] = &['\\', '/'];

/// Python's `os.path.splitext(path)[1]`: the last `.` of the last path
/// component, unless everything before it in that component is dots.
pub fn splitext_ext(path: &str) -> &str {
    let name_start = path.rfind(SEPARATORS).map_or(0, |slash| slash + 1);
    let name = &path[name_start..];
    match name.rfind('.') {
        Some(dot) if name[..dot].bytes().any(|byte| byte != b'.') => &name[dot..],
        _ => "",
    }
}

/// Python's `os.path.join(dir, name)` for two parts, `name` being a file name
/// (Windows drive letters in `name` are not handled: names never have them).
pub fn join(dir: &str, name: &str) -> String {
    let ends_open = dir.ends_with(SEPARATORS) || (cfg!(windows) && dir.ends_with(':'));
    if name.starts_with(SEPARATORS) || dir.is_empty() {
        name.to_string()
    } else if ends_open {
        format!("{dir}{name}")
    } else {
        format!("{dir}{}{name}", SEPARATORS[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitext_keeps_what_python_keeps() {
        assert_eq!(splitext_ext("http://h/a.PNG"), ".PNG");
        assert_eq!(splitext_ext("http://h/.hidden"), "");
        assert_eq!(splitext_ext("http://127.0.0.1:8080"), ".1:8080");
        assert_eq!(splitext_ext("http://h/a.tar.gz#frag"), ".gz#frag");
    }

    #[cfg(windows)]
    #[test]
    fn join_and_splitext_follow_ntpath() {
        assert_eq!(join("/tmp/lovart", "a.png"), "/tmp/lovart\\a.png");
        assert_eq!(join("C:\\out\\", "a.png"), "C:\\out\\a.png");
        assert_eq!(join("C:", "a.png"), "C:a.png");
        assert_eq!(splitext_ext("C:\\x.y\\name"), "");
    }

    #[cfg(not(windows))]
    #[test]
    fn join_follows_os_path_join() {
        assert_eq!(join("/tmp/lovart", "a.png"), "/tmp/lovart/a.png");
        assert_eq!(join("/tmp/lovart/", "a.png"), "/tmp/lovart/a.png");
        assert_eq!(join("", "a.png"), "a.png");
        assert_eq!(join("/x", "/abs"), "/abs");
    }
}
