//! The search index over the cards: BM25F over weighted fields, with query-time synonyms,
//! typo tolerance and card ids named in the question.
//!
//! Owns the index built once at load (term postings with precomputed scores, the surface
//! vocabulary and its deletion neighbourhood for typo lookup, the analysed synonym groups) and
//! the ranking of a question. It does not own text analysis (`text.rs`) or what is shown to the
//! user (`render.rs`).
//!
//! Scoring. Each card is split into fields with weights (titre, tags and example questions from
//! `questions.toml` 3, theme name 2, intro 1.5, rest of the body 1, channels 0.5). For a term t and card d the BM25F pseudo-frequency is
//! `tf~ = Σ_f w_f · tf_f / (1 − b_f + b_f · len_f / avglen_f)` (b = 0.75 for prose, less for
//! title, tags and channels), and the posting stores `idf(t) · tf~ / (k1 + tf~)` (k1 = 3), so a
//! query only adds precomputed numbers. The idf is the square root of BM25's: with a hundred
//! cards it is noisy, and a word that one card's body happens to use must not outweigh the
//! question's key words that several cards share.
//!
//! A question becomes a list of clauses, one per meaningful word (the parts and joined form of a
//! hyphenated word are one clause). A clause holds alternatives: the word's own stem (weight 1)
//! or two neighbouring words joined ("mal être" → "maletre"); the members of its synonym group
//! (weight 0.7, a multi-word member scores the mean of its words; a member found inside a longer
//! member found is part of it, not a word of its own; rarer members are scaled down towards the
//! idf of the group's most common one, so that a rare spelling does not outweigh a common one);
//! longer card words it is the start of ("hebdo" → "hebdomadaire"); for an unknown word of 4
//! letters or more, card words one edit away (weight 0.5; when there is none and the word has 7
//! letters or more, words two edits away starting with its letter, weight 0.4) and the longest
//! card stem it starts with (an inflection Snowball leaves whole: "oublient" → "oubl", weight
//! 0.7). A guess never
//! weighs more than the known word it stands for. A card scores the best alternative of each
//! clause, summed over clauses.
//!
//! Safety rule. A question that mentions danger (suicide, dark thoughts, self-harm, violence,
//! blows, threats, harassment, rape…, spelled with or without accents, see [`DANGER_WORDS`] and
//! [`DANGER_PHRASES`]) always gets the emergency numbers first, whatever else matches: a
//! counsellor typing such a question in a hurry must see them before any practice card. Those
//! numbers are on the card [`SAFETY_CARD`], put first the way a card named in the question is
//! (above the answer threshold), the other matches after it. One exception: when the best match
//! is one of the [`DANGER_CARDS`] and its own text names, in bold, the emergency number of each
//! kind of danger the question mentions (3114 for suicide, 17, 112, 119 or 3919 for violence…,
//! see [`Danger::numbers`]), that card comes first and [`SAFETY_CARD`] second: the question then
//! gets the service to call and what to do with it. A kit without [`SAFETY_CARD`] has no such
//! rule.
//!
//! Ranking is by that BM25F score. Whether the best card is good enough to answer uses two more
//! figures: coverage, the idf-weighted share of the question's words the card matches (a word
//! the kit does not know weighs as much as its rarest word), and confidence, the score times
//! (½ + coverage). See `render::MIN_CONFIDENCE`.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::card::Card;
use super::catalog::Theme;
use super::text::{
    cut_chars, fold, for_each_token, for_each_word, is_meaningful, within_one_edit, FrenchStemmer,
    Token,
};

/// Characters of a question that are analysed; the rest of a long paste is ignored.
pub const MAX_QUESTION_CHARS: usize = 2_000;

/// Id of the card shown first to any question that mentions danger (see the module doc).
pub const SAFETY_CARD: &str = "jeune-en-danger";

/// Cards that may come before [`SAFETY_CARD`] for a danger question they are the best match
/// of, when their text names the number to call for that danger (see the module doc). Each is
/// about one kind of danger and says, in bold, which service to call.
pub const DANGER_CARDS: &[&str] = &[
    "appel-idees-suicidaires",
    "violences-au-domicile",
    "menace-pendant-echange",
    "cyberharcelement",
    "sextorsion",
];

/// A kind of danger a question mentions; a set of them is a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Danger {
    /// Suicide, dark thoughts, self-harm.
    Suicide = 1,
    /// Blows, abuse, rape, violence at home.
    Violence = 2,
    /// Threats.
    Threat = 4,
    /// Harassment, online or not.
    Harassment = 8,
    /// Danger, unspecified.
    Unspecified = 16,
}

const DANGER_KINDS: [Danger; 5] = [
    Danger::Suicide,
    Danger::Violence,
    Danger::Threat,
    Danger::Harassment,
    Danger::Unspecified,
];

impl Danger {
    /// Emergency numbers that answer this danger: a card naming one of them in bold tells whom
    /// to call (3114: suicide prevention; 15: SAMU; 17: police; 112: European emergency number;
    /// 114: emergency by SMS; 119: children in danger; 3919: violence against women; 3018:
    /// online violence against young people; 3020: harassment at school).
    fn numbers(self) -> &'static [&'static str] {
        match self {
            Danger::Suicide => &["3114"],
            Danger::Violence => &["17", "112", "114", "119", "3919"],
            Danger::Threat => &["17", "112", "3018"],
            Danger::Harassment => &["3018", "3020", "17"],
            Danger::Unspecified => &["15", "17", "112", "119"],
        }
    }
}

/// Beginnings of folded words that signal danger, with their kind: "suicid" covers suicide,
/// suicidaire, se suicider; "harcel" harcèlement, harcelé, harceler; common misspellings are
/// listed too. Kept to stems that ordinary questions about remote support do not use.
const DANGER_STEMS: &[(&str, Danger)] = &[
    ("suicid", Danger::Suicide),
    ("sucid", Danger::Suicide),
    ("harcel", Danger::Harassment),
    ("harcl", Danger::Harassment),
    ("cyberharcel", Danger::Harassment),
    ("menac", Danger::Threat),
    ("frapp", Danger::Violence),
    ("violen", Danger::Violence),
    ("violan", Danger::Violence),
    ("agress", Danger::Violence),
    ("maltrait", Danger::Violence),
    ("automutil", Danger::Suicide),
    ("scarif", Danger::Suicide),
    ("tabass", Danger::Violence),
];

/// Whole folded words that signal danger (a stem would catch "violation" or "dangereux").
const DANGER_WORDS: &[(&str, Danger)] = &[
    ("danger", Danger::Unspecified),
    ("dangers", Danger::Unspecified),
    ("viol", Danger::Violence),
    ("viols", Danger::Violence),
    ("viole", Danger::Violence),
    ("violee", Danger::Violence),
    ("violees", Danger::Violence),
    ("mourir", Danger::Suicide),
    ("inceste", Danger::Violence),
    ("battu", Danger::Violence),
    ("battue", Danger::Violence),
    ("battus", Danger::Violence),
    ("battues", Danger::Violence),
];

/// Folded word sequences that signal danger, matched as consecutive words. "faire du mal" may
/// be to oneself or to someone else: both kinds.
const DANGER_PHRASES: &[(&[&str], u8)] = &[
    (&["idees", "noires"], Danger::Suicide as u8),
    (&["idee", "noire"], Danger::Suicide as u8),
    (&["pensees", "noires"], Danger::Suicide as u8),
    (
        &["faire", "du", "mal"],
        Danger::Suicide as u8 | Danger::Violence as u8,
    ),
    (&["me", "tuer"], Danger::Suicide as u8),
    (&["se", "tuer"], Danger::Suicide as u8),
    (&["te", "tuer"], Danger::Threat as u8),
    (&["en", "finir"], Danger::Suicide as u8),
    (&["fin", "a", "ses", "jours"], Danger::Suicide as u8),
    (&["fin", "a", "mes", "jours"], Danger::Suicide as u8),
    (&["plus", "envie", "de", "vivre"], Danger::Suicide as u8),
];

