//! The one place that reads files from disk: the secrets file, dotenv files and `${file:}`
//! values alike, at load and when looking for drift, so a file reads the same either way.
//! Bounded, regular files only, UTF-8 only; a path holding a NUL byte is refused by the
//! open itself ("cannot be read").

use std::path::{Path, PathBuf};

/// A `${file:…}` value or a dotenv file is read up to this size: such files are small.
pub const MAX_VALUE_FILE_BYTES: u64 = 1024 * 1024;

/// Expands a leading `~` to the home directory.
pub fn expand_home(path: &str) -> PathBuf {
    if path == "~" || path.starts_with("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return Path::new(&home).join(path.trim_start_matches('~').trim_start_matches('/'));
        }
    }
    PathBuf::from(path)
}

/// A `${file:…}` value: the file's text without one trailing line ending, which editors
/// add and no credential means.
pub fn read_value_file(path: &Path) -> Result<String, String> {
    let text = read_bounded(path, MAX_VALUE_FILE_BYTES)?;
    let value = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    Ok(value.to_string())
}

/// Reads a whole UTF-8 file no larger than `limit` bytes, with messages fit for users. Only
/// regular files are read: a FIFO, socket or device (`/dev/zero`) is refused at once.
pub fn read_bounded(path: &Path, limit: u64) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It
    // changes nothing for the regular files that are read below.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| describe_io(&e))?;
    let metadata = file.metadata().map_err(|e| describe_io(&e))?;
    if metadata.is_dir() {
        return Err("is a directory, not a file".into());
    }
    if !metadata.is_file() {
        return Err("is not a regular file (a FIFO, socket or device): only regular files are read".into());
    }
    if metadata.len() > limit {
        return Err(format!("is larger than the limit of {limit} bytes"));
    }
    // Sized from the metadata (within the limit, checked above): a buffer grown by doubling
    // copies a large file several times and touches twice its size in fresh memory. The file
    // may still grow while it is read; `take` bounds that.
    let mut bytes = Vec::with_capacity(metadata.len() as usize + 1);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| describe_io(&e))?;
    if bytes.len() as u64 > limit {
        return Err(format!("is larger than the limit of {limit} bytes"));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
        format!("is not valid UTF-8 (first bad byte at line {line}, column {column})")
    })
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".into(),
        _ => format!("cannot be read: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_file_loses_one_line_ending_and_a_nul_path_is_refused() {
        let dir = std::env::temp_dir().join(format!("ys-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (text, value) in [("pw\n", "pw"), ("pw\r\n", "pw"), ("pw\n\n", "pw\n"), ("pw", "pw"), ("\n", "")] {
            std::fs::write(dir.join("value"), text).unwrap();
            assert_eq!(read_value_file(&dir.join("value")).unwrap(), value, "{text:?}");
        }
        let err = read_value_file(&dir.join("va\0lue")).unwrap_err();
        assert!(err.starts_with("cannot be read") && err.contains("NUL"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
