//! `${cmd:…}`: a value from a command's standard output, for secret managers and keychains
//! (`aws secretsmanager …`, `vault kv get -field=…`, `op read`, `pass show`, `secret-tool
//! lookup`). No shell: the line is split into arguments the way a shell would split it, but
//! nothing is expanded. The command gets no standard input, a time limit and an output
//! limit; a failure reports its exit status and its standard error, never its output.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::secret_value::{redact_url_passwords, CallValue, Scrubber};

/// The time limit unless the file's `options: command_timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// Characters of a failing command's standard error shown, once scrubbed.
const MAX_STDERR_SHOWN: usize = 400;
/// Bytes of standard error kept for the scrub against every value of the call; what lies
/// beyond could never be shown.
const MAX_STDERR_KEPT: usize = 4096;
/// How long to wait for the output to close once the command has exited: longer means a
/// process it started (a daemon, a `setsid` grandchild the time limit cannot stop) holds it.
const EXIT_GRACE: Duration = Duration::from_secs(1);
/// Marks where a failing command's standard error starts inside its error text, for
/// [`finish_failures`]; a trailing [`CUT_MARK`] says it was cut at [`MAX_STDERR_KEPT`].
/// Private-use characters, removed from the standard error itself.
const STDERR_MARK: char = '\u{E000}';
const CUT_MARK: char = '\u{E001}';
const WITHHELD: &str = "(its error output was withheld: it repeated a value)";

/// Splits a command line like a POSIX shell: single quotes literal, double quotes with `\`
/// escapes for `"`, `\`, `$` and `` ` ``, a backslash outside quotes escapes the next
/// character. No expansion of any kind.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    Ok(split_spans(line)?.into_iter().map(|(arg, _)| arg).collect())
}

/// [`split`], with the byte range each argument takes in `line`.
fn split_spans(line: &str) -> Result<Vec<(String, std::ops::Range<usize>)>, String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut start: Option<usize> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if !c.is_whitespace() && start.is_none() {
            start = Some(at);
        }
        match c {
            '\'' => loop {
                match chars.next() {
                    Some((_, '\'')) => break,
                    Some((_, c)) => current.push(c),
                    None => return Err("the command has an unterminated single quote".into()),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some((_, '"')) => break,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c @ ('"' | '\\' | '$' | '`'))) => current.push(c),
                        Some((_, c)) => {
                            current.push('\\');
                            current.push(c);
                        }
                        None => return Err("the command has an unterminated double quote".into()),
                    },
                    Some((_, c)) => current.push(c),
                    None => return Err("the command has an unterminated double quote".into()),
                }
            },
            '\\' => {
                if let Some((_, c)) = chars.next() {
                    current.push(c);
                }
            }
            c if c.is_whitespace() => {
                if let Some(from) = start.take() {
                    args.push((std::mem::take(&mut current), from..at));
                }
            }
            c => current.push(c),
        }
    }
    if let Some(from) = start {
        args.push((current, from..line.len()));
    }
    if args.is_empty() {
        return Err("'${cmd:}' needs a command".into());
    }
    Ok(args)
}

/// Runs the command line; its standard output, trimmed, is the value. The time limit covers
/// the whole run, including children that keep the output open after the command exits;
/// when it passes, the command's whole process group is killed. Once the command has
/// exited, its output must close within [`EXIT_GRACE`]: a process that left the group
/// cannot be stopped, so it is not waited for. Both pipes are read here, without threads,
/// so nothing is left blocked on a pipe such a process holds.
///
/// A failure's text carries the command's standard error between marks: pass every
/// message of the call through [`finish_failures`] before showing it.
pub fn run(line: &str, timeout: Duration) -> Result<String, String> {
    use std::os::unix::process::CommandExt;
    let args = split(line)?;
    let program = args[0].replace('\0', "\\0");
    if args.iter().any(|a| a.contains('\0')) {
        return Err(format!("command '{program}': the command line holds a NUL byte, which no argument can hold"));
    }
    let mut child = Command::new(&args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout can stop what it started too.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("command '{program}' could not be started: {}", e.kind()))?;
    let group = i32::try_from(child.id()).unwrap_or(0);
    let stop = |child: &mut std::process::Child| {
        kill_group(group);
        let _ = child.kill();
        let _ = child.wait();
    };
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        stop(&mut child);
        return Err(format!("command '{program}' could not be started: its output could not be read"));
    };
    let mut pipes = [Pipe::new(stdout), Pipe::new(stderr)];
    let status = match wait(&mut child, &mut pipes, Instant::now() + timeout) {
        Ok(status) => status,
        Err(reason) => {
            stop(&mut child);
            return Err(match reason {
                Waited::TimedOut => {
                    format!("command '{program}' did not finish within {} s and was stopped", timeout.as_secs_f64())
                }
                Waited::HeldOpen => format!(
                    "command '{program}' exited, but a process it started kept its output open; yamlsecrets \
                     stopped waiting after {} s",
                    EXIT_GRACE.as_secs_f64()
                ),
                Waited::Failed(kind) => format!("command '{program}' could not be waited for: {kind}"),
            });
        }
    };
    let [out, err] = pipes;
    let out_overflow = out.overflow;
    let out =
        String::from_utf8(out.kept).map_err(|_| format!("command '{program}' printed output that is not UTF-8"))?;
    if !status.success() {
        let code = status.code().map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
        let err = stderr_for_message(&err.kept, out.trim());
        return Err(if err.is_empty() {
            format!("command '{program}' failed with {code}")
        } else {
            format!("command '{program}' failed with {code}: {STDERR_MARK}{err}")
        });
    }
    if out_overflow {
        return Err(format!("command '{program}' printed more than {MAX_OUTPUT_BYTES} bytes"));
    }
    Ok(out.trim().to_string())
}