/// The kinds of danger the folded question mentions, as a mask of [`Danger`] bits (0: none;
/// see [`SAFETY_CARD`]).
fn danger_kinds(folded: &str) -> u8 {
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut kinds = 0u8;
    for w in &words {
        for (word, kind) in DANGER_WORDS {
            if w == word {
                kinds |= *kind as u8;
            }
        }
        for (stem, kind) in DANGER_STEMS {
            if w.starts_with(stem) {
                kinds |= *kind as u8;
            }
        }
    }
    for (phrase, mask) in DANGER_PHRASES {
        if words.windows(phrase.len()).any(|win| win == *phrase) {
            kinds |= mask;
        }
    }
    kinds
}

/// True when the folded question mentions danger (see [`SAFETY_CARD`]).
#[cfg(test)]
fn mentions_danger(folded: &str) -> bool {
    danger_kinds(folded) != 0
}

/// The numbers a card's text writes in bold (`**3114**`, `**0 800 235 236**`), spaces removed.
fn bold_numbers(text: &str) -> Vec<String> {
    text.split("**")
        .skip(1)
        .step_by(2)
        .map(|bold| {
            bold.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
        })
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

/// The kinds of danger (mask of [`Danger`] bits) a card names a number for, in bold in its
/// text.
fn danger_kinds_answered(card: &Card) -> u8 {
    let numbers = bold_numbers(&card.body);
    DANGER_KINDS
        .iter()
        .filter(|kind| {
            kind.numbers()
                .iter()
                .any(|n| numbers.iter().any(|b| b == n))
        })
        .fold(0, |mask, kind| mask | *kind as u8)
}

/// BM25 saturation: with 3, a word said twice in a card still counts noticeably more than once
/// (the example questions repeat a card's key words; 3 did a little better than 2 in the
/// leave-one-set-out runs).
const K1: f32 = 3.0;
/// Power applied to the BM25 idf. A hundred cards make a noisy idf: a word that happens to
/// appear in one card's body must not outweigh the question's key words that many cards share
/// ("1er rdv en visio" is about the visio card, not the one card that says "1er"). The square
/// root keeps the order of idf and flattens its range.
const IDF_POWER: f32 = 0.5;
/// Field weights, in the order of [`Field`]. The channels a card uses ("téléphone", "sms")
/// weigh little: they say how the practice is done, not what it is about, and they are listed on
/// most cards. The example questions weigh as much as the title: they hold the everyday words
/// the card's own text does not use, and with about 1,500 of them (five sets) they say more
/// than the intro (1.5 → 3 raised top-1 on each of the blind sets 2-4 left out, see
/// BENCHMARKS.md).
const FIELD_WEIGHTS: [f32; FIELDS] = [3.0, 3.0, 2.0, 1.5, 1.0, 0.5, 3.0];
/// Length normalisation per field: full (0.75) for prose, light for the title, tags and channels
/// (a card with many tags should not see each of them count less), none for the theme name, full
/// for the example questions (a card with many of them must not win on their sheer length).
const FIELD_B: [f32; FIELDS] = [0.5, 0.3, 0.0, 0.75, 0.75, 0.3, 0.75];
const FIELDS: usize = 7;
/// Share of a question word covered by a synonym of it.
const SYNONYM_COVER: f32 = 0.9;
/// Weight of a synonym of the question's word.
const SYNONYM_WEIGHT: f32 = 0.7;
/// How far a rarer member of a synonym group is scaled down to the idf of the group's most
/// common member found (see `finish_clause`): by the square root of the ratio, so that "rdv" does
/// not outweigh "rendez-vous", yet a synonym still says something.
const CONCEPT_POWER: f32 = 0.5;
/// Weight of a vocabulary word an unknown question word is the beginning of.
const PREFIX_WEIGHT: f32 = 0.7;
/// Weight of a longer card word a known question word is the beginning of ("prefere" →
/// "preference"): Snowball leaves such families apart.
const KNOWN_PREFIX_WEIGHT: f32 = 0.5;
/// Shortest known question word (in chars) whose longer forms are looked up.
const KNOWN_PREFIX_MIN_CHARS: usize = 5;
/// A prefix matching more distinct stems than this is too vague to use.
const MAX_PREFIX_STEMS: usize = 3;
/// Weight of a vocabulary word one edit away from an unknown question word.
const TYPO_WEIGHT: f32 = 0.5;
/// Weight of a vocabulary word two edits away from an unknown question word (see
/// `typo_candidates`).
const TYPO2_WEIGHT: f32 = 0.4;
/// Shortest question word (in chars), and shortest vocabulary word, for two-edit typo
/// correction: in shorter words two edits change the word.
const TYPO2_MIN_CHARS: usize = 7;
/// Longest word (in chars) considered for two-edit typo correction.
const MAX_TYPO2_CHARS: usize = 24;
/// Weight of the card stem an unknown inflected question word starts with.
const INFLECTION_WEIGHT: f32 = 0.7;
/// Shortest card stem an inflected question word is reduced to.
const INFLECTION_MIN_CHARS: usize = 4;
/// Most chars an inflection may add to a card stem ("oubl" + "ient").
const INFLECTION_MAX_TAIL: usize = 4;
/// Share of the score kept by a card matching none of the question's weight (see `search`).
const COVERAGE_BASE: f32 = 0.5;
/// Shortest question word (in chars) eligible for typo correction.
const TYPO_MIN_CHARS: usize = 4;
/// Vocabulary words shorter than this are not in the typo index (a 4-letter question word can
/// still reach a 3-letter word by one deletion).
const TYPO_VOCAB_MIN_CHARS: usize = 3;

#[derive(Clone, Copy)]
enum Field {
    Titre = 0,
    Tags = 1,
    Theme = 2,
    Intro = 3,
    Body = 4,
    Channels = 5,
    /// Example questions from `questions.toml`.
    Questions = 6,
}

/// FxHash: a fast non-cryptographic hash for the index's maps. Only the project's cards are
/// inserted (questions only look up), so hash flooding is not a concern.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(n)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// One ranked card.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// Card id.
    pub id: String,
    /// Relevance; comparable between cards of one question only.
    pub score: f32,
}

/// Everything the renderer needs to know about a search, beyond the ranking.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// Ranked hits, named cards first.
    pub hits: Vec<(u32, f32)>,
    /// How many leading hits are cards whose id the question names, or that the safety rule
    /// puts first (see the module doc).
    pub named: usize,
    /// Meaningful words found in the question (0: empty, emoji or stop words only).
    pub clauses: usize,
    /// Confidence of each hit (see `search`), for the answer threshold.
    pub confidence: Vec<f32>,
    /// Coverage of each hit: the idf-weighted share of the question's words it matches.
    pub coverage: Vec<f32>,
}

impl Outcome {
    /// True when hit `i` is good enough to be offered as an answer (see
    /// [`super::render::MIN_CONFIDENCE`]).
    pub fn answers(&self, i: usize) -> bool {
        i < self.named
            || self
                .confidence
                .get(i)
                .is_some_and(|c| *c >= super::render::MIN_CONFIDENCE)
            || self
                .coverage
                .get(i)
                .is_some_and(|c| *c >= super::render::MIN_COVERAGE)
    }
}

/// One synonym group member, analysed.
#[derive(Default)]
struct Member {
    /// Every word in order, stop words included (stemmed when meaningful, folded otherwise), so
    /// that "sur place" matches "sur place" and not any "place".
    seq: Vec<String>,
    /// Its meaningful stems, compounds included: what a question is expanded to.
    terms: Vec<String>,
}

