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

/// Runs the command line; its standard output, trimmed, is the value. The time limit covers
/// the whole run, including children that keep the output open after the command exits;
/// when it passes, the command's whole process group is killed.
pub fn run(line: &str, timeout: Duration) -> Result<String, String> {
    use std::os::unix::process::CommandExt;
    let args = split(line)?;
    let program = &args[0];
    let mut child = Command::new(program)
        .args(&args[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout can stop what it started too.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("command '{program}' could not be started: {}", e.kind()))?;
    let group = i32::try_from(child.id()).unwrap_or(0);
    let deadline = Instant::now() + timeout;
    let timed_out = |child: &mut std::process::Child| {
        kill_group(group);
        let _ = child.kill();
        let _ = child.wait();
        format!("command '{program}' did not finish within {} s and was stopped", timeout.as_secs_f64())
    };

    // Both pipes are read on their own threads, so a chatty command cannot block on a full
    // pipe, and the wait for them is bounded by the deadline.
    let (sender, receiver) = std::sync::mpsc::channel();
    for (index, pipe) in [
        child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
        child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .enumerate()
    {
        let sender = sender.clone();
        if let Some(pipe) = pipe {
            std::thread::spawn(move || {
                let _ = sender.send((index, read_limited(pipe)));
            });
        }
    }
    drop(sender);
    let mut outputs: [Option<(Vec<u8>, bool)>; 2] = [None, None];
    while outputs.iter().any(Option::is_none) {
        match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((index, data)) => outputs[index] = Some(data),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Err(timed_out(&mut child)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => return Err(timed_out(&mut child)),
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("command '{program}' could not be waited for: {}", e.kind())),
        }
    };
    let [out, err] = outputs;
    let (out, out_overflow) = out.unwrap_or_default();
    let (err, _) = err.unwrap_or_default();
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

fn kill_group(group: i32) {
    if group > 0 {
        // SAFETY: kill(2) with a negative pid signals the process group we created; it
        // touches no memory of ours.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
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

    #[test]
    fn the_time_limit_covers_children_that_hold_the_output_open() {
        let start = Instant::now();
        let err = run("sh -c 'printf early; sleep 3 & exit 0'", Duration::from_millis(300)).unwrap_err();
        assert!(err.contains("did not finish within 0.3 s"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    }
}
