//! People: full names ("Kevin Martin", "M. Benali", "kevin martin"), a first name with an age
//! or a place ("Kevin, 19 ans", "Inès, de Cholet"), and named relatives ("son frère Rayan",
//! "la mère de Kevin"), and health or justice facts next to a first name ("Jade est
//! enceinte", "Dylan en garde à vue"). A first name alone, or a word that may be one where a
//! person stands, raises a doubt (`FirstName`: the author is asked), unless a colleague, a
//! famous person, a place or a thing is meant. Words that may be a first name without being in
//! the list raise a doubt instead of a refusal.
//!
//! One pass over the word tokens; every rule looks at a bounded window of tokens around the
//! current one, so the cost stays linear.

use super::{fold, word_set, word_shape, Findings, PiiKind, Shape};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

pub(super) fn detect(text: &str, year: i32, found: &mut Findings) {
    let toks = tokens(text);
    let breaks = clause_breaks(text, &toks);
    let ctx = Ctx {
        text,
        toks: &toks,
        breaks: &breaks,
        year,
    };
    for i in 0..toks.len() {
        ctx.check(i, found);
    }
}

/// A list of folded names; those marked '*' in the data file are also ordinary words and only
/// count when written with a capital.
struct NameList {
    all: HashSet<String>,
    lower_ok: HashSet<String>,
}

impl NameList {
    fn load(data: &str) -> NameList {
        let mut all = HashSet::new();
        let mut lower_ok = HashSet::new();
        for line in data.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.strip_suffix('*') {
                Some(word) => {
                    all.insert(fold(word));
                }
                None => {
                    all.insert(fold(line));
                    lower_ok.insert(fold(line));
                }
            }
        }
        NameList { all, lower_ok }
    }

    /// Whether the token is in the list, given how it is written.
    fn has(&self, tok: &Token) -> bool {
        let set = if tok.shape == Shape::Other {
            &self.lower_ok
        } else {
            &self.all
        };
        if set.contains(&tok.folded) {
            return true;
        }
        // "Jean-Baptiste", "Marie-Claire": the first part decides.
        tok.folded
            .split_once('-')
            .is_some_and(|(head, _)| head.chars().count() >= 2 && set.contains(head))
    }
}

static FIRST_NAMES: LazyLock<NameList> =
    LazyLock::new(|| NameList::load(include_str!("prenoms.txt")));
static SURNAMES: LazyLock<NameList> = LazyLock::new(|| NameList::load(include_str!("noms.txt")));

/// Capitalised words that follow a first name without being a surname: function words,
/// sentence starters, days, months, institutions and tools named in reflections. Folded.
const NOT_SURNAMES: &[&str] = &[
    // pronouns, articles, prepositions, conjunctions
    "je j tu il elle on nous vous ils elles le la les l un une des du de d ce cet cette ces mon",
    "ma mes ton ta tes son sa ses notre votre nos vos leur leurs et mais ou donc or ni car puis",
    "alors quand si que qui quoi a au aux avec pour par sur sans chez dans en depuis pendant",
    "apres avant vers entre comme lui moi toi eux y ne pas plus tres trop bien mal aussi encore",
    "deja toujours jamais tout tous toute toutes rien personne chaque c ca cela ici la-bas oui",
    "non ok okay est etait sera a-t-il va vient",
    // greetings and chat reactions
    "merci bonjour bonsoir salut coucou bravo super top genial parfait cool hello hey bref",
    "enfin voila attention rappel note ps nb re rdv ras cr sms mms tel mail email e-mail",
    // time words
    "aujourd'hui demain hier matin soir midi apres-midi semaine mois lundi mardi mercredi jeudi",
    "vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout septembre",
    "octobre novembre decembre noel paques",
    // institutions, programmes, tools and places
    "mission missions locale locales ml emploi travail france pole connect meet teams zoom",
    "tchap whatsapp snapchat instagram facebook messenger discord signal telegram tiktok",
    "linkedin google microsoft skype visio jitsi webex cej pacea cv caf cpam rsa ants jeunes",
    "jeune nationale national numerique conseil departement region ville mairie centre maison",
    "pays loire sarthe mayenne nord sud ouest cedex atelier seance session bilan fiche kit",
    "parcours app application appli",
    // words that open a note right after a name ("Jade Bonne nouvelle…", "Nathan Absent")
    "bonne bon belle beau nouvelle nouveau excellent excellente vraiment absent absente present",
    "presente motive motivee ravi ravie content contente injoignable joignable suite retour",
    "point question besoin objectif prochain prochaine premier premiere dernier derniere",
    "rappeler relancer voir envoyer attente urgent important info infos moins peu beaucoup",
    "appel message ddn nir iban rib",
    // titles after a civility ("Monsieur le Maire")
    "maire directeur directrice president presidente prefet ministre depute deputee conseiller",
    "conseillere docteur dr maitre professeur",
];

/// Capitalised particles that may stand between a first name and a surname ("Le Goff").
const PARTICLES: &[&str] = &[
    "le la de du des van von der den ben bin el al ait da dos di del della mac mc ter ten abou",
    "abdel ould",
];

/// Words after which a first name belongs to a place or an institution ("lycée Victor Hugo").
const PLACE_WORDS: &[&str] = &[
    "lycee college ecole rue avenue boulevard bd av place allee impasse quai chemin route cours",
    "square salle espace centre maison gymnase stade residence cite quartier mediatheque",
    "bibliotheque fondation federation association hopital clinique institut universite campus",
    "pole parc jardin piscine theatre cinema musee foyer social saint sainte st ste prix promo",
    "promotion station metro gare aeroport port pont halle club complexe tour batiment bat",
    "villa hameau lotissement domaine agence antenne groupe groupement aire",
];

/// Acronyms and words that appear in capitals before a first name without being a surname
/// ("RDV Kevin demain"). Folded.
const NOT_CAPS_SURNAMES: &[&str] = &[
    "rdv ras sms mms tel cv cej ml pacea ppae caf cpam rsa apl aah mdph bts cap bep bac dut but",
    "iut cfa afpa greta esat epide e2c snu bafa sst caces fle delf arml unml aptic cidj pij bij",
    "ccas pmi ase pjj spip qpv msa urssaf ants ofii cada chrs fjt crous vae cpf poei pmsmp iae",
    "siae aci jdc pe ft ok top mail visio wifi pc pdf url qr faq tv rgpd cnil nb ps cr asap",
    "info infos super merci bravo urgent important oui non rappel atelier bilan appel point",
    "suivi entretien absent absente present presente rq nota vu fait a ddn dn nir iban rib cni",
    "ss secu mob port adresse nom prenom age ne nee hs pb jpo cdd cdi smic sas sarl asso tp td",
    "qcm stage job go ko mo",
];

/// Common nouns that open a note or a sentence with a capital and are followed by numbers or
/// places often enough to look like "Prénom, 19 ans" ("Public, 16-25 ans"). Folded.
const NOT_FIRST_NAMES: &[&str] = &[
    "public publics age ages tranche moyenne total groupe groupes cohorte promo jeunes jeune",
    "stage stages entretien entretiens suivi suivis reunion visio appel appels rdv seance",
    "atelier ateliers bilan bilans objectif resultat resultats retour retours dispositif",
    "garantie contrat contrats formation formations parcours orientation accompagnement",
    "inscription inscriptions inscrits present presents absent absents personne personnes",
    "participant participants participante participantes beneficiaire beneficiaires",
    "demandeur demandeurs candidat candidats candidate candidates eleve eleves etudiant",
    "etudiants apprenti apprentis mineur mineurs majeur majeurs fille filles garcon garcons",
    "homme hommes femme femmes enfant enfants ado ados adolescent adolescents famille",
    "situation profil profils cas dossier dossiers fiche note remarque rq info infos ps nb",
    "exemple question reponse probleme besoin besoins demande demandes attention rappel",
    "important urgent aujourd'hui hier demain ce cette cet ces les des une un le la nous on",
    "il elle ils elles je tu vous depuis pendant avant apres entre avec pour par sur sous",
    "chez dans vers selon grace malgre sans puis ensuite enfin donc alors mais et ou car",
    "quand lorsque comme si oui non ok top bravo merci super bonjour salut coucou hello",
    "ville villes commune communes quartier quartiers secteur secteurs territoire region",
    "departement antenne antennes agence agences site sites permanence permanences lieu",
    "semaine semaines mois annee annees jour jours matin soir midi heure heures",
    "mission locale missions locales conseiller conseillere conseillers referent referente",
    "equipe equipes collegue collegues coordinatrice coordinateur directeur directrice",
    "total sur environ pres plus moins tous toutes tout toute chaque aucun aucune certains",
    "indeed leboncoin parcoursup doctolib ameli monster hellowork jobteaser emmaus decathlon",
    "leclerc carrefour auchan lidl intermarche mcdonald mcdo quick kfc amazon renault peugeot",
    "adecco manpower randstad interim synergie sncf ratp laposte poste orange sfr bouygues free",
    "pix wikipedia youtube canva gmail outlook word excel powerpoint",
    "certaines plusieurs quelques beaucoup peu trop assez la-bas ici voici voila",
];

/// Kinship words: a first name next to one of them is a named relative.
const RELATIVES: &[&str] = &[
    "mere pere frere soeur fils fille cousin cousine oncle tante grand-mere grand-pere",
    "mamie mami papi papy copain copine compagnon compagne mari epoux",
    "epouse conjoint conjointe bebe beau-pere belle-mere demi-frere demi-soeur",
    "neveu niece parrain marraine maman papa frangin frangine daron daronne tuteur tutrice",
    "petit-ami petite-amie petit-copain petite-copine beau-frere belle-soeur",
    "fiance fiancee femme enfant belle-fille beau-fils ex ami amie famille",
    "pote potes poto coloc colocataire voisin voisine mec meuf jumeau jumelle concubin",
    "concubine belle-famille",
];

/// Words that give a place after a first name ("Inès, de Cholet", "Kevin à Laval").
const PLACE_PREPOSITIONS: &[&str] = &[
    "de du des d a au aux sur vers habite habitant habitante vit vivant originaire vient",
    "venant domicilie domiciliee loge logee heberge hebergee",
];

/// Nouns of a school or a neighbourhood; with a capitalised name after them, a place.
const PLACE_NOUNS: &[&str] = &[
    "lycee college ecole fac faculte universite cfa iut quartier cite residence foyer campus",
    "internat epide e2c greta afpa lotissement hameau village",
];

/// People whose names are given to schools, streets and rooms, and brands named after a
/// person: "lycée Victor Hugo", "stage chez Hugo Boss". Folded first name and surname.
const FAMOUS: &[&str] = &[
    "victor hugo|jean jaures|jules ferry|simone veil|marie curie|pierre curie|louis pasteur",
    "jean moulin|charles de gaulle|jean monnet|albert camus|emile zola|jules verne|jean mace",
    "paul eluard|louise michel|olympe de gouges|rosa parks|nelson mandela|jacques prevert",
    "anne frank|leon blum|jean zay|paul langevin|marcel pagnol|antoine de saint-exupery",
    "georges brassens|victor schoelcher|aime cesaire|gustave eiffel|francois mitterrand",
    "pablo picasso|henri matisse|claude monet|jean rostand|irene joliot-curie|jean-paul sartre",
    "simone de beauvoir|jean de la fontaine|george sand|francoise dolto|jean mermoz|paul bert",
    "jean vilar|romain rolland|pierre mendes france|germaine tillion|lucie aubrac",
    "josephine baker|gisele halimi|coco chanel|yves saint laurent|hugo boss|jean vigo",
    "martin luther king|jean rostand|alexandre dumas|honore de balzac|gustave flaubert",
    "jean giono|andre malraux|rene descartes|blaise pascal|jean racine|pierre corneille",
    "arthur rimbaud|paul verlaine|guillaume apollinaire|marguerite duras|edith piaf",
    "emmanuel macron|jacques chirac|nicolas sarkozy|francois hollande|kylian mbappe",
    "zinedine zidane|thomas pesquet|marie marvingt|jean jaures|camille claudel|jean renoir",
    "louis aragon|elsa triolet|paul cezanne|claude bernard|henri wallon|jean perrin",
    "paul valery|jean monnet|robert schuman|pierre brossolette|danielle casanova",
    "martin nadaud|lazare carnot|sadi carnot|jean-baptiste clement|ferdinand buisson",
    "maximilien robespierre|jean-jacques rousseau|denis diderot|jean bart|rene cassin",
    "bertrand schwartz|hugo decrypte|jean-luc melenchon|marine le pen|aya nakamura",
    "barack obama|michelle obama|albert einstein|steve jobs|bill gates|elon musk|greta thunberg",
    "mark zuckerberg|frida kahlo|teddy riner|antoine dupont|leon marchand",
    "pierre bourdieu|emile durkheim|michel foucault|jean-claude van damme|omar sy",
    // brands and franchises named after a person, where young people find jobs
    "jean louis david|franck provost|marie blachere|jacques dessange|camille albane|yves rocher",
    "jean delatour|christian dior|pierre cardin|jean-louis david|grand corps malade",
    "victor hugo|paul bocuse|guy degrenne|leon de bruxelles|pierre herme|eric kayser",
];