pub(crate) struct Index {
    n_docs: usize,
    /// Stem → term id.
    terms: FastMap<String, u32>,
    /// Term id → (card index, precomputed score), by card index.
    postings: Vec<Vec<(u32, f32)>>,
    /// Term id → inverse document frequency.
    idf: Vec<f32>,
    /// Idf of a term found in a single card: the weight of a word the kit does not know.
    max_idf: f32,
    /// Surface words (folded, unstemmed) of the cards and synonyms, with their stem.
    surfaces: Vec<(String, String)>,
    /// Sorted (hash of a surface word or of it with one char deleted, surface index).
    deletes: Vec<(u64, u32)>,
    /// Synonym groups, each member analysed.
    groups: Vec<Vec<Member>>,
    /// First stem of a member → (group, member).
    group_starts: FastMap<String, Vec<(u32, u32)>>,
    /// Stems that occur in some synonym member (such a word is known, not a typo).
    synonym_stems: FastSet<String>,
    /// Card id → card index.
    ids: FastMap<String, u32>,
    /// Index of [`SAFETY_CARD`], when the kit has it.
    safety: Option<u32>,
    /// Index of each of the [`DANGER_CARDS`] the kit has, with the kinds of danger it names a
    /// number for (mask of [`Danger`] bits).
    danger_cards: Vec<(u32, u8)>,
}

/// The best match of each card for the clause being scored.
struct ClauseAcc {
    best: Vec<f32>,
    best_weight: Vec<f32>,
    touched: Vec<u32>,
}

impl ClauseAcc {
    fn new(n: usize) -> Self {
        Self {
            best: vec![0.0; n],
            best_weight: vec![0.0; n],
            touched: Vec::new(),
        }
    }

    /// Card `d` matches an alternative worth `value`, of weight `weight`.
    fn keep(&mut self, d: u32, value: f32, weight: f32) {
        let i = d as usize;
        if self.best_weight[i] == 0.0 {
            self.touched.push(d);
        }
        self.best[i] = self.best[i].max(value);
        self.best_weight[i] = self.best_weight[i].max(weight);
    }

    /// Hands each matched card's best (value, weight) to `f`, and resets.
    fn drain(&mut self, mut f: impl FnMut(u32, f32, f32)) {
        for d in self.touched.drain(..) {
            let i = d as usize;
            f(d, self.best[i], self.best_weight[i]);
            self.best[i] = 0.0;
            self.best_weight[i] = 0.0;
        }
    }
}

/// One meaningful word of the question: its alternatives, and how much it weighs in the
/// coverage (the idf of its rarest alternative; a word the kit does not know weighs most).
struct Clause {
    alts: Vec<Alt>,
    idf: f32,
}

/// A query alternative: terms scored together (their mean), times a weight.
struct Alt {
    terms: Vec<Option<u32>>,
    weight: f32,
    kind: AltKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AltKind {
    /// The question's own word (or two of its words joined).
    Exact,
    /// A member of the word's synonym group.
    Synonym,
    /// A typo fix or a longer form of the word.
    Approx,
}

impl Alt {
    /// How much matching this alternative covers of the question's word: fully for the word
    /// itself, nearly for a synonym, by its weight for an approximation.
    fn cover(&self) -> f32 {
        match self.kind {
            AltKind::Exact => 1.0,
            AltKind::Synonym => SYNONYM_COVER,
            AltKind::Approx => self.weight,
        }
    }

    fn exact(term: u32) -> Alt {
        Alt {
            terms: vec![Some(term)],
            weight: 1.0,
            kind: AltKind::Exact,
        }
    }

    fn approx(term: u32, weight: f32) -> Alt {
        Alt {
            terms: vec![Some(term)],
            weight,
            kind: AltKind::Approx,
        }
    }
}

impl Index {
    pub fn build(
        cards: &[Card],
        themes: &[Theme],
        synonyms: &[Vec<String>],
        questions: &[(String, String)],
    ) -> Index {
        let stemmer = FrenchStemmer;

        let mut terms: FastMap<String, u32> = FastMap::default();
        // Surface word → term id, so each distinct word is stemmed once.
        let mut stem_cache: FastMap<String, u32> = FastMap::default();
        let mut term_stems: Vec<String> = Vec::new();
        let mut per_doc: Vec<Vec<(u32, [u16; FIELDS])>> = Vec::with_capacity(cards.len());
        let mut lengths: Vec<[u32; FIELDS]> = Vec::with_capacity(cards.len());
        let mut doc_tf: FastMap<u32, [u16; FIELDS]> = FastMap::default();

        // Example questions (`questions.toml`), joined per card id.
        let mut examples: FastMap<&str, String> = FastMap::default();
        for (id, question) in questions {
            let text = examples.entry(id.as_str()).or_default();
            text.push_str(question);
            text.push('\n');
        }
        for card in cards {
            doc_tf.clear();
            let mut len = [0u32; FIELDS];
            let questions = examples.get(card.id.as_str()).map_or("", String::as_str);
            let theme_name = themes
                .iter()
                .find(|t| t.slug == card.theme)
                .map_or(card.theme.as_str(), |t| t.name.as_str());
            let mut tags = card.tags.join(" ");
            tags.push(' ');
            tags.push_str(&card.id.replace('-', " "));
            let channels = card.channels.join(" ");
            let rest = strip_urls(&format!("{}\n{}", card.try_this, card.caveats));
            let intro = strip_urls(&card.intro);
            let fields: [(Field, &str); FIELDS] = [
                (Field::Titre, &card.title),
                (Field::Tags, &tags),
                (Field::Theme, theme_name),
                (Field::Intro, &intro),
                (Field::Body, &rest),
                (Field::Channels, &channels),
                (Field::Questions, questions),
            ];
            for (field, text) in fields {
                let f = field as usize;
                for_each_word(&fold(text), |word| {
                    let term = match stem_cache.get(word) {
                        Some(t) => *t,
                        None => {
                            let stem = stemmer.stem(word);
                            let next = u32::try_from(term_stems.len()).unwrap_or(u32::MAX);
                            let t = *terms.entry(stem.clone()).or_insert_with(|| {
                                term_stems.push(stem);
                                next
                            });
                            stem_cache.insert(word.to_owned(), t);
                            t
                        }
                    };
                    let slot = doc_tf.entry(term).or_insert([0; FIELDS]);
                    slot[f] = slot[f].saturating_add(1);
                    len[f] += 1;
                });
            }
            per_doc.push(doc_tf.iter().map(|(t, tf)| (*t, *tf)).collect());
            lengths.push(len);
        }

        let n_docs = cards.len();
        let mut avg = [0f32; FIELDS];
        for len in &lengths {
            for f in 0..FIELDS {
                avg[f] += len[f] as f32;
            }
        }
        for a in &mut avg {
            *a = (*a / n_docs.max(1) as f32).max(1.0);
        }

        let mut df = vec![0u32; term_stems.len()];
        for doc in &per_doc {
            for (t, _) in doc {
                df[*t as usize] += 1;
            }
        }
        let idf_of = |dft: f32| {
            (1.0 + (n_docs as f32 - dft + 0.5) / (dft + 0.5))
                .ln()
                .powf(IDF_POWER)
        };
        let mut postings: Vec<Vec<(u32, f32)>> =
            df.iter().map(|d| Vec::with_capacity(*d as usize)).collect();
        for (d, doc) in per_doc.iter().enumerate() {
            let d32 = u32::try_from(d).unwrap_or(u32::MAX);
            for (t, tf) in doc {
                let mut pseudo = 0f32;
                for f in 0..FIELDS {
                    if tf[f] > 0 {
                        let b = FIELD_B[f];
                        let norm = 1.0 - b + b * lengths[d][f] as f32 / avg[f];
                        pseudo += FIELD_WEIGHTS[f] * f32::from(tf[f]) / norm;
                    }
                }
                let idf = idf_of(df[*t as usize] as f32);
                postings[*t as usize].push((d32, idf * pseudo / (K1 + pseudo)));
            }
        }
        for list in &mut postings {
            list.sort_unstable_by_key(|(d, _)| *d);
        }
        let idf: Vec<f32> = df.iter().map(|d| idf_of(*d as f32)).collect();
        let max_idf = idf_of(1.0);

        // Synonyms, analysed like the cards.
        let mut groups: Vec<Vec<Member>> = Vec::with_capacity(synonyms.len());
        let mut group_starts: FastMap<String, Vec<(u32, u32)>> = FastMap::default();
        let mut synonym_stems = FastSet::default();
        let mut surfaces: Vec<(String, String)> = stem_cache
            .iter()
            .map(|(w, t)| (w.clone(), term_stems[*t as usize].clone()))
            .collect();
        let mut seen_surfaces: FastSet<String> = stem_cache.keys().cloned().collect();
        for (g, group) in synonyms.iter().enumerate() {
            let mut members = Vec::with_capacity(group.len());
            for (m, member) in group.iter().enumerate() {
                let mut parsed = Member::default();
                for_each_token(&fold(member), |word, kind| {
                    let meaningful = is_meaningful(word);
                    let stem = if meaningful {
                        stemmer.stem(word)
                    } else {
                        word.to_owned()
                    };
                    if meaningful {
                        if seen_surfaces.insert(word.to_owned()) {
                            surfaces.push((word.to_owned(), stem.clone()));
                        }
                        parsed.terms.push(stem.clone());
                    }
                    if kind == Token::Word {
                        parsed.seq.push(stem);
                    }
                });
                if parsed.terms.is_empty() {
                    // Validation rejects such a member; nothing to match or expand to.
                    members.push(parsed);
                    continue;
                }
                if let Some(first) = parsed.seq.first() {
                    group_starts
                        .entry(first.clone())
                        .or_default()
                        .push((g as u32, m as u32));
                }
                synonym_stems.extend(parsed.terms.iter().cloned());
                members.push(parsed);
            }
            groups.push(members);
        }
        // Sorted for a deterministic typo correction, whatever the hash map order.
        surfaces.sort_unstable();

        let mut deletes = Vec::with_capacity(surfaces.len() * 8);
        for (i, (word, _)) in surfaces.iter().enumerate() {
            let n = word.chars().count();
            if n < TYPO_VOCAB_MIN_CHARS {
                continue;
            }
            let i = i as u32;
            deletes.push((hash_without(word, usize::MAX), i));
            for k in 0..n {
                deletes.push((hash_without(word, k), i));
            }
        }
        deletes.sort_unstable();
        deletes.dedup();

        let ids: FastMap<String, u32> = cards
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i as u32))
            .collect();
        let safety = ids.get(SAFETY_CARD).copied();
        let danger_cards: Vec<(u32, u8)> = DANGER_CARDS
            .iter()
            .filter_map(|id| ids.get(*id))
            .map(|d| (*d, danger_kinds_answered(&cards[*d as usize])))
            .collect();

