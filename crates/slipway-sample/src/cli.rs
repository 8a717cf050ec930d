//! Which command to run, from the command line: `slipway-sample train|serve`
//! (argv[1], what SageMaker appends to an exec-form ENTRYPOINT), or,
//! busybox style, the name the binary was invoked by when there is no
//! argument — so an image without ENTRYPOINT whose PATH holds `serve` and
//! `train` (links to this binary) works as `docker run IMAGE serve`.

use std::ffi::OsString;
use std::path::Path;

/// The two commands of the container contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// The training contract (`docs/contracts.md` §3).
    Train,
    /// The inference contract (`docs/contracts.md` §4–5).
    Serve,
}

impl Command {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "train" => Some(Self::Train),
            "serve" => Some(Self::Serve),
            _ => None,
        }
    }
}

/// Picks the command from the whole argv (argv[0] included). argv[1] wins
/// when present; without it, the basename of argv[0] decides. Arguments
/// after argv[1] are ignored, as SageMaker images do. Non-UTF-8 arguments
/// are compared lossily (they never match, and do not panic).
pub fn command(argv: &[OsString]) -> Result<Command, String> {
    match argv.get(1) {
        Some(arg) => {
            let arg = arg.to_string_lossy();
            Command::parse(&arg).ok_or_else(|| {
                format!(
                    "usage: slipway-sample train|serve (got {arg:?}); the platform passes the command as the first argument"
                )
            })
        }
        None => {
            let name = argv
                .first()
                .and_then(|a| Path::new(a).file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Command::parse(&name).ok_or_else(|| {
                format!(
                    "usage: slipway-sample train|serve (no argument, invoked as {name:?}); the platform passes the command as the first argument, or install this binary as `train` and `serve`"
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn first_argument_decides() {
        let bin = "/usr/local/bin/slipway-sample";
        assert_eq!(command(&argv(&[bin, "train"])), Ok(Command::Train));
        assert_eq!(command(&argv(&[bin, "serve"])), Ok(Command::Serve));
        // ENTRYPOINT [bin, "serve"] run as `IMAGE train`: still serves.
        assert_eq!(command(&argv(&[bin, "serve", "train"])), Ok(Command::Serve));
        // The argument wins over the name it was invoked by.
        assert_eq!(
            command(&argv(&["/usr/local/bin/serve", "train"])),
            Ok(Command::Train)
        );
        assert!(command(&argv(&[bin, "fit"]))
            .unwrap_err()
            .contains("\"fit\""));
    }

    #[test]
    fn invoked_name_decides_without_argument() {
        assert_eq!(command(&argv(&["serve"])), Ok(Command::Serve));
        assert_eq!(
            command(&argv(&["/usr/local/bin/train"])),
            Ok(Command::Train)
        );
        assert_eq!(command(&argv(&["./serve"])), Ok(Command::Serve));
        assert!(command(&argv(&["/usr/local/bin/slipway-sample"])).is_err());
        assert!(command(&argv(&["/usr/local/bin/serve.sh"])).is_err());
        assert!(command(&[]).is_err());
    }

    #[test]
    fn non_utf8_does_not_panic() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![0xff, b's']);
        assert!(command(&[OsString::from("x"), bad.clone()]).is_err());
        assert!(command(&[bad]).is_err());
    }
}