/// The surnames of [`FAMOUS`]: "le rapport Schwartz", "salle Jaurès".
static FAMOUS_SURNAMES: LazyLock<HashSet<&str>> = LazyLock::new(|| {
    FAMOUS
        .iter()
        .flat_map(|l| l.split('|'))
        .filter_map(|name| name.trim().rsplit(' ').next())
        .collect()
});

static NOT_SURNAME_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(NOT_SURNAMES));
static PARTICLE_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(PARTICLES));
static PLACE_WORD_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(PLACE_WORDS));
static NOT_CAPS_SURNAME_SET: LazyLock<HashSet<&str>> =
    LazyLock::new(|| word_set(NOT_CAPS_SURNAMES));
static NOT_FIRST_NAME_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(NOT_FIRST_NAMES));
static RELATIVE_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(RELATIVES));
static PLACE_PREPOSITION_SET: LazyLock<HashSet<&str>> =
    LazyLock::new(|| word_set(PLACE_PREPOSITIONS));
static PLACE_NOUN_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(PLACE_NOUNS));
static TOWNS: LazyLock<HashSet<&str>> = LazyLock::new(|| {
    include_str!("towns.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});
/// Common French words, folded (`mots.txt`, from wordfreq; see `scripts/make-common-words.py`):
/// a word outside this list, in a place where a name may stand, may be a name.
/// Each word maps to its rank, most frequent first.
static COMMON_WORDS: LazyLock<HashMap<&str, usize>> = LazyLock::new(|| {
    include_str!("mots.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(rank, word)| (word, rank))
        .collect()
});

/// Words ranked before this are common nouns, not names, even capitalised ("Service").
const COMMON_RANK: usize = 10_000;

/// Words ranked past this are rare enough to be a small town's name when a place is expected
/// ("chez sa tante a sarcelles"): the frequency data holds place names too.
const RARE_RANK: usize = 20_000;

/// Whether a lower-case token after "à" or "de" may be a town: in the town list, or a word that
/// is rare or unknown and in no stop list.
fn rare_place(tok: &Token) -> bool {
    let f = tok.folded.as_str();
    TOWNS.contains(f)
        || (tok.word.chars().count() >= 4
            && !f.ends_with("er")
            && !f.ends_with("ir")
            && !FIRST_NAMES.all.contains(&tok.folded)
            && COMMON_WORDS.get(f).is_none_or(|&rank| rank > RARE_RANK)
            && uncommon_but_listed(tok))
}

/// Whether a folded word is neither a common French word nor a listed first name, surname or
/// town, nor in a stop list: a handle or a name nobody listed.
pub(super) fn unknown_word(folded: &str) -> bool {
    !COMMON_WORDS.contains_key(folded)
        && !FIRST_NAMES.all.contains(folded)
        && !SURNAMES.all.contains(folded)
        && !TOWNS.contains(folded)
        && !NOT_SURNAME_SET.contains(folded)
        && !NOT_FIRST_NAME_SET.contains(folded)
        && !NOT_CAPS_SURNAME_SET.contains(folded)
        && !INSTITUTION_SET.contains(folded)
}

/// Whether a folded word is a listed first name that is no ordinary word ("bilal" in
/// "bilal-off").
pub(super) fn listed_first_name(folded: &str) -> bool {
    FIRST_NAMES.lower_ok.contains(folded) && !LOWER_WORD_NAME_SET.contains(folded)
}

/// Whether a folded word after a postcode may be a town written in lower case ("22140 begard").
pub(super) fn town_like(folded: &str) -> bool {
    TOWNS.contains(folded)
        || (folded.chars().count() >= 4
            && folded.chars().all(|c| c.is_alphabetic() || c == '-')
            && COMMON_WORDS
                .get(folded)
                .is_none_or(|&rank| rank > RARE_RANK))
}

/// [`uncommon`] without the common-word test.
fn uncommon_but_listed(tok: &Token) -> bool {
    let f = tok.folded.as_str();
    tok.number.is_none()
        && !tok.word.contains('\'')
        && !tok.word.chars().any(|c| c.is_ascii_digit())
        && !NOT_SURNAME_SET.contains(f)
        && !NOT_FIRST_NAME_SET.contains(f)
        && !NOT_CAPS_SURNAME_SET.contains(f)
        && !PLACE_WORD_SET.contains(f)
        && !PLACE_NOUN_SET.contains(f)
        && !INSTITUTION_SET.contains(f)
        && !RELATIVE_SET.contains(f)
}

/// Whether a token may be a name nobody listed: not a common word, not in any stop list, at
/// least three letters, not a number.
fn uncommon(tok: &Token) -> bool {
    let f = tok.folded.as_str();
    uncommon_but_listed(tok)
        && tok.word.chars().all(|c| c < '\u{0250}')
        && tok.word.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && !COMMON_WORDS.contains_key(f)
        && !f.split('-').all(|part| COMMON_WORDS.contains_key(part))
        && !TOWNS.contains(f)
}

static JOB_WORD_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(JOB_WORDS));
static RESIDENCE_VERB_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(RESIDENCE_VERBS));
static RESIDENCE_STOP_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(RESIDENCE_STOP));
static NAMED_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(NAMED));
static KIN_ADJECTIVE_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(KIN_ADJECTIVE));
static FAMOUS_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| {
    FAMOUS
        .iter()
        .flat_map(|l| l.split('|'))
        .map(str::trim)
        .collect()
});

// ---------------------------------------------------------------------------------------------
// Tokens

static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{L}[\p{L}\p{M}'\-]*|[0-9]+").expect("word pattern is valid"));

struct Token<'a> {
    word: &'a str,
    start: usize,
    end: usize,
    shape: Shape,
    folded: String,
    /// The value of a token made of digits (saturated), `None` for a word.
    number: Option<u32>,
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    WORD.find_iter(text)
        .map(|m| {
            let trimmed = m.as_str().trim_end_matches(['\'', '-']);
            // Elided articles: "d'Inès", "l'Inès" are about "Inès".
            let word = ["d'", "l'", "j'", "qu'", "D'", "L'", "J'", "Qu'"]
                .iter()
                .find_map(|p| trimmed.strip_prefix(p).filter(|w| !w.is_empty()))
                .unwrap_or(trimmed);
            let number = word
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| word.parse::<u32>().unwrap_or(u32::MAX));
            Token {
                word,
                start: m.start() + (trimmed.len() - word.len()),
                end: m.start() + trimmed.len(),
                shape: word_shape(word),
                folded: fold(word),
                number,
            }
        })
        .collect()
}

/// For each token, whether a sentence or line ends between it and the token before it. A dot
/// after an initial or a civility ("Kevin M.", "M. Benali") does not end a sentence.
fn clause_breaks(text: &str, toks: &[Token]) -> Vec<bool> {
    let mut breaks = Vec::with_capacity(toks.len());
    for (i, tok) in toks.iter().enumerate() {
        let Some(prev) = i.checked_sub(1).map(|p| &toks[p]) else {
            breaks.push(true);
            continue;
        };
        let gap = &text[prev.end..tok.start.max(prev.end)];
        let abbreviation = prev.word.chars().count() == 1
            || matches!(
                prev.folded.as_str(),
                "mme" | "mlle" | "mr" | "av" | "r" | "st" | "ste"
            );
        let hard = gap.contains(['!', '?', ';', '\n', '#']);
        let dot = gap.contains('.') && !(abbreviation && gap.trim_start().starts_with('.'));
        breaks.push(hard || dot);
    }
    breaks
}

/// Two tokens are adjacent when only spaces or tabs separate them (no punctuation, no line
/// break): "Kevin, Martin" and "Kevin\nMerci" are not a name.
fn adjacent(text: &str, a: &Token, b: &Token) -> bool {
    if b.start <= a.end {
        return false;
    }
    let gap = &text[a.end..b.start];
    !gap.is_empty() && gap.len() <= 3 && gap.chars().all(|c| c == ' ' || c == '\t')
}

// ---------------------------------------------------------------------------------------------
// Rules

/// How many tokens a rule looks ahead of (or behind) its anchor.
const WINDOW: usize = 4;

/// How far a place may stand after a first name in the same sentence ("Naël, en 2nde au lycée
/// Chevrollier").
const FAR_PLACE_WINDOW: usize = 14;

/// Places where a young person lives, studies or works; with a name after them, a detail.
const FAR_PLACE_NOUNS: &[&str] = &[
    "lycee college ecole fac universite cfa iut quartier cite residence foyer fjt squat camping",
    "internat garage bibliotheque mediatheque hotel restaurant usine entrepot magasin boutique",
    "supermarche hypermarche mcdo club chantier caserne hlm",
];

/// Team activities: a place after them in the sentence is where the team works ("Inès a
/// animé l'atelier avec moi à Laval").
const TEAM_ACTIVITY: &[&str] = &[
    "atelier ateliers reunion reunions visio forum salon permanence seance session animation",
    "anime animee animer co-anime intervention sortie visite conference webinaire collegue",
    "collegues equipe moi nous organisation organise organisee",
];

static TEAM_ACTIVITY_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(TEAM_ACTIVITY));

static FAR_PLACE_NOUN_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(FAR_PLACE_NOUNS));

/// How far "il a 19 ans" may stand after a first name.
const FAR_WINDOW: usize = 14;

/// How far a health or justice word may stand behind and ahead of a first name.
const SENSITIVE_BEHIND: usize = 10;
const SENSITIVE_AHEAD: usize = 12;