        Index {
            n_docs,
            terms,
            postings,
            idf,
            max_idf,
            surfaces,
            deletes,
            groups,
            group_starts,
            synonym_stems,
            ids,
            safety,
            danger_cards,
        }
    }

    /// The shape of a question: its meaningful words, stemmed, each synonym (the longest
    /// member found at a position) replaced by its group's first member, sorted and
    /// deduplicated. "rdv visio" and "rendez-vous en visio" have one shape; questions passed
    /// on to the kit's writers are grouped by it.
    pub fn shape(&self, question: &str) -> String {
        let question = cut_chars(question, MAX_QUESTION_CHARS);
        let stemmer = FrenchStemmer;
        // The keys synonym members are written in (see `Member::seq`).
        let mut keys: Vec<(String, bool)> = Vec::new();
        for_each_token(&fold(question), |word, kind| {
            if kind == Token::Word {
                let meaningful = is_meaningful(word);
                let key = if meaningful {
                    stemmer.stem(word)
                } else {
                    word.to_owned()
                };
                keys.push((key, meaningful));
            }
        });
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < keys.len() {
            let longest = self
                .group_starts
                .get(keys[i].0.as_str())
                .and_then(|starts| {
                    starts
                        .iter()
                        .filter_map(|&(g, m)| {
                            let member = &self.groups[g as usize][m as usize];
                            let end = i + member.seq.len();
                            let found = end <= keys.len()
                                && member.seq.iter().zip(&keys[i..end]).all(|(a, b)| *a == b.0);
                            found.then_some((end, g))
                        })
                        .max_by_key(|(end, _)| *end)
                });
            match longest {
                Some((end, g)) => {
                    let first = &self.groups[g as usize][0];
                    parts.push(first.seq.join(" "));
                    i = end.max(i + 1);
                }
                None => {
                    if keys[i].1 {
                        parts.push(keys[i].0.clone());
                    }
                    i += 1;
                }
            }
        }
        parts.sort();
        parts.dedup();
        parts.join(" ")
    }

    /// Ranks the cards for a question; at most `top` hits, all with a positive score.
    pub fn search(&self, question: &str, top: usize) -> Outcome {
        let question = cut_chars(question, MAX_QUESTION_CHARS);
        let mut named = self.named_ids(question);
        // Safety rule (module doc): danger puts the safety card first, before named cards,
        // unless the best match below names the number for that danger itself.
        let kinds = danger_kinds(&fold(question));
        let safety = self.safety.filter(|_| kinds != 0);
        if let Some(safety) = safety {
            named.retain(|d| *d != safety);
        }
        let clauses = self.clauses(question);
        let idf_total: f32 = clauses.iter().map(|c| c.idf).sum();

        let n = self.n_docs;
        // Per card: summed BM25F and summed coverage over the clauses.
        let (mut total, mut covered) = (vec![0f32; n], vec![0f32; n]);
        let mut clause_acc = ClauseAcc::new(n);
        // Per card within a multi-word alternative: running sum.
        let mut sum = vec![0f32; n];
        let mut touched_docs: Vec<u32> = Vec::new();
        let mut touched_alt: Vec<u32> = Vec::new();

        for clause in &clauses {
            for alt in &clause.alts {
                if let [Some(t)] = alt.terms.as_slice() {
                    for &(d, s) in &self.postings[*t as usize] {
                        clause_acc.keep(d, alt.weight * s, alt.cover());
                    }
                    continue;
                }
                let parts = alt.terms.len().max(1) as f32;
                for t in alt.terms.iter().flatten() {
                    for &(d, s) in &self.postings[*t as usize] {
                        if sum[d as usize] == 0.0 {
                            touched_alt.push(d);
                        }
                        sum[d as usize] += s;
                    }
                }
                for d in touched_alt.drain(..) {
                    let v = alt.weight * sum[d as usize] / parts;
                    sum[d as usize] = 0.0;
                    clause_acc.keep(d, v, alt.cover());
                }
            }
            clause_acc.drain(|d, value, weight| {
                let i = d as usize;
                if total[i] == 0.0 {
                    touched_docs.push(d);
                }
                total[i] += value;
                covered[i] += clause.idf * weight;
            });
        }
        // Confidence = BM25F × (½ + coverage): one common word matched in a long question is
        // weak evidence, most of the question matched is strong.
        let coverage = |i: usize| {
            if idf_total > 0.0 {
                covered[i] / idf_total
            } else {
                0.0
            }
        };
        let confidence = |i: usize| total[i] * (COVERAGE_BASE + coverage(i));
        let mut ranked: Vec<(u32, f32, f32)> = touched_docs
            .iter()
            .map(|d| (*d, total[*d as usize], confidence(*d as usize)))
            .filter(|(d, s, _)| *s > 0.0 && !named.contains(d))
            .collect();
        // Ranked by BM25F: on the evaluation set, ranking by confidence puts a card that
        // matches many weak words above the one that matches the question's key word.
        ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some(safety) = safety {
            // The best match may stay first only when no card is named, it is not the safety
            // card itself, and it names a number for every kind of danger the question mentions.
            let safety_leads = ranked.first().is_some_and(|r| r.0 == safety);
            ranked.retain(|r| r.0 != safety);
            let lead_answers = named.is_empty()
                && !safety_leads
                && ranked.first().is_some_and(|r| {
                    self.danger_cards
                        .iter()
                        .any(|(d, answered)| *d == r.0 && answered & kinds == kinds)
                });
            if lead_answers {
                named.push(ranked.remove(0).0);
                named.push(safety);
            } else {
                named.insert(0, safety);
            }
        }

        // Named cards go first, above the best ranked score and the answer threshold, in the
        // order the question names them.
        let lead = ranked
            .first()
            .map_or(0.0, |r| r.1)
            .max(super::render::MIN_CONFIDENCE);
        let mut hits: Vec<(u32, f32)> = named
            .iter()
            .enumerate()
            .map(|(i, d)| (*d, lead + (named.len() - i) as f32))
            .collect();
        let mut conf: Vec<f32> = hits.iter().map(|h| h.1).collect();
        let mut cover: Vec<f32> = vec![1.0; hits.len()];
        for (d, sc, c) in ranked.into_iter().take(top.saturating_sub(hits.len())) {
            hits.push((d, sc));
            conf.push(c);
            cover.push(coverage(d as usize));
        }
        hits.truncate(top);
        conf.truncate(top);
        cover.truncate(top);
        Outcome {
            named: named.len().min(hits.len()),
            hits,
            clauses: clauses.len(),
            confidence: conf,
            coverage: cover,
        }
    }

    /// Cards whose id appears as a whole word of the question (ASCII case ignored).
    fn named_ids(&self, question: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for word in question.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            let word = word.trim_matches('-');
            if word.is_empty() || word.len() > 80 {
                continue;
            }
            let found = if word.bytes().any(|b| b.is_ascii_uppercase()) {
                self.ids.get(&word.to_ascii_lowercase())
            } else {
                self.ids.get(word)
            };
            if let Some(d) = found {
                if !out.contains(d) {
                    out.push(*d);
                }
            }
        }
        out
    }

    /// Turns a question into clauses (see the module doc).
    fn clauses(&self, question: &str) -> Vec<Clause> {
        let stemmer = FrenchStemmer;
        // Every word, stop words included, to rejoin words split by a space ("mal être",
        // "rendez vous"); `Token::Compound` entries already are joined forms.
        let mut raw: Vec<(String, Token)> = Vec::new();
        for_each_token(&fold(question), |word, kind| {
            raw.push((word.to_owned(), kind))
        });

        // (primary stem, alternatives) per meaningful word, in question order.
        let mut words: Vec<(String, Vec<Alt>)> = Vec::new();
        // Index in `words` of each raw word, when it is meaningful.
        let mut slot_of: Vec<Option<usize>> = Vec::with_capacity(raw.len());
        for (word, _) in &raw {
            if !is_meaningful(word) {
                slot_of.push(None);
                continue;
            }
            slot_of.push(Some(words.len()));
            let stem = stemmer.stem(word);
            if let Some(t) = self.terms.get(&stem) {
                let mut alts = vec![Alt::exact(*t)];
                if word.chars().count() >= KNOWN_PREFIX_MIN_CHARS {
                    alts.extend(
                        self.prefix_candidates(word)
                            .iter()
                            .filter(|s| **s != stem)
                            .filter_map(|s| self.terms.get(s))
                            .map(|t| Alt::approx(*t, KNOWN_PREFIX_WEIGHT)),
                    );
                }
                words.push((stem, alts));
            } else if self.synonym_stems.contains(&stem) || word.chars().count() < TYPO_MIN_CHARS {
                words.push((stem, Vec::new()));
            } else {
                // Unknown word: a truncation ("hebdo", "tuto") or a typo of a card word.
                let mut alts: Vec<Alt> = self
                    .prefix_candidates(word)
                    .iter()
                    .filter_map(|s| self.terms.get(s))
                    .map(|t| Alt::approx(*t, PREFIX_WEIGHT))
                    .collect();
                let (fixes, two_edits) = self.typo_candidates(word);
                let weight = if two_edits { TYPO2_WEIGHT } else { TYPO_WEIGHT };
                alts.extend(
                    fixes
                        .iter()
                        .filter_map(|s| self.terms.get(s))
                        .map(|t| Alt::approx(*t, weight)),
                );
                // An inflection Snowball leaves whole ("oublient", "repondent"): the longest
                // card stem it starts with.
                if let Some(t) = self.stem_prefix(&stem) {
                    alts.push(Alt::approx(t, INFLECTION_WEIGHT));
                }
                let primary = fixes.first().cloned().unwrap_or(stem);
                words.push((primary, alts));
            }
        }

        // Which word's clause each word joins: its own, unless it is a part or the joined form
        // of a hyphenated compound, which is one word ("rendez-vous", "e-mail", "i-milo").
        let mut leader: Vec<usize> = (0..words.len()).collect();
        for (j, (compound, kind)) in raw.iter().enumerate() {
            if *kind != Token::Compound {
                continue;
            }
            // The parts are the words right before it whose concatenation it is.
            let mut first = j;
            let mut len = 0usize;
            while first > 0 && len < compound.len() {
                first -= 1;
                if raw[first].1 != Token::Word {
                    break;
                }
                len += raw[first].0.len();
            }
            if len != compound.len() {
                continue;
            }
            let slots: Vec<usize> = slot_of[first..=j].iter().flatten().copied().collect();
            if let Some(&lead) = slots.first() {
                for &other in &slots[1..] {
                    leader[other] = lead;
                }
            }
        }

        // Two neighbouring words whose joined form is a card word ("mal être" → "maletre", the
        // way "mal-être" is indexed) add that word to the first meaningful one's clause.
        let plain: Vec<usize> = (0..raw.len())
            .filter(|i| raw[*i].1 == Token::Word)
            .collect();
        for pair in plain.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if slot_of[a].is_none() && slot_of[b].is_none() {
                // Two stop words ("de la") never make a word of the kit.
                continue;
            }
            let joined = format!("{}{}", raw[a].0, raw[b].0);
            if !is_meaningful(&joined) || joined.chars().count() < TYPO_MIN_CHARS {
                continue;
            }
            let Some(t) = self.terms.get(&stemmer.stem(&joined)) else {
                continue;
            };
            if let Some(w) = slot_of[a].or(slot_of[b]) {
                words[w].1.push(Alt::exact(*t));
            }
        }

        // Synonyms: a member found in the question (its words in a row, stop words included)
        // adds the group's other members to the clause of its first meaningful word.
        let mut keys: Vec<&str> = Vec::with_capacity(raw.len());
        let mut key_slot: Vec<Option<usize>> = Vec::with_capacity(raw.len());
        for (i, (word, kind)) in raw.iter().enumerate() {
            if *kind == Token::Word {
                keys.push(slot_of[i].map_or(word.as_str(), |w| words[w].0.as_str()));
                key_slot.push(slot_of[i]);
            }
        }
        let mut extra: Vec<(usize, Alt)> = Vec::new();
        let m_terms = |member: &Member| -> Vec<Option<u32>> {
            member
                .terms
                .iter()
                .map(|s| self.terms.get(s).copied())
                .collect()
        };
        // Every member found in the question: (start, end, group, member, first slot).
        let mut found: Vec<(usize, usize, u32, u32, usize)> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let Some(starts) = self.group_starts.get(*key) else {
                continue;
            };
            for &(g, m) in starts {
                let member = &self.groups[g as usize][m as usize];
                let end = i + member.seq.len();
                let matches =
                    end <= keys.len() && member.seq.iter().zip(&keys[i..end]).all(|(a, b)| a == b);
                let Some(slot) = key_slot[i..end.min(keys.len())].iter().flatten().next() else {
                    continue;
                };
                if matches {
                    found.push((i, end, g, m, *slot));
                }
            }
        }
        // A member inside a longer one found ("jeune" in "contrat d'engagement jeune") is part
        // of that phrase, not a word of its own: its group would drag the phrase's clause down
        // to the idf of "jeune" (see `finish_clause`).
        // Linear: the farthest end of a member starting at each position, and before it.
        let mut reach_at = vec![0usize; keys.len() + 1];
        for &(i, end, ..) in &found {
            reach_at[i] = reach_at[i].max(end);
        }
        let mut reach_before = vec![0usize; keys.len() + 1];
        for i in 1..=keys.len() {
            reach_before[i] = reach_before[i - 1].max(reach_at[i - 1]);
        }
        found.retain(|&(i, end, ..)| reach_before[i] < end && reach_at[i] <= end);
        for &(_, _, g, m, slot) in &found {
            let group = &self.groups[g as usize];
            for (other_idx, other) in group.iter().enumerate() {
                if other_idx == m as usize || other.terms.is_empty() {
                    continue;
                }
                let terms: Vec<Option<u32>> = m_terms(other);
                if terms.iter().all(Option::is_none) {
                    continue;
                }
                extra.push((
                    slot,
                    Alt {
                        terms,
                        weight: SYNONYM_WEIGHT,
                        kind: AltKind::Synonym,
                    },
                ));
            }
        }
        for (i, alt) in extra {
            words[i].1.push(alt);
        }

        // A word repeated in the question counts once; the parts of a compound are one clause.
        let mut seen: FastMap<String, usize> = FastMap::default();
        let mut merged: Vec<Vec<Alt>> = Vec::with_capacity(words.len());
        let mut clause_of: Vec<usize> = Vec::with_capacity(words.len());
        for (w, (stem, alts)) in words.into_iter().enumerate() {
            let mut lead = w;
            while leader[lead] != lead {
                lead = leader[lead];
            }
            if lead != w {
                let c = clause_of[lead];
                merged[c].extend(alts);
                clause_of.push(c);
                continue;
            }
            match seen.get(&stem) {
                Some(i) => {
                    merged[*i].extend(alts);
                    clause_of.push(*i);
                }
                None => {
                    seen.insert(stem, merged.len());
                    clause_of.push(merged.len());
                    merged.push(alts);
                }
            }
        }
        merged
            .into_iter()
            .map(|alts| self.finish_clause(alts))
            .collect()
    }

    /// Deduplicates a word's alternatives, sets its coverage weight, and caps its synonyms.
    fn finish_clause(&self, alts: Vec<Alt>) -> Clause {
        // The same stand-in reached twice ("jeune" and "jeunes" in one group) counts once.
        let mut unique: Vec<Alt> = Vec::with_capacity(alts.len());
        for alt in alts {
            match unique.iter_mut().find(|u| u.terms == alt.terms) {
                Some(u) => u.weight = u.weight.max(alt.weight),
                None => unique.push(alt),
            }
        }
        let alt_idf = |a: &Alt| {
            a.terms
                .iter()
                .flatten()
                .map(|t| self.idf[*t as usize])
                .reduce(f32::max)
        };
        // A word and its synonyms are one concept, as common as its most common member:
        // "rdv" is rare in the cards but "rendez-vous" is everywhere, so a card saying "rdv" must
        // not beat one saying "rendez-vous"; "jeune" is in every card and its synonym "usager"
        // must not take over the question. Each member is scaled down to the concept's idf.
        let concept = unique
            .iter()
            .filter(|a| a.kind != AltKind::Approx)
            .filter_map(alt_idf)
            .reduce(f32::min);
        // A guess (a typo fix, a longer form of a known word) never weighs more than the word
        // itself: "jeunes" is in every card, its longer form "jeunesse" in one, and that one
        // must not win.
        if let Some(concept) = concept {
            for alt in unique.iter_mut().filter(|a| a.kind == AltKind::Approx) {
                if let Some(own) = alt_idf(alt) {
                    if own > concept {
                        alt.weight *= concept / own;
                    }
                }
            }
        }
        let has_synonyms = unique.iter().any(|a| a.kind == AltKind::Synonym);
        if let (true, Some(concept)) = (has_synonyms, concept) {
            for alt in unique.iter_mut().filter(|a| a.kind != AltKind::Approx) {
                if let Some(own) = alt_idf(alt) {
                    if own > concept {
                        alt.weight *= (concept / own).powf(CONCEPT_POWER);
                    }
                }
            }
        }
        // Coverage weight: the concept's idf, else the best approximation's, else the idf of
        // the rarest word (a word the kit does not know at all weighs most).
        let idf = concept
            .or_else(|| unique.iter().filter_map(alt_idf).reduce(f32::max))
            .unwrap_or(self.max_idf);
        Clause { alts: unique, idf }
    }

    /// Stems of the vocabulary words that `word` is the beginning of ("hebdo" →
    /// "hebdomadaire"), when there are few of them: a short prefix of many words says nothing.
    fn prefix_candidates(&self, word: &str) -> Vec<String> {
        let start = self.surfaces.partition_point(|(w, _)| w.as_str() < word);
        let mut stems: Vec<String> = Vec::new();
        for (surface, stem) in &self.surfaces[start..] {
            if !surface.starts_with(word) {
                break;
            }
            if !stems.contains(stem) {
                if stems.len() == MAX_PREFIX_STEMS {
                    return Vec::new();
                }
                stems.push(stem.clone());
            }
        }
        stems
    }

    /// The longest card stem that `stem` starts with, at least [`INFLECTION_MIN_CHARS`] long and
    /// missing at most [`INFLECTION_MAX_TAIL`] chars: the stem of an inflected form Snowball
    /// does not reduce ("oublient" → "oubl").
    fn stem_prefix(&self, stem: &str) -> Option<u32> {
        let n = stem.chars().count();
        let shortest = INFLECTION_MIN_CHARS.max(n.saturating_sub(INFLECTION_MAX_TAIL));
        let mut ends: Vec<usize> = stem.char_indices().map(|(i, _)| i).skip(1).collect();
        ends.reverse();
        for (k, end) in ends.into_iter().enumerate() {
            if n - 1 - k < shortest {
                break;
            }
            if let Some(t) = self.terms.get(&stem[..end]) {
                return Some(*t);
            }
        }
        None
    }

    /// Stems of the vocabulary words one edit away from `word`, most frequent first. When
    /// there is none and `word` has [`TYPO2_MIN_CHARS`] chars or more, the words two edits away
    /// that start with the same letter (a doubled letter missed and another one changed:
    /// "acompagnemnt", "notfication"), with `true` for "two edits".
    fn typo_candidates(&self, word: &str) -> (Vec<String>, bool) {
        let n = word.chars().count();
        let mut found: Vec<u32> = Vec::new();
        for k in std::iter::once(usize::MAX).chain(0..n) {
            let h = hash_without(word, k);
            let start = self.deletes.partition_point(|(x, _)| *x < h);
            for &(x, i) in &self.deletes[start..] {
                if x != h {
                    break;
                }
                if !found.contains(&i) && within_one_edit(word, &self.surfaces[i as usize].0) {
                    found.push(i);
                }
            }
        }
        let two_edits = found.is_empty() && n >= TYPO2_MIN_CHARS;
        if two_edits {
            // The surfaces are sorted: those starting with the word's first letter are a run.
            let first = &word[..word.chars().next().map_or(0, char::len_utf8)];
            let start = self.surfaces.partition_point(|(w, _)| w.as_str() < first);
            for (i, (surface, _)) in self.surfaces.iter().enumerate().skip(start) {
                if !surface.starts_with(first) {
                    break;
                }
                let m = surface.chars().count();
                if m >= TYPO2_MIN_CHARS && m.abs_diff(n) <= 2 && within_two_edits(word, surface) {
                    found.push(i as u32);
                }
            }
        }
        let mut stems: Vec<String> = Vec::new();
        for i in found {
            let stem = &self.surfaces[i as usize].1;
            if !stems.contains(stem) {
                stems.push(stem.clone());
            }
        }
        let df = |s: &String| {
            self.terms
                .get(s)
                .map_or(0, |t| self.postings[*t as usize].len())
        };
        stems.sort_by(|a, b| df(b).cmp(&df(a)).then(a.cmp(b)));
        (stems, two_edits)
    }
}

