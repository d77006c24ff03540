//! The ways a call can be refused, as terminal errors: an HTTP status code and a message
//! that starts with the refusal's name, e.g. `NotFound(User): no user \`x\``. Restate
//! hands both back to the caller — another handler or an ingress client — unchanged.

use std::fmt;

use restate_sdk::prelude::TerminalError;

/// A refusal, named as the nubes runtime names its errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No object of the type with that key (status 404).
    NotFound(&'static str),
    /// An object with that key exists already (status 409).
    AlreadyExists,
    /// An argument is out of range or malformed (status 400).
    Validation,
    /// The requested nights overlap a reservation the room has (status 409).
    Overlap,
    /// `checkOut` is not after `checkIn` (status 422).
    InvalidDates,
}

impl Refusal {
    /// The HTTP status code the refusal comes back with.
    pub fn code(&self) -> u16 {
        match self {
            Refusal::NotFound(_) => 404,
            Refusal::AlreadyExists | Refusal::Overlap => 409,
            Refusal::Validation => 400,
            Refusal::InvalidDates => 422,
        }
    }

    /// The terminal error that carries the refusal, with `detail` after its name.
    pub fn because(&self, detail: impl fmt::Display) -> TerminalError {
        TerminalError::new_with_code(self.code(), format!("{self}: {detail}"))
    }

    /// The refusal's name in a terminal error's message (the text before the first
    /// `": "`), when the status code is the one that refusal has; `None` for any other
    /// error, which is then a failure rather than a refusal.
    pub fn name_in(code: u16, message: &str) -> Option<&str> {
        let name = message.split(": ").next()?;
        let known = match name {
            "AlreadyExists" => Refusal::AlreadyExists,
            "Validation" => Refusal::Validation,
            "Overlap" => Refusal::Overlap,
            "InvalidDates" => Refusal::InvalidDates,
            other => {
                let type_name = other.strip_prefix("NotFound(")?.strip_suffix(')')?;
                if type_name.is_empty() || !type_name.chars().all(char::is_alphanumeric) {
                    return None;
                }
                Refusal::NotFound("")
            }
        };
        (known.code() == code).then_some(name)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotFound(type_name) => write!(f, "NotFound({type_name})"),
            Refusal::AlreadyExists => f.write_str("AlreadyExists"),
            Refusal::Validation => f.write_str("Validation"),
            Refusal::Overlap => f.write_str("Overlap"),
            Refusal::InvalidDates => f.write_str("InvalidDates"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_back_from_messages() {
        let error = Refusal::NotFound("User").because("no user `x`");
        assert_eq!(error.code(), 404);
        assert_eq!(
            Refusal::name_in(error.code(), error.message()),
            Some("NotFound(User)")
        );
        let overlap = Refusal::Overlap.because("reservation `r`");
        assert_eq!(
            Refusal::name_in(overlap.code(), overlap.message()),
            Some("Overlap")
        );
        assert_eq!(Refusal::name_in(500, "Overlap: r"), None);
        assert_eq!(Refusal::name_in(404, "NotFound(): x"), None);
        assert_eq!(Refusal::name_in(400, "bad json"), None);
    }
}