/// Health and justice facts about a person, on folded text. Words that are also jobs or
/// places young people aim for ("police", "avocat", "hôpital") are left out.
static SENSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?-u:\b)(?:",
        // health
        r"(?:est|suis|etait|elle|,|enceinte de|tombee) ?enceinte|enceinte(?: de| depuis|$|,)|grossesse|fausse couche|ivg|avortement|",
        r"depressi(?-u:\w)*|schizophren(?-u:\w)*|bipolaire|psychose|psychotique|psychiatri(?-u:\w)*|hospitalise(?-u:\w)*|",
        r"cmpp?|troubles? (?:psy(?-u:\w)*|du comportement|anxieux|alimentaires?)|tentative de suicide|suicid(?-u:\w)*|",
        r"(?:une|sa|la|fait une) ts|diabet(?-u:\w)*|epilep(?-u:\w)*|cancer|chimio(?-u:\w)*|vih|seropositi(?-u:\w)*|sida|hepatite|",
        r"handicape(?-u:\w)*|situation de handicap|rqth|aah|mdph|addict(?-u:\w)*|toxico(?-u:\w)*|drogue(?-u:\w)*|cannabis|",
        r"crack|heroine|cocaine|alcoolique|alcoolisme|desintox(?-u:\w)*|cure de|sevrage|autis(?-u:\w)*|tdah|",
        r"anorex(?-u:\w)*|boulimi(?-u:\w)*|sous traitement|traitement (?:pour|contre|psy(?-u:\w)*|medical)|",
        r"scarifi(?-u:\w)*|automutil(?-u:\w)*|neuroleptiques?|antidepresseurs?|maladie chronique|",
        r"dyslex(?-u:\w)*|dyspra(?-u:\w)*|dyscalcul(?-u:\w)*|angoiss(?-u:\w)*|anxi(?-u:\w)*|crises? d'|phobi(?-u:\w)*|sclerose|",
        r"handicap(?-u:\w)*|sourde?|malentendant(?-u:\w)*|aveugle|malvoyant(?-u:\w)*|platre|fractur(?-u:\w)*|",
        r"operee?|maladie|asthm(?-u:\w)*|allergi(?-u:\w)*|hopital psy(?-u:\w)*|psy|insuline|dialyse|",
        r"deces|decede(?-u:\w)*|deuil|endeuill(?-u:\w)*|orphelin(?-u:\w)*|",
        // violence and housing
        r"violences?|victime|harcel(?-u:\w)*|agress(?-u:\w)*|battue?|frapp(?-u:\w)*|viol|violee|maltrait(?-u:\w)*|",
        r"emprise|sdf|sans domicile|sans[ -]abri|a la rue|dort dehors|dort dans sa voiture|",
        r"mise? dehors|expulsion|squat(?-u:\w)*|placee? en foyer|placement|ase|aide sociale a l'enfance|",
        r"mineure? isolee?|mna|prostitu(?-u:\w)*|",
        r"psychiatr(?-u:\w)*|psycholog(?-u:\w)*|psy(?:chotherap(?-u:\w)*)?|therapie|panique|migraine(?-u:\w)*|covid|alcool(?-u:\w)*|",
        r"burn-?out|fauteuil roulant|avc|antipsycho(?-u:\w)*|anxioly(?-u:\w)*|malaise|chroniques?|",
        r"atteinte? de|souffre de|souffrant(?-u:\w)*|arret maladie|medicaments?|blesse(?-u:\w)*|blessure|",
        r"accident(?-u:\w)*|douleurs?|problemes? de sante|sante mentale|soins|urgences|",
        r"drepanocytose|crohn|mucoviscidose|hiv|ist|mst|contraception|pilule du lendemain|",
        r"methadone|subutex|traitement de substitution|diagnostique(?-u:\w)*|tsa|hernie|mariee? de force|mariage force|",
        r"fugue|en fugue|rappel a la loi|stups?|liberte conditionnelle|cpip|",
        // religion, sexual orientation, gender identity, origin, money trouble
        r"musulmane?|ramadan|voilee|porte le voile|convertie?|pratiquante?|homosexuel\w*|gay|",
        r"lesbienne|bisexuel\w*|transgenre|en transition|lgbt\w*|orientation sexuelle|coming out|",
        r"refugiee?|exilee?|interdit bancaire|endettee?|dettes|fichee? banque de france|impayes?|",
        r"rupture familiale|conflit familial|sans ressources?|sans revenus?|sans logement|",
        r"hebergee? chez|dort chez|mise? a la porte|mere isolee|pere isole|isolement|precarite|",
        r"aide alimentaire|colis alimentaires?|115|hebergement d'urgence|chrs|divorce|",
        // justice
        r"main de justice|spip|pjj|prison|incarcer(?-u:\w)*|detenu(?-u:\w)*|detention|maison d'arret|",
        r"penitentiaire|garde a vue|gav|tribunal|devant le juge|juge des enfants|condamn(?-u:\w)*|",
        r"sursis|bracelet electronique|bracelet|casier judiciaire|porte plainte|plainte contre|",
        r"tig|travaux d'interet general|controle judiciaire|probatoire|mise a l'epreuve|",
        r"comparution|interpelle(?-u:\w)*|oqtf|expulse(?-u:\w)*|deal(?-u:\w)*|trafic de|curatelle|sous tutelle|",
        // debts and residence status
        r"huissier|surendett(?-u:\w)*|dettes? de|sans[ -]papiers|situation irreguliere|demande d'asile|",
        r"demandeur d'asile",
        r")(?-u:\b)"
    ))
    .expect("sensitive pattern is valid")
});

/// Words before a health or justice word that make it a job or a topic, not the person's.
static TOPIC_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:travailler|bosser|travail|job|stage|metier|metiers|emploi|poste|concours|surveillante?|formation|atelier|prevention|sensibilisation|forum|stand|intervention|information|info|campagne|sujet|theme|conference|video|debat|questionnaire)(?-u:\b)")
        .expect("topic pattern is valid")
});

/// Words after a justice or health word that make it a job's place ("au tribunal pour son
/// stage").
static JOB_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^.;!?]*(?-u:\b)(?:stage|job|travail|metier|emploi|concours|visite|info collective|poste|alternance)(?-u:\b)")
        .expect("job-after pattern is valid")
});

/// Words before "à Laval" that make the town a job's or a course's: "un job à Laval".
const JOB_WORDS: &[&str] = &[
    "job jobs stage stages emploi travail boulot poste alternance apprentissage formation cdi",
    "cdd interim contrat entretien mission rdv rendez-vous atelier ateliers reunion visio forum",
    "salon permanence",
];

/// Verbs of residence: a town after them is where the person lives.
const RESIDENCE_VERBS: &[&str] =
    &["habite habitent vit vivent loge logee heberge hebergee domicilie domiciliee originaire"];

/// Words after a verb of residence that say how or with whom, not where.
const RESIDENCE_STOP: &[&str] = &[
    "loin pres seul seule seuls chez avec dans ici encore toujours bien mal pas plus trop tout",
    "tres maintenant actuellement desormais depuis sans hors cote juste aussi plutot deja",
    "une un son sa ses leur leurs mon ma la le les des du chez-lui chez-elle foyer rue",
    "ensemble dehors temporairement provisoirement chez-sa seulement plus",
];

/// Words that introduce a name: "elle s'appelle Fatima".
const NAMED: &[&str] = &["s'appelle s'appellent prenomme prenommee nomme nommee"];

/// Words that may stand between a kinship word and the name: "sa sœur jumelle Manon".
const KIN_ADJECTIVE: &[&str] = &[
    "jumeau jumelle aine ainee cadet cadette petit petite grand grande actuel actuelle",
    "nouveau nouvelle meilleur meilleure",
];

struct Ctx<'a> {
    text: &'a str,
    toks: &'a [Token<'a>],
    breaks: &'a [bool],
    /// The current year, for a birth year next to a name ("Kevin (2006)").
    year: i32,
}

/// What a token may be, as a person's name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// In the first-name list, written so that it counts.
    FirstName,
    /// Not in the list but capitalised mid-sentence, or before a comma: maybe a name.
    Maybe,
}

