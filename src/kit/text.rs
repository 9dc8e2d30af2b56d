//! French text analysis for the kit search.
//!
//! Owns: elision (`l'`, `d'`, `qu'`…, straight or typographic apostrophe), hyphenated
//! compounds, French stop words (chat abbreviations of function words included), Snowball
//! stemming (with chat abbreviations of everyday words read as the word, and the forms of common
//! irregular verbs brought to their infinitive) and one-edit typo tolerance, on top of the
//! crate's one folding ([`crate::core::text::fold`]). It does not own the index or the scoring
//! (see `index.rs`): the same analysis runs on cards at build time and on questions at query time, so
//! both sides always agree on what a "word" is.

use std::collections::HashSet;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

pub use crate::core::text::{cut_chars, edit_distance, fold};

/// Longest word kept by the tokenizer, in characters: longer runs are URLs, hashes or noise, and
/// would only bloat the vocabulary.
const MAX_WORD_CHARS: usize = 40;

/// Elided articles and pronouns: in `l'autonomie` or `qu'il` the part before the apostrophe
/// carries no meaning for search.
fn is_elision(word: &str) -> bool {
    matches!(
        word,
        "l" | "d"
            | "j"
            | "m"
            | "n"
            | "s"
            | "t"
            | "c"
            | "qu"
            | "jusqu"
            | "lorsqu"
            | "puisqu"
            | "quoiqu"
    )
}

