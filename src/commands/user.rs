//! `clickpath user`: the dashboard's users and read-only API tokens.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clickpath_server::Users;

use crate::args::UserCommand;

pub fn run(cmd: UserCommand) -> Result<ExitCode> {
    match cmd {
        UserCommand::Add { name, users } => {
            let path = users.path();
            let mut u = Users::load(&path)?;
            let password = read_password(&name)?;
            u.set_password(&name, &password)?;
            u.save(&path)?;
            eprintln!(
                "clickpath: {name} can log in; users are in {} (give it to `clickpath serve --users`)",
                path.display()
            );
        }
        UserCommand::Remove { name, users } => {
            let path = users.path();
            let mut u = Users::load(&path)?;
            if !u.remove(&name) {
                anyhow::bail!("{}: no user or token named `{name}`", path.display());
            }
            u.save(&path)?;
            eprintln!(
                "clickpath: removed {name}; a running dashboard keeps its sessions until restarted"
            );
        }
        UserCommand::List { users } => {
            let u = Users::load(&users.path())?;
            for user in &u.users {
                println!("user\t{}", user.name);
            }
            for token in &u.tokens {
                println!("token\t{}", token.name);
            }
        }
        UserCommand::Token { name, users } => {
            let path = users.path();
            let mut u = Users::load(&path)?;
            let token = u.add_token(&name)?;
            u.save(&path)?;
            eprintln!(
                "clickpath: read-only API token `{name}` (shown once; send it as `Authorization: Bearer TOKEN`):"
            );
            println!("{token}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The first line of standard input; at a terminal, asked twice without echo.
fn read_password(name: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = prompt(&format!("password for {name}: "))?;
    let second = prompt("again: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ; nothing changed");
    }
    Ok(first)
}

fn prompt(text: &str) -> Result<String> {
    eprint!("{text}");
    std::io::stderr().flush().ok();
    let _echo = EchoOff::new();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    eprintln!();
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Terminal echo off while it lives.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> Self {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a termios they fill; failure leaves echo on.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return EchoOff(None);
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return EchoOff(None);
            }
            EchoOff(Some(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            // SAFETY: restores the settings read in `new`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, t);
            }
        }
    }
}