impl Ctx<'_> {
    fn check(&self, i: usize, found: &mut Findings) {
        let tok = &self.toks[i];
        if tok.number.is_some() {
            return;
        }
        // Civility + surname: "M. Benali", "Mme Dupont", "madame Diallo", "mme benali".
        if self.is_civility(i) {
            if self.surname_follows(i, true).is_some() || self.lower_surname_at(i + 1, i) {
                found.sure(PiiKind::PersonName);
            } else if let Some(next) = self.toks.get(i + 1) {
                // "mme rose bernard", "m. benoit": a name in lower case after a civility.
                if next.shape == Shape::Other
                    && self.civility_gap(tok, next)
                    && (FIRST_NAMES.all.contains(&next.folded)
                        || SURNAMES.all.contains(&next.folded)
                        || uncommon(next))
                    && !NOT_SURNAME_SET.contains(next.folded.as_str())
                    && !NOT_CAPS_SURNAME_SET.contains(next.folded.as_str())
                {
                    found.unsure(PiiKind::PersonName, &[tok.word, next.word]);
                }
            }
            return;
        }
        if RELATIVE_SET.contains(tok.folded.as_str()) {
            self.relative(i, found);
            if !found.has_sure(PiiKind::Relative) {
                self.relative_named_later(i, found);
            }
            return;
        }
        // The surname after "M." or "Mme" was judged with its civility.
        if self.after_place_word(i) || i.checked_sub(1).is_some_and(|p| self.is_civility(p)) {
            return;
        }
        let anchor = self.anchor(i);
        if found.has_sure(PiiKind::PersonName) {
            // Already refused for a name: the other rules may still add their kinds.
        } else if anchor == Some(Anchor::FirstName) && !self.famous_from(i) {
            self.full_name(i, found);
        } else if tok.shape == Shape::Caps && self.caps_surname_before_first_name(i) {
            // "DIALLO Inès": a surname in capitals before a title-case first name.
            found.sure(PiiKind::PersonName);
        } else if self.title_surname_before_first_name(i) {
            found.sure(PiiKind::PersonName);
        }
        if anchor == Some(Anchor::Maybe)
            && !found.has_sure(PiiKind::PersonName)
            && !self.famous_from(i)
        {
            // "rose lefebvre", "ange moreau": a first name that is also a word, then a listed
            // surname.
            if let Some(next) = self.toks.get(i + 1) {
                if tok.shape == Shape::Other
                    && FIRST_NAMES.all.contains(&tok.folded)
                    && adjacent(self.text, tok, next)
                    && next.shape == Shape::Other
                    && SURNAMES.lower_ok.contains(&next.folded)
                    && !NOT_SURNAME_SET.contains(next.folded.as_str())
                {
                    found.unsure(PiiKind::PersonName, &[tok.word, next.word]);
                }
            }
        }
        // "Nguyen Van Minh", "nguyen thi lan": a surname, a Vietnamese middle name, a name.
        if SURNAMES.all.contains(&tok.folded) {
            if let (Some(mid), Some(last)) = (self.toks.get(i + 1), self.toks.get(i + 2)) {
                if matches!(mid.folded.as_str(), "thi" | "van" | "thanh" | "duc")
                    && adjacent(self.text, tok, mid)
                    && adjacent(self.text, mid, last)
                    && last.number.is_none()
                    && !NOT_SURNAME_SET.contains(last.folded.as_str())
                {
                    found.sure(PiiKind::PersonName);
                }
            }
        }
        if !found.has_sure(PiiKind::PersonName) {
            self.surname_forms(i, found);
            self.unlisted_pair(i, found);
        }
        // "le jeune Diallo", "la jeune bensaid": a word nobody listed after "le jeune".
        if anchor != Some(Anchor::FirstName)
            && !found.has_sure(PiiKind::PersonName)
            && uncommon(tok)
            && !FIRST_NAMES.all.contains(&tok.folded)
            && i >= 2
            && !self.breaks[i]
            && !self.breaks[i - 1]
            && self.toks[i - 1].folded == "jeune"
            && adjacent(self.text, &self.toks[i - 1], tok)
            && matches!(
                self.toks[i - 2].folded.as_str(),
                "le" | "la" | "du" | "au" | "ce" | "cette"
            )
        {
            found.unsure(PiiKind::PersonName, &[self.toks[i - 1].word, tok.word]);
        }
        if anchor == Some(Anchor::FirstName)
            && !self.famous_from(i)
            && !found.has_sure(PiiKind::NameWithDetail)
        {
            if let Some(place) = self.far_place(i) {
                found.unsure(PiiKind::NameWithDetail, &[tok.word, place]);
            }
        }
        if let Some(anchor) = anchor.filter(|_| !self.famous_from(i)) {
            // A capitalised word that is not a listed first name is often a company or a
            // brand ("stage chez Renault à Cholet"): a place counts after it only in
            // apposition ("Zyad, de Cholet").
            let places = anchor == Anchor::FirstName
                || (tok.shape == Shape::Title
                    && self.apposition_after(i)
                    && !self.after_preposition(i));
            let detail = if found.has_sure(PiiKind::NameWithDetail) {
                None
            } else {
                self.detail_near(i, places)
            };
            if let Some(detail) = detail {
                match anchor {
                    Anchor::FirstName => found.sure(PiiKind::NameWithDetail),
                    Anchor::Maybe => found.unsure(PiiKind::NameWithDetail, &[tok.word, detail]),
                }
            }
            // A capitalised common noun ("Drogues Info Service") is no maybe-name here.
            let common = anchor == Anchor::Maybe
                && COMMON_WORDS
                    .get(tok.folded.as_str())
                    .is_some_and(|&rank| rank < COMMON_RANK);
            if let Some(term) = self
                .sensitive_near(i)
                .filter(|_| !common && !SENSITIVE.is_match(&tok.folded))
            {
                match anchor {
                    Anchor::FirstName => found.sure(PiiKind::SensitiveDetail),
                    Anchor::Maybe => found.unsure(PiiKind::SensitiveDetail, &[tok.word, term]),
                }
            }
            // "Rayan, son frère", "Kevin (son cousin)".
            if self.relative_after(i) {
                match anchor {
                    Anchor::FirstName => found.sure(PiiKind::Relative),
                    Anchor::Maybe => found.unsure(PiiKind::Relative, &[tok.word]),
                }
            }
        }
        if self.name_alone(i, anchor) {
            found.unsure(PiiKind::FirstName, &[tok.word]);
        }
    }

    /// A word that may be a young person's first name, alone ("Yanis n'est pas venu au rdv",
    /// "visio avec Yanis"): a listed first name anywhere, unless what stands around it shows a
    /// colleague, a famous person, a place or an ordinary word; a listed first name that is
    /// also an ordinary word ("Rose", "Prudence") or a capitalised word nobody listed, only in
    /// a person's place (before a verb of attendance or behaviour, after "avec", "pour", "de
    /// la part de"). The author is asked, never refused.
    fn name_alone(&self, i: usize, anchor: Option<Anchor>) -> bool {
        let tok = &self.toks[i];
        let f = tok.folded.as_str();
        if tok.word.chars().count() < 3
            || tok.number.is_some()
            || NOT_FIRST_NAME_SET.contains(f)
            || NOT_SURNAME_SET.contains(f)
            // "Sainte-Catherine", "Saint-Nazaire": a feast or a place.
            || ["saint-", "sainte-", "st-", "ste-"]
                .iter()
                .any(|p| f.starts_with(p))
            // "l'ADIL", "l'Epide": an organisation; "@ines:tchap.gouv.fr": an account.
            || self.text[..tok.start].ends_with(['\'', '’', '@', '#', '.', '/', ':'])
        {
            return false;
        }
        let listed = anchor == Some(Anchor::FirstName)
            || (tok.shape == Shape::Other && FIRST_NAMES.all.contains(&tok.folded));
        // Listed, but often something else: a name that is also an ordinary word ("Rose",
        // "Prudence"; "pierre", "max" in lower case or opening a sentence), or in capitals (an
        // acronym: "ADIL").
        let ordinary = !FIRST_NAMES.lower_ok.contains(&tok.folded)
            || (LOWER_WORD_NAME_SET.contains(f) && (tok.shape == Shape::Other || self.breaks[i]))
            || tok.shape == Shape::Caps;
        // A capitalised word nobody listed, not shaped like a brand ("MissionLoc").
        let unknown = !listed
            && tok.shape == Shape::Title
            && !tok.word.chars().skip(1).any(char::is_uppercase)
            && uncommon(tok)
            && !SURNAMES.all.contains(&tok.folded);
        let candidate = if listed && !ordinary {
            true
        } else if unknown {
            // Tools and brands come after "avec" and "pour" too: only as a subject.
            self.person_verb_after(i)
        } else {
            // "Prudence galère", "olive a répondu", "pierre toujours injoignable": a verb of a
            // person after it, or "avec Ange" mid-sentence.
            listed
                && (tok.shape != Shape::Other || self.breaks[i])
                && (self.person_verb_after(i)
                    || (tok.shape != Shape::Other && self.person_place(i)))
        };
        if !candidate {
            return false;
        }
        // "chez Paul": a shop or a brand; "Saint Nicolas", "le roi René"; "merci (à) Sarah",
        // "grâce à Inès": thanks go to colleagues.
        let prev = |back: usize| {
            i.checked_sub(back)
                .filter(|&p| (p + 1..=i).all(|k| !self.breaks[k]))
                .map(|p| self.toks[p].folded.as_str())
        };
        let thanks = |w: Option<&str>| matches!(w, Some("merci" | "grace" | "remercie"));
        if prev(1).is_some_and(|w| TITLE_BEFORE_NAME_SET.contains(w))
            || thanks(prev(1))
            || (matches!(prev(1), Some("a")) && thanks(prev(2)))
        {
            return false;
        }
        !(self.after_place_word(i)
            || (tok.shape == Shape::Caps && self.in_caps_run(i, i))
            // "le logo Marianne", "l'atelier Rose des vents": an article and a noun name a
            // thing.
            || self.names_a_thing(i)
            || self.famous_from(i)
            || self.colleague_near(i)
            || self.names_discussed(i))
    }

    /// An article and an ordinary noun right before token `i` ("le logo Marianne", "l'atelier
    /// Rose"), the noun not a person's ("le jeune Kevin", "la petite Jade" are people).
    fn names_a_thing(&self, i: usize) -> bool {
        let Some(p) = i.checked_sub(1).filter(|_| !self.breaks[i]) else {
            return false;
        };
        let noun = &self.toks[p];
        let nf = noun.folded.as_str();
        if noun.shape != Shape::Other
            || !adjacent(self.text, noun, &self.toks[i])
            || !COMMON_WORDS.contains_key(nf)
            || PERSON_NOUN_SET.contains(nf)
            || RELATIVE_SET.contains(nf)
            || COLLEAGUE_SET.contains(nf)
            || PERSON_VERB_SET.contains(nf)
        {
            return false;
        }
        let elided =
            self.text[..noun.start].ends_with("l'") || self.text[..noun.start].ends_with("L'");
        elided
            || p.checked_sub(1).is_some_and(|q| {
                !self.breaks[p]
                    && matches!(
                        self.toks[q].folded.as_str(),
                        "le" | "la" | "les" | "un" | "une" | "du" | "au" | "aux" | "ce" | "cette"
                    )
            })
    }

    /// A verb of attendance or behaviour right after token `i` ("Prudence galère", "Soilihi
    /// m'a envoyé").
    /// A bracket right after the name is skipped ("Soilihi (le grand) m'a envoyé").
    fn person_verb_after(&self, i: usize) -> bool {
        let mut from = self.toks[i].end;
        let mut j = i + 1;
        let rest = self.text[from..].trim_start_matches([' ', '*', '_']);
        if rest.starts_with('(') {
            let Some(close) = rest.find(')').filter(|&c| c <= 80) else {
                return false;
            };
            from = self.text.len() - rest.len() + close + 1;
            while self.toks.get(j).is_some_and(|t| t.start < from) {
                j += 1;
            }
        }
        self.toks.get(j).is_some_and(|n| {
            n.shape == Shape::Other
                && self.text[from..n.start]
                    .trim_matches([' ', '*', '_'])
                    .is_empty()
                && PERSON_VERB_SET.contains(n.folded.as_str())
        })
    }

    /// Token `i` stands where a person stands: right before a verb of attendance or behaviour
    /// ("Prudence galère avec l'appli", "Soilihi m'a envoyé"), or mid-sentence after "avec",
    /// "pour" or "de la part de" ("visio avec Ange").
    fn person_place(&self, i: usize) -> bool {
        let verb_after = self.toks.get(i + 1).is_some_and(|n| {
            !self.breaks[i + 1]
                && n.shape == Shape::Other
                && self.text[self.toks[i].end..n.start].trim().is_empty()
                && PERSON_VERB_SET.contains(n.folded.as_str())
        });
        let after_person_word = i.checked_sub(1).is_some_and(|p| {
            !self.breaks[i]
                && (matches!(self.toks[p].folded.as_str(), "avec" | "pour")
                    || (self.toks[p].folded == "de"
                        && p.checked_sub(1)
                            .is_some_and(|q| self.toks[q].folded == "part")))
        });
        verb_after || after_person_word
    }

    /// A colleague's cue within a few words of token `i` in its sentence: a job title, the
    /// team, an institution or a team activity ("Sarah (conseillère)", "Marc de l'équipe a
    /// animé", "Kevin de France Travail", "ma collègue Julie").
    fn colleague_near(&self, i: usize) -> bool {
        let mut lo = i;
        while lo > 0 && i - lo < COLLEAGUE_BEHIND && !self.breaks[lo] {
            lo -= 1;
        }
        let mut hi = i;
        while hi + 1 < self.toks.len() && hi - i < COLLEAGUE_AHEAD && !self.breaks[hi + 1] {
            hi += 1;
        }
        let office = |k: usize| {
            // "de France Travail", "du SPIP", "de la ML", "de l'antenne".
            let mut n = k + 1;
            if self.toks.get(n).is_some_and(|t| t.folded == "la") {
                n += 1;
            }
            matches!(self.toks[k].folded.as_str(), "de" | "du" | "des")
                && n <= hi
                && (INSTITUTION_SET.contains(self.toks[n].folded.as_str())
                    || PARTNER_SET.contains(self.toks[n].folded.as_str()))
        };
        // "Sophie a 25 ans de métier", "30 ans de carrière": a colleague's experience.
        let career = |k: usize| {
            matches!(
                self.toks[k].folded.as_str(),
                "metier" | "carriere" | "maison"
            ) && k >= 2
                && self.toks[k - 1].folded == "de"
                && self.toks[k - 2].folded == "ans"
        };
        // "Camille Mission Locale de Laval": the office right after the name.
        let office_next = self.toks.get(i + 1).is_some_and(|n| {
            n.shape != Shape::Other
                && !self.breaks[i + 1]
                && INSTITUTION_SET.contains(n.folded.as_str())
        });
        office_next
            || (lo..=hi).any(|k| {
                COLLEAGUE_SET.contains(self.toks[k].folded.as_str())
                    || (k > i && (office(k) || career(k)))
            })
    }

    /// The sentence of token `i` is about first names themselves ("Marine, Rose et Ange sont
    /// des prénoms fréquents").
    fn names_discussed(&self, i: usize) -> bool {
        let mut lo = i;
        while lo > 0 && i - lo < NAMES_DISCUSSED_WINDOW && !self.breaks[lo] {
            lo -= 1;
        }
        self.toks[lo..]
            .iter()
            .enumerate()
            .take(2 * NAMES_DISCUSSED_WINDOW)
            .take_while(|(k, _)| *k == 0 || !self.breaks[lo + k])
            .any(|(_, t)| {
                matches!(
                    t.folded.as_str(),
                    "prenom" | "prenoms" | "homonyme" | "homonymes"
                )
            })
    }

    /// Whether token `i` may be a first name, and how sure.
    fn anchor(&self, i: usize) -> Option<Anchor> {
        let tok = &self.toks[i];
        if tok.word.chars().count() < 2 || tok.number.is_some() {
            return None;
        }
        // "pierre", "max" in lower case are mostly words: at most a maybe-name.
        let word_name =
            tok.shape == Shape::Other && LOWER_WORD_NAME_SET.contains(tok.folded.as_str());
        if FIRST_NAMES.has(tok) && !NOT_FIRST_NAME_SET.contains(tok.folded.as_str()) && !word_name {
            return Some(Anchor::FirstName);
        }
        // "jade, 17 ans": a listed first name that is also a word, in lower case, may be
        // either.
        if tok.shape == Shape::Other
            && FIRST_NAMES.all.contains(&tok.folded)
            && !NOT_FIRST_NAME_SET.contains(tok.folded.as_str())
            && !NOT_SURNAME_SET.contains(tok.folded.as_str())
        {
            return Some(Anchor::Maybe);
        }
        // "zyneb 19 ans" opening a sentence: an unlisted word in lower case with an age right
        // after it may be a name.
        if tok.shape == Shape::Other
            && self.breaks[i]
            && tok.word.chars().count() >= 3
            && !NOT_SURNAME_SET.contains(tok.folded.as_str())
            && !NOT_FIRST_NAME_SET.contains(tok.folded.as_str())
            && !PLACE_WORD_SET.contains(tok.folded.as_str())
            && !PLACE_NOUN_SET.contains(tok.folded.as_str())
            && !INSTITUTION_SET.contains(tok.folded.as_str())
            && self
                .toks
                .get(i + 1)
                .is_some_and(|n| adjacent(self.text, tok, n))
            && self.age_at(i + 1).is_some()
        {
            return Some(Anchor::Maybe);
        }
        if tok.shape != Shape::Title || tok.word.chars().count() < 3 {
            return None;
        }
        let folded = tok.folded.as_str();
        if NOT_SURNAME_SET.contains(folded)
            || NOT_FIRST_NAME_SET.contains(folded)
            || PLACE_WORD_SET.contains(folded)
            || PLACE_NOUN_SET.contains(folded)
            || RELATIVE_SET.contains(folded)
            || PARTICLE_SET.contains(folded)
        {
            return None;
        }
        // At the start of a sentence any word has a capital: only a comma or a bracket right
        // after it ("Zyad, 19 ans") makes it look like a name.
        if self.breaks[i] {
            let next_gap = self
                .toks
                .get(i + 1)
                .map_or("", |n| &self.text[tok.end..n.start.max(tok.end)]);
            // "Precious 19 ans", "Kev 19a": an age right after it.
            let age_next = self
                .toks
                .get(i + 1)
                .is_some_and(|n| adjacent(self.text, tok, n))
                && self.age_at(i + 1).is_some();
            if !next_gap.trim_start().starts_with([',', '(', ':']) && !age_next {
                return None;
            }
        }
        Some(Anchor::Maybe)
    }

    /// "Kevin Martin", "Kevin MARTIN", "Kevin Le Goff", "KEVIN MARTIN" (unless shouted),
    /// "kevin martin"; famous people and brands excepted.
    fn full_name(&self, i: usize, found: &mut Findings) {
        let tok = &self.toks[i];
        if let Some(j) = self.surname_follows(i, false) {
            let caps_pair = tok.shape == Shape::Caps && self.toks[j].shape == Shape::Caps;
            if (!caps_pair || !self.in_caps_run(i, j)) && !self.famous(i, j) {
                found.sure(PiiKind::PersonName);
            }
            return;
        }
        // A surname in lower case: sure when it is only a surname, doubtful when it is also
        // an ordinary word ("ines petit").
        let Some(next) = self.toks.get(i + 1) else {
            return;
        };
        if next.shape != Shape::Other
            || !adjacent(self.text, tok, next)
            || NOT_SURNAME_SET.contains(next.folded.as_str())
            || self.famous(i, i + 1)
        {
            return;
        }
        // "evan da silva", "soumaya ben youssef": a particle that is no French word, then a
        // word, in lower case.
        if LOWER_PARTICLE_SET.contains(next.folded.as_str()) {
            if let Some(after) = self.toks.get(i + 2) {
                if after.shape == Shape::Other
                    && adjacent(self.text, next, after)
                    && after.word.chars().count() >= 2
                    && after.number.is_none()
                    && !NOT_SURNAME_SET.contains(after.folded.as_str())
                {
                    found.sure(PiiKind::PersonName);
                    return;
                }
            }
        }
        // "lucas martin-roche": a double-barrelled surname whose first part is a surname.
        let head = next.folded.split_once('-').map(|(head, _)| head);
        if SURNAMES.lower_ok.contains(&next.folded) && !FIRST_NAMES.all.contains(&next.folded)
            || head.is_some_and(|h| SURNAMES.lower_ok.contains(h))
        {
            found.sure(PiiKind::PersonName);
        } else if self.compound_first_name(tok)
            && next.word.chars().count() >= 3
            && next.number.is_none()
            && !NOT_FIRST_NAME_SET.contains(next.folded.as_str())
            && !PLACE_WORD_SET.contains(next.folded.as_str())
            && !INSTITUTION_SET.contains(next.folded.as_str())
        {
            // "mohamed-amine chergui", "marie-lou fontaine": a compound first name is rarely
            // followed by an ordinary word that is not in the stop lists; ask.
            found.unsure(PiiKind::PersonName, &[tok.word, next.word]);
        } else if SURNAMES.lower_ok.contains(&next.folded) {
            // "kevin martin": Martin is a first name too, but a first name is rarely followed by
            // another in lower case.
            found.sure(PiiKind::PersonName);
        } else if uncommon(next) && !FIRST_NAMES.all.contains(&next.folded) {
            // "rayan bensaid", "pierre ngono": a word that is no common French word after a
            // first name is likely a surname nobody listed; ask.
            found.unsure(PiiKind::PersonName, &[tok.word, next.word]);
        } else if SURNAMES.all.contains(&next.folded)
            && next.word.chars().count() >= 4
            && tok.shape == Shape::Other
            && (self.pair_stands_alone(i + 1)
                || COMMON_WORDS
                    .get(next.folded.as_str())
                    .is_none_or(|&rank| rank > 3_000))
        {
            // "lea petit" alone on its line or before a comma; "ines trouve l'appli…" is a
            // sentence.
            found.unsure(PiiKind::PersonName, &[tok.word, next.word]);
        }
    }

    /// Whether token `i` is part of a famous person's name ("Charles de Gaulle", "Victor
    /// Hugo") or of a brand named after a person.
    fn famous_from(&self, i: usize) -> bool {
        (i.saturating_sub(3)..=i)
            .any(|a| ((a + 1).max(i)..(a + 4).min(self.toks.len())).any(|b| self.famous(a, b)))
    }

    /// Further on in the same sentence as a listed first name, a place that says where the
    /// person lives, studies or works: "Naël, en 2nde au lycée Chevrollier", "jade est en
    /// seconde au lycee saint-exupery", "moussa est en interim chez renault a flins", "ibrahim
    /// du quartier du mirail". A colleague's office ("Camille de la Mission Locale de Laval")
    /// is not one.
    fn far_place(&self, i: usize) -> Option<&str> {
        let end = (i + 1 + FAR_PLACE_WINDOW).min(self.toks.len());
        for j in i + 1..end {
            if self.breaks[j] {
                break;
            }
            let t = &self.toks[j];
            let f = t.folded.as_str();
            if INSTITUTION_SET.contains(f) || TEAM_ACTIVITY_SET.contains(f) {
                return None;
            }
            if j > i + 1 && FIRST_NAMES.has(t) && t.shape != Shape::Other {
                return None;
            }
            // A place noun and its name: "lycée Chevrollier", "quartier du mirail", "fjt les
            // tilleuls", "squat de la rue…".
            if FAR_PLACE_NOUN_SET.contains(f) || PLACE_NOUN_SET.contains(f) {
                let mut k = j + 1;
                while self.toks.get(k).is_some_and(|n| {
                    !self.breaks[k]
                        && n.shape == Shape::Other
                        && matches!(
                            n.folded.as_str(),
                            "de" | "du" | "des" | "la" | "le" | "les" | "d"
                        )
                }) && k < j + 3
                {
                    k += 1;
                }
                if let Some(n) = self.toks.get(k).filter(|_| !self.breaks[k]) {
                    let named = (n.shape != Shape::Other
                        && !NOT_SURNAME_SET.contains(n.folded.as_str())
                        && !INSTITUTION_SET.contains(n.folded.as_str()))
                        || uncommon(n)
                        || TOWNS.contains(n.folded.as_str())
                        || n.number.is_some();
                    if named || FAR_PLACE_NOUN_SET.contains(f) && k > j + 1 {
                        return Some(t.word);
                    }
                }
            }
            // A town: "à Vesoul", "a flins", "de marseille".
            // "un job à Laval", "stage en pâtisserie à Angers": the town is the job's.
            if JOB_WORD_SET.contains(f) {
                return None;
            }
            let elided = self.text[..t.start].ends_with("l'");
            if !elided
                && (matches!(f, "a" | "au" | "de" | "d" | "vers" | "sur")
                    || self.text[self.toks[j - 1].end..t.start].ends_with("d'"))
            {
                let k = if matches!(f, "a" | "au" | "de" | "d" | "vers" | "sur") {
                    j + 1
                } else {
                    j
                };
                if let Some(n) = self.toks.get(k).filter(|_| !self.breaks[k]) {
                    let town = TOWNS.contains(n.folded.as_str())
                        || (n.shape == Shape::Title
                            && !COMMON_WORDS.contains_key(n.folded.as_str())
                            && !NOT_SURNAME_SET.contains(n.folded.as_str())
                            && !NOT_FIRST_NAME_SET.contains(n.folded.as_str())
                            && !NOT_CAPS_SURNAME_SET.contains(n.folded.as_str())
                            && !INSTITUTION_SET.contains(n.folded.as_str())
                            && !FIRST_NAMES.all.contains(&n.folded))
                        || (n.shape == Shape::Other
                            && matches!(f, "a" | "de" | "vers" | "sur")
                            && !self.text[..n.start].ends_with("l'")
                            && rare_place(n));
                    if town {
                        return Some(n.word);
                    }
                }
            }
        }
        None
    }

    /// "Anne-Sophie", "mohamed-amine": two listed first names joined by a hyphen.
    fn compound_first_name(&self, tok: &Token) -> bool {
        tok.folded.split_once('-').is_some_and(|(a, b)| {
            a.chars().count() >= 2
                && b.chars().count() >= 2
                && FIRST_NAMES.all.contains(a)
                && FIRST_NAMES.all.contains(b)
        })
    }

    /// Nothing but spaces before a comma, a line break, a bracket or the end after token `j`.
    fn pair_stands_alone(&self, j: usize) -> bool {
        let after = self.text[self.toks[j].end..].trim_start_matches([' ', '\t']);
        after.is_empty() || after.starts_with([',', '\n', '(', ')', ':', '.', '!'])
    }

    fn famous(&self, i: usize, j: usize) -> bool {
        let names: Vec<&str> = self.toks[i..=j].iter().map(|t| t.folded.as_str()).collect();
        FAMOUS_SET.contains(names.join(" ").as_str())
    }

    /// A lower-case listed surname right after token `prev` ("mme benali").
    fn lower_surname_at(&self, j: usize, prev: usize) -> bool {
        self.toks.get(j).is_some_and(|t| {
            t.shape == Shape::Other
                && SURNAMES.lower_ok.contains(&t.folded)
                && !NOT_SURNAME_SET.contains(t.folded.as_str())
                && self.civility_gap(&self.toks[prev], t)
        })
    }

    /// An age, a town, a school or a neighbourhood within a few tokens of the anchor at `i`,
    /// in the same sentence; returns the words that show it.
    fn detail_near(&self, i: usize, places: bool) -> Option<&str> {
        // Ahead: "Kevin, 19 ans", "Inès, de Cholet", "Kevin du lycée Brassens".
        for j in i + 1..(i + 1 + WINDOW).min(self.toks.len()) {
            if self.breaks[j] {
                break;
            }
            // Another possible name starts: the detail is its own.
            if j > i + 1 && FIRST_NAMES.has(&self.toks[j]) && self.toks[j].shape != Shape::Other {
                break;
            }
            if let Some(words) = self.age_at(j) {
                return Some(words);
            }
            if places {
                if let Some(words) = self.place_at(j, i) {
                    return Some(words);
                }
            } else if let Some(words) = self.residence_at(j) {
                // "jade habite avrillé": a verb of residence says it is a person.
                return Some(words);
            }
            // "Kevin, 19, de Cholet": a bare number right after the name, alone in its slot;
            // "Kevin (Angers)": a capitalised word alone in brackets.
            if j == i + 1 && (self.bare_age_at(j) || (places && self.bracketed_place_at(j))) {
                return Some(self.toks[j].word);
            }
        }
        // Further on, once past a comma or into the next sentence: "Kevin est venu hier, il a
        // 19 ans", "Kevin est passé. Elle a 19 ans" is too far (two sentences back).
        if places {
            if let Some(words) = self.pronoun_age_after(i) {
                return Some(words);
            }
        }
        // Behind: "19 ans, Kevin".
        let from = i.saturating_sub(WINDOW);
        for j in (from..i).rev() {
            if self.breaks[j + 1] {
                break;
            }
            if let Some(words) = self.age_at(j) {
                return Some(words);
            }
        }
        None
    }

    /// "il a 19 ans", "elle a 19 ans", "âgé de 17 ans" within [`FAR_WINDOW`] tokens after the
    /// name at `i`, crossing at most one sentence end, and before another first name.
    fn pronoun_age_after(&self, i: usize) -> Option<&str> {
        let mut sentences = 0;
        let end = (i + 1 + FAR_WINDOW).min(self.toks.len());
        for j in i + 1..end {
            if self.breaks[j] {
                sentences += 1;
                if sentences > 1 {
                    break;
                }
            }
            let t = &self.toks[j];
            if j > i + 1 && FIRST_NAMES.has(t) && t.shape != Shape::Other {
                break;
            }
            let next = self.toks.get(j + 1).map(|n| n.folded.as_str());
            let led = matches!(
                (t.folded.as_str(), next),
                ("il" | "elle", Some("a")) | ("age" | "agee", Some("de"))
            );
            if led {
                if let Some(words) = self.age_at(j + 2) {
                    return Some(words);
                }
            }
        }
        None
    }

    /// A health or justice fact within the sentence around the name at `i`: "Jade est
    /// enceinte", "Dylan en garde à vue", "suivi au CMP, Inès…". "Julie du SPIP" is a
    /// colleague's office.
    fn sensitive_near(&self, i: usize) -> Option<&str> {
        let mut lo = i;
        while lo > 0 && i - lo < SENSITIVE_BEHIND && !self.breaks[lo] {
            lo -= 1;
        }
        let mut hi = i;
        while hi + 1 < self.toks.len() && hi - i < SENSITIVE_AHEAD && !self.breaks[hi + 1] {
            hi += 1;
        }
        if hi == i && lo == i {
            return None;
        }
        let span = &self.text[self.toks[lo].start..self.toks[hi].end];
        let folded = fold(span);
        let m = SENSITIVE.find(&folded)?;
        // "veut travailler en prison", "atelier drogues info service": a job or a topic.
        let mut from = m.start().saturating_sub(30);
        while !folded.is_char_boundary(from) {
            from += 1;
        }
        let mut to = (m.end() + 30).min(folded.len());
        while !folded.is_char_boundary(to) {
            to -= 1;
        }
        if TOPIC_BEFORE.is_match(&folded[from..m.start()])
            || JOB_AFTER.is_match(&folded[m.end()..to])
        {
            return None;
        }
        // "Julie du SPIP", "Marc de la PJJ": the name's office.
        let name_end = fold(&self.text[self.toks[lo].start..self.toks[i].end]).len();
        if m.start() >= name_end {
            let between = folded[name_end..m.start()].trim();
            if matches!(between, "du" | "de la" | "de l'" | "de" | "(" | "," | "-") {
                return None;
            }
        }
        let word = self.toks[lo..=hi]
            .iter()
            .find(|t| {
                let f = fold(t.word);
                !f.is_empty() && folded[m.start()..m.end()].contains(f.as_str()) && f.len() > 2
            })
            .map_or(self.toks[i].word, |t| t.word);
        Some(word)
    }

    /// After "de", "à", an institution or a place noun, a capitalised word is a place or an
    /// organisation ("Mission Locale de Laval, 2 rue de Verdun"): no place detail for it.
    fn after_preposition(&self, i: usize) -> bool {
        i.checked_sub(1).is_some_and(|p| {
            let prev = self.toks[p].folded.as_str();
            !self.breaks[i]
                && (PLACE_PREPOSITION_SET.contains(prev)
                    || INSTITUTION_SET.contains(prev)
                    || PLACE_NOUN_SET.contains(prev))
        })
    }

    /// After "de", "du" or "chez": a surname there is often a place or a company ("lycée de
    /// Gaulle", "chez Renault").
    fn after_preposition_strict(&self, i: usize) -> bool {
        i.checked_sub(1).is_some_and(|p| {
            matches!(
                self.toks[p].folded.as_str(),
                "de" | "du" | "des" | "chez" | "a" | "au"
            ) || INSTITUTION_SET.contains(self.toks[p].folded.as_str())
                || PLACE_NOUN_SET.contains(self.toks[p].folded.as_str())
        }) || self.text[..self.toks[i].start].ends_with("d'")
    }

    /// A comma or an opening bracket right after token `i`.
    fn apposition_after(&self, i: usize) -> bool {
        self.toks.get(i + 1).is_some_and(|n| {
            self.text[self.toks[i].end..n.start.max(self.toks[i].end)]
                .trim_start()
                .starts_with([',', '('])
        })
    }

    /// "19 ans", "19ans", "19 a" glued, "(19 ans)" at token `j`; not a range ("16-25 ans") or a
    /// threshold ("moins de 26 ans").
    fn age_at(&self, j: usize) -> Option<&str> {
        let tok = &self.toks[j];
        tok.number.filter(|n| (14..=30).contains(n))?;
        let unit = self.toks.get(j + 1)?;
        let gap = &self.text[tok.end..unit.start.max(tok.end)];
        let is_unit = match unit.folded.as_str() {
            "ans" | "an" | "piges" | "balais" => gap.is_empty() || gap == " ",
            "a" => gap.is_empty(),
            _ => false,
        };
        if !is_unit {
            return None;
        }
        // "15 ans d'expérience", "3 ans de suivi", "18 ans minimum": a duration or a threshold.
        let after = self.text[unit.end..].trim_start();
        if after.starts_with("de ")
            || after.starts_with("d'")
            || [
                "minimum", "maximum", "min", "max", "revolus", "révolus", "et plus",
            ]
            .iter()
            .any(|w| after.starts_with(w))
        {
            return None;
        }
        if let Some(prev) = j.checked_sub(1).map(|p| &self.toks[p]) {
            let joined = !self.breaks[j];
            let range = prev.number.is_some()
                || matches!(
                    prev.folded.as_str(),
                    "moins"
                        | "plus"
                        | "entre"
                        | "et"
                        | "les"
                        | "des"
                        | "aux"
                        | "sous"
                        | "ou"
                        | "jusqu'a"
                        | "depuis"
                        | "pendant"
                        | "dans"
                        | "durant"
                        | "apres"
                        | "avant"
                        | "pour"
                );
            if joined && range {
                return None;
            }
        }
        Some(&self.text[tok.start..unit.end])
    }

    /// A number from 14 to 30, or a birth year for that age, right after the name, closed by a
    /// comma, a bracket or the end: "Kevin, 19, de Cholet", "Inès (17)", "Kevin (2006)".
    fn bare_age_at(&self, j: usize) -> bool {
        let tok = &self.toks[j];
        let born =
            |n: u32| i32::try_from(n).is_ok_and(|y| (self.year - 30..=self.year - 14).contains(&y));
        if !tok
            .number
            .is_some_and(|n| (14..=30).contains(&n) || born(n))
        {
            return false;
        }
        let before = &self.text[self.toks[j - 1].end..tok.start];
        let after = self.text[tok.end..].trim_start();
        before.trim().starts_with([',', '(']) && (after.is_empty() || after.starts_with([',', ')']))
    }

    /// "Kevin (Angers)": a capitalised word, not a known non-name, alone in brackets.
    fn bracketed_place_at(&self, j: usize) -> bool {
        let tok = &self.toks[j];
        let before = self.text[self.toks[j - 1].end..tok.start].trim();
        let after = self.text[tok.end..].trim_start();
        before == "("
            && after.starts_with(')')
            && tok.shape == Shape::Title
            && !NOT_SURNAME_SET.contains(tok.folded.as_str())
            && !NOT_FIRST_NAME_SET.contains(tok.folded.as_str())
            && !INSTITUTION_SET.contains(tok.folded.as_str())
            && !RELATIVE_SET.contains(tok.folded.as_str())
    }

    /// A place at token `j`: a preposition and a capitalised name ("de Cholet", "à Laval",
    /// "d'Angers"), or a school or neighbourhood noun and a capitalised name ("lycée
    /// Brassens", "quartier des Sablons"). Institutions are not places here.
    fn place_at(&self, j: usize, anchor: usize) -> Option<&str> {
        let tok = &self.toks[j];
        let name_at = |k: usize| {
            self.toks.get(k).filter(|t| {
                t.shape != Shape::Other
                    && t.word.chars().count() >= 3
                    && !self.breaks[k]
                    && !NOT_SURNAME_SET.contains(t.folded.as_str())
                    && !NOT_CAPS_SURNAME_SET.contains(t.folded.as_str())
                    && !NOT_FIRST_NAME_SET.contains(t.folded.as_str())
                    && !(t.shape == Shape::Caps && t.word.chars().count() < 4)
            })
        };
        // "d'Angers": the elision is in the gap before the token.
        let gap_before = &self.text[self.toks[j - 1].end..tok.start];
        if gap_before.ends_with("d'") {
            if let Some(t) = name_at(j) {
                return Some(t.word);
            }
        }
        let folded = tok.folded.as_str();
        if let Some(words) = self.residence_at(j) {
            return Some(words);
        }
        // "un job à Laval", "stage à Angers": the town is the job's.
        let after_job = j
            .checked_sub(1)
            .is_some_and(|p| p > anchor && JOB_WORD_SET.contains(self.toks[p].folded.as_str()));
        if PLACE_PREPOSITION_SET.contains(folded) && !after_job {
            // "de la Roseraie", "de l'Argonne": an article may stand before the name; "Merci
            // à Camille de la Mission Locale" stays a colleague (institutions are not places).
            let mut next = j + 1;
            if self.toks.get(next).is_some_and(|t| {
                matches!(t.folded.as_str(), "la" | "le" | "les") && t.shape == Shape::Other
            }) {
                next += 1;
            }
            // "des Sablons", "du Mans" are fine; "de Paris" too; a town in lower case ("de
            // cholet", "a angers") when it is in the list.
            let town = |k: usize| {
                self.toks
                    .get(k)
                    .filter(|t| !self.breaks[k] && TOWNS.contains(t.folded.as_str()))
            };
            if let Some(t) = name_at(next).or_else(|| town(next)) {
                // "Inès de Pôle emploi", "Camille Mission Locale de Laval": an institution
                // between the name and the place makes it a colleague's office.
                let between = &self.toks[anchor + 1..j];
                if between
                    .iter()
                    .any(|b| INSTITUTION_SET.contains(b.folded.as_str()))
                {
                    return None;
                }
                return Some(t.word);
            }
        }
        if PLACE_NOUN_SET.contains(folded) {
            // "lycée Brassens", "quartier des Sablons", "cité Jean Moulin".
            let mut k = j + 1;
            if self.toks.get(k).is_some_and(|t| {
                PARTICLE_SET.contains(t.folded.as_str()) && t.shape == Shape::Other
            }) {
                k += 1;
            }
            if let Some(t) = self
                .toks
                .get(k)
                .filter(|t| t.shape != Shape::Other && !self.breaks[k])
            {
                return Some(t.word);
            }
            // "foyer de l'enfance", "internat du lycée": where the person sleeps.
            if matches!(folded, "foyer" | "internat")
                && self.toks.get(k).is_some_and(|t| {
                    !self.breaks[k] && t.word.chars().count() >= 3 && t.number.is_none()
                })
            {
                return Some(tok.word);
            }
        }
        None
    }

    /// "habite à Mayenne", "vit a segré", "habite avrillé": after a verb of residence, a
    /// connector at most, then a town in any case (not a word that says how or with whom).
    fn residence_at(&self, j: usize) -> Option<&str> {
        if !RESIDENCE_VERB_SET.contains(self.toks[j].folded.as_str()) {
            return None;
        }
        let mut k = j + 1;
        if self
            .toks
            .get(k)
            .is_some_and(|t| matches!(t.folded.as_str(), "a" | "au" | "en" | "sur" | "vers"))
        {
            k += 1;
        }
        let t = self.toks.get(k).filter(|_| !self.breaks[k])?;
        let f = t.folded.as_str();
        if f == "chez" {
            // "hébergée chez sa tante à Angers": the town may follow the host.
            for m in k + 1..(k + 5).min(self.toks.len()) {
                if self.breaks[m] {
                    break;
                }
                if matches!(self.toks[m].folded.as_str(), "a" | "au" | "sur" | "vers") {
                    let town = self.toks.get(m + 1).filter(|n| {
                        !self.breaks[m + 1]
                            && ((n.shape == Shape::Title
                                && !NOT_SURNAME_SET.contains(n.folded.as_str())
                                && !INSTITUTION_SET.contains(n.folded.as_str()))
                                || TOWNS.contains(n.folded.as_str())
                                || (n.shape == Shape::Other && rare_place(n)))
                    });
                    return town.map(|n| n.word);
                }
            }
            return None;
        }
        let lower_stop = t.shape == Shape::Other && NOT_SURNAME_SET.contains(f);
        let stop = t.word.chars().count() < 3
            || t.number.is_some()
            || lower_stop
            || RESIDENCE_STOP_SET.contains(f)
            || RELATIVE_SET.contains(f)
            || INSTITUTION_SET.contains(f);
        (!stop).then_some(t.word)
    }

    /// A relative word at `i` next to a name: "son frère Rayan", "sa mère, Fatou", "la mère
    /// de Kevin", "la maman d'Inès".
    fn relative(&self, i: usize, found: &mut Findings) {
        // "la fille du maire de Wattrelos", "le fils de la directrice du collège": a young
        // person known through a public figure's office.
        let mut k = i + 1;
        if self
            .toks
            .get(k)
            .is_some_and(|t| matches!(t.folded.as_str(), "du" | "de"))
        {
            k += 1;
            if self.toks.get(k).is_some_and(|t| t.folded == "la") {
                k += 1;
            }
            if (i + 1..=k).all(|m| !self.breaks[m])
                && self
                    .toks
                    .get(k)
                    .is_some_and(|t| OFFICIAL_SET.contains(t.folded.as_str()))
            {
                found.unsure(PiiKind::Relative, &[self.toks[i].word, self.toks[k].word]);
                return;
            }
        }
        // "sa mère a appelé, elle s'appelle Fatima", "sa copine qui s'appelle Manon".
        for k in i + 1..(i + 1 + 2 * WINDOW).min(self.toks.len()) {
            if self.breaks[k] {
                break;
            }
            if NAMED_SET.contains(self.toks[k].folded.as_str())
                && self.toks.get(k + 1).is_some_and(|n| {
                    !self.breaks[k + 1]
                        && ((FIRST_NAMES.has(n) && !NOT_FIRST_NAME_SET.contains(n.folded.as_str()))
                            || (n.shape == Shape::Title
                                && !NOT_SURNAME_SET.contains(n.folded.as_str())))
                })
            {
                found.sure(PiiKind::Relative);
                return;
            }
        }
        let mut j = i + 1;
        // "sa sœur jumelle Manon", "son grand frère aîné Karim".
        while self
            .toks
            .get(j)
            .is_some_and(|t| KIN_ADJECTIVE_SET.contains(t.folded.as_str()) && !self.breaks[j])
            && j < i + 3
        {
            j += 1;
        }
        let i = j - 1;
        let Some(next) = self.toks.get(j) else {
            return;
        };
        if self.breaks[j] {
            return;
        }
        let gap = &self.text[self.toks[i].end..next.start];
        if matches!(next.folded.as_str(), "de" | "du") && gap.trim().is_empty() {
            j += 1;
        } else if !(gap.trim().is_empty()
            || gap.trim() == ","
            || gap.trim() == ":"
            || gap.trim() == "("
            || gap.trim_end().ends_with("d'"))
        {
            return;
        }
        let Some(name) = self.toks.get(j) else {
            return;
        };
        if self.breaks[j] {
            return;
        }
        let listed = FIRST_NAMES.has(name) && !NOT_FIRST_NAME_SET.contains(name.folded.as_str());
        let capitalised = name.shape == Shape::Title
            && name.word.chars().count() >= 3
            && !NOT_SURNAME_SET.contains(name.folded.as_str())
            && !NOT_FIRST_NAME_SET.contains(name.folded.as_str())
            && !INSTITUTION_SET.contains(name.folded.as_str())
            && !PLACE_WORD_SET.contains(name.folded.as_str());
        if listed || capitalised {
            found.sure(PiiKind::Relative);
        }
    }

    /// "le père du jeune, ahmed, …", "la petite sœur de 12 ans, lina, …", "sa fille de 2 ans,
    /// louna": further in the clause, a name set off by commas after the kinship word.
    fn relative_named_later(&self, i: usize, found: &mut Findings) {
        let end = (i + 1 + 2 * WINDOW).min(self.toks.len());
        for j in i + 1..end {
            if self.breaks[j] {
                return;
            }
            let t = &self.toks[j];
            let gap = self.text[self.toks[j - 1].end..t.start].trim();
            if gap != "," {
                continue;
            }
            let closed = self.toks.get(j + 1).is_none_or(|n| {
                self.breaks[j + 1]
                    || self.text[t.end..n.start]
                        .trim_start()
                        .starts_with([',', ')'])
            });
            let listed = FIRST_NAMES.has(t) && !NOT_FIRST_NAME_SET.contains(t.folded.as_str());
            if listed && (closed || t.shape != Shape::Other) {
                found.sure(PiiKind::Relative);
            } else if closed && (uncommon(t) || FIRST_NAMES.all.contains(&t.folded)) {
                found.unsure(PiiKind::Relative, &[self.toks[i].word, t.word]);
            }
            return;
        }
    }

    /// After the name at `i`: a comma or bracket, a possessive or article, a relative word
    /// ("Rayan, son frère", "Kevin (son cousin)", "Inès, la sœur de…").
    fn relative_after(&self, i: usize) -> bool {
        let (Some(det), Some(rel)) = (self.toks.get(i + 1), self.toks.get(i + 2)) else {
            return false;
        };
        let gap = self.text[self.toks[i].end..det.start].trim();
        !self.breaks[i + 1]
            && !self.breaks[i + 2]
            && matches!(gap, "," | "(" | "-")
            && matches!(
                det.folded.as_str(),
                "son" | "sa" | "le" | "la" | "leur" | "notre"
            )
            && RELATIVE_SET.contains(rel.folded.as_str())
    }

    /// The surname after a first name or civility at `i`: either directly at `i + 1`, or
    /// capitalised particles then a surname ("Le Goff", "Ben Salah", "De La Fontaine"). After a
    /// civility the first gap may hold the abbreviation's dot ("M. Benali").
    fn surname_follows(&self, i: usize, dotted: bool) -> Option<usize> {
        let toks = self.toks;
        let mut j = i + 1;
        let mut prev = i;
        // Up to two particles ("De La Fontaine"), then the surname itself.
        for _ in 0..3 {
            let tok = toks.get(j)?;
            let linked = if prev == i && dotted {
                self.civility_gap(&toks[prev], tok)
            } else {
                adjacent(self.text, &toks[prev], tok)
            };
            if !linked {
                return None;
            }
            if tok.shape != Shape::Other && PARTICLE_SET.contains(tok.folded.as_str()) {
                prev = j;
                j += 1;
            } else {
                return surname_like(tok).then_some(j);
            }
        }
        None
    }

    /// "M. Benali", "Mme. Dupont", "Madame Diallo": an optional dot, then spaces only.
    fn civility_gap(&self, a: &Token, b: &Token) -> bool {
        if b.start <= a.end {
            return false;
        }
        let raw = &self.text[a.end..b.start];
        // "M.Benali" (dot, no space) still counts; "Mme,Dupont" does not.
        let (dotted, gap) = match raw.strip_prefix('.') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        (dotted || !gap.is_empty()) && gap.len() <= 3 && gap.chars().all(|c| c == ' ' || c == '\t')
    }

    /// A word in capitals that stands in a shouted run of capitals ("SUPER SÉANCE AVEC KEVIN").
    fn in_caps_run(&self, first: usize, last: usize) -> bool {
        let toks = self.toks;
        let caps_at = |k: usize| {
            toks.get(k)
                .is_some_and(|t| t.shape == Shape::Caps && t.word.chars().count() >= 2)
        };
        let near = |a: &Token, b: &Token| {
            b.start > a.end && b.start - a.end <= 4 && !self.text[a.end..b.start].contains('\n')
        };
        let before = first
            .checked_sub(1)
            .is_some_and(|p| caps_at(p) && near(&toks[p], &toks[first]));
        let after = caps_at(last + 1) && near(&toks[last], &toks[last + 1]);
        before || after
    }

    /// "salle Simone Veil", "la salle «Rose des Vents»": a place word right before, an opening
    /// quote allowed between.
    fn after_place_word(&self, i: usize) -> bool {
        i.checked_sub(1).is_some_and(|p| {
            let (a, b) = (&self.toks[p], &self.toks[i]);
            let gap = self.text.get(a.end..b.start).unwrap_or("");
            let quoted = gap.len() <= 6
                && gap
                    .chars()
                    .all(|c| matches!(c, ' ' | '\u{a0}' | '«' | '"' | '“' | '\''))
                && gap.chars().any(|c| matches!(c, '«' | '"' | '“'));
            (adjacent(self.text, a, b) || quoted) && PLACE_WORD_SET.contains(a.folded.as_str())
        })
    }

    fn is_civility(&self, i: usize) -> bool {
        let toks = self.toks;
        let tok = &toks[i];
        match tok.word {
            // "M." must be written so; "Kevin M." is an initial, not a civility.
            "M" => {
                super::next_char(self.text, tok.end) == Some('.')
                    && !i.checked_sub(1).is_some_and(|p| {
                        adjacent(self.text, &toks[p], tok) && FIRST_NAMES.has(&toks[p])
                    })
            }
            "Mr" | "MR" | "mr" => true,
            // "m. leroy": in lower case, only before a listed surname.
            "m" => {
                super::next_char(self.text, tok.end) == Some('.')
                    && toks.get(i + 1).is_some_and(|n| {
                        SURNAMES.lower_ok.contains(&n.folded)
                            && !NOT_SURNAME_SET.contains(n.folded.as_str())
                    })
            }
            _ => matches!(
                tok.folded.as_str(),
                "mme" | "mlle" | "mmes" | "monsieur" | "madame" | "mademoiselle"
            ),
        }
    }

    /// "Dupont Léa": a listed surname (not an ordinary word) in title case at `i`, right
    /// before a title-case listed first name, itself not a first name.
    fn title_surname_before_first_name(&self, i: usize) -> bool {
        let tok = &self.toks[i];
        tok.shape == Shape::Title
            && SURNAMES.lower_ok.contains(&tok.folded)
            && !FIRST_NAMES.all.contains(&tok.folded)
            && !NOT_SURNAME_SET.contains(tok.folded.as_str())
            && self.toks.get(i + 1).is_some_and(|next| {
                adjacent(self.text, tok, next)
                    && next.shape == Shape::Title
                    && FIRST_NAMES.has(next)
                    && !self.famous(i, i + 1)
            })
    }

    /// Two adjacent words that are no common French word and in no list, both capitalised
    /// ("Dmitri Volkov", "Kwame Mensah") or both in lower case and long enough ("dmitri
    /// volkov"): maybe a name nobody listed; ask.
    fn unlisted_pair(&self, i: usize, found: &mut Findings) {
        let tok = &self.toks[i];
        let Some(next) = self.toks.get(i + 1) else {
            return;
        };
        if !adjacent(self.text, tok, next) || self.breaks[i + 1] || self.famous_from(i) {
            return;
        }
        let capitalised = matches!(
            (tok.shape, next.shape),
            (Shape::Title, Shape::Title) | (Shape::Title, Shape::Caps)
        );
        let lower = tok.shape == Shape::Other
            && next.shape == Shape::Other
            && tok.word.chars().count() >= 4
            && next.word.chars().count() >= 4;
        let prev_is_name = i.checked_sub(1).is_some_and(|p| {
            adjacent(self.text, &self.toks[p], tok) && self.toks[p].shape == tok.shape
        });
        if (capitalised || lower)
            && !prev_is_name
            && uncommon(tok)
            && uncommon(next)
            && !self.after_place_word(i)
        {
            found.unsure(PiiKind::PersonName, &[tok.word, next.word]);
        }
    }

    /// Surname forms without a civility: "benali zyad" (a lower-case surname before a first
    /// name), "K. Martin" (an initial before a surname), "la famille Diallo", "dossier Traoré",
    /// "les Benali".
    fn surname_forms(&self, i: usize, found: &mut Findings) {
        if self.famous_from(i) {
            return;
        }
        let tok = &self.toks[i];
        let next = self.toks.get(i + 1).filter(|n| adjacent(self.text, tok, n));
        // "benali zyad", "haddad sofiane".
        if let Some(next) = next {
            if tok.shape == Shape::Other
                && next.shape == Shape::Other
                && FIRST_NAMES.lower_ok.contains(&next.folded)
                && !NOT_FIRST_NAME_SET.contains(next.folded.as_str())
                && !FIRST_NAMES.all.contains(&tok.folded)
            {
                if SURNAMES.lower_ok.contains(&tok.folded)
                    && !NOT_SURNAME_SET.contains(tok.folded.as_str())
                {
                    found.sure(PiiKind::PersonName);
                    return;
                }
                if uncommon(tok) && tok.word.chars().count() >= 4 {
                    found.unsure(PiiKind::PersonName, &[tok.word, next.word]);
                    return;
                }
            }
        }
        // "kev martin", "jo dupont": a word nobody listed (a nickname) before a listed surname
        // that is no ordinary word nor a first name.
        if let Some(next) = next {
            if tok.shape == Shape::Other
                && next.shape == Shape::Other
                && tok.word.chars().count() >= 2
                && tok.number.is_none()
                && !NOT_SURNAME_SET.contains(tok.folded.as_str())
                && !NOT_FIRST_NAME_SET.contains(tok.folded.as_str())
                && !NOT_CAPS_SURNAME_SET.contains(tok.folded.as_str())
                && COMMON_WORDS
                    .get(tok.folded.as_str())
                    .is_none_or(|&r| r > 5_000)
                && SURNAMES.lower_ok.contains(&next.folded)
                && !FIRST_NAMES.all.contains(&next.folded)
                && !COMMON_WORDS.contains_key(next.folded.as_str())
                && !TOWNS.contains(next.folded.as_str())
            {
                found.unsure(PiiKind::PersonName, &[tok.word, next.word]);
                return;
            }
        }
        // "j'ai vu Diallo hier", "rdv avec Traoré jeudi": a listed surname alone, capitalised
        // mid-sentence, that is no ordinary word, first name or town.
        if tok.shape == Shape::Title
            && !self.breaks[i]
            && !FAMOUS_SURNAMES.contains(tok.folded.as_str())
            && SURNAMES.lower_ok.contains(&tok.folded)
            && !FIRST_NAMES.all.contains(&tok.folded)
            && !COMMON_WORDS.contains_key(tok.folded.as_str())
            && !TOWNS.contains(tok.folded.as_str())
            && !NOT_SURNAME_SET.contains(tok.folded.as_str())
            && !NOT_FIRST_NAME_SET.contains(tok.folded.as_str())
            && !self.after_place_word(i)
            && !self.after_preposition_strict(i)
        {
            found.unsure(PiiKind::PersonName, &[tok.word]);
            return;
        }
        // "K. Martin", "J. Dupont": an initial and a surname.
        if tok.word.chars().count() == 1
            && tok.shape != Shape::Other
            && tok.word != "M"
            && super::next_char(self.text, tok.end) == Some('.')
        {
            if let Some(n) = self.toks.get(i + 1) {
                let gap = &self.text[tok.end..n.start];
                if (gap == ". " || gap == ".")
                    && n.shape == Shape::Title
                    && (SURNAMES.lower_ok.contains(&n.folded)
                        || (uncommon(n) && !FIRST_NAMES.all.contains(&n.folded)))
                    && !NOT_SURNAME_SET.contains(n.folded.as_str())
                {
                    found.sure(PiiKind::PersonName);
                    return;
                }
            }
        }
        // "nom : Leroy", "nom de famille Leroy", "prénom Léo nom Leroy": a form's field.
        if tok.folded == "nom"
            && !i.checked_sub(1).is_some_and(|p| {
                matches!(
                    self.toks[p].folded.as_str(),
                    "au" | "son" | "le" | "du" | "un" | "quel"
                )
            })
        {
            let mut k = i + 1;
            if self.toks.get(k).is_some_and(|t| t.folded == "de")
                && self.toks.get(k + 1).is_some_and(|t| t.folded == "famille")
            {
                k += 2;
            }
            if let Some(n) = self.toks.get(k) {
                let gap = self.text[self.toks[k - 1].end..n.start].trim();
                let named = (n.shape != Shape::Other
                    && surname_like(n)
                    && !COMMON_WORDS.contains_key(n.folded.as_str()))
                    || SURNAMES.lower_ok.contains(&n.folded)
                    || uncommon(n);
                if matches!(gap, "" | ":" | "=" | "-") && !self.breaks[k] && named {
                    found.sure(PiiKind::PersonName);
                    return;
                }
            }
        }
        // "la famille Diallo", "dossier Traoré", "les Benali": a family or a file named.
        if matches!(tok.folded.as_str(), "famille" | "dossier" | "les") {
            if let Some(n) = next {
                let listed =
                    SURNAMES.lower_ok.contains(&n.folded) && !FIRST_NAMES.all.contains(&n.folded);
                if (n.shape == Shape::Title || (n.shape == Shape::Caps && surname_like(n)))
                    && !NOT_SURNAME_SET.contains(n.folded.as_str())
                    && !NOT_FIRST_NAME_SET.contains(n.folded.as_str())
                    && (listed || (tok.folded != "les" && uncommon(n)))
                {
                    found.unsure(PiiKind::PersonName, &[tok.word, n.word]);
                }
            }
        }
    }

    /// "DIALLO Inès": a surname in capitals at `i` before a title-case first name.
    fn caps_surname_before_first_name(&self, i: usize) -> bool {
        let tok = &self.toks[i];
        self.toks.get(i + 1).is_some_and(|next| {
            adjacent(self.text, tok, next)
                && next.shape == Shape::Title
                && FIRST_NAMES.has(next)
                && surname_like(tok)
                && !self.in_caps_run(i, i)
        })
    }
}