/// French stop words, folded. The Snowball list, plus question and chat filler ("comment",
/// "faire", "bonjour"…) that a professional types around the real subject of a question.
const STOP_WORDS: &[&str] = &[
    // Snowball French list (folded), without "ton": the tone of a message is a subject of the
    // kit, and counsellors rarely say "your" to the bot.
    "au",
    "aux",
    "avec",
    "ce",
    "ces",
    "dans",
    "de",
    "des",
    "du",
    "elle",
    "en",
    "et",
    "eux",
    "il",
    "ils",
    "je",
    "la",
    "le",
    "les",
    "leur",
    "lui",
    "ma",
    "mais",
    "me",
    "meme",
    "mes",
    "moi",
    "mon",
    "ne",
    "nos",
    "notre",
    "nous",
    "on",
    "ou",
    "par",
    "pas",
    "pour",
    "qu",
    "que",
    "qui",
    "sa",
    "se",
    "ses",
    "son",
    "sur",
    "ta",
    "te",
    "tes",
    "toi",
    "tu",
    "un",
    "une",
    "vos",
    "votre",
    "vous",
    "ete",
    "etee",
    "etees",
    "etes",
    "etant",
    "etante",
    "etants",
    "etantes",
    "suis",
    "es",
    "est",
    "sommes",
    "sont",
    "serai",
    "seras",
    "sera",
    "serons",
    "serez",
    "seront",
    "serais",
    "serait",
    "serions",
    "seriez",
    "seraient",
    "etais",
    "etait",
    "etions",
    "etiez",
    "etaient",
    "fus",
    "fut",
    "fumes",
    "futes",
    "furent",
    "sois",
    "soit",
    "soyons",
    "soyez",
    "soient",
    "fusse",
    "fusses",
    "fussions",
    "fussiez",
    "fussent",
    "ayant",
    "ayante",
    "ayantes",
    "ayants",
    "eu",
    "eue",
    "eues",
    "eus",
    "ai",
    "as",
    "avons",
    "avez",
    "ont",
    "aurai",
    "auras",
    "aura",
    "aurons",
    "aurez",
    "auront",
    "aurais",
    "aurait",
    "aurions",
    "auriez",
    "auraient",
    "avais",
    "avait",
    "avions",
    "aviez",
    "avaient",
    "eut",
    "eumes",
    "eutes",
    "eurent",
    "aie",
    "aies",
    "ait",
    "ayons",
    "ayez",
    "aient",
    "eusse",
    "eusses",
    "eussions",
    "eussiez",
    "eussent",
    // Other function words ("sans" is not one: "un jeune sans téléphone", "sans réponse").
    "cette",
    "cet",
    "ceci",
    "cela",
    "ca",
    "celui",
    "celle",
    "ceux",
    "celles",
    "leurs",
    "dont",
    "comme",
    "si",
    "sous",
    "vers",
    "chez",
    "ici",
    "tout",
    "tous",
    "toute",
    "toutes",
    "tres",
    "plus",
    "moins",
    "aussi",
    "alors",
    "donc",
    "car",
    "ni",
    "or",
    "puis",
    "deja",
    "encore",
    "bien",
    "quelque",
    "quelques",
    "autre",
    "autres",
    "lors",
    "etc",
    "non",
    "oui",
    "ya",
    "quoi",
    "lorsque",
    "puisque",
    "jusque",
    "afin",
    "avoir",
    "etre",
    "peu",
    "trop",
    "beaucoup",
    "vraiment",
    // Question and chat filler.
    "comment",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "combien",
    "pourquoi",
    "quand",
    "lequel",
    "laquelle",
    "faire",
    "fait",
    "fais",
    "font",
    "peut",
    "peux",
    "peuvent",
    "pouvons",
    "pouvez",
    "pourrait",
    "pourrais",
    "puis",
    "veux",
    "veut",
    "voudrais",
    "voudrait",
    "faut",
    "faudrait",
    "dois",
    "doit",
    "devons",
    "devez",
    "bonjour",
    "salut",
    "merci",
    "svp",
    "stp",
    "mieux",
    "chose",
    "choses",
    "truc",
    "trucs",
    "idee",
    "idees",
    "conseil",
    "conseils",
    "astuce",
    "astuces",
    "besoin",
    "aider",
    "aide",
    "va",
    "vais",
    "vas",
    "vont",
    "aller",
    "fera",
    "ferai",
    "ferait",
    "feront",
    "faisons",
    "faites",
    "aujourd",
    "hui",
    "ok",
    "okay",
    // More chat filler: greetings, hesitations, modal verbs, vague adverbs. "bon" is an
    // adjective of everything ("le bon ton", "un bon mot de passe", "les bons réflexes").
    "bjr",
    "slt",
    "coucou",
    "hello",
    "pls",
    "please",
    "help",
    "question",
    "questions",
    "savoir",
    "sais",
    "sait",
    "quelqu",
    "veulent",
    "voulez",
    "voulons",
    "vouloir",
    "voudraient",
    "devrait",
    "devrais",
    "doivent",
    "devoir",
    "maintenant",
    "toujours",
    "souvent",
    "parfois",
    "vite",
    "jamais",
    "enfin",
    "voila",
    "ben",
    "bah",
    "euh",
    "hein",
    "genre",
    "bref",
    "bon",
    "bons",
    "bonne",
    "bonnes",
    "ci",
    "cas",
    "moment",
    "pouvoir",
    // Chat abbreviations of function words and filler, as counsellors type them: "qd" quand,
    // "pq"/"pk" pourquoi, "bcp" beaucoup, "ds" dans, "pr" pour, "jsp" je sais pas, "tjs"
    // toujours, "qqn" quelqu'un, "mtn" maintenant…
    "qd",
    "qnd",
    "pq",
    "pk",
    "pkoi",
    "pcq",
    "pck",
    "psk",
    "parce",
    "bcp",
    "ds",
    "pr",
    "jsp",
    "jpp",
    "tjs",
    "tjrs",
    "cmt",
    "cmnt",
    "dc",
    "mm",
    "tt",
    "ts",
    "tte",
    "ttes",
    "mtn",
    "jms",
    "ajd",
    "auj",
    "qqn",
    "qqun",
    "qqch",
    "qq",
    "qlq",
    "qlqs",
    "koi",
    "ki",
    "nn",
    "ouais",
    "vs",
    "cad",
    "dsl",
    "tkt",
    "mdr",
    "lol",
    "stv",
    "qqs",
];

fn stop_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

