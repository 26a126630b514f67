"""Site furniture recognised by the *shape* of lines and where they stand, not by their wording.

``ingest.boilerplate`` knows how sites phrase furniture ("Sign up for …", "Jane Doe/AP"); on
articles it was not written on it misses what is phrased differently. What holds across sites is
structure:

* **glued links** — a site's inline related-story link loses the space between its label and the
  linked headline when scraped ("Wanna bet?Cincinnati Reds approved …", "March 30:Teachers are
  striking …"): a short label glued to a capitalised headline does not happen in prose;
* **headline runs** — related-story lists are runs of short lines that end without a full stop
  (headlines), next to a line recognised as a link or a "Label: Headline" line; a single such line
  between paragraphs is a section heading and stays;
* **tail bios** — the last lines of a guest piece introduce its author ("Rachel Beale, MBA, is a
  long COVID-19 advocate …"): a one-sentence line that opens with a name and "is a/an/the",
  whose person is not otherwise in the article (a news story's last line about someone it
  reported on names a person the story has already met);
* **credit tails** — a caption sentence followed by a lower-case credit ("… in 2019. courtesy
  Justin Wang");
* **item links** — on a numbered list page, a headline in the same slot of item after item (right
  before the next number) is the site's link for that item: the template fills the slot, a writer
  ends an item with its paragraph.

Each detector is a plain function over the document's lines (``Line``) and returns the indices it
removes; ``detect`` runs them over the lines the per-line rules kept. Detectors leave the first
line (the lead) alone, except where it cannot be a lead: a caption that says who stands where or
carries several photo credits, and an author introduction above the story (``head_bios``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

MAX_WORDS = 40
HEADLINE_MAX_WORDS = 20
LABEL_MAX_WORDS = 8
TAIL = 3  # lines from the end where an author bio stands


class _Line(Protocol):
    text: str


@dataclass(frozen=True)
class Context:
    """What the per-line rules saw that the kept lines no longer show: the indices (into the kept
    lines) of lines that stood next to a related-story link the rules removed, and whether the
    rules removed any such link from the page."""

    beside_links: frozenset[int] = frozenset()
    links_removed: bool = False
    authors: frozenset[str] = frozenset()  # the record's authors and the byline the rules found
    after_link_labels: frozenset[int] = frozenset()  # lines right after a removed "MORE:"-like label


@dataclass(frozen=True)
class Finding:
    """One line a structure detector removes, with the rule name and reason for the audit trail."""

    index: int
    rule: str
    reason: str
    moved_to: str | None = None


# "Wanna bet?Cincinnati", "March 30:Teachers", "still here.The 'tripledemic'": a label glued to a headline
_GLUED = re.compile(
    r"^(?P<label>[^\n]{2,80}?(?:[\w’'”\")]|\.(?=:)))(?P<sep>[:?!.])(?P<head>[‘“\"']?[A-Z](?:[a-z’']\S*|[A-Z]+\s|\s(?=[a-z])))"
)
# "Traveling this summer?5 ways to save …", "PSU concerns vs. West Virginia:3 unanswered …": a label
# glued to a headline that opens with a figure (a time, "10:30", has a figure before its colon)
_GLUED_FIGURE = re.compile(r"^(?P<label>[^\n]{2,80}?[a-z])[:?](?P<head>\d[\d,.]*\s+[a-z])")
# "July 2020: Just how bad was …": a month and a year label an archive link; a day makes a schedule
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH_YEAR = re.compile(rf"^(?:{_MONTHS}) (?:19|20)\d\d$")
_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_DATE_VALUE = re.compile(rf"^(?:{_MONTHS}|{_MONTH_ABBR})\s+\d{{1,2}}\b")
# a comma against a lower-case word or a figure ("strong,but", "dead,10"), a closing quote against
# the next word ("'at a complete loss'after": a quoted phrase, then three letters, not "You’ll"):
# prose keeps those spaces, a glued link loses them
_PUNCT_GLUE = re.compile(r"[a-z],(?=[a-z]{2}|\d)|(?:^|\s)['‘][^'’\s]+\s[^'’]{1,60}['’](?=[a-z]{3})")
_YEAR_END = re.compile(r"(?<!\d)(?:19|20)\d\d$")
_CAMEL_GLUE = re.compile(
    r"[a-z]{2}(?:The|These|This|That|How|Why|What|When|Where|Who|Here|Meet|See|Watch|Read)\s+[a-z]"
)
# "AI anxietyFear over AI dangers grows …", "Macy's no moreNeshaminy Mall's …": a label's last
# word (three lower-case letters or more) run into the headline's first; a brand's inner capital
# ("iPhone", "DeSantis", "YouTube") follows one letter or a capital, never a lower-case word
_LOWER_GLUE = re.compile(r"(?:^|\s)[a-z]{3,}[A-Z][a-z]{2,}")
_LABEL_COLON = re.compile(r"^(?P<label>[A-Z][\w’'&.,-]*(?:\s+[\w’'&.,-]+){0,5}):\s+[A-Z‘“\"']")
_NAME = r"[A-Z][\w’'.-]+"
# "USA TODAY columnist Bob O'Donnell is …": the outlet and the role in front of the name
_ROLE_PREFIX = (
    r"(?:(?:[A-Z][\w.&’'-]*\s+){1,3}(?:columnist|contributor|contributing writer|reporter|correspondent|"
    r"writer|editor)\s+)?"
)
_BIO = re.compile(
    rf"^{_ROLE_PREFIX}(?P<name>{_NAME}(?:\s+(?:{_NAME}|de|da|van|von|del|bin|al|el)){{1,3}})"
    # ", MBA," / ", a senior fellow at The Brookings Institution and author of …": an appositive
    # ", executive producer of "Intersections," …": a role in lower case, then of/at/for
    r"(?:,\s*(?:an?\s+)?[A-Z][\w.,' -]{1,40}?|,\s*(?:an?|the)\s+[^.!?]{1,160}?"
    r"|,\s*[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}\s+(?:of|at|for|with)\s+[^.!?]{1,160}?"
    # " of Hyde Park is": where the writer lives (a bio speaks in the present: "X of Somerset was
    # named to the honor roll" is news)
    r"|\s+of\s+[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2}(?=\s+is\s))?,?\s+"
    r"(?:is|was|serves as)\s+"
    # "is a professor of …", "is the author of …", "is co-executive director of the … Foundation",
    # "is CEO of Wow Writing Workshop"
    r"(?:(?:an?|the|one of)\s|[a-z][\w’'-]*(?:\s+[a-z][\w’'-]*){0,4}\s+(?:of|at|for|with)\s+(?:the\s+)?[A-Z]"
    r"|[A-Z][\w&’'-]*(?:\s+[A-Z][\w&’'-]*){0,3}\s+(?:of|at|for)\s+(?:the\s+)?[A-Z])"
)
# "Kirsten Powers writes weekly for USA TODAY …", "X teaches history at …": a columnist's line
_BIO_VERB = re.compile(
    rf"^{_ROLE_PREFIX}(?P<name>{_NAME}(?:\s+(?:{_NAME}|de|da|van|von|del|bin|al|el)){{1,3}})"
    # "DeWayne Wickham, dean of Morgan State University's School of …, writes on Tuesdays for …"
    r"(?:,\s*(?:an?\s+|the\s+)?[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}\s+(?:of|at|for|with)\s+[^.!?]{1,160}?,)?\s+"
    r"(?:was born|grew up|writes|teaches|covers|hosts|directs|leads|chairs|co-?hosts|co-?founded|founded|"
    r"is co-?founder|"
    r"offers|has been (?:writing|covering|reporting)|has (?:written|covered|reported))\b"
)
# "Callaway is USA TODAY's editor in chief.", "Seidel is a constitutional attorney …": a bio by
# surname alone, taken only when the surname is a bylined author's
_SURNAME_BIO = re.compile(
    r"^(?P<name>[A-Z][\w’'-]+)\s+(?:is|serves as)\s+"
    r"(?:an?|the|one of|[A-Z][\w.&’'-]*(?:\s+[A-Z][\w.&’'-]*){0,3}['’]s)\s"
)
# A bio that gives its writer's address or handle is a bio whatever its other sentences say
# ("… An avid eater and cook, he has … Follow him on Twitter, @TravelFoodGuy")
_CONTACT = re.compile(
    r"\b[\w.+-]+@[\w-]+\.[a-z]{2,}\b|(?<![\w.])@\w{3,}|\b(?i:follow (?:him|her|them|me) on|"
    r"(?:can|may) be reached)\b"
)
# A bio's next sentences go on about the same person ("He is the winner of …", "His next book …")
# or introduce a co-author ("Steve Rosenthal, a Democrat, is the former …").
_BIO_FOLLOW = re.compile(
    r"^(?:(?i:he|she|they|his|her|their|its|visit|follow|reach|contact|email|submit|send|write to)\b|"
    r"(?i:this (?:column|essay|article|piece|op-ed) (?:is |was )?(?:first )?"
    r"(?:distributed|written|adapted|published))\b|"
    r"(?i:the (?:views|opinions) (?:and opinions )?expressed)\b|"
    r"[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,2}(?:,|\s+is\b))"
)
_CREDIT_TAIL = re.compile(
    r"[a-z\d)][.!?][”\"’]?\s+(?P<credit>(?i:courtesy(?: of)?|photo(?:graph)? by|photos? courtesy|credit:?|"
    r"provided (?:to|by))\s+"
    # the credit is names: capitalised words, slashes ("Courtesy Brandon Diebold/Black Rose Films")
    r"[A-Z][\w.'’&-]*(?:(?:\s+|\s*/\s*)(?:[A-Z][\w.'’&-]*|of|and|de|van|von|the|family|archives?|"
    r"collection|estate|handout|via)){0,8}(?<![.]))$"
)
_SENTENCE_END = re.compile(r"[.!?][”\"’)]?\s+[A-Z]")


def _words(text: str) -> int:
    return len(text.split())


def is_headline_shaped(text: str) -> bool:
    """A short line that ends without a full stop, or a question: how headlines are written."""
    n = _words(text)
    if not 3 <= n <= HEADLINE_MAX_WORDS:
        return False
    stripped = text.rstrip("”\"’'")
    if stripped.endswith((".)", "!)")):
        return False  # "(The queen also bestowed … Baron Kilkeel.)": a parenthetical sentence
    end = stripped[-1:]
    return end.isalnum() or end in "?)"


_WEB_DOTS = re.compile(r"\bwww\.|\.(?:com|org|net|gov)\b", re.I)
_OWN_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[•\-*▪►])\s")


def glued_link(text: str) -> bool:
    """A short label glued to a capitalised headline, as scraped inline related-story links are."""
    if not 4 <= _words(text) <= 30 or _WEB_DOTS.search(text):
        return False  # a web address's dots are not a lost space
    if _OWN_LIST_ITEM.match(text):
        return False  # "11. CVS:The drugstore chain …": an item of the article's own list
    m = _GLUED.match(text)
    if (
        m is not None
        and m.group("sep") == "."
        and len(head := m.group("head").strip(" ‘“\"'")) >= 2
        and head.isupper()
    ):
        m = None  # capitals after "." are a name's part ("Bagle.BB"); a label runs into them after ":" or "?"
    if m is None and (f := _GLUED_FIGURE.match(text)) is not None:
        return _words(f.group("label")) <= LABEL_MAX_WORDS
    if m is None:
        # "Meet Derek and Doug PerryThese twins have ridden …": a headline glued to the label's last word
        c = _CAMEL_GLUE.search(text)
        if c is not None and _words(text[: c.start() + 2]) <= LABEL_MAX_WORDS:
            return True
        c = _LOWER_GLUE.search(text)
        if c is not None and is_headline_shaped(text) and _words(text[: c.end()]) <= LABEL_MAX_WORDS:
            return True
        # "American passports are strong,but not the strongest", "Taylor Swift 'at a complete
        # loss'after …": a link's two text runs joined without their space, in a headline
        return is_headline_shaped(text) and _PUNCT_GLUE.search(text) is not None
    label = m.group("label")
    if _words(label) > LABEL_MAX_WORDS:
        return False
    if m.group("sep") != ".":
        return True  # "in the U.S.:Military": no prose puts a colon against the next word
    # "U.S.Army", "p.m.Monday": an abbreviation's dots, not a lost space; "Long jump: 1.Tobi
    # Tella": a results list's numbering
    last = label.split()[-1]
    if last[-1:].isdigit() and not _YEAR_END.search(last):
        return False  # "1.Tobi Tella": a results list's numbering; "… shot in 1993.I thought …" is a glue
    return not re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]?", last + ".")


# A fact box's labels ("When: 5–8 p.m. July 6", "Information: 231-1100; plazaclassic.com"): the
# story's own details, never the label of a link
_FACT_LABEL = frozenset(
    "when where what who information info admission tickets cost costs price prices hours address phone "
    "details location time times date dates contact website parking rating grade verdict score".split()
)


_ANY_LABEL = re.compile(r"^(?P<label>[A-Z][a-z]+)\s*:")


def _fact_label(text: str) -> bool:
    m = _ANY_LABEL.match(text)
    return m is not None and m.group("label").lower() in _FACT_LABEL


def labelled_headline(text: str) -> bool:
    """A short label, then a headline: "Dining: Where to eat, drink outdoors in Dutchess County".

    The headline has six words or more with lower-case words in it, not a name, a number or a
    list of names or figures ("Trainer: Yoshito Yahagi", "Top returning performers: Hannah Whitman,
    …", "All-time Receiving Leader: Jerry Rice 1,281 rec, 19,247 yds, 176 TD").
    """
    m = _LABEL_COLON.match(text)
    if m is None or not is_headline_shaped(text) or _words(m.group("label")) > 4 or _fact_label(text):
        return False
    if any(ch.isdigit() for ch in m.group("label")) and not _MONTH_YEAR.match(m.group("label")):
        return False  # "Game 6: Bucks vs. Heat …", "Aug. 18: … plays the State Fair": a schedule's entry
    rest = text[m.end("label") + 1 :]
    if _DATE_VALUE.match(rest.lstrip()):
        return False  # "Service begins: Nov. 3 with flights every day": a fact box's date
    head = rest.split()
    lower = sum(1 for w in head if w[:1].islower())
    digits = sum(1 for w in head if any(ch.isdigit() for ch in w))
    return len(head) >= 6 and lower >= 2 and digits * 3 <= len(head)  # not a line of figures


# labels only a link to another story wears ("More on traffic:", "Related coverage:", "Dig deeper:")
_LINK_LABEL = re.compile(
    r"^(?:More (?:on|from|about)|Read more|Related|Dig deeper|Go deeper|Also (?:read|see))\b[^:]{0,40}:\s"
)


def link_labelled_headline(text: str) -> bool:
    """ "More on traffic: Dozens of stoplights … could get removed": a headline under a label that
    only links wear; alone it is a link (a subhead is not labelled "More on …")."""
    return _LINK_LABEL.match(text) is not None and labelled_headline(text)


_QUESTION_LABEL = re.compile(r"^(?P<label>[A-Z][^?:]{2,60}\?)\s+(?P<head>[A-Z‘“\"'][^?]*\??)$")


def question_labelled_headline(text: str) -> bool:
    """ "Is the magic still there? Disney fans react to feud with DeSantis": a teaser question, then
    a headline (six words or more, some lower case, no full stop); in a run, a related-story list."""
    m = _QUESTION_LABEL.match(text)
    if m is None or not is_headline_shaped(text) or _words(m.group("label")) > 6:
        return False
    head = m.group("head").split()
    return len(head) >= 6 and sum(1 for w in head if w[:1].islower()) >= 2


def _beside_link_headline(text: str) -> bool:
    """ "Walmart to stop selling ammo: CEO Doug McMillon outlines … in memo": a label of up to six
    words, then a headline of five words or more, the whole without a full stop."""
    m = _LABEL_COLON.match(text)
    if m is None or not is_headline_shaped(text) or text.rstrip()[-1:] == "?" or _fact_label(text):
        return False
    head = text[m.end("label") + 1 :].split()
    return len(head) >= 5 and sum(1 for w in head if w[:1].islower()) >= 2


def related_links(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Glued links; runs of two or more labelled headlines; the headline-shaped lines between two
    glued links; and a "Label: headline" line next to a link (a glued one, or one the per-line
    rules took out: ``context.beside_links``).

    A labelled headline alone ("Background: what we know") may be the story's own subhead, and a
    run of "Label: value" lines whose values are not headlines is a fact box: only a headline
    after the label counts, and only in company. Headline-shaped lines join only between glued
    links, the strongest sign of a scraped link list (lists of nominees or results are runs of
    short lines too).
    """
    texts = [line.text for line in lines]
    glued = {i for i, t in enumerate(texts) if i > 0 and glued_link(t)}
    labelled = {i for i, t in enumerate(texts) if i > 0 and labelled_headline(t)}
    out = glued | {i for i in labelled if link_labelled_headline(texts[i])}
    labelled |= {i for i, t in enumerate(texts) if i > 0 and question_labelled_headline(t)}
    # a label used twice ("Last start:", "Possible next start:"), or labels on nearly every line, make
    # the labelled lines field names of a fact box, not links
    labels = [m.group("label").lower() for t in texts if (m := _LABEL_COLON.match(t))]
    if len(labels) * 4 > len(texts) * 3 or len(set(labels)) < len(labels):
        labelled = set()
    # a label on two different lines ("Pro:", "Con:" taking turns): a list's field name
    worded = {(m.group("label").lower(), t) for t in texts if (m := _LABEL_COLON.match(t))}
    reused = {label for label in labels if sum(1 for lb, _ in worded if lb == label) > 1}
    seeds = glued | labelled
    for i in sorted(seeds):
        a = b = i
        while a - 1 > 0 and a - 1 in seeds:
            a -= 1
        while b + 1 < len(texts) and b + 1 in seeds:
            b += 1
        if b > a:
            out.update(range(a, b + 1))
    beside = set(context.beside_links) if context else set()
    for i, t in enumerate(texts):
        if (
            i > 0
            and i not in out
            and (i in beside or {i - 1, i + 1} & glued)
            and _beside_link_headline(t)
            and not ((m := _LABEL_COLON.match(t)) and m.group("label").lower() in reused)
        ):
            out.add(i)
    ordered = sorted(glued)
    for x, y in pairwise(ordered):
        between = range(x + 1, y)
        if y - x <= 4 and all(is_headline_shaped(texts[k]) or _is_link_like(texts[k]) for k in between):
            out.update(between)
    return sorted(out)


def _is_link_like(text: str) -> bool:
    """A line of headline length with at most two sentences (a headline with a full stop)."""
    return _words(text) <= HEADLINE_MAX_WORDS and text.count(". ") <= 1


def _surname_elsewhere(name: str, texts: Sequence[str], skip: int) -> bool:
    """Whether the story names this person elsewhere, as a word ("cgiffin@…" is not Giffin) and not
    in a line that is only their name under a label (the byline "Delaware Voice Jenson Dennard")."""
    surname = re.compile(r"\b" + re.escape(name.split()[-1].strip("’'.,")) + r"\b", re.I)
    full = name.lower()
    # the same introduction printed again at the other end of the page is no mention in the story
    return any(
        surname.search(t) and not (_words(t) <= BYLINE_MAX_WORDS and full in t.lower())
        for k, t in enumerate(texts)
        if k != skip and t != texts[skip]
    )


# "Julia is a trending reporter for USA TODAY.": a writer who signs with a first name alone
_FIRST_NAME_BIO = re.compile(
    r"^(?P<name>[A-Z][a-z]+) is an? (?:[\w-]+\s+){0,3}(?:reporter|writer|editor|correspondent|columnist|"
    r"journalist|contributor|intern|critic|producer)\b"
)
_WAS = re.compile(r"(?:,[^.!?]*?,)?\s+was\b")
_ROLE_NOUN = re.compile(
    r"\b(?:attorney|lawyer|chairman|chairwoman|chair|adviser|advisor|librarian|director|professor|editor|"
    r"reporter|president|secretary|member|governor|senator|ambassador|official|officer|judge|mayor|"
    r"commissioner|executive|founder|chief|head|analyst|correspondent|writer|columnist|fellow|dean|"
    r"teacher|researcher|scientist|economist|consultant|strategist|spokes(?:man|woman|person))\b"
)
BYLINE_MAX_WORDS = 6  # a line this short that holds a full name is a byline, not a mention


def tail_bios(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Author introductions among the last lines: a line that opens with a name and "is a/an/the"
    (or "writes/teaches/covers …"), whose further sentences, if any, go on about that person, about
    someone the story never names (or one of its bylined authors): a news story's last line about
    someone it reported on names a person the story has already met."""
    texts = [line.text for line in lines]
    authors = context.authors if context else frozenset()
    out = []
    for i in range(max(1, len(texts) - TAIL), len(texts)):
        t = texts[i]
        if _words(t) > MAX_WORDS * 2:
            continue
        sentences = _sentences(t)
        m = _BIO.match(sentences[0]) or _BIO_VERB.match(sentences[0])
        if m is None and (s := _SURNAME_BIO.match(sentences[0])) and _is_author(s.group("name"), authors):
            m = s
        m = m or _FIRST_NAME_BIO.match(sentences[0])
        if len(sentences) > 6:
            continue
        if _opens_with_author(sentences[0], authors):
            out.append(i)  # "Herbie Smith recently retired from …" under Herbie Smith's byline
            continue
        if m is None:
            continue
        follows = all(_BIO.match(x) or _BIO_FOLLOW.match(x) for x in sentences[1:])
        if not follows and not _CONTACT.search(t):
            continue
        name = m.group("name")
        if len(name.split()[-1]) < 3 or name[-1] in "’'":  # "… Like Me is a program", "Still Surfin’ is"
            continue
        if _WAS.match(sentences[0], m.end("name")) and not _ROLE_NOUN.search(sentences[0]):
            continue  # "X was among the women who survived …" is reporting; "X was the U.S. attorney …" a bio
        if _is_author(name, authors) or not _surname_elsewhere(name, texts, i):
            out.append(i)
    return out


# A sentence ends at . ! or ? (and a closing quote) before a capital, not after an initial ("P. Kiernan")
_SENTENCE_CUT = re.compile(r"(?<!\b[A-Z])[.!?][”\"’)]*\s+(?=[“\"‘]?[A-Z])")


# the first line is a bio when it introduces a writer ("Elena Wilson is a summer intern on The
# Tennessean's opinion team. She is a rising senior …"): a story's lead says what happened
_WRITER_ROLE = re.compile(
    r"\b(?:reporter|writer|editor|correspondent|columnist|journalist|contributor|intern|fellow|critic|"
    r"producer|photographer)\b"
)


def head_bios(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """An author introduction printed above the story: the first line introduces a writer by
    role, about someone the story never names afterwards."""
    if len(lines) < 3:
        return []
    texts = [line.text for line in lines]
    sentences = _sentences(texts[0])
    m = _BIO.match(sentences[0]) if sentences else None
    authors = context.authors if context else frozenset()
    if m is None and sentences and len(sentences) <= 4 and _opens_with_author(sentences[0], authors):
        # the bylined writer's full name opens the first line, whatever the verb ("Col. Wayne E.
        # Dillingham is retired from the U.S. Air Force …"); a story names its writer only in a quote
        return [0]
    if m is None or len(sentences) > 4:
        return []
    if not _WRITER_ROLE.search(sentences[0]) and not _is_author(m.group("name"), authors):
        return []  # a guest writer introduced by what they do, not as a writer: only when bylined
    if not all(_BIO.match(x) or _BIO_FOLLOW.match(x) for x in sentences[1:]):
        return []
    return [] if _surname_elsewhere(m.group("name"), texts, 0) else [0]


_TITLES = frozenset(
    "dr mr mrs ms rep reps sen gov lt gen col sgt capt prof rev st jr sr mt ft pres sec atty supt".split()
)


def _sentences(text: str) -> list[str]:
    """Sentences of a line; a title's abbreviation ("Dr.", "Rep.", "Sen.") does not end one."""
    cuts = [
        m.end()
        for m in _SENTENCE_CUT.finditer(text)
        if text[m.start()] != "." or _word_before(text, m.start()).lower() not in _TITLES
    ]
    bounds = [0, *cuts, len(text)]
    return [text[a:b].strip() for a, b in pairwise(bounds) if text[a:b].strip()]


def _word_before(text: str, at: int) -> str:
    """The last word before ``at``; "" when the line opens with the stop (". . . Jane is a …")."""
    words = text[:at].split()
    return words[-1] if words else ""


# "Dr. Shelby Harris specializes in …", "Christopher Elliott's latest book is …": a title may stand
# before a bylined name; what follows is a sentence about them (three words or more)
_TITLE = re.compile(
    r"^(?:(?:Dr|Prof|Rev|Sen|Rep|Gov|Gen|Col|Lt|Maj|Capt|Adm|Ambassador|Former|Judge)\.?\s+)*"
)
_AUTHOR_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*")


def _opens_with_author(sentence: str, authors: frozenset[str]) -> bool:
    """Whether a sentence opens with the full name (two words or more) of a bylined author and goes
    on: at a page's end that is the writer's introduction, whatever its verb ("recently retired
    from …", "delivered the first-ever win …"); a story's own lines name its writer only in a quote."""
    rest = sentence[_TITLE.match(sentence).end() :]
    # one byline may name several writers: "Dr. Jessica Faiz and Dr. Utibe R. Essien"
    names = {_TITLE.sub("", n.strip()) for a in authors for n in _AUTHOR_SPLIT.split(a)}
    for name in names:
        if len(name.split()) < 2 or not rest.startswith(name):
            continue
        tail = rest[len(name) :]
        if re.match(r"(?:[’']s\b|,|\s)", tail) and _words(tail) >= 3:
            return True
    return False


def _is_author(name: str, authors: frozenset[str]) -> bool:
    surname = name.split()[-1].strip("’'.,").lower()
    return any(surname in a.lower().split() for a in authors)


# "… during multiple viral surges. sonyakamoz/Adobe Stock", "… says Dr. Leana Wen. Yelizaveta
# Tomashevska/Adobe Stock": a photographer's handle or name, a slash, the agency, ending the line
_SLASH_TAIL = re.compile(
    r"[a-z\d)][.!?][”\"’]?\s+(?:[\w-]*[a-z_\d][\w-]*|[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,2})"
    r"/[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,2}(?<![.])$"  # not a web address ("… facebook.com/Pub.")
)


# "Jamie Hussey, IT director of Jackson Hospital, at work Courtesy Jackson Hospital": a capitalised
# "Courtesy" after a lower-case word, a caption's closing bracket ("… (Price: $2,919) Courtesy of Kay
# Jewelers") or its full stop ("… different colors. Courtesy Andrea Weiss, Zach Holmes and Yuanchi
# Ha", "… in Bridgeview. Courtesy Henry B.") is a credit glued to its caption, not prose
_COURTESY_TAIL = re.compile(
    r"(?:[a-z,)]|[a-z\d]{2}[.!?])\s+Courtesy(?: of)?\s+[A-Z][\w.'’&-]*"
    r"(?:,?\s+(?:[A-Z][\w.'’&-]*|of|and|the)){0,8}(?<![.])(?:\s+[A-Z]\.)?$"
)
# "… believed to have escaped in. From US Marshals Service", "… as pictured here. From Chili's": a
# capitalised "From" and a name after the caption's last sentence is CNN's credit (a title such as
# "Come From Away" has no full stop before it); "from the White House" alone on a line is one too
_FROM_TAIL = re.compile(
    r"[a-z]{2}[.!?][”\"’]?\s+From\s+(?:the\s+)?[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,4}(?<![.])$"
)
_FROM_ALONE = re.compile(r"^from (?:the )?[A-Z][\w'’&-]*(?: [A-Z][\w'’&-]*){0,4}$")


# "… Niger Delta area of Nigeria, 2020. Photo: George Osodi": a credit label and a name end the caption
_LABEL_TAIL = re.compile(
    r"[\w)][.,]\s+(?:Photo(?:graph)?s?|Image|Credit)\s*:\s*[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’&-]+){0,5}$"
)


_CREDIT_WORD = re.compile(r"(?i)courtesy|photo|credit|provided")


def _credit_tail(text: str) -> bool:
    """Any of the credit shapes at the end of ``text``; each regular expression runs only where its
    tell-tale character or word is (they scan from every position: most lines are long prose)."""
    tail = text[-120:]
    return bool(
        (_CREDIT_TAIL.search(tail) if _CREDIT_WORD.search(tail) else None)
        or ("/" in tail[-60:] and _SLASH_TAIL.search(tail))
        or ("Courtesy" in tail and _COURTESY_TAIL.search(tail))
        or ("From" in tail and _FROM_TAIL.search(tail))
        or (text.startswith("from ") and _FROM_ALONE.match(text))
        or (":" in tail and _LABEL_TAIL.search(tail))
    )


def credit_tails(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Captions that end in a credit: a lower-case one ("… in 2019. courtesy Justin Wang"), or a
    photographer and agency behind a slash ("… for Thanksgiving. julie208/Adobe Stock")."""
    return [
        i
        for i, line in enumerate(lines)
        if i > 0 and _words(line.text) <= MAX_WORDS + 20 and _credit_tail(line.text)
    ]


# "Al Drago/Reuters", "Stefani Reynolds/AFP/Getty Images", "Highsmith family/Facebook": a credit
_SLASH_CREDIT = re.compile(
    r"\b[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|family|de|van|von))+/[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,2}"
)
GALLERY_MIN_CREDITS = 3


def gallery_captions(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """A photo gallery scraped into one paragraph: three photo credits or more in a line
    ("… Al Drago/Reuters President Joe Biden laughs … Patrick Semansky/AP Biden offers …")."""
    return [
        i
        for i, line in enumerate(lines)
        if line.text.count("/") >= GALLERY_MIN_CREDITS
        and len(_SLASH_CREDIT.findall(line.text)) >= GALLERY_MIN_CREDITS
    ]


# "Director Ben Affleck, center, and producers George Clooney, right, …", "From left, …",
# "(left)": where people stand in a picture, which only a caption says
_POSITION = re.compile(
    r",\s+(?:left|right|center|centre|second (?:from )?(?:left|right)|far (?:left|right)|"
    r"(?:front|back|top|bottom) (?:left|right|row))\s*[,.;]|^\(?from left\b|"
    r"\((?:left|right|center|centre|from left|l-r|top|bottom)\)",
    re.I,
)
_POSITION_WORD = re.compile(r"\b(?:left|right|cent(?:er|re)|l-r)\b", re.I)  # a cheap test before _POSITION
_QUOTE_MARK = re.compile(r"[“”\"]")


def positional_captions(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Captions that say where the people in the picture stand ("X, right, sits with her mother");
    a quote is reporting, whatever it says about left and right."""
    return [
        i
        for i, line in enumerate(lines)
        if ("left" in line.text or "right" in line.text or "cent" in line.text or "l-r" in line.text)
        and _POSITION_WORD.search(line.text)
        and 5 <= _words(line.text) <= 60
        and _POSITION.search(line.text)
        and not _QUOTE_MARK.search(line.text)
    ]


# "Courtesy European Space Agency Courtesy European Space Agency Lake Manchar widens …": a figure's
# credit scraped twice before its caption
_REPEATED_CREDIT = re.compile(
    r"^(?P<credit>(?:courtesy|photo(?:graph)?|image|credit|source)\b[^.]{2,60}?)\s+(?P=credit)\s+\S", re.I
)


def repeated_credits(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    return [
        i
        for i, line in enumerate(lines)
        if line.text[:1] in "CcPpIiSs" and _words(line.text) <= 80 and _REPEATED_CREDIT.match(line.text)
    ]


def _caps_label(text: str) -> bool:
    """An all-capitals label of two words or more without a full stop ("CATCH UP ON UD FOOTBALL")."""
    if not text.isupper() or text[-1:] in ".!":
        return False
    words = text.split()
    return 2 <= len(words) <= 8 and any(w.isalpha() for w in words)


# a heading that introduces links, in sentence case: "Also from CNBC:", "Read more about Barbie:",
# "Read all our King Charles coronation coverage:"
_LINK_HEADING = re.compile(
    r"^(?:(?:Also|More (?:on|from|about|of)|Read|Related|Recommended|Trending|Catch up|Don['’]t miss|"
    r"Further reading|Keep reading)"
    r"\b[^.!?:]{0,60}|[A-Z][^.!?:]{0,60}\b(?:coverage|stories))\s*:$"
)


def label_runs(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """A list of other stories under a label: two or more headline-shaped lines after an
    all-capitals label, a heading that introduces links ("Also from CNBC:"), or after a link label
    the rules took out ("MORE:", "More from Credit.com").

    One headline-shaped line after a label may be the story's own subhead; two or more in a row,
    with the label, are a list of links. A run stops at the first line that is not a headline.
    """
    texts = [line.text for line in lines]
    after_label = context.after_link_labels if context else frozenset()
    # many capitals labels on a page head the parts of a list or a fact box ("FIRST TEAM",
    # "SECOND TEAM"), not a block of links
    caps = {i for i, t in enumerate(texts) if _caps_label(t)} if len(texts) > 2 else set()
    if len(caps) > 2:
        caps = set()
    headings = {i for i, t in enumerate(texts) if _words(t) <= 10 and _LINK_HEADING.match(t)}
    caps |= headings
    out: list[int] = []
    for i in range(1, len(texts)):
        labelled = i in caps
        if labelled:
            first = i + 1
        elif i in after_label:
            first = i
        else:
            continue
        end = _run_end(texts, first, loose=not labelled or i in headings)
        # under a heading that only links wear, to the page's end, every line a link ("… anime. Duolingo …")
        if (
            (i in headings or not labelled)
            and len(texts) - first >= 2
            and all(map(_is_tail_link, texts[first:]))
        ):
            end = len(texts)
        if end - first >= 2:
            out.extend(range(i if labelled else first, end))
    return sorted(set(out))


def _run_end(texts: Sequence[str], first: int, *, loose: bool) -> int:
    """Where a run of link headlines that starts at ``first`` ends (exclusive).

    Under a heading that only links wear ("Read more:", "More from …:"), ``loose``, sites also
    list a headline written with a full stop, one sentence or two ("The pound’s crash will make
    inflation worse."): such a line joins the run when a headline follows it in the run, or when
    it is two short sentences, so the run never ends on a single sentence of the story that comes
    back after the links ("Ruth's ring … could fetch the most.").
    """
    end = j = first
    while j < len(texts) and not _cut_short(texts, j):
        text = texts[j]
        if _is_run_headline(text) or (loose and _opens_like_headline(text) and _is_tail_link(text)):
            j = end = j + 1
        elif loose and _is_link_sentence(text):
            j += 1
        else:
            break
    return end


def _opens_like_headline(text: str) -> bool:
    """A capital, a digit or a quote mark first: an emoji or a symbol opens a site's own prompt."""
    return text[:1].isupper() or text[:1].isdigit() or text[:1] in "‘“'\""


def _is_link_sentence(text: str) -> bool:
    """A headline written as one sentence with a full stop: short, sentence case, no list item."""
    n = _words(text)
    return (
        5 <= n <= HEADLINE_MAX_WORDS
        and text.rstrip("”\"’'")[-1:] in ".!"
        and _opens_like_headline(text)
        and _SENTENCE_END.search(text) is None
        and not _LIST_ITEM.search(text)
        and sum(1 for w in text.split() if w[:1].islower()) >= 2
    )


# a list's own items: bullets, numbering, times ("9 p.m. —"), and "Name, 6-4 senior, School" rows
# (a thousands separator, "100,000", is no such comma)
_LIST_ITEM = re.compile(
    r"^(?:[•\-*▪►◦·◾–—(]|\d{1,3}[.)](?:\s|$)|\d{1,2}(?::\d{2})?\s*[ap]\.?m\.?)|(?<!\d),\s*\d|[—–-]\s*\d+$"
)


def _is_tail_link(text: str) -> bool:
    """A line of a links block that ends the page: a headline, or two short sentences of one
    (a site's headline with a full stop in it), never a list item or a label."""
    return (
        _is_run_headline(text)
        or (
            _is_link_like(text)
            # two sentences: not "Shaun D. Mullen", not "at 9 a.m. ET"
            and re.search(r"[a-z]{2}[.?!] [A-Z‘'“\"]", text) is not None
            and not re.search(r"\w\.(?:com|org|net)\b|https?:", text)
            and not _LIST_ITEM.search(text)
            and not text.rstrip().endswith(":")
            and sum(1 for w in text.split() if w[:1].islower()) >= 2
        )
    )


def _cut_short(texts: Sequence[str], i: int) -> bool:
    """Line ``i`` is a sentence the scrape broke: the next line goes on in lower case."""
    return i + 1 < len(texts) and texts[i + 1][:1].islower()


def _is_run_headline(text: str) -> bool:
    """A line of a list of story links: headline-shaped, written as a sentence (two lower-case
    words or more), and not an item of the article's own lists or tables."""
    if not is_headline_shaped(text) or _LIST_ITEM.search(text) or text.rstrip().endswith(":"):
        return False
    words = text.split()
    return len(words) >= 4 and sum(1 for w in words if w[:1].islower()) >= 2


_PROMPT_THING = re.compile(r"\b(?:newsletters?|podcasts?|our app|daily digest)\b", re.I)
_READER = re.compile(r"\b(?:you|your|our|we)\b", re.I)


def reader_prompts(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Short lines that speak to the reader about a newsletter, podcast or app ("The WeekDay
    newsletter provides you with a daily digest …", "Our newsletter has the best concerts …")."""
    return [
        i
        for i, line in enumerate(lines)
        if i > 0
        and _words(line.text) <= 30
        and _PROMPT_THING.search(line.text)
        and _READER.search(line.text)
        and not re.search(r"[“\"]", line.text)  # a quote about a newsletter is reporting
    ]


_URL = re.compile(r"https?://\S+|\bwww\.\S+")


def link_lines(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Lines of web addresses ("More AP soccer: https://apnews.com/hub/soccer and
    https://twitter.com/AP_Sports"): a pointer elsewhere, not text."""
    out = []
    for i, line in enumerate(lines):
        t = line.text
        if i == 0 or ("://" not in t and "www." not in t) or _words(t) > 30:
            continue
        urls = _URL.findall(t)
        rest = _URL.sub(" ", t).split()
        # two addresses or more behind a short label, or an address alone; a correction or a
        # sentence that ends in an address ("… apply by visiting https://…") is text
        if urls and (not rest or (len(urls) >= 2 and len(rest) <= 6)):
            out.append(i)
    return out


# how a teaser opens ("The latest …", "A look at …", "Why …", "Sign up …"); a brief behind a label
# opens with its subject ("RED CARD: Aleksandar Dragovic of Austria gets a second yellow card.")
_TEASER_OPENING = re.compile(
    r"(?:the latest|a look|why|how|what|who|where|when|join|get|sign|follow|download|watch|listen|see|"
    r"read|everything|here['’]s|here are|stay|track|catch up|find out)\b",
    re.I,
)
_CAPS_LABEL = re.compile(r"^(?P<label>[A-Z][A-Z\d.'’&-]*(?:\s+[A-Z\d][A-Z\d.'’&-]*)+):\s+(?P<rest>\S.*)$")


def caps_promos(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """A site's promotion behind an all-capitals label of two words or more ("NFL STATS CENTRAL:
    The latest NFL scores …", "TV SCHEDULE: How and what to watch …"): one headline-length
    sentence with lower-case words in it. A fact box ("CREW CHIEF: Chad Knaus", "NUMBER OF THE
    DAY: $1.26 million") has a name or a figure after its label, a brief opens with its subject
    ("RED CARD: Aleksandar Dragovic … is sent off"), and a transcript's speaker labels come many
    to a page."""
    found = []
    for i, line in enumerate(lines):
        m = _CAPS_LABEL.match(line.text)
        if i == 0 or m is None or not any(len(w) > 1 and w.isalpha() for w in m.group("label").split()):
            continue
        rest = m.group("rest")
        words = rest.split()
        if not 4 <= len(words) <= HEADLINE_MAX_WORDS or _SENTENCE_END.search(rest):
            continue
        teaser = _TEASER_OPENING.match(rest) or rest.rstrip().endswith("?") or " | " in rest
        if teaser and sum(1 for w in words if w[:1].islower()) >= 2:
            found.append(i)
    return found if len(found) <= 3 else []


_OPEN_WORDS = frozenset(
    "a an the of on in at to for from by with and or but as that which who is was are were be".split()
)


def trailing_headline(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """The last line, when it is headline-shaped and follows prose: a heading with nothing under
    it is a link to another story ("King Charles celebrates 75th birthday with food project,
    Prince William tribute"). After another headline-shaped line it is the end of a list.

    Only on a page that shows other story links (glued, or taken out by the rules): a wire story's
    closing note ("Halo 2 is out now for the PC", "Referee: P O'Brien (New Zealand)") has the same
    shape, on pages without any."""
    texts = [line.text for line in lines]
    if len(texts) < 3 or not ((context and context.links_removed) or any(map(glued_link, texts))):
        return []
    last, before = texts[-1], texts[-2]
    if last.split()[-1].lower() in _OPEN_WORDS or last[:1].islower():
        return []  # "… were reported in Vermont on": a sentence the scrape cut short
    if _fact_label(last) or _fact_label(before):
        return []  # the end of a fact box ("Where: …", "When: 5–8 p.m. July 6"), not a link
    if is_headline_shaped(last) and not is_headline_shaped(before) and not before.rstrip().endswith(":"):
        return [len(texts) - 1]
    return []


_SIGNER = re.compile(r"^[A-Z][\w’'.-]+(?:\s+(?:[A-Z][\w’'.-]+|de|van|von|del)){1,3}$")
_TOWN = re.compile(r"^[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,2}(?:,\s*[A-Z][\w.]+)?$")
LETTERS_MIN = 2


def letter_signatures(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """A letters page's signatures: after a letter's last paragraph, the writer's name on a line
    and their town on the next ("Carol Zervas" / "Camden"). Two such pairs or more make a letters
    page; one name and a place after a paragraph may be a list or a heading."""
    texts = [line.text for line in lines]
    pairs = [
        i
        for i in range(1, len(texts) - 1)
        if _SIGNER.match(texts[i])
        and _TOWN.match(texts[i + 1])
        and _words(texts[i + 1]) <= 3
        and _SENTENCE_END.search(texts[i - 1] + " X") is not None
        and _words(texts[i - 1]) >= 15
    ]
    if len(pairs) < LETTERS_MIN:
        return []
    return sorted({k for i in pairs for k in (i, i + 1)})


_PROSE_END = re.compile(r"[.!?][”\"’)]?$")
_CAPWORD = re.compile(r"\b[A-Z][a-z][\w’'-]*")
# With one novel name only, or on a sectioned page, a line that quotes someone, carries a
# parenthesis or says two things ("Labor Day is the cookout holiday. Don't mind our heat") is the
# story's own: a quote, a list's item ("Seconds, by Bryan Lee O'Malley (Ballantine, $25)"), a
# subhead with a second sentence.
# So is a question without a link's label ("When is Leo Messi's next game?" is a subhead; "Sunday
# School: Has Tom Brady met …?" a link), a dated or scored item ("7/23: Dave Alvin …", "Deen:
# Chargers 24, Jaguars 20") and a line of names with hardly a lower-case word (a line-up, a list).
_DOUBT = re.compile(r"[“”\"()]|[a-z]\.\s|^\d|\d+,\s+[A-Z][\w.'’ -]*\s\d")
_LOWER_WORD = re.compile(r"(?<![\w’'])[a-z][a-z’'-]*\b")


def _doubtful(text: str) -> bool:
    return bool(
        _DOUBT.search(text)
        or (text.endswith("?") and not _LABEL_COLON.match(text))
        or len(_LOWER_WORD.findall(text)) < 2
    )


ISOLATED_MIN_NOVEL = 1
ISOLATED_MIN_NOVEL_SECTIONED = 3
ISOLATED_MAX_PER_PAGE = 3
_NUMBERED_ITEM = re.compile(r"^\d{1,3}[.)]\s")
# a sentence ends inside the line: "!" or "?", or a full stop after a word ("vs. Wade", "Dr. Li" go on)
_TWO_SENTENCES = re.compile(r"(?:[!?]|[a-z]{3}\.)[”\"’)]?\s+[A-Z‘“\"']")


def _is_prose(text: str) -> bool:
    return _words(text) >= 15 and _PROSE_END.search(text) is not None


def isolated_headlines(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """A headline standing alone between two paragraphs that names two or more people, places or
    things the article never mentions elsewhere ("Liam Hemsworth and Jeff Goldblum reenacted The
    Rock's turtleneck pic" inside a story about a film festival): a link to another story. A
    section heading introduces what the next paragraphs talk about, so its names recur."""
    texts = [line.text for line in lines]
    out = []
    full = ""
    between = [
        i
        for i in range(1, len(texts) - 1)
        if is_headline_shaped(texts[i])
        and _is_prose(texts[i - 1])
        and _is_prose(texts[i + 1])
        and not texts[i + 1][:1].islower()  # "… Britain's shabby tabby" / "surely deserves …": one sentence
    ]
    # On a page sectioned by headings (an explainer, a list) the headings name things too: there a
    # link must name more that the page never mentions; between plain paragraphs one novel name does.
    sectioned = len(between) >= ISOLATED_MAX_PER_PAGE
    least = ISOLATED_MIN_NOVEL_SECTIONED if sectioned else ISOLATED_MIN_NOVEL
    for i in between:
        t = texts[i]
        if _words(t) < 5 or _NUMBERED_ITEM.match(t):
            continue
        full = full or "\n".join(texts).lower()
        low = t.lower()
        # a word is novel when the line itself holds every occurrence of it on the page
        novel = [
            w for w in _CAPWORD.findall(t)[1:] if full.count(k := w.lower().rstrip("’'s")) <= low.count(k)
        ]
        clear = (len(novel) >= 2 and not sectioned) or not _doubtful(t)
        if len(novel) >= least and clear:
            out.append(i)
    return out


def _short_value(text: str) -> bool:
    """ "Where to watch: Hulu", "Best for: small rooms": a label and a value of a few words."""
    _, colon, value = text.partition(": ")
    return bool(colon) and _words(value) <= 3


ITEM_LINKS_MIN = 3  # numbered items that must each end in a headline before their links count


def item_links(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """On a numbered list page ("1. King's ancestor 'exploited slaves'", a paragraph, "2. …"), a
    headline closing item after item, right before the next number: the site's link to its own
    story on that item ("Slavery and the monarchy: time for a royal reckoning?"). The writer ends
    an item with its paragraph; a slot the page fills the same way three times over is the
    template's. A quote's attribution ("— Jane Doe, CEO") or a fact line ("Price: $20") is not one.
    """
    texts = [line.text for line in lines]
    numbered = [i for i, t in enumerate(texts) if _NUMBERED_ITEM.match(t)]
    if len(numbered) < ITEM_LINKS_MIN:
        return []
    found = []
    for prev, nxt in pairwise(numbered):
        j = nxt - 1
        t = texts[j]
        if (
            j - prev >= 2  # the item has its own paragraph before the slot
            and is_headline_shaped(t)
            and _TWO_SENTENCES.search(t) is None  # "It’s a gift! It’s a tree! Who knew …?" is the item's
            and _is_prose(texts[j - 1])
            and t[:1].isalpha()  # not "— Jane Doe", "“…”", "$20"
            and not _fact_label(t)
            and not _short_value(t)  # "Where to watch: Hulu" is the item's own detail
        ):
            found.append(j)
    # a third of the slots filled is the template's habit (a site links some items, not all)
    return found if len(found) >= ITEM_LINKS_MIN and len(found) * 3 >= len(numbered) - 1 else []


_ARCHIVE_LINK = re.compile(rf"^(?:{_MONTHS}) (?:19|20)\d\d:\s+\S")


def archive_links(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Links to a site's older stories, each under the month it ran ("July 2020: Just how bad was
    the Covid crisis in UK care homes?", "February 2022: What is the energy price cap …"), scattered
    between paragraphs: two or more make a page's archive links; one is a dated subhead."""
    found = [
        i
        for i, line in enumerate(lines)
        if i > 0 and _ARCHIVE_LINK.match(line.text) and is_headline_shaped(line.text)
    ]
    return found if len(found) >= 2 else []


def repeated_label_links(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Headlines under the same label scattered between paragraphs ("Fact check: Over 159 million
    people voted …", "Review: Lady Gaga owns stylish and satirical 'House of Gucci' …"): a site's
    links to its own series. A label repeated on adjacent lines is a fact box's field name, a label
    whose values are not headlines ("Last start: 2nd") is one too, as are two labels taking turns
    ("Pro:", "Con:"), and questions under one label are an interview's."""
    groups: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        # "CNN: What can families do now …?": an interview's questions under the interviewer's name
        if i == 0 or line.text.rstrip(" ”\"’'").endswith("?") or not labelled_headline(line.text):
            continue
        m = _LABEL_COLON.match(line.text)
        if m is not None:
            groups.setdefault(m.group("label").lower(), []).append(i)
    series = [found for found in groups.values() if len(found) >= 2]
    out: list[int] = []
    for found in series:
        # "Pro: …", "Con: …", "Pro: …": two labels taking turns are a list's field names
        if any(o is not found and o[0] < found[-1] and found[0] < o[-1] for o in series):
            continue
        if all(b - a > 1 for a, b in pairwise(found)):
            out.extend(found)
    return sorted(out)


_ARROWS = "►▶➤»→"


def arrow_links(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """Lines behind an arrow bullet that read as links ("► Zoom Apps: How the video conferencing
    experience is changing", "» Learn more about Roth IRAs"): an article's own lists use plain
    bullets or numbers, and its list items are sentences or figures, not headlines."""
    return [
        i
        for i, line in enumerate(lines)
        if i > 0
        and line.text[:1] in _ARROWS
        and not line.text.rstrip().endswith(":")  # "➤These are the best times to drive:" heads a list
        and _words(line.text) <= HEADLINE_MAX_WORDS
        and not re.search(r"\d", line.text[:12])  # "» 2 p.m.: doors open": a schedule
        and (is_headline_shaped(line.text[1:].strip()) or line.text.count(". ") == 0)
    ]


def bracketed_links(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """A headline in square brackets on a line of its own ("[ Relive the Lions' best and worst
    Thanksgiving moments ]"): how some sites set an inline link to another story."""
    return [
        i
        for i, line in enumerate(lines)
        if i > 0
        and line.text.startswith("[")
        and line.text.endswith("]")
        and 4 <= _words(line.text.strip("[] ")) <= HEADLINE_MAX_WORDS
        and "]" not in line.text[:-1]
    ]


# A pictograph opening a line: "📸 Flooded homes, streets: Photos show …", "👉 How can I help? …"
_EMOJI_LEAD = re.compile("^[\U0001f300-\U0001faff\u2600-\u27bf]")
EMOJI_MIN_LINES = 3


def emoji_items(lines: Sequence[_Line], context: Context | None = None) -> list[int]:
    """The items of a newsletter-style page, each opened by a pictograph: three such lines or more
    make the page's furniture (greetings, weather and photo prompts, link teasers); one emoji at
    the start of a line is a quote or a list item."""
    found = [
        i
        for i, line in enumerate(lines)
        if i > 0 and _EMOJI_LEAD.match(line.text) and _words(line.text) <= 40
    ]
    return found if len(found) >= EMOJI_MIN_LINES else []


# Each detector with the rule name, reason and metadata field its findings carry in the audit
# trail; the first detector to claim a line names it.
DETECTORS: tuple[tuple[Callable[[Sequence[_Line], Context | None], list[int]], str, str, str | None], ...] = (
    (
        credit_tails,
        "caption",
        "photo caption ending in a credit (kept once in metadata.captions)",
        "captions",
    ),
    (
        related_links,
        "related_link",
        "related-story link: a headline glued to its label or in a run of headlines",
        None,
    ),
    (
        gallery_captions,
        "caption",
        "photo gallery: captions with their credits in one paragraph (kept in metadata.captions)",
        "captions",
    ),
    (
        positional_captions,
        "caption",
        "photo caption saying where people stand in the picture (kept in metadata.captions)",
        "captions",
    ),
    (
        repeated_credits,
        "caption",
        "photo caption behind its credit, scraped twice (kept in metadata.captions)",
        "captions",
    ),
    (label_runs, "related_link", "a list of other stories' headlines under a label", None),
    (
        letter_signatures,
        "byline",
        "a letter writer's name and town under a letter (kept in metadata.credits)",
        "credits",
    ),
    (
        isolated_headlines,
        "related_link",
        "a lone headline naming what the article never mentions: a link",
        None,
    ),
    (
        repeated_label_links,
        "related_link",
        "headlines under one label between paragraphs: a series' links",
        None,
    ),
    (archive_links, "related_link", "links to older stories, each under the month it ran", None),
    (item_links, "related_link", "a headline closing item after item of a numbered list: its link", None),
    (arrow_links, "related_link", "a headline behind an arrow bullet: a link to another story", None),
    (bracketed_links, "related_link", "a headline in square brackets: a link to another story", None),
    (emoji_items, "promo", "newsletter-style items opened by pictographs (greeting, prompts, teasers)", None),
    (reader_prompts, "newsletter_prompt", "a newsletter/podcast/app prompt addressed to the reader", None),
    (link_lines, "link_list", "a line of web addresses: a pointer to other pages", None),
    (caps_promos, "promo_label", "a site promotion behind an all-capitals label", None),
    (
        trailing_headline,
        "related_link",
        "a headline after the article's last paragraph: a link to another story",
        None,
    ),
    (
        tail_bios,
        "author_bio",
        "author introduction among the last lines (kept in metadata.credits)",
        "credits",
    ),
    (
        head_bios,
        "author_bio",
        "author introduction above the story (kept in metadata.credits)",
        "credits",
    ),
)


# Detectors that read a line's place from the end of the story: they run on what the others left,
# so a list of links under the writer's bio ("More from Chris Schlak:" and three headlines) does
# not push the bio out of the last lines. They read only ``context.authors``: the context's line
# indices count all the lines, not the ones left.
_ON_WHAT_IS_LEFT = frozenset({tail_bios})


def detect(lines: Sequence[_Line], context: Context | None = None) -> list[Finding]:
    """Every structure finding over ``lines`` (the lines the per-line rules kept), by index."""
    found: dict[int, Finding] = {}
    for detector, rule, reason, moved_to in DETECTORS:
        if detector not in _ON_WHAT_IS_LEFT:
            for i in detector(lines, context):
                found.setdefault(i, Finding(i, rule, reason, moved_to))
    left = [i for i in range(len(lines)) if i not in found]
    for detector, rule, reason, moved_to in DETECTORS:
        if detector in _ON_WHAT_IS_LEFT:
            for j in detector([lines[i] for i in left], context):
                found.setdefault(left[j], Finding(left[j], rule, reason, moved_to))
    return sorted(found.values(), key=lambda f: f.index)