/// How far behind and ahead of a first name a colleague's cue may stand.
const COLLEAGUE_BEHIND: usize = 3;
const COLLEAGUE_AHEAD: usize = 5;

/// How far around a first name "prénom" or "homonyme" make the sentence one about names.
const NAMES_DISCUSSED_WINDOW: usize = 16;

/// Words before a capitalised name that make it a saint's, a king's or a shop's ("Saint
/// Nicolas", "le roi René", "chez Paul"). Folded.
const TITLES_BEFORE_NAME: &[&str] = &[
    "chez saint sainte st ste roi reine prince princesse pape general marechal empereur",
    "imperatrice",
];

/// Partners whose staff a counsellor names ("Sarah de la MDPH"), besides [`INSTITUTIONS`].
/// Folded.
/// Not the places where young people live, learn or are held (foyer, FJT, CFA, lycée,
/// hospital): "Théo, celui du FJT" is a young person.
const PARTNERS: &[&str] = &[
    "mdph cmp cmpp cio pmi ase adil cidj pij bij spip pjj cpam caf msa ccas apec smj adie",
    "mairie departement region prefecture asso association",
];

/// Job titles and team words: a first name next to one is a colleague's, not a young
/// person's. Folded.
const COLLEAGUE_WORDS: &[&str] = &[
    "collegue collegues equipe equipes conseiller conseillere conseillers conseilleres referent",
    "referente referents coordinateur coordinatrice directeur directrice animateur animatrice",
    "anime animee animer co-anime co-animee formateur formatrice psychologue educateur",
    "educatrice educ cip charge chargee stagiaire-conseiller responsable manager partenaire",
    "partenaires intervenant intervenante benevole benevoles secretaire accueil rh retraite",
];

