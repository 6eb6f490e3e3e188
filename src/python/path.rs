//! Python's `os.path` on the reference's POSIX paths: `splitext` and `join`
//! decide artifact file names and the paths printed for them.

/// Python's `os.path.splitext(path)[1]`: the last `.` of the last `/`-component,
/// unless everything before it in that component is dots.
pub fn splitext_ext(path: &str) -> &str {
    let name_start = path.rfind('/').map_or(0, |slash| slash + 1);
    let name = &path[name_start..];
    match name.rfind('.') {
        Some(dot) if name[..dot].bytes().any(|byte| byte != b'.') => &name[dot..],
        _ => "",
    }
}

/// Python's `os.path.join(dir, name)` for two parts.
pub fn join(dir: &str, name: &str) -> String {
    if name.starts_with('/') || dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
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

    #[test]
    fn join_follows_os_path_join() {
        assert_eq!(join("/tmp/lovart", "a.png"), "/tmp/lovart/a.png");
        assert_eq!(join("/tmp/lovart/", "a.png"), "/tmp/lovart/a.png");
        assert_eq!(join("", "a.png"), "a.png");
        assert_eq!(join("/x", "/abs"), "/abs");
    }
}
