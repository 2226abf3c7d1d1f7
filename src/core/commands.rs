//! `${cmd:…}`: a value from a command's standard output, for secret managers and keychains
//! (`aws secretsmanager …`, `vault kv get -field=…`, `op read`, `pass show`, `secret-tool
//! lookup`). No shell: the line is split into arguments the way a shell would split it, but
//! nothing is expanded. The command gets no standard input, a time limit and an output
//! limit; a failure reports its exit status and its standard error, never its output.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The time limit unless the file's `options: command_timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;
const MAX_STDERR_SHOWN: usize = 400;

/// Splits a command line like a POSIX shell: single quotes literal, double quotes with `\`
/// escapes for `"`, `\` and `$`, a backslash outside quotes escapes the next character.
/// No expansion of any kind.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => return Err("the command has an unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => current.push(c),
                            Some(c) => {
                                current.push('\\');
                                current.push(c);
                            }
                            None => return Err("the command has an unterminated double quote".into()),
                        },
                        Some(c) => current.push(c),
                        None => return Err("the command has an unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    current.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    args.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        args.push(current);
    }
    if args.is_empty() {
        return Err("'${cmd:}' needs a command".into());
    }
    Ok(args)
}

/// Runs the command line; its standard output, trimmed, is the value.
pub fn run(line: &str, timeout: Duration) -> Result<String, String> {
    let args = split(line)?;
    let program = &args[0];
    let mut child = Command::new(program)
        .args(&args[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("command '{program}' could not be started: {}", e.kind()))?;
    // Read both pipes on their own threads so a chatty command cannot block on a full pipe.
    let stdout = child.stdout.take().map(|pipe| std::thread::spawn(move || read_limited(pipe)));
    let stderr = child.stderr.take().map(|pipe| std::thread::spawn(move || read_limited(pipe)));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "command '{program}' did not finish within {} s and was stopped",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("command '{program}' could not be waited for: {}", e.kind())),
        }
    };
    let (out, out_overflow) = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let (err, _) = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    let out = String::from_utf8(out).map_err(|_| format!("command '{program}' printed output that is not UTF-8"))?;
    if !status.success() {
        let code = status.code().map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
        // The value is not in what we show: scrub what the command printed, should stderr echo it.
        let mut scrubber = super::secret_value::Scrubber::new();
        scrubber.add(out.trim());
        let err = String::from_utf8_lossy(&err);
        let err: String = err.trim().chars().take(MAX_STDERR_SHOWN).collect();
        let err = scrubber.scrub(&err, "(its error output was withheld: it repeated part of its output)");
        return Err(if err.is_empty() {
            format!("command '{program}' failed with {code}")
        } else {
            format!("command '{program}' failed with {code}: {err}")
        });
    }
    if out_overflow {
        return Err(format!("command '{program}' printed more than {MAX_OUTPUT_BYTES} bytes"));
    }
    Ok(out.trim().to_string())
}

/// Reads up to the limit, then drains and drops the rest; says whether anything was dropped.
fn read_limited(mut pipe: impl Read) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    let mut overflow = false;
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
                overflow |= n > room;
            }
        }
    }
    (kept, overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_follows_the_shell_without_expanding() {
        assert_eq!(split("a  'b c' \"d \\\"e\\\"\" f\\ g $HOME").unwrap(), ["a", "b c", "d \"e\"", "f g", "$HOME"]);
        assert_eq!(split("x ''").unwrap(), ["x", ""]);
        assert!(split("a 'b").is_err());
        assert!(split("   ").is_err());
    }

    #[test]
    fn output_is_trimmed_and_failures_show_status_and_stderr() {
        let t = DEFAULT_TIMEOUT;
        assert_eq!(run("printf '  value\\n'", t).unwrap(), "value");
        let err = run("sh -c 'echo oops-secret-out; echo broke >&2; exit 3'", t).unwrap_err();
        assert_eq!(err, "command 'sh' failed with exit status 3: broke");
        let err = run("sh -c 'echo leaked-value; echo leaked-value >&2; exit 1'", t).unwrap_err();
        assert!(!err.contains("leaked-value"), "{err}");
        assert!(run("no-such-program-yamlsecrets", t).unwrap_err().contains("could not be started"));
        let err = run("sleep 5", Duration::from_millis(200)).unwrap_err();
        assert_eq!(err, "command 'sleep' did not finish within 0.2 s and was stopped");
    }
}
