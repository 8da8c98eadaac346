//! Command-line flags for the examples: `--help` lists every flag with its default,
//! a bad value names its flag (`--epochs five: expected an integer`), and errors
//! print as sentences.
//!
//! An example declares its flags once and reads them by name:
//! ```text
//! let args = Cli::new("mnist_cnn", "Trains a small CNN on the bundled MNIST digits.")
//!     .flag("--epochs", "N", "6", "passes over the training set")
//!     .switch("--quiet", "no progress bar")
//!     .parse()?;                        // --help: prints the list and exits
//! let epochs: usize = args.get("--epochs")?;
//! ```
//! and wraps its body in [`run`], so that an `Err` ends the program with
//! `error: <the message>` and exit code 1 instead of Rust's `Error: Debug {..}`.
//! Included by each example with `#[path = "common/cli.rs"] mod cli;`.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt;
use std::process::ExitCode;
use std::str::FromStr;

/// What `main` returns in the examples: any error, shown by its `Display`.
pub type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Run an example's body; print an error as a sentence and exit with code 1.
pub fn run(body: impl FnOnce() -> Result<()>) -> ExitCode {
    match body() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A misused flag, e.g. `--epochs five: expected an integer`.
#[derive(Debug)]
pub struct FlagError(String);

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for FlagError {}

/// One flag: a value flag (`--epochs 5`) or a switch (`--quiet`).
struct Flag {
    name: &'static str,
    /// `Some(("N", "6"))`: the value's placeholder and its default; `None`: a switch.
    value: Option<(&'static str, String)>,
    help: &'static str,
}

/// The flags an example accepts (see the module doc).
pub struct Cli {
    program: &'static str,
    about: &'static str,
    flags: Vec<Flag>,
}

/// The parsed command line: each flag's value (its default when not given).
pub struct Args {
    values: BTreeMap<&'static str, String>,
    switches: Vec<&'static str>,
}

impl Cli {
    /// An example named `program`, described in one sentence.
    pub fn new(program: &'static str, about: &'static str) -> Cli {
        Cli {
            program,
            about,
            flags: Vec::new(),
        }
    }

    /// A flag that takes a value, shown as `name PLACEHOLDER` with its default.
    pub fn flag(
        mut self,
        name: &'static str,
        placeholder: &'static str,
        default: impl ToString,
        help: &'static str,
    ) -> Cli {
        let value = Some((placeholder, default.to_string()));
        self.flags.push(Flag { name, value, help });
        self
    }

    /// A flag without a value, off unless given.
    pub fn switch(mut self, name: &'static str, help: &'static str) -> Cli {
        self.flags.push(Flag {
            name,
            value: None,
            help,
        });
        self
    }

    /// The `--help` text: usage, the sentence, and one line per flag.
    pub fn help(&self) -> String {
        let mut text = format!(
            "{}\n\nusage: cargo run --release --example {} -- [flags]\n\nflags:\n",
            self.about, self.program
        );
        let shown = |f: &Flag| match &f.value {
            Some((placeholder, _)) => format!("{} {placeholder}", f.name),
            None => f.name.to_string(),
        };
        let width = self.flags.iter().map(|f| shown(f).len()).max().unwrap_or(0);
        for f in &self.flags {
            let default = match &f.value {
                Some((_, d)) if !d.is_empty() => format!(" (default {d})"),
                _ => String::new(),
            };
            text += &format!("  {:<width$}  {}{default}\n", shown(f), f.help);
        }
        text + &format!("  {:<width$}  this list\n", "--help")
    }

    /// Parse the process's arguments; `--help` prints [`Cli::help`] and exits.
    ///
    /// # Errors
    /// An unknown flag, or a value flag at the end without its value.
    pub fn parse(self) -> Result<Args> {
        self.parse_from(std::env::args().skip(1))
    }

    /// Parse `args` (the process's arguments after the program name, or after a
    /// subcommand); `--help` prints [`Cli::help`] and exits.
    ///
    /// # Errors
    /// As [`Cli::parse`].
    pub fn parse_from(self, args: impl IntoIterator<Item = String>) -> Result<Args> {
        let mut values: BTreeMap<_, _> = self
            .flags
            .iter()
            .filter_map(|f| Some((f.name, f.value.as_ref()?.1.clone())))
            .collect();
        let mut switches = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                print!("{}", self.help());
                std::process::exit(0);
            }
            let Some(flag) = self.flags.iter().find(|f| f.name == arg) else {
                let known: Vec<_> = self.flags.iter().map(|f| f.name).collect();
                return Err(FlagError(format!(
                    "unknown flag {arg}; the flags are {} (--help explains them)",
                    known.join(", ")
                ))
                .into());
            };
            match &flag.value {
                Some((placeholder, _)) => {
                    let value = args.next().ok_or_else(|| {
                        FlagError(format!("{arg} needs a value ({arg} {placeholder})"))
                    })?;
                    values.insert(flag.name, value);
                }
                None => switches.push(flag.name),
            }
        }
        Ok(Args { values, switches })
    }
}

impl Args {
    /// The value of flag `name`, parsed as `T`.
    ///
    /// # Errors
    /// The value does not parse: `--epochs five: expected an integer`.
    ///
    /// # Panics
    /// If `name` is not a declared value flag (a mistake in the example).
    pub fn get<T: FromStr>(&self, name: &str) -> Result<T> {
        let value = self
            .values
            .get(name)
            .unwrap_or_else(|| panic!("internal error: flag {name} is not declared"));
        value
            .parse()
            .map_err(|_| FlagError(format!("{name} {value}: expected {}", kind_of::<T>())).into())
    }

    /// Whether switch `name` was given.
    pub fn is_set(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }
}

/// "an integer", "a number", … for the type a flag's value is parsed as.
fn kind_of<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    if ["u8", "u16", "u32", "u64", "usize", "i32", "i64", "isize"].contains(&name) {
        "an integer"
    } else if name == "f32" || name == "f64" {
        "a number"
    } else if name.ends_with("PathBuf") {
        "a path"
    } else {
        "a valid value"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> Cli {
        Cli::new("demo", "A demo.")
            .flag("--epochs", "N", "5", "passes")
            .flag("--lr", "X", "0.1", "learning rate")
            .switch("--quiet", "silence")
    }

    fn parse(args: &[&str]) -> Result<Args> {
        cli().parse_from(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_values_and_switches() {
        let a = parse(&["--epochs", "7", "--quiet"]).unwrap();
        assert_eq!(a.get::<usize>("--epochs").unwrap(), 7);
        assert_eq!(a.get::<f64>("--lr").unwrap(), 0.1);
        assert!(a.is_set("--quiet"));
    }

    #[test]
    fn a_bad_value_names_its_flag() {
        let a = parse(&["--epochs", "five"]).unwrap();
        let e = a.get::<usize>("--epochs").err().unwrap();
        assert_eq!(e.to_string(), "--epochs five: expected an integer");
    }

    #[test]
    fn unknown_flags_and_missing_values_are_sentences() {
        let e = parse(&["--epoch", "5"]).err().unwrap().to_string();
        assert!(
            e.starts_with("unknown flag --epoch; the flags are --epochs"),
            "{e}"
        );
        let e = parse(&["--lr"]).err().unwrap().to_string();
        assert_eq!(e, "--lr needs a value (--lr X)");
    }

    #[test]
    fn help_lists_every_flag_with_its_default() {
        let help = cli().help();
        assert!(
            help.contains("  --epochs N  passes (default 5)\n"),
            "{help}"
        );
        assert!(help.contains("  --quiet     silence\n"), "{help}");
    }
}