/// Verbs and words that follow a person as subject: attendance, contact, behaviour. Folded.
const PERSON_VERBS: &[&str] = &[
    "a est etait sera n'est n'a n'avait ne m'a m'avait m'envoie m'ecrit m'appelle m'a-t-il",
    "va vient venu venue veut voulait voudrait doit peut pourra fait dit galere galerait",
    "repond rappelle rappele rappelee appelle appele souhaite cherche travaille bosse prefere",
    "refuse oublie arrive part reste s'est se s'inscrit s'en lui absent absente injoignable",
    "present presente motive motivee toujours jamais encore avait aura",
];

/// Listed first names that are mostly ordinary words when written in lower case ("20 min
/// max", "la pierre angulaire", "le manuel"): only a capital makes them a name. Folded.
const LOWER_WORD_NAMES: &[&str] = &[
    "max pierre manuel clement marie romain charlotte benjamin maxime baptiste auguste cesar",
    "diane iban germain sylvestre celestin victoria marc marianne",
];

/// Nouns for a person: "le jeune Kevin", "la petite Jade" name a person, not a thing. Folded.
const PERSON_NOUNS: &[&str] = &[
    "jeune jeunes garcon fille gamin gamine ado eleve eleves stagiaire apprenti apprentie",
    "candidat candidate beneficiaire petit petite grand grande nouveau nouvelle dit dite",
    "monsieur madame mademoiselle certain certaine meme",
];

