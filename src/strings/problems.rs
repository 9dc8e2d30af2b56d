//! Problems common to every TOML file an operator or a contributor writes (the config, the
//! command files, the cards' front matter, the themes).

/// What is wrong with a TOML text: toml's own message or, when toml gives none, the character
/// it stopped on. toml 0.8 reports a character it does not allow where it is (a control
/// character in a comment, a carriage return without a line feed) with an empty message.
pub fn toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim();
    if !message.is_empty() {
        return message.to_owned();
    }
    let mut at = err.span().map_or(0, |span| span.start).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..at].chars().count() + 1;
    match text[at..].chars().next() {
        Some('\r') => format!(
            "retour chariot (\\r) sans saut de ligne en colonne {column} : \
             enregistrez le fichier avec des fins de ligne \\n ou \\r\\n"
        ),
        Some(c) if c.is_control() => format!(
            "caractère de contrôle invisible U+{:04X} en colonne {column} : supprimez-le",
            u32::from(c)
        ),
        Some(c) => format!("caractère « {c} » inattendu en colonne {column}"),
        None => format!("syntaxe TOML invalide en colonne {column}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        let err = toml::from_str::<toml::Table>(text).expect_err("invalid TOML");
        toml_error(text, &err)
    }

    #[test]
    fn toml_messages_pass_through() {
        assert_eq!(error_of("a = \"\u{1}\""), "invalid basic string");
    }

    #[test]
    fn a_silent_error_names_its_character_and_column() {
        // toml 0.8 gives these an empty message (found by the `config` fuzz target).
        assert!(error_of("\r").starts_with("retour chariot (\\r) sans saut de ligne en colonne 1"));
        assert_eq!(
            error_of("a = 1\n# été\u{0}"),
            "caractère de contrôle invisible U+0000 en colonne 6 : supprimez-le"
        );
    }
}