/// True when `a` and `b` are at most two edits apart (insertion, deletion, substitution, or
/// transposition of neighbours), for words of at most [`MAX_TYPO2_CHARS`] chars. Rows of the
/// distance table on the stack; stops as soon as a row has no cell under 3.
fn within_two_edits(a: &str, b: &str) -> bool {
    const W: usize = MAX_TYPO2_CHARS + 1;
    let mut ac = ['\0'; MAX_TYPO2_CHARS];
    let mut bc = ['\0'; MAX_TYPO2_CHARS];
    let (mut la, mut lb) = (0, 0);
    for c in a.chars() {
        if la == MAX_TYPO2_CHARS {
            return false;
        }
        ac[la] = c;
        la += 1;
    }
    for c in b.chars() {
        if lb == MAX_TYPO2_CHARS {
            return false;
        }
        bc[lb] = c;
        lb += 1;
    }
    if la.abs_diff(lb) > 2 {
        return false;
    }
    let mut before = [0usize; W];
    let mut prev: [usize; W] = std::array::from_fn(|j| j);
    let mut cur = [0usize; W];
    for i in 1..=la {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=lb {
            let cost = usize::from(ac[i - 1] != bc[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && ac[i - 1] == bc[j - 2] && ac[i - 2] == bc[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            cur[j] = best;
            row_min = row_min.min(best);
        }
        if row_min > 2 {
            return false;
        }
        before = prev;
        prev = cur;
    }
    prev[lb] <= 2
}

/// FNV-1a over the chars of `word`, skipping the char at `skip` (`usize::MAX`: none).
fn hash_without(word: &str, skip: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, c) in word.chars().enumerate() {
        if i == skip {
            continue;
        }
        for b in (c as u32).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Removes link targets (`](https://…)`) and bare URLs from card text: their words ("https",
/// "www", domain parts) would only add noise to the index.
fn strip_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let target = rest.find("](");
        let bare = rest
            .find("http://")
            .into_iter()
            .chain(rest.find("https://"))
            .min();
        match (target, bare) {
            (Some(t), b) if b.is_none_or(|b| t < b) => {
                out.push_str(&rest[..=t]);
                let after = &rest[t + 2..];
                rest = match after.find(')') {
                    Some(close) => &after[close + 1..],
                    None => after,
                };
            }
            (_, Some(b)) => {
                out.push_str(&rest[..b]);
                let after = &rest[b..];
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                out.push(' ');
                rest = &after[end..];
            }
            (_, None) => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        bold_numbers, danger_kinds_answered, mentions_danger, strip_urls, within_two_edits, Danger,
        Index, DANGER_CARDS, SAFETY_CARD,
    };
    use crate::kit::text::fold;
    use crate::kit::Card;

    fn card(id: &str, title: &str, tags: &[&str], intro: &str) -> Card {
        Card {
            id: id.to_owned(),
            title: title.to_owned(),
            theme: "securite".to_owned(),
            level: 1,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            channels: vec!["téléphone".to_owned()],
            duration: "10 minutes".to_owned(),
            sources: Vec::new(),
            verified: None,
            body: intro.to_owned(),
            intro: intro.to_owned(),
            try_this: "1. Essayer.".to_owned(),
            caveats: "- Rester attentif.".to_owned(),
        }
    }

    /// A small kit: the safety card, a harassment card and two ordinary practice cards.
    fn index() -> (Index, Vec<Card>) {
        let cards = vec![
            card(
                SAFETY_CARD,
                "Un jeune en danger : les numéros à appeler",
                &["urgence", "3114", "15", "112"],
                "Appelez les secours avec le jeune.",
            ),
            card(
                "cyberharcelement",
                "Réagir au harcèlement en ligne",
                &["harcèlement", "réseaux sociaux", "3018"],
                "Garder les preuves et signaler le harcèlement en ligne.",
            ),
            card(
                "sms-rappel",
                "Rappeler un rendez-vous par SMS",
                &["sms", "rappel", "rendez-vous"],
                "Un SMS la veille du rendez-vous évite les oublis.",
            ),
            card(
                "visio-premier-rdv",
                "Mener un premier rendez-vous en visio",
                &["visio", "premier rendez-vous"],
                "La visio évite un long trajet, et la violation des données se prévient.",
            ),
        ];
        (Index::build(&cards, &[], &[], &[]), cards)
    }

    struct Case {
        question: &'static str,
        /// Expected first card.
        first: &'static str,
        /// A card that must also be in the top 3 (the specific one, under the safety card).
        also: Option<&'static str>,
    }

    #[test]
    fn danger_questions_get_the_safety_card_first_and_others_are_unaffected() {
        let (index, cards) = index();
        let cases = [
            Case {
                question: "un jeune me dit qu'il veut se suicider",
                first: SAFETY_CARD,
                also: None,
            },
            Case {
                question: "il a des idees noires depuis des semaines",
                first: SAFETY_CARD,
                also: None,
            },
            Case {
                question: "elle parle de se faire du mal",
                first: SAFETY_CARD,
                also: None,
            },
            Case {
                question: "jeune en danger chez lui",
                first: SAFETY_CARD,
                also: None,
            },
            Case {
                question: "son pere le frappe",
                first: SAFETY_CARD,
                also: None,
            },
            Case {
                question: "violences a la maison",
                first: SAFETY_CARD,
                also: None,
            },
            Case {
                question: "il m'a menacé au telephone",
                first: SAFETY_CARD,
                also: None,
            },
            Case {
                question: "harcelement sur les reseaux sociaux",
                first: SAFETY_CARD,
                also: Some("cyberharcelement"),
            },
            Case {
                question: "HARCÈLEMENT : que faire ? voir sms-rappel",
                first: SAFETY_CARD,
                also: Some("sms-rappel"),
            },
            Case {
                question: "rappeler un rendez-vous par sms",
                first: "sms-rappel",
                also: None,
            },
            Case {
                question: "premier rendez-vous en visio",
                first: "visio-premier-rdv",
                also: None,
            },
            Case {
                question: "violation des donnees en visio",
                first: "visio-premier-rdv",
                also: None,
            },
        ];
        for case in cases {
            let outcome = index.search(case.question, 3);
            let ids: Vec<&str> = outcome
                .hits
                .iter()
                .map(|(d, _)| cards[*d as usize].id.as_str())
                .collect();
            assert_eq!(ids.first(), Some(&case.first), "{}: {ids:?}", case.question);
            assert!(
                outcome.answers(0),
                "{}: first hit must answer",
                case.question
            );
            if let Some(also) = case.also {
                assert!(ids.contains(&also), "{}: {ids:?}", case.question);
            }
        }
    }

    #[test]
    fn a_danger_card_naming_the_number_may_come_before_the_safety_card() {
        let mut harassment = card(
            "cyberharcelement",
            "Réagir au harcèlement en ligne",
            &["harcèlement", "réseaux sociaux"],
            "Garder les preuves et signaler le harcèlement en ligne.",
        );
        harassment.body = format!("{}\n\nAppelez le **3018**, ou le **17**.", harassment.body);
        let (_, mut cards) = index();
        cards[1] = harassment;
        let index = Index::build(&cards, &[], &[], &[]);
        let ids = |q: &str| -> Vec<String> {
            index
                .search(q, 3)
                .hits
                .iter()
                .map(|(d, _)| cards[*d as usize].id.clone())
                .collect()
        };
        // Harassment: the card names the 3018, it comes first, the safety card second.
        assert_eq!(
            ids("harcelement en ligne sur les reseaux sociaux")[..2],
            ["cyberharcelement", SAFETY_CARD]
        );
        // Harassment and suicide: the card has no 3114, the safety card stays first.
        assert_eq!(
            ids("harcelement en ligne, il parle de suicide")[0],
            SAFETY_CARD
        );
        // The safety card matching best stays first, even if the card names a number too.
        assert_eq!(
            ids("harcelement : un jeune en danger, les numeros a appeler")[0],
            SAFETY_CARD
        );
        // A card the question names keeps the safety card first.
        assert_eq!(
            ids("harcelement en ligne voir sms-rappel")[..2],
            [SAFETY_CARD, "sms-rappel"]
        );
    }

    #[test]
    fn bold_numbers_are_read_from_the_text() {
        assert_eq!(
            bold_numbers("le **3114**, le **0 800 235 236**, **pas un numéro**, 17"),
            ["3114", "0800235236"]
        );
        assert!(Danger::Suicide.numbers().contains(&"3114"));
    }

    /// Every card allowed before the safety card names, in bold, a number for at least one kind
    /// of danger; without it, the rule keeps the safety card first for it.
    #[test]
    fn every_danger_card_of_the_kit_names_an_emergency_number() {
        let kit = crate::kit::Kit::from_files(&crate::assets::embedded("kit-snippets/"))
            .expect("embedded kit");
        assert!(kit.card(SAFETY_CARD).is_some());
        for id in DANGER_CARDS {
            let card = kit
                .card(id)
                .unwrap_or_else(|| panic!("{id}: not in the kit"));
            assert_ne!(
                danger_kinds_answered(card),
                0,
                "{id}: names no emergency number in bold"
            );
        }
    }

    /// Over every question of the evaluation sets that mentions danger: the first card is the
    /// safety card, or one of the danger cards with the safety card second.
    #[test]
    fn a_danger_question_never_gets_a_non_safety_card_first() {
        let kit = crate::kit::Kit::from_files(&crate::assets::embedded("kit-snippets/"))
            .expect("embedded kit");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut questions: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("tests/data") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if !name.is_some_and(|n| n.starts_with("kit-eval") && n.ends_with(".toml")) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            let table: toml::Table = toml::from_str(&text).expect("parses");
            for list in table.values().filter_map(toml::Value::as_array) {
                for item in list.iter().filter_map(toml::Value::as_table) {
                    let q = item.get("text").or_else(|| item.get("question"));
                    questions.extend(q.and_then(toml::Value::as_str).map(str::to_owned));
                }
            }
        }
        let danger: Vec<&String> = questions
            .iter()
            .filter(|q| mentions_danger(&fold(q)))
            .collect();
        assert!(danger.len() >= 50, "only {} danger questions", danger.len());
        for q in danger {
            let ids: Vec<String> = kit.search(q, 3).into_iter().map(|h| h.id).collect();
            let first = ids.first().map(String::as_str);
            if first != Some(SAFETY_CARD) {
                assert!(
                    first.is_some_and(|f| DANGER_CARDS.contains(&f))
                        && ids.get(1).map(String::as_str) == Some(SAFETY_CARD),
                    "{q}: {ids:?}"
                );
            }
        }
    }

    #[test]
    fn inflections_guesses_and_phrases_rank_the_right_card() {
        let cards = vec![
            card(
                "sms-rappel",
                "Rappeler un rendez-vous par SMS",
                &["sms", "rappel"],
                "Un SMS la veille évite les oublis du jeune.",
            ),
            card(
                "pole-jeunesse",
                "Travailler avec le service jeunesse de la mairie",
                &["mairie", "partenaire"],
                "Le service jeunesse de la ville propose des activités.",
            ),
            card(
                "application-cej",
                "Utiliser l'application du CEJ",
                &["cej", "application"],
                "L'application du contrat d'engagement jeune aide le jeune entre deux rendez-vous.",
            ),
            card(
                "visio-premier-rdv",
                "Mener un premier rendez-vous en visio",
                &["visio", "premier rendez-vous"],
                "La visio évite un long trajet au jeune.",
            ),
        ];
        let synonyms = vec![
            vec!["jeune".to_owned(), "jeunes".to_owned(), "usager".to_owned()],
            vec!["cej".to_owned(), "contrat d'engagement jeune".to_owned()],
        ];
        let index = Index::build(&cards, &[], &synonyms, &[]);
        let first = |q: &str| {
            let outcome = index.search(q, 3);
            outcome
                .hits
                .first()
                .map(|(d, _)| cards[*d as usize].id.clone())
        };
        // An inflection Snowball leaves whole finds the card's stem.
        assert_eq!(first("ils oublient").as_deref(), Some("sms-rappel"));
        // "jeunes" is in three cards; its longer form "jeunesse", in one, must not win.
        assert_ne!(first("les jeunes").as_deref(), Some("pole-jeunesse"));
        // "jeune" inside "contrat d'engagement jeune" does not dilute the phrase.
        assert_eq!(
            first("l'appli du contrat d'engagement jeune").as_deref(),
            Some("application-cej")
        );
        // A hyphenated word is one clause, whichever way it is typed.
        assert_eq!(
            first("1er rendez-vous en visio").as_deref(),
            Some("visio-premier-rdv")
        );
    }

    #[test]
    fn danger_words_are_recognised_with_or_without_accents() {
        let cases = [
            ("Il a des idées noires", true),
            ("idee noire", true),
            ("tentative de suicide", true),
            ("il est suicidaire", true),
            ("elle veut mourir", true),
            ("il veut en finir", true),
            ("mettre fin à ses jours", true),
            ("il n'a plus envie de vivre", true),
            ("il se scarifie", true),
            ("harcèlement scolaire", true),
            ("cyberharcèlement sur snap", true),
            ("elle est harcelée", true),
            ("menace de mort", true),
            ("violence conjugale", true),
            ("il a été frappé", true),
            ("agression dans la rue", true),
            ("jeune en danger", true),
            ("elle a été violée", true),
            ("rappeler un rendez-vous par SMS", false),
            ("protéger les données personnelles", false),
            ("violation de données", false),
            ("est-ce dangereux d'utiliser whatsapp", false),
            ("mot de passe oublié", false),
            ("mettre fin à l'accompagnement", false),
            ("un jeune sans forfait", false),
        ];
        for (question, expected) in cases {
            assert_eq!(mentions_danger(&fold(question)), expected, "{question}");
        }
    }

    #[test]
    fn two_edit_detection_agrees_with_the_edit_distance() {
        let words = [
            "accompagnement",
            "acompagnemnt",
            "acompagnement",
            "accompagnemnet",
            "notification",
            "notfication",
            "visioconference",
            "visoconferanse",
            "vsioconfrence",
            "rappel",
            "",
            "a",
        ];
        for a in words {
            for b in words {
                let expected = crate::kit::text::edit_distance(a, b) <= 2;
                assert_eq!(within_two_edits(a, b), expected, "{a} / {b}");
            }
        }
    }

    #[test]
    fn urls_are_stripped_from_indexed_text() {
        let cases = [
            (
                "voir [la CNIL](https://www.cnil.fr/x) ici",
                "voir [la CNIL] ici",
            ),
            ("site https://example.org/a?b=c puis", "site   puis"),
            ("rien à enlever", "rien à enlever"),
            ("[lien](sans fin", "[lien]sans fin"),
        ];
        for (input, expected) in cases {
            assert_eq!(strip_urls(input), expected, "{input}");
        }
    }
}