static PERSON_NOUN_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(PERSON_NOUNS));
/// Public offices: the child of whoever holds one is known to all ("la fille du maire").
/// Folded.
const OFFICIALS: &[&str] = &[
    "maire adjoint adjointe depute deputee senateur senatrice proviseur proviseure principal",
    "principale directeur directrice president presidente patron patronne cure imam pasteur",
    "rabbin prefet prefete commissaire juge gendarme policier policiere",
];

static OFFICIAL_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(OFFICIALS));
static TITLE_BEFORE_NAME_SET: LazyLock<HashSet<&str>> =
    LazyLock::new(|| word_set(TITLES_BEFORE_NAME));
static PARTNER_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(PARTNERS));
static COLLEAGUE_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(COLLEAGUE_WORDS));
static PERSON_VERB_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(PERSON_VERBS));
static LOWER_WORD_NAME_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(LOWER_WORD_NAMES));

/// Institutions and services: a name next to one of them is a colleague's or an office's.
const INSTITUTIONS: &[&str] = &[
    "mission missions locale locales ml france travail pole emploi caf cpam msa mairie ccas",
    "prefecture departement region conseil antenne agence cfa afpa greta epide e2c apec",
    "cap emploi urssaf ants crous cidj pij bij pmi ase pjj spip aide sociale centre social",
    "equipe equipes service services collegue collegues team bureau",
];