/// True for a folded word that carries no search meaning.
pub fn is_stop_word(folded: &str) -> bool {
    stop_words().contains(folded)
}

/// What [`for_each_token`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// A run of letters and digits.
    Word,
    /// The joined form of a hyphenated compound, after its parts.
    Compound,
}

/// Calls `emit` with every word of an already folded text, in order, stop words included.
///
/// Elided prefixes are dropped (`l'autonomie` → `autonomie`); a hyphenated compound yields its
/// parts and then its joined form (`e-mail` → `e`, `mail`, `email`), unless all its parts are
/// stop words or single letters (`est-ce`, `faut-il`, `a-t-on` are no words of their own). One
/// buffer is reused for the whole text: no allocation per word.
pub fn for_each_token(folded: &str, mut emit: impl FnMut(&str, Token)) {
    let mut word = String::new();
    let mut compound = String::new();
    let mut parts = 0usize;
    // Whether a part of the current compound is meaningful.
    let mut meaningful_part = false;

    let mut chars = folded.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            word.push(c);
            compound.push(c);
            continue;
        }
        let next_is_alnum = chars.peek().is_some_and(|n| n.is_alphanumeric());
        if c == '\'' && next_is_alnum && parts == 0 && is_elision(&word) {
            word.clear();
            compound.clear();
            continue;
        }
        if c == '-' && !word.is_empty() && next_is_alnum {
            meaningful_part |= is_meaningful(&word);
            emit(&word, Token::Word);
            word.clear();
            parts += 1;
            continue;
        }
        // Any other character ends the word and the compound.
        if !word.is_empty() {
            meaningful_part |= parts > 0 && is_meaningful(&word);
            emit(&word, Token::Word);
            word.clear();
        }
        if parts > 0 && meaningful_part {
            emit(&compound, Token::Compound);
        }
        compound.clear();
        parts = 0;
        meaningful_part = false;
    }
    if !word.is_empty() {
        meaningful_part |= parts > 0 && is_meaningful(&word);
        emit(&word, Token::Word);
    }
    if parts > 0 && meaningful_part {
        emit(&compound, Token::Compound);
    }
}

/// Calls `emit` with every meaningful folded word of an already folded text, in order: the
/// tokens of [`for_each_token`] minus stop words, one-character words and overlong runs.
/// `rendez-vous` gives `rendez`, `rendezvous`.
pub fn for_each_word(folded: &str, mut emit: impl FnMut(&str)) {
    for_each_token(folded, |word, _| {
        if is_meaningful(word) {
            emit(word);
        }
    });
}

/// True for a folded word worth searching: not a stop word, 2 to 40 characters.
pub fn is_meaningful(word: &str) -> bool {
    let len = word.chars().count();
    (2..=MAX_WORD_CHARS).contains(&len) && !is_stop_word(word)
}

/// Folds `text` and returns its meaningful words (see [`for_each_word`]). Convenient for tests
/// and for short strings; the index uses the streaming form.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(&fold(text), |w| out.push(w.to_owned()));
    out
}

/// The full word of a folded chat abbreviation that counsellors type for an everyday word of
/// the domain ("msg" message, "pb" problème, "dispo" disponible, "perso" personnel, "num"
/// numéro, "verif" vérification…). Applied before stemming on both sides (cards, synonyms,
/// questions), so an abbreviation and its full word are one term. Abbreviations of the kit's
/// own vocabulary (rdv, tel, mdp, cej, ml, ft…) live in `synonymes.toml` with their family;
/// those of function words ("qd", "bcp", "pq") are stop words.
fn abbreviation(word: &str) -> Option<&'static str> {
    Some(match word {
        "msg" | "msgs" | "mess" => "message",
        "pb" | "pbs" | "pbm" | "pblm" | "prob" | "probs" => "probleme",
        "dispo" | "dispos" => "disponible",
        "perso" | "persos" => "personnel",
        "pro" | "pros" => "professionnel",
        "num" | "nums" => "numero",
        "admin" => "administratif",
        "asso" | "assos" => "association",
        "convoc" | "convocs" => "convocation",
        "notif" | "notifs" => "notification",
        "verif" | "verifs" => "verification",
        "params" | "param" => "parametres",
        "config" => "configuration",
        "deco" => "deconnexion",
        "psy" => "psychologue",
        "educ" => "educateur",
        "exo" | "exos" => "exercice",
        "doc" => "document",
        "infos" => "informations",
        "coord" => "coordonnees",
        _ => return None,
    })
}