/// Why [`wait`] gave up.
enum Waited {
    TimedOut,
    HeldOpen,
    Failed(std::io::ErrorKind),
}

/// Reads both pipes until they close and the command has exited, or until the deadline
/// (or [`EXIT_GRACE`] after the exit) passes.
fn wait(child: &mut std::process::Child, pipes: &mut [Pipe; 2], deadline: Instant) -> Result<ExitStatus, Waited> {
    for pipe in pipes.iter() {
        pipe.set_nonblocking().map_err(|e| Waited::Failed(e.kind()))?;
    }
    let mut exited: Option<(ExitStatus, Instant)> = None;
    loop {
        for pipe in pipes.iter_mut() {
            pipe.drain();
        }
        if exited.is_none() {
            if let Some(status) = child.try_wait().map_err(|e| Waited::Failed(e.kind()))? {
                exited = Some((status, Instant::now()));
            }
        }
        let open: Vec<&Pipe> = pipes.iter().filter(|p| p.open).collect();
        if let (Some((status, _)), true) = (exited, open.is_empty()) {
            return Ok(status);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Waited::TimedOut);
        }
        let limit = match exited {
            Some((_, at)) if at + EXIT_GRACE < deadline => at + EXIT_GRACE,
            _ => deadline,
        };
        if now >= limit {
            return Err(Waited::HeldOpen);
        }
        // A command's exit does not wake poll: look again every few milliseconds until it has.
        let slice = if exited.is_some() { limit - now } else { (limit - now).min(Duration::from_millis(10)) };
        let mut fds: Vec<libc::pollfd> =
            open.iter().map(|p| libc::pollfd { fd: p.fd, events: libc::POLLIN, revents: 0 }).collect();
        let millis = i32::try_from(slice.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: `fds` is a live array of `fds.len()` pollfd structs; poll(2) only writes
        // their `revents`.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
    }
}

/// One of the command's output pipes, read without blocking, up to [`MAX_OUTPUT_BYTES`].
struct Pipe {
    reader: Box<dyn Read>,
    fd: i32,
    open: bool,
    kept: Vec<u8>,
    overflow: bool,
}

impl Pipe {
    fn new(pipe: impl Read + AsRawFd + 'static) -> Pipe {
        let fd = pipe.as_raw_fd();
        Pipe { reader: Box::new(pipe), fd, open: true, kept: Vec::new(), overflow: false }
    }