static INSTITUTION_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(INSTITUTIONS));

/// Surname particles that are no French word, so that they mark a surname in lower case too
/// ("da silva", "ben youssef", "el amrani").
const LOWER_PARTICLES: &[&str] = &["ben bin el da dos abou ould abdel ait"];

static LOWER_PARTICLE_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(LOWER_PARTICLES));

/// A capitalised word that can be a surname after a first name or a civility.
fn surname_like(tok: &Token) -> bool {
    let letters = tok.word.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 2 || NOT_SURNAME_SET.contains(tok.folded.as_str()) {
        return false;
    }
    match tok.shape {
        Shape::Title => true,
        Shape::Caps => !NOT_CAPS_SURNAME_SET.contains(tok.folded.as_str()),
        Shape::Other => false,
    }
}

#[cfg(test)]
pub(super) fn first_name_count() -> usize {
    FIRST_NAMES.all.len()
}

#[cfg(test)]
pub(super) fn is_listed_first_name(folded: &str) -> bool {
    FIRST_NAMES.all.contains(folded)
}

#[cfg(test)]
pub(super) fn stop_lists() -> Vec<&'static [&'static str]> {
    vec![
        NOT_SURNAMES,
        PARTICLES,
        PLACE_WORDS,
        NOT_CAPS_SURNAMES,
        NOT_FIRST_NAMES,
        RELATIVES,
        PLACE_PREPOSITIONS,
        PLACE_NOUNS,
        INSTITUTIONS,
        LOWER_PARTICLES,
        COLLEAGUE_WORDS,
        PERSON_VERBS,
        LOWER_WORD_NAMES,
        PERSON_NOUNS,
        TITLES_BEFORE_NAME,
        PARTNERS,
        OFFICIALS,
    ]
}