/// The French Snowball stemmer, applied to folded words (both sides of the search are folded, so
/// they stem alike).
#[derive(Clone, Copy)]
pub struct FrenchStemmer;

impl FrenchStemmer {
    /// Stems one folded word; a form of a common irregular verb stems as its infinitive.
    pub fn stem(self, word: &str) -> String {
        static STEMMER: OnceLock<Stemmer> = OnceLock::new();
        let stemmer = STEMMER.get_or_init(|| Stemmer::create(Algorithm::French));
        let word = abbreviation(word).unwrap_or(word);
        stemmer.stem(infinitive(word).unwrap_or(word)).into_owned()
    }
}

/// The infinitive of a folded form of a common irregular verb ("ecrivez", "recu", "envoye").
/// Snowball, working on folded words, leaves their forms apart ("ecrir", "ecriv", "ecrit"),
/// and questions use other persons and tenses than the cards.
fn infinitive(word: &str) -> Option<&'static str> {
    // One verb a line: the infinitive, then its forms.
    const FORMS: &str = "
        ecrire ecris ecrit ecrits ecrite ecrites ecrivez ecrivent ecrivons ecrivant ecrive
        lire lis lit lisez lisent lisons lu lue lus lues lisant
        dire dis dit dits dite disent dites disons disant
        envoyer envoie envoies envoient envoye envoyee envoyes envoyees envoyez envoyons envoi
        envoyer envois
        recevoir recois recoit recoivent recevez recevons recu recue recus recues recevant
        joindre joins joint jointe joints joignez joignent joignons joignant
        prendre prends prend prenez prennent prenons pris prise prises prenant
        mettre mets met mettez mettent mettons mis mise mises
        voir vois voit voyez voient voyons vu vue vus vues
        venir viens vient venez viennent venons venu venue venus venues venant
        tenir tiens tient tenez tiennent tenu tenue tenus
        perdre perds perd perdez perdent perdu perdue perdus perdues perdant
        connaitre connais connait connaissez connaissent connu connue connus
        sortir sors sort sortez sortent sorti sortie sortis
        suivre suit suivez suivent suivons suivi suivie suivis
        ouvrir ouvre ouvres ouvrez ouvrent ouvert ouverte ouverts
        choisir choisis choisit choisissez choisissent choisi choisie
        payer paie paies paient paye payes payez payent
        essayer essaie essaies essaient essaye essayez essayent
    ";
    static MAP: OnceLock<std::collections::HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = std::collections::HashMap::new();
        for line in FORMS.lines() {
            let mut words = line.split_whitespace();
            if let Some(inf) = words.next() {
                map.extend(words.map(|form| (form, inf)));
            }
        }
        map
    })
    .get(word)
    .copied()
}

/// Folds, tokenizes and stems `text`: the exact term sequence the index sees.
pub fn analyze(text: &str) -> Vec<String> {
    let stemmer = FrenchStemmer;
    let mut out = Vec::new();
    for_each_word(&fold(text), |w| out.push(stemmer.stem(w)));
    out
}