    fn set_nonblocking(&self) -> std::io::Result<()> {
        // SAFETY: fcntl(2) on a descriptor this Pipe owns (it lives in `reader`); no memory
        // is passed.
        let flags = unsafe { libc::fcntl(self.fd, libc::F_GETFL) };
        if flags < 0 || unsafe { libc::fcntl(self.fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Reads what is there now, at most 512 KiB so that a command that never stops writing
    /// cannot keep the caller from its deadline; past the limit, reads and drops,
    /// remembering that it did.
    fn drain(&mut self) {
        let mut buffer = [0u8; 8192];
        for _ in 0..64 {
            if !self.open {
                break;
            }
            match self.reader.read(&mut buffer) {
                Ok(0) => self.open = false,
                Ok(n) => {
                    let room = MAX_OUTPUT_BYTES.saturating_sub(self.kept.len());
                    self.kept.extend_from_slice(&buffer[..n.min(room)]);
                    self.overflow |= n > room;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => self.open = false,
            }
        }
    }
}

/// A failing command's standard error for its message: scrubbed of what the command printed
/// on standard output (should it echo the value), then cut to [`MAX_STDERR_KEPT`] bytes
/// without leaving the start of that output at the cut.
fn stderr_for_message(stderr: &[u8], own_output: &str) -> String {
    let mut own = Scrubber::new();
    own.add(own_output);
    let text = String::from_utf8_lossy(stderr).replace([STDERR_MARK, CUT_MARK], "\u{FFFD}");
    let text = own.scrub(text.trim(), WITHHELD);
    if text.len() <= MAX_STDERR_KEPT {
        return text;
    }
    let mut end = MAX_STDERR_KEPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{CUT_MARK}", own.without_partial_tail(&text[..end]))
}

/// Finishes the messages of one call: the standard error of each failing command in them
/// is scrubbed of every value of the call, then cut to [`MAX_STDERR_SHOWN`] characters —
/// in that order, so the cut cannot split a value and let its start through.
pub fn finish_failures<'m>(messages: impl Iterator<Item = &'m mut String>, values: &[CallValue]) {
    let mut scrubber: Option<Scrubber> = None;
    for message in messages {
        let Some(at) = message.rfind(STDERR_MARK) else { continue };
        let scrubber = scrubber.get_or_insert_with(|| {
            let mut s = Scrubber::new();
            values.iter().for_each(|v| s.add(v));
            s
        });
        let stderr = &message[at + STDERR_MARK.len_utf8()..];
        let (stderr, was_cut) = match stderr.strip_suffix(CUT_MARK) {
            Some(kept) => (kept, true),
            None => (stderr, false),
        };
        let scrubbed = scrubber.scrub(stderr, WITHHELD);
        let scrubbed = if was_cut { scrubber.without_partial_tail(&scrubbed) } else { &scrubbed };
        let mut shown: String = scrubbed.chars().take(MAX_STDERR_SHOWN).collect();
        if was_cut || shown.len() < scrubbed.len() {
            shown.push('…');
        }
        let head = message[..at].to_string();
        *message = head + &shown;
    }
}

fn kill_group(group: i32) {
    if group > 0 {
        // SAFETY: kill(2) with a negative pid signals the process group we created; it
        // touches no memory of ours.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
}

/// The command line with its credentials as `***`, for showing it (`secrets_check` lists the
/// commands it would run): the argument after a password or token flag (`-p`,
/// `--password`, `--token`, …) or attached to it (`-pSECRET`, `--password=…`); the password
/// of `-u`/`--user user:password`; the value of a credential header (`-H 'Authorization:
/// …'`); `key=value` parts whose key names a credential (`PGPASSWORD=…`,
/// `client_secret=…&…`); and URL passwords (`https://user:…@host`). Identifiers are kept
/// (`--secret-id`, `--password-file`, `-field=password`). Quoting is kept where nothing
/// changed; a line that does not split (an open quote) shows its program only.
pub fn redact(line: &str) -> String {
    let Ok(args) = split_spans(line) else {
        let program = line.split_whitespace().next().unwrap_or_default();
        return format!("{program} *** (the rest is not shown: the command line does not split)");
    };
    let mut out = String::with_capacity(line.len());
    let mut last = 0;
    let mut next = Next::Plain;
    for (arg, span) in &args {
        let (shown, following) = redact_arg(arg, next);
        next = following;
        if shown != *arg {
            out.push_str(&line[last..span.start]);
            let was_quoted = line[span.clone()].contains(['\'', '"', '\\']);
            out.push_str(&shell_quote(&shown, was_quoted));
            last = span.end;
        }
    }
    out.push_str(&line[last..]);
    out
}

/// What the previous argument says about the next one.
#[derive(Clone, Copy)]
enum Next {
    Plain,
    Secret,
    UserPassword,
    Header,
}

fn redact_arg(arg: &str, this: Next) -> (String, Next) {
    if !matches!(this, Next::Plain) {
        return (redact_value(arg, this), Next::Plain);
    }
    let Some(flag) = arg.strip_prefix('-').filter(|f| !f.is_empty() && *f != "-") else {
        return (redact_parts(arg), Next::Plain);
    };
    if let Some((name, value)) = flag.split_once('=') {
        let prefix = &arg[..arg.len() - value.len()];
        return (format!("{prefix}{}", redact_value(value, kind_of(name.trim_start_matches('-')))), Next::Plain);
    }
    if let Some(long) = flag.strip_prefix('-') {
        return (arg.to_string(), kind_of(long));
    }
    // One dash: `-p` alone, a value attached to a short flag (`-pSECRET`, `-uuser:pw`), or a
    // long name (`-password x`, `-user u:pw`). Both readings are redacted: showing too little
    // of a command line costs nothing.
    let mut chars = flag.chars();
    let first = chars.next().unwrap_or('-'); // ok: `flag` is not empty
    let attached = chars.as_str();
    if !matches!(first, 'p' | 'u' | 'H') || attached.is_empty() {
        return (arg.to_string(), kind_of(flag));
    }
    let shown = format!("-{first}{}", redact_value(attached, kind_of(&first.to_string())));
    let lowered = flag.to_ascii_lowercase();
    let long_name = ["pass", "pw", "user", "header"].iter().any(|word| lowered.starts_with(word));
    (shown, if long_name { kind_of(flag) } else { Next::Plain })
}

/// What a flag's value is.
fn kind_of(flag: &str) -> Next {
    match flag {
        "p" => Next::Secret,
        "u" | "user" => Next::UserPassword,
        "H" | "header" => Next::Header,
        _ if is_secret_flag(flag) => Next::Secret,
        _ => Next::Plain,
    }
}

fn redact_value(value: &str, kind: Next) -> String {
    match kind {
        Next::Secret => "***".into(),
        Next::UserPassword => redact_user_password(value),
        Next::Header => redact_header(value),
        Next::Plain => redact_parts(value),
    }
}

fn redact_user_password(text: &str) -> String {
    match text.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => text.to_string(),
    }
}

fn redact_header(text: &str) -> String {
    match text.split_once(':') {
        Some((name, _)) if is_secret_header(name.trim()) => format!("{name}: ***"),
        _ => redact_parts(text),
    }
}

/// URL passwords, and the value of each `key=value` part (split at `&`, `;`, `?`, `,` and
/// spaces) whose key names a credential.
fn redact_parts(text: &str) -> String {
    let text = redact_url_passwords(text);
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(|c: char| matches!(c, '&' | ';' | '?' | ',') || c.is_whitespace()) {
        let (body, separator) = match piece.char_indices().next_back() {
            Some((at, c)) if matches!(c, '&' | ';' | '?' | ',') || c.is_whitespace() => piece.split_at(at),
            _ => (piece, ""),
        };
        match body.split_once('=') {
            // openssl's `-passin pass:…`
            _ if body.starts_with("pass:") => out.push_str("pass:***"),
            Some((key, _)) if is_secret_name(key) => {
                out.push_str(key);
                out.push_str("=***");
            }
            _ => out.push_str(body),
        }
        out.push_str(separator);
    }
    out
}

/// Whether a name (a variable, a field, a flag) says its value is a credential.
fn is_secret_name(name: &str) -> bool {
    const ANYWHERE: &[&str] = &[
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "credential",
        "apikey",
        "api-key",
        "privatekey",
        "private-key",
        "accesskey",
        "access-key",
        "accountkey",
        "account-key",
    ];
    const WHOLE_WORD: &[&str] = &["pass", "pwd", "pw", "auth", "sig", "key", "sas"];
    let name = name.trim_start_matches('-').to_ascii_lowercase().replace('_', "-");
    ANYWHERE.iter().any(|w| name.contains(w)) || name.split('-').any(|word| WHOLE_WORD.contains(&word))
}

/// A flag names a credential unless it names where one is (`--secret-id`, `--password-file`)
/// or how to read one (`--password-stdin`).
fn is_secret_flag(name: &str) -> bool {
    const IDENTIFIES: &[&str] =
        &["id", "name", "file", "path", "arn", "field", "env", "stdin", "prompt", "type", "dir", "url", "ttl"];
    let lowered = name.to_ascii_lowercase().replace('_', "-");
    let last = lowered.rsplit('-').next().unwrap_or_default();
    is_secret_name(name) && !(lowered.contains('-') && IDENTIFIES.contains(&last))
}

fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("authorization") || name.contains("cookie") || is_secret_name(&name)
}

/// `text` as one word of a command line: as it is when that splits back the same (and it
/// was not quoted before), else single-quoted.
fn shell_quote(text: &str, was_quoted: bool) -> String {
    if !was_quoted && !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,*&?".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
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

    /// A failure's text as a call shows it, scrubbed of `values`.
    fn shown(result: Result<String, String>, values: &[CallValue]) -> String {
        let mut message = result.unwrap_err();
        finish_failures(std::iter::once(&mut message), values);
        message
    }

    #[test]
    fn output_is_trimmed_and_failures_show_status_and_stderr() {
        let t = DEFAULT_TIMEOUT;
        assert_eq!(run("printf '  value\\n'", t).unwrap(), "value");
        let err = shown(run("sh -c 'echo oops-secret-out; echo broke >&2; exit 3'", t), &[]);
        assert_eq!(err, "command 'sh' failed with exit status 3: broke");
        let err = shown(run("sh -c 'echo leaked-value; echo leaked-value >&2; exit 1'", t), &[]);
        assert!(!err.contains("leaked-value"), "{err}");
        assert!(run("no-such-program-yamlsecrets", t).unwrap_err().contains("could not be started"));
        let err = run("sleep 5", Duration::from_millis(200)).unwrap_err();
        assert_eq!(err, "command 'sleep' did not finish within 0.2 s and was stopped");
        let start = Instant::now();
        let err = run("yes", Duration::from_millis(300)).unwrap_err();
        assert_eq!(err, "command 'yes' did not finish within 0.3 s and was stopped");
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
        let err = run("printf 'a\0b'", t).unwrap_err();
        assert!(err.contains("NUL byte"), "{err}");
    }

    #[test]
    fn stderr_is_scrubbed_of_every_value_of_the_call_before_it_is_cut() {
        let value = "value-of-another-secret-7c1f";
        let values = [CallValue::new(value, true)];
        // The value straddles the 400th character, where the text used to be cut first.
        let line = format!("sh -c 'printf \"%0390d{value} tail\" 0 >&2; exit 1'");
        let err = shown(run(&line, DEFAULT_TIMEOUT), &values);
        assert!(err.contains("0000***") && !err.contains("value-of"), "{err}");
        // Cut at the kept limit: the start of a value left at the cut is dropped too.
        let long = "L0ng-credential-".repeat(6);
        let line = format!("sh -c 'for i in $(seq 60); do printf {long} >&2; done; exit 1'");
        let err = shown(run(&line, DEFAULT_TIMEOUT), &[CallValue::new(long.as_str(), true)]);
        assert!(err.ends_with('…') && !err.contains("L0ng"), "{err}");
    }

    #[test]
    fn a_setsid_grandchild_holding_the_output_is_not_waited_for() {
        let start = Instant::now();
        let err = run("sh -c 'setsid sleep 4 & echo value'", DEFAULT_TIMEOUT).unwrap_err();
        assert!(err.contains("kept its output open"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    }

    #[test]
    fn the_time_limit_covers_children_that_hold_the_output_open() {
        let start = Instant::now();
        let err = run("sh -c 'printf early; sleep 3 & exit 0'", Duration::from_millis(300)).unwrap_err();
        assert!(err.contains("did not finish within 0.3 s"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    }

    #[test]
    fn command_lines_are_shown_without_credentials() {
        let cases = [
            ("curl -u admin:password https://h/x", "curl -u admin:*** https://h/x"),
            (
                "curl --user=admin:pw -H 'Authorization: Bearer abc' h",
                "curl --user=admin:*** -H 'Authorization: ***' h",
            ),
            ("mysql -uroot -psecret123 -h db", "mysql -uroot -p*** -h db"),
            ("sshpass -p 'hunter 2' ssh host", "sshpass -p '***' ssh host"),
            ("tool --password hunter2 --token=abc --api-key k1", "tool --password *** --token=*** --api-key ***"),
            ("env PGPASSWORD=pw1 psql", "env PGPASSWORD=*** psql"),
            ("curl -d 'grant_type=x&client_secret=s3' h", "curl -d 'grant_type=x&client_secret=***' h"),
            ("fetch https://u:p4ss@h/p?token=t0k&a=b", "fetch https://u:***@h/p?token=***&a=b"),
            ("openssl rsa -passin pass:pw2 -in k", "openssl rsa -p*** pass:*** -in k"),
            ("tool -user admin:pw4", "tool -user admin:***"),
            ("tool -password pw3", "tool -p*** ***"),
        ];
        for (line, expected) in cases {
            assert_eq!(redact(line), expected, "{line}");
        }
        // Identifiers and names stay readable.
        for line in [
            "aws secretsmanager get-secret-value --secret-id prod/db/password --query SecretString --output text",
            "vault kv get -field=password secret/app",
            "docker login --password-stdin registry",
            "op read op://vault/item/password",
            "pass show db/prod",
        ] {
            assert_eq!(redact(line), line);
        }
        assert_eq!(
            redact("tool 'unterminated --password x"),
            "tool *** (the rest is not shown: the command line does not split)"
        );
    }
}