/// True when `a` and `b` are at most one edit apart (insertion, deletion, substitution, or
/// transposition of two neighbours). Works on chars, without allocating.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let mut ai = a.chars();
    let mut bi = b.chars();
    // Skip the common prefix.
    loop {
        let (ca, cb) = (ai.clone().next(), bi.clone().next());
        match (ca, cb) {
            (Some(x), Some(y)) if x == y => {
                ai.next();
                bi.next();
            }
            _ => break,
        }
    }
    let rest_a = ai.as_str();
    let rest_b = bi.as_str();
    match la.cmp(&lb) {
        std::cmp::Ordering::Greater => tail(rest_a).eq(rest_b.chars()),
        std::cmp::Ordering::Less => rest_a.chars().eq(tail(rest_b)),
        std::cmp::Ordering::Equal => {
            // Substitution: the tails after the first difference match.
            if tail(rest_a).eq(tail(rest_b)) {
                return true;
            }
            // Transposition of the two first differing chars.
            let mut xa = rest_a.chars();
            let mut xb = rest_b.chars();
            match (xa.next(), xa.next(), xb.next(), xb.next()) {
                (Some(a0), Some(a1), Some(b0), Some(b1)) => {
                    a0 == b1 && a1 == b0 && xa.as_str() == xb.as_str()
                }
                _ => false,
            }
        }
    }
}

/// The chars of `x` after its first one.
fn tail(x: &str) -> std::str::Chars<'_> {
    let mut it = x.chars();
    it.next();
    it
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_handle_elision_compounds_and_stop_words() {
        let cases: [(&str, &[&str]); 14] = [
            ("l'autonomie", &["autonomie"]),
            ("L’Autonomie numérique", &["autonomie", "numerique"]),
            ("d'un jeune", &["jeune"]),
            ("qu'il appelle", &["appelle"]),
            ("jusqu'au soir", &["soir"]),
            ("aujourd'hui le mal-être", &["mal", "maletre"]),
            ("un e-mail", &["mail", "email"]),
            ("prendre rendez-vous", &["prendre", "rendez", "rendezvous"]),
            ("comment faire pour le, la, les ?", &[]),
            // A compound of stop words is no word of its own.
            ("qu'est-ce qu'on fait", &[]),
            ("faut-il l'appeler, peut-on ?", &["appeler"]),
            ("y a-t-il un tuto", &["tuto"]),
            // "sans" and "ton" carry meaning in the kit.
            ("un jeune sans téléphone", &["jeune", "sans", "telephone"]),
            ("le bon ton des messages", &["ton", "messages"]),
        ];
        for (input, expected) in cases {
            assert_eq!(words(input), expected, "words({input:?})");
        }
    }

    #[test]
    fn stemming_merges_inflections() {
        let groups: [&[&str]; 9] = [
            &["rappel", "rappels"],
            &["jeune", "jeunes"],
            &["appeler", "appelle", "appelez"],
            &["visioconférence", "visioconférences", "Visioconference"],
            // Irregular verbs, brought to their infinitive.
            &["écrire", "écrivez", "écrit", "ecrivent"],
            &["recevoir", "reçu", "reçois", "recus"],
            &["envoyer", "envoyé", "envoie", "envoi"],
            &["perdre", "perdu", "perd"],
            &["joindre", "joignez", "joint"],
        ];
        for group in groups {
            let stems: Vec<Vec<String>> = group.iter().map(|w| analyze(w)).collect();
            for s in &stems {
                assert_eq!(s, &stems[0], "{group:?} should share a stem: {stems:?}");
            }
            assert_eq!(stems[0].len(), 1);
        }
    }

    #[test]
    fn analysis_ignores_emoji_html_and_markdown() {
        assert_eq!(analyze("📱 <b>**SMS**</b> 🙂"), analyze("sms"));
        assert!(analyze("🙂🙂 ?!").is_empty());
    }

    #[test]
    fn one_edit_detection() {
        let cases = [
            ("visio", "visio", true),
            ("visoi", "visio", true),
            ("vissio", "visio", true),
            ("visi", "visio", true),
            ("vizio", "visio", true),
            ("vizoi", "visio", false),
            ("snapchat", "snap", false),
            ("élan", "elan", true),
        ];
        for (a, b, expected) in cases {
            assert_eq!(within_one_edit(a, b), expected, "{a} vs {b}");
            assert_eq!(within_one_edit(b, a), expected, "{b} vs {a}");
        }
        assert_eq!(edit_distance("sms-rapel", "sms-rappel"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
